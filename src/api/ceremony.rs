//! The closing ceremony: its plan, the presenter's next and back, rehearsals. Organizers get
//! the presenter's view (the whole plan with cues); everyone else the hall's view, which
//! holds revealed steps only.
use super::{State, competition};
use crate::auth::MaybeCaller;
use crate::domain::ceremony::CeremonyInput;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::model::ceremony::{self, HallView, PresenterView};
use crate::model::{Caller, Command, Competition, policy};
use actix_web::web;
use serde::Deserialize;
use serde_json::Value;

type CodePath = web::Path<String>;

fn presenter_view(c: &Competition) -> ApiResult<web::Json<Value>> {
    let view =
        ceremony::presenter(c).ok_or_else(|| ApiError::unknown(ErrorCode::NoCeremony, "no ceremony is planned yet"))?;
    Ok(web::Json(serde_json::to_value(view).map_err(ApiError::internal)?))
}

async fn present(state: &State, code: &str, caller: Caller, command: Command) -> ApiResult<web::Json<Value>> {
    let c = competition(state, code).await?;
    let after = super::write(state, &c, caller, command).await?;
    presenter_view(&after)
}

/// The ceremony: the presenter's view for organizers (404 `no_ceremony` before a plan), the
/// hall's view (revealed steps only) for everyone else.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/ceremony", tag = "ceremony",
    responses(
        (status = 200, description = "organizers: the presenter's view; others: the hall's view", body = HallView),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_ceremony(state: State, caller: MaybeCaller, path: CodePath) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path).await?;
    match caller.0 {
        Some(caller) if policy::require_presenter(&caller).is_ok() => presenter_view(&c),
        _ => Ok(web::Json(serde_json::to_value(ceremony::hall(&c)).map_err(ApiError::internal)?)),
    }
}

/// Plans the ceremony from locked skills: `{"skills": ["CNC", "NE"]}` takes the default steps
/// (medallions, bronze, silver, gold; shared medals together); `{"skill", "steps"}` gives them.
#[utoipa::path(put, path = "/api/v1/competitions/{code}/ceremony", tag = "ceremony", request_body = CeremonyInput,
    responses(
        (status = 200, body = PresenterView),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such skill", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "a skill is not locked, has no medals, or steps are revealed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn put_ceremony(
    state: State,
    caller: Caller,
    path: CodePath,
    body: web::Json<CeremonyInput>,
) -> ApiResult<web::Json<Value>> {
    present(&state, &path, caller, Command::PlanCeremony { input: body.into_inner() }).await
}

/// Reveals the next step (audited); a skill's last step publishes it.
#[utoipa::path(post, path = "/api/v1/competitions/{code}/ceremony/next", tag = "ceremony",
    responses(
        (status = 200, body = PresenterView),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "every step is revealed, or the results changed since the plan", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn next_step(state: State, caller: Caller, path: CodePath) -> ApiResult<web::Json<Value>> {
    present(&state, &path, caller, Command::CeremonyNext).await
}

/// Takes the last revealed step back (audited); taking back a skill's last step returns the
/// skill from published to locked.
#[utoipa::path(post, path = "/api/v1/competitions/{code}/ceremony/back", tag = "ceremony",
    responses(
        (status = 200, body = PresenterView),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "no step is revealed", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn back_step(state: State, caller: Caller, path: CodePath) -> ApiResult<web::Json<Value>> {
    present(&state, &path, caller, Command::CeremonyBack).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RehearsalRequest {
    /// true (default) starts a rehearsal, false ends it; either way from the first step.
    #[serde(default = "yes")]
    on: bool,
}

fn yes() -> bool {
    true
}

/// Starts or ends a rehearsal: the same plan on generated names and medals, which never
/// touch real results nor publish anything; every screen shows "REHEARSAL".
#[utoipa::path(post, path = "/api/v1/competitions/{code}/ceremony/rehearsal", tag = "ceremony", request_body = RehearsalRequest,
    responses(
        (status = 200, body = PresenterView),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "real steps are revealed already", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn rehearsal(
    state: State,
    caller: Caller,
    path: CodePath,
    body: Option<web::Json<RehearsalRequest>>,
) -> ApiResult<web::Json<Value>> {
    let on = body.map(|b| b.on).unwrap_or(true);
    present(&state, &path, caller, Command::CeremonyRehearsal { on }).await
}
