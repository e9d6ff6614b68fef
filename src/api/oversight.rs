//! What an organizer watches while setting up and during marking: each skill's readiness
//! (will its panels fill?) and its marking grid (who still owes which mark).
use super::{State, competition, found};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::model::grid::{self, Grid};
use crate::model::readiness::{self, Readiness, SkillReadiness};
use crate::model::{Caller, policy};
use actix_web::web;

type Path2 = web::Path<(String, String)>;

/// Every skill's readiness, and the judges assigned to no skill (organizers).
#[utoipa::path(get, path = "/api/v1/competitions/{code}/readiness", tag = "judging",
    responses((status = 200, body = Readiness), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_readiness(state: State, caller: Caller, code: web::Path<String>) -> ApiResult<web::Json<Readiness>> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    Ok(web::Json(readiness::competition(&c)))
}

/// One skill's readiness (organizers and the skill's chiefs).
#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills/{skill}/readiness", tag = "judging",
    responses((status = 200, body = SkillReadiness), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_skill_readiness(state: State, caller: Caller, path: Path2) -> ApiResult<web::Json<SkillReadiness>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), ErrorCode::NotFound, "skill", &path.1)?;
    policy::require_chief(&caller, &c, s)?;
    Ok(web::Json(readiness::skill(&c, s)))
}

/// The marking grid of a skill (organizers and the skill's chiefs).
#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills/{skill}/grid", tag = "judging",
    responses((status = 200, body = Grid), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_grid(state: State, caller: Caller, path: Path2) -> ApiResult<web::Json<Grid>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), ErrorCode::NotFound, "skill", &path.1)?;
    if !caller.is_admin() && !policy::is_chief_of(&caller, &c, s) {
        return Err(ApiError::forbidden(ErrorCode::ChiefOnly, "only organizers and the skill's chief see its grid"));
    }
    Ok(web::Json(grid::grid(&c, s)))
}
