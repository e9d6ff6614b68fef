//! The append-only audit log.
use super::db::Db;
use super::error::StoreError;
use crate::model::decision::AuditRecord;
use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, InsertMany, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub(super) async fn insert_many(
    db: &impl ConnectionTrait,
    competition_id: Option<Uuid>,
    records: &[AuditRecord],
) -> Result<(), StoreError> {
    for insert in insert_statements(competition_id, records, Utc::now()) {
        insert.exec_without_returning(db).await?;
    }
    Ok(())
}

/// The inserts of audit records, all stamped `at`, in bounded statements (SQLite allows at
/// most 32766 bound values per statement).
pub(super) fn insert_statements(
    competition_id: Option<Uuid>,
    records: &[AuditRecord],
    at: DateTime<Utc>,
) -> impl Iterator<Item = InsertMany<audit_event::ActiveModel>> + '_ {
    records.chunks(500).map(move |chunk| {
        audit_event::Entity::insert_many(chunk.iter().map(|r| audit_event::ActiveModel {
            id: NotSet,
            competition_id: Set(competition_id),
            skill_id: Set(r.skill_id),
            at: Set(at),
            actor: Set(r.actor.clone()),
            action: Set(r.action.to_owned()),
            subject: Set(r.subject.clone()),
            before: Set(r.before.clone()),
            after: Set(r.after.clone()),
            reason: Set(r.reason.clone()),
        }))
    })
}

/// Appends audit records outside a decision (a competition imported).
pub async fn append(db: &Db, competition_id: Option<Uuid>, records: &[AuditRecord]) -> Result<(), StoreError> {
    insert_many(&db.pool, competition_id, records).await
}

/// Filters of `GET …/audit`.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub skill_id: Option<Uuid>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject: Option<String>,
    pub after_id: Option<i64>,
    pub limit: u64,
}

/// One stored audit event.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub skill_id: Option<Uuid>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

/// A LIKE pattern that matches `text` literally between the wildcards `before` and `after`:
/// `%`, `_` and `\` in what a user typed are escaped. The escape character is named in the
/// query (`ESCAPE '\'`) because SQLite has none by default.
fn literal_like(text: &str, before: &str, after: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 4);
    pattern.push_str(before);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push_str(after);
    LikeExpr::new(pattern).escape('\\')
}

pub async fn find(db: &Db, competition_id: Uuid, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
    let mut query = audit_event::Entity::find().filter(audit_event::Column::CompetitionId.eq(competition_id));
    if let Some(skill) = filter.skill_id {
        query = query.filter(audit_event::Column::SkillId.eq(skill));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_event::Column::Actor.eq(actor.as_str()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_event::Column::Action.like(literal_like(action, "", "%")));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(audit_event::Column::Subject.like(literal_like(subject, "%", "%")));
    }
    if let Some(after) = filter.after_id {
        query = query.filter(audit_event::Column::Id.gt(after));
    }
    let rows = query.order_by_asc(audit_event::Column::Id).limit(filter.limit).all(&db.pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id,
            at: r.at,
            skill_id: r.skill_id,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            before: r.before,
            after: r.after,
            reason: r.reason,
        })
        .collect())
}
