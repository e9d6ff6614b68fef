//! Judging life cycle: entry status, discrepancies and their overrides, lock, unlock, publish.
use super::marks::ReasonRequest;
use super::{State, competition, found};
use crate::auth::{Caller, policy};
use crate::domain::kinds::EntryStatus;
use crate::error::{ApiError, ApiResult};
use crate::service::engine::JudgingOp;
use actix_web::web;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusRequest {
    status: String,
    #[serde(default)]
    reason: String,
}

/// Withdraw, disqualify or reinstate an entry (organizers, with a reason).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/entries/{entry}/status", tag = "judging", request_body = StatusRequest,
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn set_entry_status(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<StatusRequest>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let status = EntryStatus::parse(&body.status).ok_or_else(|| {
        ApiError::field("/status", "invalid_choice", format!("status is one of: {}", EntryStatus::choices()))
    })?;
    let op = JudgingOp::SetStatus { entry: path.1.clone(), status, reason: body.reason.clone() };
    Ok(web::Json(state.engine.judging(c.id, caller, op).await?))
}

/// Judgement panels whose spread exceeds the skill's `max_judgement_spread`.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills/{skill}/discrepancies", tag = "judging", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn list_discrepancies(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), "skill", &path.1)?;
    if !policy::may_see_marking(&caller, &c, s) {
        return Err(ApiError::forbidden("not_assigned", "you are not assigned to this skill"));
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
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/discrepancies/override", tag = "judging", request_body = OverrideRequest,
    responses((status = 200, body = Object), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn override_discrepancy(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<OverrideRequest>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), "skill", &path.1)?;
    let e = found(c.entry(&body.entry), "entry", &body.entry)?;
    if c.entries[e].skill != s {
        return Err(ApiError::field("/entry", "wrong_skill", "the entry is not in this skill"));
    }
    let op =
        JudgingOp::Override { entry: body.entry.clone(), aspect: body.aspect.clone(), reason: body.reason.clone() };
    Ok(web::Json(state.engine.judging(c.id, caller, op).await?))
}

/// Sign off a skill's marks (chief or organizer; refused while discrepancies are open).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/lock", tag = "judging", responses((status = 200, body = Object), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn lock_skill(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    Ok(web::Json(state.engine.judging(c.id, caller, JudgingOp::Lock { skill: path.1.clone() }).await?))
}

/// Reopen a locked or published skill (organizers, with a reason).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/unlock", tag = "judging", request_body = ReasonRequest,
    responses((status = 200, body = Object), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn unlock_skill(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<ReasonRequest>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let op = JudgingOp::Unlock { skill: path.1.clone(), reason: body.reason.clone() };
    Ok(web::Json(state.engine.judging(c.id, caller, op).await?))
}

/// Publish a locked skill's results (organizers).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/publish", tag = "judging", responses((status = 200, body = Object), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn publish_skill(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    Ok(web::Json(state.engine.judging(c.id, caller, JudgingOp::Publish { skill: path.1.clone() }).await?))
}
