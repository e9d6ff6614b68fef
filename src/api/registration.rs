//! Registration: delegations, skills with marking schemes, entries, judges, CSV imports
//! and judges' one-time codes.
use super::{State, competition, found};
use crate::auth::{Caller, MaybeCaller, policy};
use crate::domain::package::{DelegationInput, EntryInput, JudgeInput, SkillInput};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::service::model::{Competition, Skill};
use crate::service::registry::Registry;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

fn registry<'a>(state: &'a State, caller: &Caller) -> Registry<'a> {
    Registry { db: &state.db, engine: &state.engine, actor: caller.actor() }
}

fn delegation_json(c: &Competition, d: usize) -> Value {
    let d = &c.delegations[d];
    json!({"code": d.code, "name": d.name, "names": d.names})
}

pub fn skill_json(s: &Skill) -> Value {
    let spec = &s.spec;
    json!({
        "code": spec.code, "name": spec.name, "team_size": spec.team_size, "state": s.state,
        "standardise": spec.standardise, "scale_centre": spec.scale_centre, "scale_step": spec.scale_step,
        "tie_tolerance": spec.tie_tolerance, "tie_break": spec.tie_break,
        "max_judgement_spread": spec.max_judgement_spread,
        "judgement_aggregation": {"method": spec.aggregation, "k": spec.aggregation_k},
        "excellence_threshold": spec.excellence_threshold, "min_entries_for_medals": spec.min_entries_for_medals,
        "marks": s.marks.len(),
        "criteria": spec.criteria.iter().map(|c| json!({
            "code": c.code, "name": c.name,
            "aspects": c.aspects.iter().map(|a| json!({
                "code": a.code, "description": a.description, "kind": a.kind, "max": a.max,
                "panel": a.panel, "mode": if a.binary { Some("binary") } else { None },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

pub fn entry_json(c: &Competition, e: usize) -> Value {
    let entry = &c.entries[e];
    json!({
        "code": entry.code, "skill": c.skills[entry.skill].code(),
        "delegation": c.delegations[entry.delegation].code, "members": entry.members, "status": entry.status,
    })
}

fn judge_json(c: &Competition, j: usize) -> Value {
    let judge = &c.judges[j];
    json!({
        "code": judge.code, "name": judge.name, "delegation": c.delegations[judge.delegation].code,
        "skills": judge.skills.iter().map(|s| c.skills[*s].code()).collect::<Vec<_>>(),
        "role": judge.role, "has_login_code": judge.has_login_code,
    })
}

// ---------------------------------------------------------------- delegations

#[utoipa::path(get, path = "/api/v1/competitions/{code}/delegations", tag = "registration", responses((status = 200, body = Object)))]
pub async fn list_delegations(state: State, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    Ok(web::Json(Value::Array((0..c.delegations.len()).map(|d| delegation_json(&c, d)).collect())))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/delegations", tag = "registration", request_body = DelegationInput,
    responses((status = 201, body = Object), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn create_delegation(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<DelegationInput>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    if c.delegation(&body.code).is_some() {
        return Err(ApiError::conflict("already_exists", format!("delegation '{}' exists already", body.code)));
    }
    let c = registry(&state, &caller).save_delegation(&c, None, &body).await?;
    let d = found(c.delegation(&body.code), "delegation", &body.code)?;
    Ok(HttpResponse::Created().json(delegation_json(&c, d)))
}

#[utoipa::path(put, path = "/api/v1/competitions/{code}/delegations/{delegation}", tag = "registration", request_body = DelegationInput,
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn update_delegation(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<DelegationInput>,
) -> ApiResult<web::Json<Value>> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let d = found(c.delegation(&path.1), "delegation", &path.1)?;
    let c = registry(&state, &caller).save_delegation(&c, Some(d), &body).await?;
    let d = found(c.delegation(&body.code), "delegation", &body.code)?;
    Ok(web::Json(delegation_json(&c, d)))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/delegations/{delegation}", tag = "registration", responses((status = 204), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn delete_delegation(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let d = found(c.delegation(&path.1), "delegation", &path.1)?;
    registry(&state, &caller).delete_delegation(&c, d).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- skills

#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills", tag = "registration", responses((status = 200, body = Object)))]
pub async fn list_skills(state: State, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    Ok(web::Json(Value::Array(c.skills.iter().map(|s| skill_json(s)).collect())))
}

#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills/{skill}", tag = "registration", responses((status = 200, body = Object), (status = 404, body = crate::error::Problem)))]
pub async fn get_skill(state: State, path: web::Path<(String, String)>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), "skill", &path.1)?;
    Ok(web::Json(skill_json(&c.skills[s])))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills", tag = "registration", request_body = SkillInput,
    responses((status = 201, body = Object), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn create_skill(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<SkillInput>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    if c.skill(&body.code).is_some() {
        return Err(ApiError::conflict("already_exists", format!("skill '{}' exists already", body.code)));
    }
    let c = registry(&state, &caller).save_skill(&c, None, &body).await?;
    let s = found(c.skill(&body.code), "skill", &body.code)?;
    Ok(HttpResponse::Created().json(skill_json(&c.skills[s])))
}

/// Replace a skill's settings and marking scheme (the scheme only while it has no marks).
#[utoipa::path(put, path = "/api/v1/competitions/{code}/skills/{skill}", tag = "registration", request_body = SkillInput,
    responses((status = 200, body = Object), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn update_skill(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<SkillInput>,
) -> ApiResult<web::Json<Value>> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), "skill", &path.1)?;
    if body.code != c.skills[s].code() {
        return Err(ApiError::field("/code", "immutable", "a skill's code cannot change"));
    }
    let c = registry(&state, &caller).save_skill(&c, Some(s), &body).await?;
    Ok(web::Json(skill_json(&c.skills[s])))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/skills/{skill}", tag = "registration", responses((status = 204), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn delete_skill(state: State, caller: Caller, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), "skill", &path.1)?;
    registry(&state, &caller).delete_skill(&c, s).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- entries

/// Entries (public). A judge sees only the entries they may mark.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/entries", tag = "registration", responses((status = 200, body = Object)))]
pub async fn list_entries(state: State, caller: MaybeCaller, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let judge = caller.0.as_ref().and_then(|caller| policy::judge_in(caller, &c));
    let allowed = judge.map(|j| c.entry_set_of_judge(j));
    Ok(web::Json(Value::Array(
        (0..c.entries.len())
            .filter(|e| allowed.as_ref().is_none_or(|set| set.contains(e)))
            .map(|e| entry_json(&c, e))
            .collect(),
    )))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/entries", tag = "registration", request_body = EntryInput,
    responses((status = 201, body = Object), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn create_entry(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<EntryInput>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    if c.entry(&body.code).is_some() {
        return Err(ApiError::conflict("already_exists", format!("entry '{}' exists already", body.code)));
    }
    let c = registry(&state, &caller).save_entry(&c, None, &body).await?;
    let e = found(c.entry(&body.code), "entry", &body.code)?;
    Ok(HttpResponse::Created().json(entry_json(&c, e)))
}

#[utoipa::path(put, path = "/api/v1/competitions/{code}/entries/{entry}", tag = "registration", request_body = EntryInput,
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn update_entry(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<EntryInput>,
) -> ApiResult<web::Json<Value>> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let e = found(c.entry(&path.1), "entry", &path.1)?;
    let c = registry(&state, &caller).save_entry(&c, Some(e), &body).await?;
    let e = found(c.entry(&body.code), "entry", &body.code)?;
    Ok(web::Json(entry_json(&c, e)))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/entries/{entry}", tag = "registration", responses((status = 204), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn delete_entry(state: State, caller: Caller, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let e = found(c.entry(&path.1), "entry", &path.1)?;
    registry(&state, &caller).delete_entry(&c, e).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reads CSV with a header row; `;` separates list items inside a cell.
fn read_csv(body: &[u8], required: &[&str]) -> ApiResult<Vec<std::collections::HashMap<String, String>>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::bad_request("invalid_csv", e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let missing: Vec<FieldError> = required
        .iter()
        .filter(|r| !headers.iter().any(|h| h == *r))
        .map(|r| FieldError {
            index: None,
            id: None,
            pointer: "/rows/0".into(),
            code: "missing_column".into(),
            detail: format!("the header has no '{r}' column"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid("the CSV header lacks required columns", missing));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ApiError::field(&format!("/rows/{}", i + 1), "invalid_csv", e.to_string()))?;
        rows.push(headers.iter().cloned().zip(record.iter().map(str::to_owned)).collect());
    }
    Ok(rows)
}

fn list(cell: Option<&String>) -> Vec<String> {
    cell.map(|c| c.split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// Import entries from CSV: `code,skill,delegation,members[,status]` (members separated by `;`).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/entries.csv", tag = "registration", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Object), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn import_entries_csv(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    let rows = read_csv(&body, &["code", "skill", "delegation", "members"])?;
    let inputs: Vec<EntryInput> = rows
        .iter()
        .map(|r| EntryInput {
            code: r.get("code").cloned().unwrap_or_default(),
            skill: r.get("skill").cloned().unwrap_or_default(),
            delegation: r.get("delegation").cloned().unwrap_or_default(),
            members: list(r.get("members")),
            status: r.get("status").filter(|s| !s.is_empty()).cloned(),
        })
        .collect();
    let count = registry(&state, &caller).import_entries(&c, &inputs).await?;
    Ok(HttpResponse::Created().json(json!({ "created": count })))
}

// ---------------------------------------------------------------- judges

#[utoipa::path(get, path = "/api/v1/competitions/{code}/judges", tag = "registration", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn list_judges(state: State, caller: Caller, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let me = policy::judge_in(&caller, &c);
    if !caller.is_admin() && me.is_none() {
        return Err(ApiError::forbidden("admin_only", "only organizers and this competition's judges may list judges"));
    }
    Ok(web::Json(Value::Array(
        (0..c.judges.len()).filter(|j| caller.is_admin() || Some(*j) == me).map(|j| judge_json(&c, j)).collect(),
    )))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/judges", tag = "registration", request_body = JudgeInput,
    responses((status = 201, body = Object), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn create_judge(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<JudgeInput>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    if c.judge(&body.code).is_some() {
        return Err(ApiError::conflict("already_exists", format!("judge '{}' exists already", body.code)));
    }
    let c = registry(&state, &caller).save_judge(&c, None, &body).await?;
    let j = found(c.judge(&body.code), "judge", &body.code)?;
    Ok(HttpResponse::Created().json(judge_json(&c, j)))
}

#[utoipa::path(put, path = "/api/v1/competitions/{code}/judges/{judge}", tag = "registration", request_body = JudgeInput,
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn update_judge(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<JudgeInput>,
) -> ApiResult<web::Json<Value>> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let j = found(c.judge(&path.1), "judge", &path.1)?;
    let c = registry(&state, &caller).save_judge(&c, Some(j), &body).await?;
    state.sessions.forget_judge(c.judges[j].id);
    let j = found(c.judge(&body.code), "judge", &body.code)?;
    Ok(web::Json(judge_json(&c, j)))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/judges/{judge}", tag = "registration", responses((status = 204), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn delete_judge(state: State, caller: Caller, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let j = found(c.judge(&path.1), "judge", &path.1)?;
    registry(&state, &caller).delete_judge(&c, j).await?;
    state.sessions.forget_judge(c.judges[j].id);
    Ok(HttpResponse::NoContent().finish())
}

/// Import judges from CSV: `code,name,delegation,skills[,role]` (skills separated by `;`).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/judges.csv", tag = "registration", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Object), (status = 422, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn import_judges_csv(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    let rows = read_csv(&body, &["code", "name", "delegation", "skills"])?;
    let inputs: Vec<JudgeInput> = rows
        .iter()
        .map(|r| JudgeInput {
            code: r.get("code").cloned().unwrap_or_default(),
            name: r.get("name").cloned().unwrap_or_default(),
            delegation: r.get("delegation").cloned().unwrap_or_default(),
            skills: list(r.get("skills")),
            role: r.get("role").filter(|s| !s.is_empty()).cloned().unwrap_or_else(|| "judge".into()),
        })
        .collect();
    let count = registry(&state, &caller).import_judges(&c, &inputs).await?;
    Ok(HttpResponse::Created().json(json!({ "created": count })))
}

/// Issue a judge's single-use log-in code (shown once; the previous code and the judge's
/// sessions stop working).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/judges/{judge}/code", tag = "registration", responses((status = 201, body = Object)), security(("bearer" = [])))]
pub async fn issue_judge_code(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let j = found(c.judge(&path.1), "judge", &path.1)?;
    let code = registry(&state, &caller).issue_login_code(&c, j).await?;
    state.sessions.forget_judge(c.judges[j].id);
    Ok(HttpResponse::Created().json(json!({ "judge": c.judges[j].code, "code": code })))
}
