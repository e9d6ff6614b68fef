//! The append-only audit log.
use chrono::Utc;
use entity::audit_event;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// One audit entry to append.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub competition_id: Option<Uuid>,
    pub skill_id: Option<Uuid>,
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

fn active(entry: AuditEntry, at: chrono::DateTime<Utc>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: NotSet,
        competition_id: Set(entry.competition_id),
        skill_id: Set(entry.skill_id),
        at: Set(at),
        actor: Set(entry.actor),
        action: Set(entry.action.to_owned()),
        subject: Set(entry.subject),
        before: Set(entry.before),
        after: Set(entry.after),
        reason: Set(entry.reason),
    }
}

pub async fn insert_many(db: &impl ConnectionTrait, entries: Vec<AuditEntry>) -> Result<(), DbErr> {
    let at = Utc::now();
    // Bounded statements: SQLite allows at most 32766 bound values per statement.
    let mut entries = entries.into_iter().peekable();
    while entries.peek().is_some() {
        let chunk: Vec<_> = entries.by_ref().take(500).map(|e| active(e, at)).collect();
        audit_event::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

pub async fn insert(db: &impl ConnectionTrait, entry: AuditEntry) -> Result<(), DbErr> {
    insert_many(db, vec![entry]).await
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

pub async fn find(
    db: &impl ConnectionTrait,
    competition_id: Uuid,
    filter: &AuditFilter,
) -> Result<Vec<audit_event::Model>, DbErr> {
    let mut query = audit_event::Entity::find().filter(audit_event::Column::CompetitionId.eq(competition_id));
    if let Some(skill) = filter.skill_id {
        query = query.filter(audit_event::Column::SkillId.eq(skill));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_event::Column::Actor.eq(actor.as_str()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_event::Column::Action.starts_with(action.as_str()));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(audit_event::Column::Subject.contains(subject.as_str()));
    }
    if let Some(after) = filter.after_id {
        query = query.filter(audit_event::Column::Id.gt(after));
    }
    query.order_by_asc(audit_event::Column::Id).limit(filter.limit).all(db).await
}
