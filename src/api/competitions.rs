//! Competitions: list, create, read, update, delete; package import and export.
use super::openapi::WriteProblems;
use super::openapi::views as v;
use super::{State, competition, write};
use crate::domain::input::{CompetitionInput, Package};
use crate::domain::kinds::MedalOrder;
use crate::error::ApiResult;
use crate::model::{Caller, Command, Competition, policy};
use crate::service::package;
use crate::store;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CompetitionSummary {
    code: String,
    name: String,
    /// Translations of the name by language tag.
    names: std::collections::BTreeMap<String, String>,
    timezone: String,
    starts_on: Option<chrono::NaiveDate>,
    ends_on: Option<chrono::NaiveDate>,
    default_language: String,
    medal_order: MedalOrder,
}

/// All competitions (public).
#[utoipa::path(get, path = "/api/v1/competitions", tag = "competitions",
    responses(
        (status = 200, body = Vec<CompetitionSummary>)))]
pub async fn list_competitions(state: State) -> ApiResult<web::Json<Vec<CompetitionSummary>>> {
    let rows = store::competition::find_all(&state.db).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|c| CompetitionSummary {
                code: c.code,
                name: c.name,
                names: c.names,
                timezone: c.timezone,
                starts_on: c.starts_on,
                ends_on: c.ends_on,
                default_language: c.default_language,
                medal_order: c.medal_order,
            })
            .collect(),
    ))
}

/// The competition's settings, delegations and skills (public).
pub fn detail(c: &Competition) -> Value {
    json!({
        "code": c.code,
        "name": c.name,
        "names": c.names,
        "timezone": c.timezone,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "default_language": c.default_language,
        "medal_order": c.medal_order,
        "delegations": c.delegations.iter().map(|d| json!({"code": d.code, "name": d.name, "names": d.names})).collect::<Vec<_>>(),
        "skills": c.skills.iter().map(|s| json!({
            "code": s.code(), "name": s.spec.name, "names": s.spec.names, "team_size": s.spec.team_size, "state": s.state,
            "standardise": s.spec.rules.standardise,
            "progress": {"marked": s.result.marked, "expected": s.result.expected},
        })).collect::<Vec<_>>(),
    })
}

/// Create a competition (organizers).
#[utoipa::path(post, path = "/api/v1/competitions", tag = "competitions",
    request_body = CompetitionInput,
    responses(
        (status = 201, body = v::CompetitionDetail),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn create_competition(
    state: State,
    caller: Caller,
    body: web::Json<CompetitionInput>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = package::create(&state.engine, &state.db, &body, &caller.actor()).await?;
    Ok(HttpResponse::Created().json(detail(&c)))
}

/// One competition (public).
#[utoipa::path(get, path = "/api/v1/competitions/{code}", tag = "competitions",
    responses(
        (status = 200, body = v::CompetitionDetail)))]
pub async fn get_competition(state: State, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    Ok(web::Json(detail(&c)))
}

/// Update a competition's settings (organizers; the code stays).
#[utoipa::path(put, path = "/api/v1/competitions/{code}", tag = "competitions",
    request_body = CompetitionInput,
    responses(
        (status = 200, body = v::CompetitionDetail),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn update_competition(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<CompetitionInput>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let updated = write(&state, &c, caller, Command::UpdateCompetition { input: body.into_inner() }).await?;
    Ok(web::Json(detail(&updated)))
}

/// Delete a competition with everything in it (organizers).
#[utoipa::path(delete, path = "/api/v1/competitions/{code}", tag = "competitions",
    responses(
        (status = 204, description = "deleted"),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn delete_competition(state: State, caller: Caller, code: web::Path<String>) -> ApiResult<HttpResponse> {
    let c = competition(&state, &code).await?;
    state.engine.execute(c.id, caller, Command::DeleteCompetition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import a competition package: all or nothing; a 422 names every offence.
#[utoipa::path(post, path = "/api/v1/competitions/import", tag = "competitions",
    request_body = Package,
    responses(
        (status = 201, body = v::CompetitionDetail),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn import_competition(state: State, caller: Caller, body: web::Json<Package>) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = package::import(&state.engine, &state.db, &body, &caller.actor()).await?;
    Ok(HttpResponse::Created().json(detail(&c)))
}

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    download: Option<bool>,
}

/// Export a competition package (organizers): importing it gives the same competition.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/export", tag = "competitions",
    params(("download" = Option<bool>, Query, description = "as an attachment named after the competition")),
    responses(
        (status = 200, body = Package),
        (status = 403, description = "the caller's role may not do this")),
    security(("bearer" = [])))]
pub async fn export_competition(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    let mut response = HttpResponse::Ok();
    if query.download.unwrap_or(false) {
        response.insert_header(("Content-Disposition", format!("attachment; filename=\"{}.json\"", c.code)));
    }
    Ok(response.json(crate::model::package::export(&c)))
}
