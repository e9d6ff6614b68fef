//! Marks: batch recording (atomic, idempotent by client UUID), listing, voiding; and the
//! audit log.
use super::{State, competition, found};
use crate::domain::kinds::AspectKind;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::model::{Caller, Command, MarkIn, Outcome, policy};
use crate::store;
use crate::store::audit::AuditFilter;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecordMarksRequest {
    #[schema(value_type = Vec<Object>)]
    marks: Vec<Value>,
}

/// Parses the batch leniently so that every bad mark is reported, not only the first.
fn parse_marks(raw: &[Value]) -> Result<Vec<MarkIn>, Vec<FieldError>> {
    let mut marks = Vec::new();
    let mut errors = Vec::new();
    for (index, m) in raw.iter().enumerate() {
        let text = |key: &str| m.get(key).and_then(Value::as_str).map(str::to_owned);
        let id_text = text("id");
        let mut problem = |field: &str, code: ErrorCode, detail: String| {
            errors.push(FieldError {
                index: Some(index),
                id: id_text.clone(),
                ..FieldError::new(format!("/marks/{index}{field}"), code, detail)
            })
        };
        if !m.is_object() {
            problem("", ErrorCode::InvalidMark, "a mark is an object".into());
            continue;
        }
        let id = match id_text.as_deref().map(Uuid::parse_str) {
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                problem("/id", ErrorCode::InvalidId, "id must be a UUID".into());
                None
            }
            None => {
                problem("/id", ErrorCode::Required, "every mark needs a client-generated UUID `id`".into());
                None
            }
        };
        let entry = text("entry");
        let aspect = text("aspect");
        if entry.is_none() {
            problem("/entry", ErrorCode::Required, "entry code is required".into());
        }
        if aspect.is_none() {
            problem("/aspect", ErrorCode::Required, "aspect code is required".into());
        }
        let value = m.get("value").cloned().unwrap_or(Value::Null);
        if value.is_null() {
            problem("/value", ErrorCode::Required, "value is required".into());
        }
        if let (Some(id), Some(entry), Some(aspect)) = (id, entry, aspect)
            && !value.is_null()
        {
            marks.push(MarkIn { id, entry, aspect, value, judge: text("judge"), reason: text("reason") });
        }
    }
    if errors.is_empty() { Ok(marks) } else { Err(errors) }
}

/// What a batch of marks did: marks stored, and marks recognised as sent before.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MarksOutcome {
    accepted: usize,
    duplicates: usize,
}

/// Record a batch of marks: all are stored or none. A mark whose `id` was stored before
/// is a duplicate (counted, not stored again); the same `id` with another body is 409.
#[utoipa::path(post, path = "/api/v1/competitions/{code}/marks", tag = "marks", request_body = RecordMarksRequest,
    responses((status = 200, body = MarksOutcome), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn record_marks(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<RecordMarksRequest>,
) -> ApiResult<web::Json<MarksOutcome>> {
    let c = competition(&state, &code).await?;
    policy::require_judge_or_admin(&caller, &c)?;
    if body.marks.is_empty() {
        return Err(ApiError::field("/marks", ErrorCode::Required, "send at least one mark"));
    }
    if body.marks.len() > 5000 {
        return Err(ApiError::field("/marks", ErrorCode::TooMany, "send at most 5000 marks a batch"));
    }
    let marks = parse_marks(&body.marks).map_err(|errors| {
        // Refused before the engine sees them; the engine counts the rest.
        state.metrics.marks(0, 0, body.marks.len());
        ApiError::invalid(format!("{} mark(s) are malformed; none was stored", errors.len()), errors)
    })?;
    match state.engine.execute(c.id, caller, Command::RecordMarks { marks }).await?.outcome {
        Outcome::Marks { accepted, duplicates } => Ok(web::Json(MarksOutcome { accepted, duplicates })),
        _ => Err(ApiError::internal_msg("marks answered without counts")),
    }
}

#[derive(Deserialize)]
pub struct MarksQuery {
    skill: Option<String>,
    entry: Option<String>,
    judge: Option<String>,
}

/// Stored marks, in server order. Organizers and chiefs see their skills' marks; a judge sees
/// their own, and the current measurements of the entries they may mark (`own: false`).
/// An unknown `skill`, `entry` or `judge` filter is 404, never "every mark".
#[utoipa::path(get, path = "/api/v1/competitions/{code}/marks", tag = "marks",
    params(("skill" = Option<String>, Query), ("entry" = Option<String>, Query), ("judge" = Option<String>, Query)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn list_marks(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    query: web::Query<MarksQuery>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &code).await?;
    let me = policy::require_judge_or_admin(&caller, &c)?;
    let skill_filter = match &query.skill {
        Some(s) => Some(found(c.skill(s), ErrorCode::NotFound, "skill", s)?),
        None => None,
    };
    let entry_filter = match &query.entry {
        Some(e) => Some(found(c.entry(e), ErrorCode::UnknownEntry, "entry", e)?),
        None => None,
    };
    let judge_filter = match &query.judge {
        Some(j) => Some(found(c.judge(j), ErrorCode::UnknownJudge, "judge", j)?),
        None => None,
    };
    let mut out = Vec::new();
    for (s, skill) in c.skills.enumerate() {
        if skill_filter.is_some_and(|f| f != s) {
            continue;
        }
        let sees_all = caller.is_admin() || policy::is_chief_of(&caller, &c, s);
        // A judge sees their own marks, and the current measurement of the entries they may
        // mark whoever entered it (a measurement is one value per aspect, shared by the
        // panel); never another judge's judgement score.
        let current: HashSet<Uuid> = match me {
            Some(j) if !sees_all => skill
                .current_marks()
                .filter(|m| skill.aspect(m.aspect).kind == AspectKind::Measurement)
                .filter(|m| policy::eligible(&c, j, m.entry).is_ok())
                .map(|m| m.id)
                .collect(),
            _ => HashSet::new(),
        };
        for m in skill.marks() {
            let own = Some(m.judge) == me;
            if (!sees_all && !own && !current.contains(&m.id))
                || entry_filter.is_some_and(|e| e != m.entry)
                || judge_filter.is_some_and(|j| j != m.judge)
            {
                continue;
            }
            out.push((
                m.seq,
                json!({
                    "id": m.id, "seq": m.seq, "skill": skill.code(), "entry": c.entries[m.entry].code,
                    "aspect": skill.aspect_code(m.aspect), "judge": c.judges[m.judge].code,
                    "value": m.value, "reason": m.reason, "supersedes": m.supersedes, "entered_by": m.entered_by,
                    "created_at": m.created_at, "void": m.void.is_some(), "void_reason": m.void, "own": own,
                }),
            ));
        }
    }
    out.sort_by_key(|(seq, _)| *seq);
    Ok(web::Json(Value::Array(out.into_iter().map(|(_, v)| v).collect())))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReasonRequest {
    #[serde(default)]
    pub reason: String,
}

/// Void a mark entered against the wrong entry (chief or organizer, with a reason).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/marks/{id}/void", tag = "marks", request_body = ReasonRequest,
    responses((status = 200, body = Object), (status = 409, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn void_mark(
    state: State,
    caller: Caller,
    path: web::Path<(String, Uuid)>,
    body: web::Json<ReasonRequest>,
) -> ApiResult<web::Json<Value>> {
    let c = competition(&state, &path.0).await?;
    let command = Command::VoidMark { mark: path.1, reason: body.reason.clone() };
    super::judging::skill_state(state.engine.execute(c.id, caller, command).await?)
}

#[derive(Deserialize)]
pub struct AuditQuery {
    skill: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    subject: Option<String>,
    after: Option<i64>,
    limit: Option<u64>,
}

/// The audit log, oldest first, with filters (organizers).
#[utoipa::path(get, path = "/api/v1/competitions/{code}/audit", tag = "marks",
    params(("skill" = Option<String>, Query), ("actor" = Option<String>, Query), ("action" = Option<String>, Query, description = "prefix, e.g. `mark.`"),
        ("subject" = Option<String>, Query), ("after" = Option<i64>, Query, description = "only events with a larger id"), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn list_audit(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = competition(&state, &code).await?;
    let skill_id = match &query.skill {
        Some(s) => Some(c.skills[found(c.skill(s), ErrorCode::NotFound, "skill", s)?].id),
        None => None,
    };
    let filter = AuditFilter {
        skill_id,
        actor: query.actor.clone(),
        action: query.action.clone(),
        subject: query.subject.clone(),
        after_id: query.after,
        limit: query.limit.unwrap_or(500).clamp(1, 5000),
    };
    let rows = store::audit::find(&state.db, c.id, &filter).await?;
    let skills: std::collections::HashMap<Uuid, &str> = c.skills.iter().map(|s| (s.id, s.code())).collect();
    let events: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "subject": r.subject,
                "skill": r.skill_id.and_then(|id| skills.get(&id).copied()),
                "before": r.before, "after": r.after, "reason": r.reason,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "events": events })))
}
