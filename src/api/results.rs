//! Results, marking progress, the medal table and cross-skill awards (JSON or CSV).
use super::openapi::views as v;
use super::{State, competition, csvfile, found};
use crate::auth::MaybeCaller;
use crate::domain::kinds::{MedalOrder, SkillState};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::model::policy;
use crate::scoring;
use crate::view::{dec, marks_since, medal_rows, medals_json, progress_rows, results_json};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

fn wants_csv(format: &Option<String>) -> ApiResult<bool> {
    match format.as_deref() {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => {
            Err(ApiError::bad_request(ErrorCode::InvalidFormat, format!("format is json or csv, not '{other}'")))
        }
    }
}

/// A skill's results in rank order. Anonymous callers and judges get results of published
/// skills only (else progress alone); organizers and the skill's chiefs see them all.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/skills/{skill}/results", tag = "results",
    params(("format" = Option<v::Format>, Query, description = "json (default) or csv")),
    responses(
        (status = 200, content((v::SkillResults = "application/json"), (String = "text/csv"))),
        (status = 403, description = "CSV of results not published yet")),
    security((), ("bearer" = [])))]
pub async fn get_results(
    state: State,
    caller: MaybeCaller,
    path: web::Path<(String, String)>,
    query: web::Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &path.0).await?;
    let s = found(c.skill(&path.1), ErrorCode::NotFound, "skill", &path.1)?;
    let visible = policy::may_see_results(caller.0.as_ref(), &c, s);
    if wants_csv(&query.format)? {
        if !visible {
            return Err(ApiError::forbidden(
                ErrorCode::ResultsUnpublished,
                "results of this skill are not published yet",
            ));
        }
        let skill = &c.skills[s];
        let mut rows = vec![
            ["rank", "entry", "delegation", "members", "raw", "scaled", "medal", "status", "tied"]
                .map(String::from)
                .to_vec(),
        ];
        let mut holders = std::collections::HashMap::new();
        for rank in skill.result.entries.iter().filter_map(|r| r.rank) {
            *holders.entry(rank).or_insert(0) += 1;
        }
        for r in &skill.result.entries {
            let members = c.entry(&r.entry).map(|e| c.entries[e].members.join("; ")).unwrap_or_default();
            let tied = r.rank.is_some_and(|rank| holders.get(&rank).is_some_and(|n| *n > 1));
            rows.push(vec![
                r.rank.map(|x| x.to_string()).unwrap_or_default(),
                r.entry.clone(),
                r.delegation.clone(),
                members,
                dec(r.raw),
                r.scaled.map(dec).unwrap_or_default(),
                r.medal.map(|m| json!(m).as_str().unwrap_or_default().to_owned()).unwrap_or_default(),
                json!(r.status).as_str().unwrap_or_default().to_owned(),
                tied.to_string(),
            ]);
        }
        return csvfile::response(&format!("{}-{}", c.code, skill.code()), rows);
    }
    Ok(HttpResponse::Ok().json(results_json(&c, s, visible)))
}

/// Marking progress of every skill (public): marks have and needed per skill and criterion,
/// and `recent_marks`, the marks stored in the last ten minutes. No scores, no ranks.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/progress", tag = "results",
    responses(
        (status = 200, body = Vec<v::SkillProgress>)))]
pub async fn get_progress(state: State, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let since = chrono::Utc::now() - chrono::Duration::minutes(10);
    let mut rows = progress_rows(&c);
    for (row, skill) in rows.iter_mut().zip(c.skills.iter()) {
        if let Some(map) = row.as_object_mut() {
            map.insert("recent_marks".into(), json!(marks_since(skill, since)));
        }
    }
    Ok(web::Json(Value::Array(rows)))
}

#[derive(Deserialize)]
pub struct MedalsQuery {
    order: Option<String>,
    all: Option<bool>,
    format: Option<String>,
}

/// The medal table over published skills (public).
#[utoipa::path(get, path = "/api/v1/competitions/{code}/medals", tag = "results",
    params(("order" = Option<MedalOrder>, Query, description = "default: the competition's"), ("all" = Option<bool>, Query, description = "list delegations without medals too"), ("format" = Option<v::Format>, Query, description = "json (default) or csv")),
    responses(
        (status = 200, content((v::MedalTable = "application/json"), (String = "text/csv")))))]
pub async fn get_medals(
    state: State,
    code: web::Path<String>,
    query: web::Query<MedalsQuery>,
) -> ApiResult<HttpResponse> {
    let c = competition(&state, &code).await?;
    let order = match &query.order {
        None => c.medal_order,
        Some(o) => MedalOrder::parse(o).ok_or_else(|| {
            ApiError::bad_request(ErrorCode::InvalidOrder, format!("order is one of: {}", MedalOrder::choices()))
        })?,
    };
    let all = query.all.unwrap_or(false);
    if wants_csv(&query.format)? {
        let mut rows = vec![
            ["rank", "delegation", "name", "gold", "silver", "bronze", "excellence", "total", "points", "tied"]
                .map(String::from)
                .to_vec(),
        ];
        for r in medal_rows(&c, order, all) {
            let name = c.delegation(&r.delegation).map(|d| c.delegations[d].name.clone()).unwrap_or_default();
            // A shared rank is a plain number and `tied`: `=2` reads as a formula.
            rows.push(vec![
                r.rank.to_string(),
                r.delegation,
                name,
                r.gold.to_string(),
                r.silver.to_string(),
                r.bronze.to_string(),
                r.excellence.to_string(),
                r.total.to_string(),
                r.points.to_string(),
                r.shared.to_string(),
            ]);
        }
        return csvfile::response(&format!("{}-medals", c.code), rows);
    }
    Ok(HttpResponse::Ok().json(medals_json(&c, order, all)))
}

/// Best of Nation and the highest score of the competition, over published skills.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/awards", tag = "results",
    responses(
        (status = 200, body = v::Awards)))]
pub async fn get_awards(state: State, code: web::Path<String>) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let published: Vec<scoring::SkillResult> =
        c.skills.iter().filter(|s| s.state == SkillState::Published).map(|s| (*s.result).clone()).collect();
    Ok(web::Json(json!({
        "best_of_nation": scoring::best_of_nation(&published),
        "top_score": scoring::top_score(&published),
    })))
}
