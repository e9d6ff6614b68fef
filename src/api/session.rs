//! Log-in (password or a judge's one-time code) and log-out.
use super::State;
use crate::auth::{Sessions, limiter, secret};
use crate::domain::kinds::Role;
use crate::error::{ApiError, ApiResult, ErrorCode, Rejection};
use crate::live::Revocation;
use crate::model::record::SessionRecord;
use crate::model::{Caller, Outcome};
use crate::store;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use uuid::Uuid;

/// A working day: a session expires after it.
const SESSION_HOURS: i64 = 14;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateSessionRequest {
    username: Option<String>,
    password: Option<String>,
    /// A judge's one-time code.
    code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionResponse {
    token: String,
    role: Role,
    expires_at: chrono::DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    judge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    competition: Option<String>,
}

fn wrong_credentials() -> ApiError {
    ApiError::unauthorized(ErrorCode::InvalidCredentials, "wrong user name, password or code")
}

fn too_many(wait: std::time::Duration) -> ApiError {
    // Whole seconds, rounded up: a client that waits that long finds room.
    let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Rejection::TooManyRequests { retry_after: retry_after.max(1) }.into()
}

/// Log in with `{"username", "password"}` or a judge's one-time `{"code"}`.
///
/// Every attempt is charged to the log-in budgets before any slow work and refunded when it
/// succeeds (see `auth::limiter`).
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = CreateSessionRequest,
    responses(
        (status = 201, body = SessionResponse),
        (status = 401, description = "wrong user name, password or code (`invalid_credentials`), or a code used already (`code_used`)"),
        (status = 422, description = "neither a user name with a password nor a code (`credentials_required`)"),
        (status = 429, description = "too many failed attempts from this address or for this account or code"),
        (status = 503, description = "the write lost the race for its skills too often; nothing was stored")))]
pub async fn create_session(
    state: State,
    req: HttpRequest,
    body: web::Json<CreateSessionRequest>,
) -> ApiResult<HttpResponse> {
    let address = limiter::address_key(req.peer_addr().map(|a| a.ip()));
    let token = secret::new_token();
    let now = Utc::now();
    let session = SessionRecord {
        id: Uuid::now_v7(),
        token_hash: secret::sha256_hex(&token),
        role: Role::Admin,
        account_id: None,
        judge_id: None,
        created_at: now,
        expires_at: now + Duration::hours(SESSION_HOURS),
    };
    let expires_at = session.expires_at;
    let response = match (&body.username, &body.password, &body.code) {
        (Some(username), Some(password), None) => {
            let limits = limiter::password_limits(&address, username);
            let charge = state.login_limiter.charge(&limits, Instant::now()).map_err(too_many)?;
            let account = store::account::find_by_username(&state.db, username).await?;
            let hash = account.as_ref().map(|a| a.password_hash.clone());
            // Verify on a blocking thread: argon2 is deliberately slow. An unknown user name
            // is verified too (against a dummy hash), so it answers no faster.
            let password = password.clone();
            let ok = web::block(move || secret::verify_password_or_dummy(&password, hash.as_deref()))
                .await
                .map_err(ApiError::internal)?;
            let Some(account) = account.filter(|_| ok) else {
                return Err(wrong_credentials());
            };
            store::account::create_session(&state.db, &SessionRecord { account_id: Some(account.id), ..session })
                .await?;
            charge.refund();
            SessionResponse { token, role: Role::Admin, expires_at, judge: None, competition: None }
        }
        (None, None, Some(code)) => {
            let hash = secret::sha256_hex(&secret::normalise_code(code));
            let limits = limiter::code_limits(&address, &hash);
            let charge = state.login_limiter.charge(&limits, Instant::now()).map_err(too_many)?;
            let redeemed = match store::competition::find_by_login_code(&state.db, &hash).await? {
                Some(competition) => state.engine.redeem(competition, hash.clone(), session).await,
                None => Err(wrong_credentials()),
            };
            let done = match redeemed {
                Ok(done) => done,
                // Used already (here, or a moment ago by a concurrent log-in): say so, so that
                // a judge whose tablet lost the first answer asks for a new code instead of
                // retyping this one.
                Err(e) if e.code() == ErrorCode::InvalidCredentials => {
                    if store::competition::find_by_used_code(&state.db, &hash).await?.is_some() {
                        let detail = "this code was used already; ask the organizer for a new one";
                        return Err(ApiError::unauthorized(ErrorCode::CodeUsed, detail));
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            let (Outcome::Session { judge, role }, Some(model)) = (done.outcome, done.model) else {
                return Err(ApiError::internal_msg("a log-in answered without its session"));
            };
            charge.refund();
            SessionResponse { token, role, expires_at, judge: Some(judge), competition: Some(model.code.clone()) }
        }
        _ => {
            let detail = "send {\"username\", \"password\"} or a judge's {\"code\"}";
            return Err(ApiError::field("", ErrorCode::CredentialsRequired, detail));
        }
    };
    Ok(HttpResponse::Created().json(response))
}

/// Log out: the token stops working at once.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses(
        (status = 204, description = "logged out")),
    security(("bearer" = [])))]
pub async fn delete_session(state: State, sessions: web::Data<Sessions>, caller: Caller) -> ApiResult<HttpResponse> {
    store::account::revoke_session(&state.db, caller.session_id).await?;
    sessions.forget_session(caller.session_id);
    // Its live sockets drop to the public view, on every instance.
    let revocation = Revocation::Session(caller.session_id);
    state.hub.revoke(revocation);
    if state.db.is_postgres() {
        let payload = crate::live::relay::encode_revocation(state.engine.instance(), revocation);
        store::notify::notify_now(&state.db, payload).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    role: Role,
    username: Option<String>,
    judge: Option<String>,
    expires_at: chrono::DateTime<Utc>,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/session/me", tag = "session",
    responses(
        (status = 200, body = MeResponse)),
    security(("bearer" = [])))]
pub async fn get_me(caller: Caller) -> ApiResult<web::Json<MeResponse>> {
    Ok(web::Json(MeResponse {
        role: caller.role,
        username: caller.username.clone(),
        judge: caller.judge.as_ref().map(|j| j.code.clone()),
        expires_at: caller.expires_at,
    }))
}
