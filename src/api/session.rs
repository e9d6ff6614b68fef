//! Log-in (password or a judge's one-time code) and log-out.
use super::State;
use crate::auth::{Caller, secret};
use crate::domain::kinds::{JudgeRole, Role};
use crate::error::{ApiError, ApiResult};
use crate::store;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use entity::judge;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

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
    ApiError::Unauthorized { code: "invalid_credentials", detail: "wrong user name, password or code".into() }
}

/// Log in with `{"username", "password"}` or a judge's one-time `{"code"}`.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = CreateSessionRequest,
    responses((status = 201, body = SessionResponse), (status = 401, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn create_session(
    state: State,
    req: HttpRequest,
    body: web::Json<CreateSessionRequest>,
) -> ApiResult<HttpResponse> {
    let ip = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let key = format!("{ip}|{}", body.username.as_deref().unwrap_or("code"));
    if !state.login_limiter.allow(&key) {
        return Err(ApiError::TooManyRequests);
    }
    let token = secret::new_token();
    let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
    let response = match (&body.username, &body.password, &body.code) {
        (Some(username), Some(password), None) => {
            let account = store::account::find_by_username(&state.db, username).await?;
            let hash = account.as_ref().map(|a| a.password_hash.clone());
            // Verify on a blocking thread: argon2 is deliberately slow.
            let password = password.clone();
            let ok = web::block(move || hash.is_some_and(|h| secret::verify_password(&password, &h)))
                .await
                .map_err(ApiError::internal)?;
            let Some(account) = account.filter(|_| ok) else {
                state.login_limiter.fail(&key);
                return Err(wrong_credentials());
            };
            store::account::insert_session(
                &state.db,
                store::account::NewSession {
                    token_hash: secret::sha256_hex(&token),
                    role: "admin".into(),
                    account_id: Some(account.id),
                    judge_id: None,
                    expires_at,
                },
            )
            .await?;
            SessionResponse { token, role: Role::Admin, expires_at, judge: None, competition: None }
        }
        (None, None, Some(code)) => {
            let hash = secret::sha256_hex(&secret::normalise_code(code));
            let Some(judge) =
                judge::Entity::find().filter(judge::Column::LoginCodeHash.eq(&hash)).one(&state.db).await?
            else {
                state.login_limiter.fail(&key);
                return Err(wrong_credentials());
            };
            let txn = crate::db::begin_write(&state.db).await?;
            // Single use: only the request that clears the code gets a session.
            let cleared = judge::Entity::update_many()
                .col_expr(judge::Column::LoginCodeHash, Expr::value(Option::<String>::None))
                .filter(judge::Column::Id.eq(judge.id))
                .filter(judge::Column::LoginCodeHash.eq(&hash))
                .exec(&txn)
                .await?;
            if cleared.rows_affected != 1 {
                return Err(wrong_credentials());
            }
            let role = if judge.role == JudgeRole::Chief.as_str() { Role::Chief } else { Role::Judge };
            store::account::insert_session(
                &txn,
                store::account::NewSession {
                    token_hash: secret::sha256_hex(&token),
                    role: role.as_str().into(),
                    account_id: None,
                    judge_id: Some(judge.id),
                    expires_at,
                },
            )
            .await?;
            txn.commit().await?;
            let competition = entity::competition::Entity::find_by_id(judge.competition_id).one(&state.db).await?;
            // The console shows whether a judge still holds an unused code; a failed refresh
            // only delays that, the log-in itself is committed.
            let _ = state.engine.reload(judge.competition_id).await;
            SessionResponse {
                token,
                role,
                expires_at,
                judge: Some(judge.code),
                competition: competition.map(|c| c.code),
            }
        }
        _ => {
            return Err(ApiError::field(
                "",
                "credentials_required",
                "send {\"username\", \"password\"} or a judge's {\"code\"}",
            ));
        }
    };
    Ok(HttpResponse::Created().json(response))
}

/// Log out: the token stops working at once.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204), (status = 401, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn delete_session(state: State, caller: Caller) -> ApiResult<HttpResponse> {
    store::account::revoke_session(&state.db, caller.session_id).await?;
    state.sessions.forget_session(caller.session_id);
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
#[utoipa::path(get, path = "/api/v1/session/me", tag = "session", responses((status = 200, body = MeResponse), (status = 401, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn get_me(caller: Caller) -> ApiResult<web::Json<MeResponse>> {
    Ok(web::Json(MeResponse {
        role: caller.role,
        username: caller.username.clone(),
        judge: caller.judge.as_ref().map(|j| j.code.clone()),
        expires_at: caller.expires_at,
    }))
}
