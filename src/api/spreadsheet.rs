//! Setup at scale from spreadsheets: a skill's marking scheme from CSV or XLSX (previewed
//! first, every error by sheet, row and column), and delegations from CSV.
use super::sheetfile::{self, Format};
use super::{State, competition, csvfile, found, write};
use crate::domain::Centi;
use crate::domain::input::{CriterionInput, DelegationInput};
use crate::domain::sheet;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::model::package::skill_input;
use crate::model::{Caller, Command, decide, policy};
use crate::view::skill_json;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct SchemeImportQuery {
    #[serde(default)]
    preview: bool,
    sheet: Option<String>,
}

/// Why saving the scheme would be refused (a locked skill, a skill with marks, …).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Refusal {
    status: u16,
    code: ErrorCode,
    detail: String,
}

/// What a preview shows: the scheme as read, and every error in the file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SchemePreview {
    skill: String,
    format: String,
    /// The sheet read (XLSX only).
    sheet: Option<String>,
    criteria: Vec<CriterionInput>,
    aspects: usize,
    /// The sum of the aspects' max marks.
    total_max: String,
    errors: Vec<FieldError>,
    /// Set when the file reads cleanly but saving it would be refused.
    refused: Option<Refusal>,
    /// Whether importing without `preview` would save this scheme.
    valid: bool,
}

fn content_type(req: &HttpRequest) -> Option<&str> {
    req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// Replaces a skill's marking scheme with one read from a spreadsheet: one row per aspect,
/// columns `criterion`, `criterion name`, `aspect`, `description`, `kind` (M/J, or
/// measurement/judgement), `max`, optionally `mode` (binary) and `panel`. With
/// `preview=true` nothing is stored: the answer shows the scheme and every error. Without
/// it the scheme is saved like any scheme edit (409 once the skill is locked or has marks).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/skills/{skill}/scheme/import", tag = "registration",
    params(
        ("preview" = Option<bool>, Query, description = "true: read and check only, store nothing"),
        ("sheet" = Option<String>, Query, description = "the workbook's sheet to read (XLSX); else the first with a scheme header")),
    request_body(description = "The file: CSV, or an XLSX workbook",
        content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, description = "The preview (preview=true), or the skill with its new scheme", body = SchemePreview),
        (status = 400, description = "Not a readable CSV or XLSX file, or an unknown sheet", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The skill is locked or published, or has marks", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither CSV nor XLSX", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Errors in the file, each with its sheet, row and column", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn import_scheme(
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<SchemeImportQuery>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), ErrorCode::NotFound, "skill", &path.1)?;
    let format = match Format::of(content_type(&req), &body) {
        Ok(format) => format,
        Err(detail) => {
            let status = actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
            return Ok(crate::error::problem(status, ErrorCode::UnsupportedMediaType, &detail, Vec::new()));
        }
    };
    let table = sheetfile::table(format, &body, query.sheet.as_deref(), sheet::has_scheme_header)?;
    let (criteria, errors) = sheet::scheme(&table);
    let skill = &c.skills[s];
    let mut input = skill_input(&skill.spec, skill.state);
    input.state = None;
    input.criteria = criteria;
    let command = Command::SaveSkill {
        existing: Some(skill.code().to_owned()),
        input: Box::new(input.clone()),
        fresh: Uuid::now_v7(),
    };
    if query.preview {
        // The same decision the save would make, stored nowhere.
        let refused = if errors.is_empty() {
            decide(&c, &caller, command, chrono::Utc::now()).err().map(|r| Refusal {
                status: r.status().as_u16(),
                code: r.code(),
                detail: r.to_string(),
            })
        } else {
            None
        };
        let maxes = input.criteria.iter().flat_map(|c| c.aspects.iter()).filter_map(|a| Centi::from_json(&a.max).ok());
        let total = Centi::round(maxes.map(Centi::to_decimal).sum());
        return Ok(HttpResponse::Ok().json(SchemePreview {
            skill: skill.code().to_owned(),
            format: format.as_str().to_owned(),
            sheet: table.sheet.clone(),
            aspects: input.criteria.iter().map(|c| c.aspects.len()).sum(),
            total_max: total.to_string(),
            valid: errors.is_empty() && refused.is_none(),
            criteria: input.criteria,
            errors,
            refused,
        }));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(format!("{} error(s) in the file; nothing was stored", errors.len()), errors));
    }
    let c = write(&state, &c, caller, command).await?;
    Ok(HttpResponse::Ok().json(skill_json(&c.skills[s])))
}

/// Import delegations from CSV: `code,name[,name_en,name_zh,name_ru,…]` (a `name_XX`
/// column gives the name in language XX). All or nothing; every error names its row.
#[utoipa::path(post, path = "/api/v1/competitions/{code}/delegations.csv", tag = "registration",
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 201, body = super::openapi::views::Created),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Errors, each with its row and column", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn import_delegations_csv(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let input = |r: &csvfile::Row| DelegationInput {
        code: csvfile::cell(r, "code"),
        name: csvfile::cell(r, "name"),
        names: r
            .iter()
            .filter_map(|(column, value)| Some((column.strip_prefix("name_")?.to_owned(), value.trim().to_owned())))
            .filter(|(lang, value)| !lang.is_empty() && !value.is_empty())
            .collect::<BTreeMap<_, _>>(),
    };
    let command = |inputs, rows| Command::ImportDelegations { inputs, rows, fresh: Uuid::now_v7() };
    csvfile::import(&state, caller, &code, &body, &["code", "name"], input, command).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_preview_serialises_its_errors_with_sheet_row_and_column() {
        let table =
            sheet::Table { sheet: Some("S".into()), header_row: 1, header: vec!["kind".into()], rows: Vec::new() };
        let error = table.error(4, "kind", ErrorCode::InvalidChoice, "bad");
        let value = json!(error);
        assert_eq!(
            (value["sheet"].as_str(), value["row"].as_u64(), value["column"].as_str()),
            (Some("S"), Some(4), Some("kind"))
        );
    }
}
