//! Storing a decision: its guards first (the skills' versions it was decided on), then its
//! writes and audit records, all in the caller's transaction.
use super::convert;
use super::db::Tx;
use super::error::StoreError;
use crate::domain::kinds::SkillState;
use crate::domain::signoff::AcceptedGaps;
use crate::model::decision::{AuditRecord, Guard, Write};
use crate::model::record::MarkRecord;
use entity::{
    aspect, competition, criterion, delegation, discrepancy_override, entry, entry_member, judge, judge_skill, mark,
    mark_void, session, skill,
};
use rustc_hash::FxHashMap;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, InsertMany, IntoActiveModel, QueryFilter,
    UpdateMany,
};
use uuid::Uuid;

/// Bumps the guarded skills' versions; refuses when another writer changed one since the
/// decision read it. Skills are locked in id order, so two writers cannot deadlock on them.
pub async fn guard(tx: &Tx, guards: &[Guard]) -> Result<(), StoreError> {
    if guards.is_empty() {
        return Ok(());
    }
    let ids = guarded_ids(guards);
    // An UPDATE locks rows in whatever order it scans them: lock them in id order first.
    super::competition::lock_skills(tx, &ids).await?;
    let rows = bump_versions(ids).exec_with_returning(tx.conn()).await.map_err(StoreError::raced)?;
    let versions: Vec<(Uuid, i64)> = rows.iter().map(|r| (r.id, r.version)).collect();
    check_guards(guards, &versions)
}

/// The guarded skills, in id order.
pub(super) fn guarded_ids(guards: &[Guard]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = guards.iter().map(|g| g.skill).collect();
    ids.sort_unstable();
    ids
}

pub(super) fn bump_versions(ids: Vec<Uuid>) -> UpdateMany<skill::Entity> {
    skill::Entity::update_many()
        .col_expr(skill::Column::Version, Expr::col(skill::Column::Version).add(1))
        .filter(skill::Column::Id.is_in(ids))
}

/// Each guarded skill's bumped version (skill, version) must be one past the decision's.
pub(super) fn check_guards(guards: &[Guard], versions: &[(Uuid, i64)]) -> Result<(), StoreError> {
    for g in guards {
        match versions.iter().find(|(id, _)| *id == g.skill) {
            Some((_, version)) if *version == g.version + 1 => {}
            _ => return Err(StoreError::Conflict(format!("skill {} changed meanwhile", g.skill))),
        }
    }
    Ok(())
}

/// Marks a statement: 13 bound values a row; SQLite allows 32766 a statement.
pub(super) const MARKS_PER_STATEMENT: usize = 1000;

pub(super) fn insert_marks(competition_id: Uuid, marks: &[MarkRecord]) -> InsertMany<mark::ActiveModel> {
    mark::Entity::insert_many(marks.iter().map(|m| convert::mark_row(competition_id, m)))
}

pub(super) fn set_state(
    id: Uuid,
    state: SkillState,
    accepted_gaps: Option<&AcceptedGaps>,
) -> UpdateMany<skill::Entity> {
    let accepted = accepted_gaps.and_then(|gaps| serde_json::to_value(gaps).ok());
    skill::Entity::update_many()
        .col_expr(skill::Column::State, Expr::value(state))
        .col_expr(skill::Column::AcceptedGaps, Expr::value(accepted))
        .filter(skill::Column::Id.eq(id))
}

/// Performs the writes; returns the `seq` the database gave each new mark.
pub async fn apply(tx: &Tx, competition_id: Uuid, writes: &[Write]) -> Result<FxHashMap<Uuid, i64>, StoreError> {
    let db = tx.conn();
    let mut seqs = FxHashMap::default();
    for w in writes {
        match w {
            Write::Marks(marks) => {
                for chunk in marks.chunks(MARKS_PER_STATEMENT) {
                    let stored = insert_marks(competition_id, chunk).exec_with_returning(db).await.map_err(|e| {
                        // Another instance stored the same mark id first: decide again, and
                        // the mark is then a duplicate (or a conflict when its body differs).
                        match e.sql_err() {
                            Some(sea_orm::SqlErr::UniqueConstraintViolation(d)) => StoreError::Conflict(d),
                            _ => StoreError::raced(e),
                        }
                    })?;
                    seqs.extend(stored.into_iter().map(|m| (m.id, m.seq)));
                }
            }
            Write::Void(v) => {
                mark_void::Entity::insert(convert::void_row(v).into_active_model()).exec_without_returning(db).await?;
            }
            Write::Override(o) => {
                discrepancy_override::Entity::insert(convert::override_row(o).into_active_model())
                    .exec_without_returning(db)
                    .await?;
            }
            Write::SkillState { skill: id, state, accepted_gaps } => {
                set_state(*id, *state, accepted_gaps.as_ref()).exec(db).await?;
            }
            Write::EntryStatus { entry: id, status } => {
                entry::Entity::update_many()
                    .col_expr(entry::Column::Status, Expr::value(*status))
                    .filter(entry::Column::Id.eq(*id))
                    .exec(db)
                    .await?;
            }
            Write::Competition(c) => {
                let row = convert::competition_row(c);
                competition::Entity::update_many()
                    .col_expr(competition::Column::Name, Expr::value(row.name))
                    .col_expr(competition::Column::Names, Expr::value(row.names))
                    .col_expr(competition::Column::Timezone, Expr::value(row.timezone))
                    .col_expr(competition::Column::StartsOn, Expr::value(row.starts_on))
                    .col_expr(competition::Column::EndsOn, Expr::value(row.ends_on))
                    .col_expr(competition::Column::DefaultLanguage, Expr::value(row.default_language))
                    .col_expr(competition::Column::MedalOrder, Expr::value(row.medal_order))
                    .filter(competition::Column::Id.eq(c.id))
                    .exec(db)
                    .await?;
            }
            Write::Ceremony { ceremony, expected } => {
                let row = convert::ceremony_row(competition_id, ceremony);
                match expected {
                    None => {
                        entity::ceremony::Entity::insert(row.into_active_model())
                            .exec_without_returning(db)
                            .await
                            .map_err(|e| match e.sql_err() {
                                Some(sea_orm::SqlErr::UniqueConstraintViolation(d)) => StoreError::Conflict(d),
                                _ => StoreError::raced(e),
                            })?;
                    }
                    Some(version) => {
                        let done = entity::ceremony::Entity::update_many()
                            .col_expr(entity::ceremony::Column::Plan, Expr::value(row.plan))
                            .col_expr(entity::ceremony::Column::Position, Expr::value(row.position))
                            .col_expr(entity::ceremony::Column::Rehearsal, Expr::value(row.rehearsal))
                            .col_expr(entity::ceremony::Column::Version, Expr::value(row.version))
                            .filter(entity::ceremony::Column::CompetitionId.eq(competition_id))
                            .filter(entity::ceremony::Column::Version.eq(*version))
                            .exec(db)
                            .await
                            .map_err(StoreError::raced)?;
                        if done.rows_affected != 1 {
                            return Err(StoreError::Conflict("the ceremony changed meanwhile".into()));
                        }
                    }
                }
            }
            Write::DeleteCompetition(id) => {
                competition::Entity::delete_by_id(*id).exec(db).await.map_err(StoreError::from_constraint)?;
            }
            Write::Delegation { record, new } => {
                let row = convert::delegation_row(competition_id, record);
                if *new {
                    delegation::Entity::insert(row.into_active_model())
                        .exec_without_returning(db)
                        .await
                        .map_err(StoreError::from_constraint)?;
                } else {
                    delegation::Entity::update(row.into_active_model().reset_all())
                        .exec(db)
                        .await
                        .map_err(StoreError::from_constraint)?;
                }
            }
            Write::DeleteDelegation(id) => {
                delegation::Entity::delete_by_id(*id).exec(db).await.map_err(StoreError::from_constraint)?;
            }
            Write::Skill { record, new, scheme } => {
                let row = convert::skill_row(competition_id, record);
                if *new {
                    skill::Entity::insert(row.into_active_model())
                        .exec_without_returning(db)
                        .await
                        .map_err(StoreError::from_constraint)?;
                } else {
                    // Settings only: the version and state belong to the guards and states.
                    let mut active = row.into_active_model().reset_all();
                    active.version = sea_orm::ActiveValue::NotSet;
                    active.state = sea_orm::ActiveValue::NotSet;
                    skill::Entity::update(active).exec(db).await.map_err(StoreError::from_constraint)?;
                }
                if *scheme {
                    if !*new {
                        aspect::Entity::delete_many().filter(aspect::Column::SkillId.eq(record.id)).exec(db).await?;
                        criterion::Entity::delete_many()
                            .filter(criterion::Column::SkillId.eq(record.id))
                            .exec(db)
                            .await?;
                    }
                    let (criteria, aspects) = convert::scheme_rows(record);
                    insert_all::<criterion::Entity, _>(db, criteria).await?;
                    insert_all::<aspect::Entity, _>(db, aspects).await?;
                } else {
                    // The same scheme, perhaps with other translations: update them in place,
                    // since marks refer to the aspects' ids.
                    let (criteria, aspects) = convert::scheme_rows(record);
                    for c in criteria {
                        criterion::Entity::update_many()
                            .col_expr(criterion::Column::Name, Expr::value(c.name))
                            .col_expr(criterion::Column::Names, Expr::value(c.names))
                            .filter(criterion::Column::Id.eq(c.id))
                            .exec(db)
                            .await?;
                    }
                    for a in aspects {
                        aspect::Entity::update_many()
                            .col_expr(aspect::Column::Description, Expr::value(a.description))
                            .col_expr(aspect::Column::Names, Expr::value(a.names))
                            .filter(aspect::Column::Id.eq(a.id))
                            .exec(db)
                            .await?;
                    }
                }
            }
            Write::DeleteSkill(id) => {
                skill::Entity::delete_by_id(*id).exec(db).await.map_err(StoreError::from_constraint)?;
            }
            Write::Entry { record, new } => {
                let (row, members) = convert::entry_rows(competition_id, record);
                if *new {
                    entry::Entity::insert(row.into_active_model())
                        .exec_without_returning(db)
                        .await
                        .map_err(StoreError::from_constraint)?;
                } else {
                    entry::Entity::update(row.into_active_model().reset_all())
                        .exec(db)
                        .await
                        .map_err(StoreError::from_constraint)?;
                    entry_member::Entity::delete_many()
                        .filter(entry_member::Column::EntryId.eq(record.id))
                        .exec(db)
                        .await?;
                }
                insert_all::<entry_member::Entity, _>(db, members).await?;
            }
            Write::DeleteEntry(id) => {
                entry::Entity::delete_by_id(*id).exec(db).await.map_err(StoreError::from_constraint)?;
            }
            Write::Judge { record, new } => {
                let (row, skills) = convert::judge_rows(competition_id, record);
                if *new {
                    judge::Entity::insert(row.into_active_model())
                        .exec_without_returning(db)
                        .await
                        .map_err(StoreError::from_constraint)?;
                } else {
                    // The one-time code is not the registration's to change.
                    let mut active = row.into_active_model().reset_all();
                    active.login_code_hash = sea_orm::ActiveValue::NotSet;
                    active.login_code_issued_at = sea_orm::ActiveValue::NotSet;
                    active.used_code_hash = sea_orm::ActiveValue::NotSet;
                    judge::Entity::update(active).exec(db).await.map_err(StoreError::from_constraint)?;
                    judge_skill::Entity::delete_many()
                        .filter(judge_skill::Column::JudgeId.eq(record.id))
                        .exec(db)
                        .await?;
                }
                insert_all::<judge_skill::Entity, _>(db, skills).await?;
            }
            Write::DeleteJudge(id) => {
                judge::Entity::delete_by_id(*id).exec(db).await.map_err(StoreError::from_constraint)?;
            }
            Write::LoginCode { judge: id, hash, issued_at } => {
                judge::Entity::update_many()
                    .col_expr(judge::Column::LoginCodeHash, Expr::value(hash.clone()))
                    .col_expr(judge::Column::LoginCodeIssuedAt, Expr::value(*issued_at))
                    .filter(judge::Column::Id.eq(*id))
                    .exec(db)
                    .await?;
            }
            Write::RedeemLoginCode { judge: id, hash } => {
                // Single use: only the transaction that clears the code gets a session. The
                // hash is kept as the used one, so a second try is told "used", not "wrong".
                let cleared = judge::Entity::update_many()
                    .col_expr(judge::Column::LoginCodeHash, Expr::value(Option::<String>::None))
                    .col_expr(judge::Column::UsedCodeHash, Expr::value(hash.clone()))
                    .filter(judge::Column::Id.eq(*id))
                    .filter(judge::Column::LoginCodeHash.eq(hash.as_str()))
                    .exec(db)
                    .await
                    .map_err(StoreError::raced)?;
                if cleared.rows_affected != 1 {
                    return Err(StoreError::Conflict("the one-time code was used meanwhile".into()));
                }
            }
            Write::Session(s) => super::account::insert_session(db, s).await?,
            Write::RevokeJudgeSessions(id) => {
                session::Entity::update_many()
                    .col_expr(session::Column::RevokedAt, Expr::value(chrono::Utc::now()))
                    .filter(session::Column::JudgeId.eq(*id))
                    .filter(session::Column::RevokedAt.is_null())
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(seqs)
}

/// Appends audit records of one competition.
pub async fn audit(tx: &Tx, competition_id: Uuid, records: &[AuditRecord]) -> Result<(), StoreError> {
    super::audit::insert_many(tx.conn(), Some(competition_id), records).await
}

pub(super) async fn insert_all<E, A>(db: &impl ConnectionTrait, rows: Vec<E::Model>) -> Result<(), StoreError>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    E::Model: IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(500).map(IntoActiveModel::into_active_model).collect();
        E::insert_many(chunk).exec_without_returning(db).await.map_err(StoreError::from_constraint)?;
    }
    Ok(())
}
