//! Reading competitions: the list, and everything one competition's model is built from.
use super::convert;
use super::db::{Db, Tx};
use super::error::StoreError;
use super::sqlite_marks;
use crate::model::Competition;
use crate::model::build::Builder;
use crate::model::record::MarkRecord;
use crate::model::record::{CompetitionRecord, Records, SkillRecord};
use entity::{
    aspect, competition, criterion, delegation, discrepancy_override, entry, entry_member, judge, judge_skill, mark,
    mark_void, skill,
};
use futures_util::TryStreamExt;
use sea_orm::sqlx::SqlitePool;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, StreamTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// The id of a competition by code or id.
pub async fn find_id(db: &Db, key: &str) -> Result<Option<Uuid>, StoreError> {
    if let Ok(id) = Uuid::parse_str(key) {
        return Ok(competition::Entity::find_by_id(id).one(&db.pool).await?.map(|c| c.id));
    }
    Ok(competition::Entity::find().filter(competition::Column::Code.eq(key)).one(&db.pool).await?.map(|c| c.id))
}

/// Every competition's settings, in code order.
pub async fn find_all(db: &Db) -> Result<Vec<CompetitionRecord>, StoreError> {
    let rows = competition::Entity::find().order_by_asc(competition::Column::Code).all(&db.pool).await?;
    Ok(rows.into_iter().map(convert::competition_record).collect())
}

/// The competition whose judge holds this one-time code, if any.
pub async fn find_by_login_code(db: &Db, code_hash: &str) -> Result<Option<Uuid>, StoreError> {
    let judge = judge::Entity::find().filter(judge::Column::LoginCodeHash.eq(code_hash)).one(&db.pool).await?;
    Ok(judge.map(|j| j.competition_id))
}

/// The competition whose judge last logged in with this (now used) one-time code, if any.
pub async fn find_by_used_code(db: &Db, code_hash: &str) -> Result<Option<Uuid>, StoreError> {
    let judge = judge::Entity::find().filter(judge::Column::UsedCodeHash.eq(code_hash)).one(&db.pool).await?;
    Ok(judge.map(|j| j.competition_id))
}

async fn skills(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<SkillRecord>, StoreError> {
    let rows = skill::Entity::find()
        .filter(skill::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(skill::Column::Position)
        .order_by_asc(skill::Column::Code)
        .all(db)
        .await?;
    let criteria = criterion::Entity::find()
        .filter(criterion::Column::SkillId.is_in(ids.to_vec()))
        .order_by_asc(criterion::Column::Position)
        .all(db)
        .await?;
    let aspects = aspect::Entity::find()
        .filter(aspect::Column::SkillId.is_in(ids.to_vec()))
        .order_by_asc(aspect::Column::Position)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|s| convert::skill_record(s, &criteria, &aspects)).collect())
}

/// Everything one competition's model is built from; `None` when it does not exist.
pub async fn load(db: &Db, id: Uuid) -> Result<Option<Records>, StoreError> {
    let Some(mut records) = load_from(&db.pool, id).await? else {
        return Ok(None);
    };
    let mut marks = Vec::new();
    stream_marks(&db.pool, id, |m| marks.push(m)).await?;
    records.marks = marks;
    Ok(Some(records))
}

/// A competition's model, its marks streamed from the database into it one row at a time
/// (never all held as rows or records at once); `None` when it does not exist. On SQLite the
/// marks are read on one thread (see [`sqlite_marks`]).
pub async fn load_model(db: &Db, id: Uuid) -> Result<Option<Competition>, StoreError> {
    let sqlite = db.is_sqlite().then(|| db.pool.get_sqlite_connection_pool());
    model_from(&db.pool, id, sqlite).await
}

/// The same, inside a write transaction: after [`lock_skills`], what it reads of those
/// skills cannot change before the transaction ends.
pub async fn load_model_locked(tx: &Tx, id: Uuid) -> Result<Option<Competition>, StoreError> {
    model_from(tx.conn(), id, None).await
}

/// The model from `db`; given SQLite's pool, the marks are read on one thread from it (see
/// `sqlite_marks`) rather than streamed through sqlx.
async fn model_from<C: ConnectionTrait + StreamTrait + Send>(
    db: &C,
    id: Uuid,
    sqlite: Option<&SqlitePool>,
) -> Result<Option<Competition>, StoreError> {
    let Some(records) = load_from(db, id).await? else {
        return Ok(None);
    };
    let mut builder = Builder::new(records);
    match sqlite {
        Some(pool) => builder = sqlite_marks::read(pool, id, builder, Builder::add_mark).await?,
        None => stream_marks(db, id, |m| builder.add_mark(m)).await?,
    }
    Ok(Some(builder.finish(None, &[])))
}

/// Every mark of a competition in storage order, one at a time.
pub(super) async fn stream_marks<C: ConnectionTrait + StreamTrait + Send>(
    db: &C,
    id: Uuid,
    mut each: impl FnMut(MarkRecord),
) -> Result<(), StoreError> {
    // The columns a record needs, read by position into a tuple: a whole `Model` looked up
    // each of its thirteen columns by name, on every one of a competition's marks.
    let mut rows = mark::Entity::find()
        .select_only()
        .columns(convert::MARK_COLUMNS)
        .filter(mark::Column::CompetitionId.eq(id))
        .order_by_asc(mark::Column::Seq)
        .into_tuple::<convert::MarkColumns>()
        .stream(db)
        .await?;
    while let Some(row) = rows.try_next().await? {
        each(convert::mark_record_of(row));
    }
    Ok(())
}

/// Locks skills' rows until the transaction ends (PostgreSQL; SQLite's write transaction
/// holds the whole database already). Rows are locked in id order, so two writers cannot
/// deadlock on them.
pub async fn lock_skills(tx: &Tx, ids: &[Uuid]) -> Result<(), StoreError> {
    if ConnectionTrait::get_database_backend(tx.conn()) != sea_orm::DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    skill::Entity::find()
        .filter(skill::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(skill::Column::Id)
        .lock_exclusive()
        .all(tx.conn())
        .await
        .map_err(StoreError::raced)?;
    Ok(())
}

async fn load_from(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Records>, StoreError> {
    let Some(competition) = competition::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let delegations = delegation::Entity::find()
        .filter(delegation::Column::CompetitionId.eq(id))
        .order_by_asc(delegation::Column::Code)
        .all(db)
        .await?;
    let skill_ids: Vec<Uuid> = skill::Entity::find()
        .filter(skill::Column::CompetitionId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let skills = skills(db, &skill_ids).await?;
    let entries = entry::Entity::find()
        .filter(entry::Column::CompetitionId.eq(id))
        .order_by_asc(entry::Column::Code)
        .all(db)
        .await?;
    let mut members: HashMap<Uuid, Vec<String>> = HashMap::new();
    let entry_ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    for chunk in entry_ids.chunks(500) {
        let rows = entry_member::Entity::find()
            .filter(entry_member::Column::EntryId.is_in(chunk.to_vec()))
            .order_by_asc(entry_member::Column::Position)
            .all(db)
            .await?;
        for m in rows {
            members.entry(m.entry_id).or_default().push(m.name);
        }
    }
    let judges = judge::Entity::find()
        .filter(judge::Column::CompetitionId.eq(id))
        .order_by_asc(judge::Column::Code)
        .all(db)
        .await?;
    let mut judge_skills: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for js in judge_skill::Entity::find().filter(judge_skill::Column::SkillId.is_in(skill_ids.clone())).all(db).await? {
        judge_skills.entry(js.judge_id).or_default().push(js.skill_id);
    }
    let voids = mark_void::Entity::find().filter(mark_void::Column::SkillId.is_in(skill_ids.clone())).all(db).await?;
    let overrides = discrepancy_override::Entity::find()
        .filter(discrepancy_override::Column::SkillId.is_in(skill_ids))
        .order_by_asc(discrepancy_override::Column::CoversSeq)
        .all(db)
        .await?;
    let ceremony = entity::ceremony::Entity::find_by_id(id).one(db).await?.and_then(convert::ceremony_record);
    Ok(Some(Records {
        competition: convert::competition_record(competition),
        delegations: delegations.into_iter().map(convert::delegation_record).collect(),
        skills,
        entries: entries
            .into_iter()
            .map(|e| {
                let m = members.remove(&e.id).unwrap_or_default();
                convert::entry_record(e, m)
            })
            .collect(),
        judges: judges
            .into_iter()
            .map(|j| {
                let s = judge_skills.remove(&j.id).unwrap_or_default();
                convert::judge_record(j, s)
            })
            .collect(),
        // Streamed separately (see `load_model`).
        marks: Vec::new(),
        voids: voids.into_iter().map(convert::void_record).collect(),
        overrides: overrides.into_iter().map(convert::override_record).collect(),
        ceremony,
    }))
}
