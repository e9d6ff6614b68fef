//! Judging life cycle: entry status, discrepancies and their overrides, lock, unlock, publish.
use super::marks::ReasonRequest;
use super::openapi::WriteProblems;
use super::openapi::views as v;
use super::{State, competition, found};
use crate::domain::kinds::EntryStatus;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::model::{Caller, Command, Outcome, policy};
use crate::service::Done;
use actix_web::web;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

type Path2 = web::Path<(String, String)>;

/// `{"skill", "state"}` of the skill a judging write changed.
pub fn skill_state(done: Done) -> ApiResult<web::Json<Value>> {
    match done.outcome {
        Outcome::Skill { skill, state } => Ok(web::Json(json!({ "skill": skill, "state": state }))),
        _ => Err(ApiError::internal_msg("a judging write answered without its skill")),
    }
}

async fn judge(state: &State, code: &str, caller: Caller, command: Command) -> ApiResult<web::Json<Value>> {
    let c = competition(state, code).await?;
    skill_state(state.engine.execute(c.id, caller, command).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusRequest {
    #[schema(value_type = EntryStatus)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// Withdraw, disqualify or reinstate an entry (organizers, with a reason).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/entries/{entry}/status", tag = "judging",
    request_body = StatusRequest,
    responses(
        (status = 200, body = v::SkillStateView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn set_entry_status(
    state: State,
    caller: Caller,
    path: Path2,
    body: web::Json<StatusRequest>,
) -> ApiResult<web::Json<Value>> {
    let status = EntryStatus::parse(&body.status).ok_or_else(|| {
        ApiError::field("/status", ErrorCode::InvalidChoice, format!("status is one of: {}", EntryStatus::choices()))
    })?;
    let command = Command::SetEntryStatus { entry: path.1.clone(), status, reason: body.reason.clone() };
    judge(&state, &path.0, caller, command).await
}

/// Judgement panels whose spread exceeds the skill's `max_judgement_spread`.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills/{skill}/discrepancies", tag = "judging",
    responses(
        (status = 200, body = v::Discrepancies),
        (status = 403, description = "the caller's role may not do this")),
    security(("bearer" = [])))]
pub async fn list_discrepancies(state: State, caller: Caller, path: Path2) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), ErrorCode::NotFound, "skill", &path.1)?;
    if !policy::may_see_marking(&caller, &c, s) {
        return Err(ApiError::forbidden(ErrorCode::NotAssigned, "you are not assigned to this skill"));
    }
    let result = &c.skills[s].result;
    Ok(web::Json(json!({
        "skill": c.skills[s].code(),
        "open": result.open_discrepancies(),
        "discrepancies": result.discrepancies,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OverrideRequest {
    entry: String,
    aspect: String,
    #[serde(default)]
    reason: String,
}

/// Accept a flagged panel as it stands (the skill's chief or an organizer, with a reason).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/discrepancies/override", tag = "judging",
    request_body = OverrideRequest,
    responses(
        (status = 200, body = v::SkillStateView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn override_discrepancy(
    state: State,
    caller: Caller,
    path: Path2,
    body: web::Json<OverrideRequest>,
) -> ApiResult<web::Json<Value>> {
    let body = body.into_inner();
    let command = Command::OverrideDiscrepancy {
        skill: path.1.clone(),
        entry: body.entry,
        aspect: body.aspect,
        reason: body.reason,
        fresh: Uuid::now_v7(),
    };
    judge(&state, &path.0, caller, command).await
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct LockRequest {
    /// Lock although marks are missing (the gaps are listed by a first refusal).
    #[serde(default)]
    accept_missing: bool,
    /// Why the gaps are accepted (required with `accept_missing`).
    #[serde(default)]
    reason: String,
}

/// The body of a lock: none at all (as `{}`), or a `LockRequest`. A body that is neither is
/// refused; `Option<Json>` would have read it as `{}` and locked without the caller's terms.
fn lock_request(body: &[u8]) -> ApiResult<LockRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(LockRequest::default());
    }
    serde_json::from_slice::<Option<LockRequest>>(body).map(Option::unwrap_or_default).map_err(|e| {
        if e.is_data() {
            ApiError::field("", ErrorCode::InvalidBody, e.to_string())
        } else {
            ApiError::bad_request(ErrorCode::MalformedJson, e.to_string())
        }
    })
}

/// Sign off a skill's marks (chief or organizer). Refused while discrepancies are open, and
/// while marks are missing (409 `marks_missing` lists every gap) unless the gaps are
/// accepted with a reason; an active entry with no mark at all must be withdrawn first.
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/lock", tag = "judging",
    request_body(content = Option<LockRequest>, description = "optional: none, or `{}`, unless gaps are accepted"),
    responses(
        (status = 200, body = v::SkillStateView),
        (status = 403, description = "the caller's role may not do this"),
        (status = 409, description = "discrepancies are open, marks are missing (`marks_missing` lists every gap in `missing`), or the skill is not being marked"),
        (status = 503, description = "the write lost the race for its skills too often; nothing was stored")),
    security(("bearer" = [])))]
pub async fn lock_skill(state: State, caller: Caller, path: Path2, body: web::Bytes) -> ApiResult<web::Json<Value>> {
    let body = lock_request(&body)?;
    let accept_missing = body.accept_missing.then_some(body.reason);
    judge(&state, &path.0, caller, Command::LockSkill { skill: path.1.clone(), accept_missing }).await
}

/// Reopen a locked or published skill (organizers, with a reason).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/unlock", tag = "judging",
    request_body = ReasonRequest,
    responses(
        (status = 200, body = v::SkillStateView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn unlock_skill(
    state: State,
    caller: Caller,
    path: Path2,
    body: web::Json<ReasonRequest>,
) -> ApiResult<web::Json<Value>> {
    judge(&state, &path.0, caller, Command::UnlockSkill { skill: path.1.clone(), reason: body.reason.clone() }).await
}

/// Publish a locked skill's results (organizers).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/publish", tag = "judging",
    responses(
        (status = 200, body = v::SkillStateView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn publish_skill(state: State, caller: Caller, path: Path2) -> ApiResult<web::Json<Value>> {
    judge(&state, &path.0, caller, Command::PublishSkill { skill: path.1.clone() }).await
}
