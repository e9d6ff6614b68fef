//! Registration: delegations, skills with marking schemes, entries, judges, CSV imports and
//! judges' one-time codes.
use super::openapi::WriteProblems;
use super::openapi::views as v;
use super::{State, competition, csvfile, found, write};
use crate::auth::{MaybeCaller, Sessions, secret};
use crate::domain::input::{DelegationInput, EntryInput, JudgeInput, SkillInput};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::model::{Caller, Command, policy};
use crate::view::{delegation_json, entry_json, judge_json, skill_json};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use uuid::Uuid;

type Path2 = web::Path<(String, String)>;

// ---------------------------------------------------------------- delegations

#[utoipa::path(get, path = "/api/v1/competitions/{code}/delegations", tag = "registration",
    responses(
        (status = 200, body = Vec<v::DelegationView>)))]
pub async fn list_delegations(state: State, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    Ok(web::Json(Value::Array(c.delegations.indices().map(|d| delegation_json(&c, d)).collect())))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/delegations", tag = "registration",
    request_body = DelegationInput,
    responses(
        (status = 201, body = v::DelegationView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn create_delegation(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<DelegationInput>,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &code).await?;
    let key = body.code.clone();
    let command = Command::SaveDelegation { existing: None, input: body.into_inner(), fresh: Uuid::now_v7() };
    let c = write(&state, &c, caller, command).await?;
    let d = found(c.delegation(&key), ErrorCode::NotFound, "delegation", &key)?;
    Ok(HttpResponse::Created().json(delegation_json(&c, d)))
}

#[utoipa::path(put, path = "/api/v1/competitions/{code}/delegations/{delegation}", tag = "registration",
    request_body = DelegationInput,
    responses(
        (status = 200, body = v::DelegationView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn update_delegation(
    state: State,
    caller: Caller,
    path: Path2,
    body: web::Json<DelegationInput>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let key = body.code.clone();
    let command =
        Command::SaveDelegation { existing: Some(path.1.clone()), input: body.into_inner(), fresh: Uuid::now_v7() };
    let c = write(&state, &c, caller, command).await?;
    let d = found(c.delegation(&key), ErrorCode::NotFound, "delegation", &key)?;
    Ok(web::Json(delegation_json(&c, d)))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/delegations/{delegation}", tag = "registration",
    responses(
        (status = 204, description = "deleted"),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn delete_delegation(state: State, caller: Caller, path: Path2) -> ApiResult<HttpResponse> {
    let c = competition(&state, &path.0).await?;
    write(&state, &c, caller, Command::DeleteDelegation { delegation: path.1.clone() }).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- skills

#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills", tag = "registration",
    responses(
        (status = 200, body = Vec<v::SkillView>)))]
pub async fn list_skills(state: State, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    Ok(web::Json(Value::Array(c.skills.iter().map(|s| skill_json(s)).collect())))
}

#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills/{skill}", tag = "registration",
    responses(
        (status = 200, body = v::SkillView)))]
pub async fn get_skill(state: State, path: Path2) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), ErrorCode::NotFound, "skill", &path.1)?;
    Ok(web::Json(skill_json(&c.skills[s])))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills", tag = "registration",
    request_body = SkillInput,
    responses(
        (status = 201, body = v::SkillView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn create_skill(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<SkillInput>,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &code).await?;
    let key = body.code.clone();
    let command = Command::SaveSkill { existing: None, input: Box::new(body.into_inner()), fresh: Uuid::now_v7() };
    let c = write(&state, &c, caller, command).await?;
    let s = found(c.skill(&key), ErrorCode::NotFound, "skill", &key)?;
    Ok(HttpResponse::Created().json(skill_json(&c.skills[s])))
}

/// Replace a skill's settings and marking scheme (the scheme only while it has no marks).
#[utoipa::path(put, path = "/api/v1/competitions/{code}/skills/{skill}", tag = "registration",
    request_body = SkillInput,
    responses(
        (status = 200, body = v::SkillView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn update_skill(
    state: State,
    caller: Caller,
    path: Path2,
    body: web::Json<SkillInput>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), ErrorCode::NotFound, "skill", &path.1)?;
    if body.code != c.skills[s].code() {
        return Err(ApiError::field("/code", ErrorCode::Immutable, "a skill's code cannot change"));
    }
    let command = Command::SaveSkill {
        existing: Some(path.1.clone()),
        input: Box::new(body.into_inner()),
        fresh: Uuid::now_v7(),
    };
    let c = write(&state, &c, caller, command).await?;
    Ok(web::Json(skill_json(&c.skills[s])))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/skills/{skill}", tag = "registration",
    responses(
        (status = 204, description = "deleted"),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn delete_skill(state: State, caller: Caller, path: Path2) -> ApiResult<HttpResponse> {
    let c = competition(&state, &path.0).await?;
    write(&state, &c, caller, Command::DeleteSkill { skill: path.1.clone() }).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- entries

/// Entries (public). A judge sees only the entries they may mark.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/entries", tag = "registration",
    responses(
        (status = 200, body = Vec<v::EntryView>)),
    security((), ("bearer" = [])))]
pub async fn list_entries(state: State, caller: MaybeCaller, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let rows = match caller.0.as_ref().and_then(|caller| policy::judge_in(caller, &c)) {
        Some(j) => c.entries_of_judge(j).map(|e| entry_json(&c, e)).collect(),
        None => c.entries.indices().map(|e| entry_json(&c, e)).collect(),
    };
    Ok(web::Json(Value::Array(rows)))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/entries", tag = "registration",
    request_body = EntryInput,
    responses(
        (status = 201, body = v::EntryView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn create_entry(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<EntryInput>,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &code).await?;
    let key = body.code.clone();
    let command = Command::SaveEntry { existing: None, input: body.into_inner(), fresh: Uuid::now_v7() };
    let c = write(&state, &c, caller, command).await?;
    let e = found(c.entry(&key), ErrorCode::UnknownEntry, "entry", &key)?;
    Ok(HttpResponse::Created().json(entry_json(&c, e)))
}

#[utoipa::path(put, path = "/api/v1/competitions/{code}/entries/{entry}", tag = "registration",
    request_body = EntryInput,
    responses(
        (status = 200, body = v::EntryView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn update_entry(
    state: State,
    caller: Caller,
    path: Path2,
    body: web::Json<EntryInput>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let key = body.code.clone();
    let command =
        Command::SaveEntry { existing: Some(path.1.clone()), input: body.into_inner(), fresh: Uuid::now_v7() };
    let c = write(&state, &c, caller, command).await?;
    let e = found(c.entry(&key), ErrorCode::UnknownEntry, "entry", &key)?;
    Ok(web::Json(entry_json(&c, e)))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/entries/{entry}", tag = "registration",
    responses(
        (status = 204, description = "deleted"),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn delete_entry(state: State, caller: Caller, path: Path2) -> ApiResult<HttpResponse> {
    let c = competition(&state, &path.0).await?;
    write(&state, &c, caller, Command::DeleteEntry { entry: path.1.clone() }).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import entries from CSV: `code,skill,delegation,members[,status]` (members separated by `;`).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/entries.csv", tag = "registration",
    request_body(content = String, content_type = "text/csv", description = "`code,skill,delegation,members[,status]`"),
    responses(
        (status = 201, body = v::Created),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn import_entries_csv(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let input = |r: &csvfile::Row| EntryInput {
        code: csvfile::cell(r, "code"),
        skill: csvfile::cell(r, "skill"),
        delegation: csvfile::cell(r, "delegation"),
        members: csvfile::list(r.get("members")),
        status: csvfile::optional(r, "status"),
    };
    let command = |inputs, rows| Command::ImportEntries { inputs, rows, fresh: Uuid::now_v7() };
    csvfile::import(&state, caller, &code, &body, &["code", "skill", "delegation", "members"], input, command).await
}

// ---------------------------------------------------------------- judges

#[utoipa::path(get, path = "/api/v1/competitions/{code}/judges", tag = "registration",
    responses(
        (status = 200, body = Vec<v::JudgeView>),
        (status = 403, description = "the caller's role may not do this")),
    security(("bearer" = [])))]
pub async fn list_judges(state: State, caller: Caller, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let me = policy::require_judge_or_admin(&caller, &c)?;
    let rows = match me {
        Some(j) if !caller.is_admin() => vec![judge_json(&c, j)],
        _ => c.judges.indices().map(|j| judge_json(&c, j)).collect(),
    };
    Ok(web::Json(Value::Array(rows)))
}

#[utoipa::path(post, path = "/api/v1/competitions/{code}/judges", tag = "registration",
    request_body = JudgeInput,
    responses(
        (status = 201, body = v::JudgeView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn create_judge(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<JudgeInput>,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &code).await?;
    let key = body.code.clone();
    let command = Command::SaveJudge { existing: None, input: body.into_inner(), fresh: Uuid::now_v7() };
    let c = write(&state, &c, caller, command).await?;
    let j = found(c.judge(&key), ErrorCode::UnknownJudge, "judge", &key)?;
    Ok(HttpResponse::Created().json(judge_json(&c, j)))
}

#[utoipa::path(put, path = "/api/v1/competitions/{code}/judges/{judge}", tag = "registration",
    request_body = JudgeInput,
    responses(
        (status = 200, body = v::JudgeView),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn update_judge(
    state: State,
    sessions: web::Data<Sessions>,
    caller: Caller,
    path: Path2,
    body: web::Json<JudgeInput>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let key = body.code.clone();
    let command =
        Command::SaveJudge { existing: Some(path.1.clone()), input: body.into_inner(), fresh: Uuid::now_v7() };
    let c = write(&state, &c, caller, command).await?;
    let j = found(c.judge(&key), ErrorCode::UnknownJudge, "judge", &key)?;
    sessions.forget_judge(c.judges[j].id);
    Ok(web::Json(judge_json(&c, j)))
}

#[utoipa::path(delete, path = "/api/v1/competitions/{code}/judges/{judge}", tag = "registration",
    responses(
        (status = 204, description = "deleted"),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn delete_judge(
    state: State,
    sessions: web::Data<Sessions>,
    caller: Caller,
    path: Path2,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &path.0).await?;
    let j = found(c.judge(&path.1), ErrorCode::UnknownJudge, "judge", &path.1)?;
    write(&state, &c, caller, Command::DeleteJudge { judge: path.1.clone() }).await?;
    sessions.forget_judge(c.judges[j].id);
    Ok(HttpResponse::NoContent().finish())
}

/// Import judges from CSV: `code,name,delegation,skills[,role]` (skills separated by `;`).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/judges.csv", tag = "registration",
    request_body(content = String, content_type = "text/csv", description = "`code,name,delegation,skills[,role]`"),
    responses(
        (status = 201, body = v::Created),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn import_judges_csv(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let input = |r: &csvfile::Row| JudgeInput {
        code: csvfile::cell(r, "code"),
        name: csvfile::cell(r, "name"),
        delegation: csvfile::cell(r, "delegation"),
        skills: csvfile::list(r.get("skills")),
        role: csvfile::optional(r, "role").unwrap_or_else(|| "judge".into()),
    };
    let command = |inputs, rows| Command::ImportJudges { inputs, rows, fresh: Uuid::now_v7() };
    csvfile::import(&state, caller, &code, &body, &["code", "name", "delegation", "skills"], input, command).await
}

/// Issue a judge's single-use log-in code (shown once; the previous code and the judge's
/// sessions stop working).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/judges/{judge}/code", tag = "registration",
    responses(
        (status = 201, body = v::LoginCode),
        WriteProblems),
    security(("bearer" = [])))]
pub async fn issue_judge_code(
    state: State,
    sessions: web::Data<Sessions>,
    caller: Caller,
    path: Path2,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &path.0).await?;
    let j = found(c.judge(&path.1), ErrorCode::UnknownJudge, "judge", &path.1)?;
    let code = secret::new_login_code();
    let command = Command::IssueLoginCode { judge: path.1.clone(), code_hash: secret::sha256_hex(&code) };
    write(&state, &c, caller, command).await?;
    sessions.forget_judge(c.judges[j].id);
    Ok(HttpResponse::Created().json(json!({ "judge": c.judges[j].code, "code": code })))
}
