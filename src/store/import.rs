//! Storing a whole new competition (a package import) in one transaction.
use super::convert;
use super::db::Tx;
use super::error::StoreError;
use super::write::insert_all;
use crate::model::record::Records;
use entity::{
    competition, delegation, discrepancy_override, entry, entry_member, judge, judge_skill, mark, mark_void, skill,
};
use sea_orm::EntityTrait;
use std::collections::HashMap;

/// Inserts a competition. Marks get their server order from the database: the records'
/// `seq` only orders them, and overrides' `covers_seq` is translated to the stored seqs.
pub async fn insert_competition(tx: &Tx, records: Records) -> Result<(), StoreError> {
    let db = tx.conn();
    let id = records.competition.id;
    insert_all::<competition::Entity, _>(db, vec![convert::competition_row(&records.competition)]).await?;
    let delegations = records.delegations.iter().map(|d| convert::delegation_row(id, d)).collect();
    insert_all::<delegation::Entity, _>(db, delegations).await?;
    let skills = records.skills.iter().map(|s| convert::skill_row(id, s)).collect();
    insert_all::<skill::Entity, _>(db, skills).await?;
    for s in &records.skills {
        let (criteria, aspects) = convert::scheme_rows(s);
        insert_all::<entity::criterion::Entity, _>(db, criteria).await?;
        insert_all::<entity::aspect::Entity, _>(db, aspects).await?;
    }
    let (entries, members): (Vec<_>, Vec<_>) = records.entries.iter().map(|e| convert::entry_rows(id, e)).unzip();
    insert_all::<entry::Entity, _>(db, entries).await?;
    insert_all::<entry_member::Entity, _>(db, members.into_iter().flatten().collect()).await?;
    let (judges, skills): (Vec<_>, Vec<_>) = records.judges.iter().map(|j| convert::judge_rows(id, j)).unzip();
    insert_all::<judge::Entity, _>(db, judges).await?;
    insert_all::<judge_skill::Entity, _>(db, skills.into_iter().flatten().collect()).await?;
    let mut marks = records.marks;
    marks.sort_by_key(|m| m.seq);
    let planned: Vec<i64> = marks.iter().map(|m| m.seq).collect();
    let mut stored = Vec::with_capacity(marks.len());
    for chunk in marks.chunks(1000) {
        let rows = chunk.iter().map(|m| convert::mark_row(id, m));
        let mut inserted =
            mark::Entity::insert_many(rows).exec_with_returning(db).await.map_err(StoreError::from_constraint)?;
        inserted.sort_by_key(|m| m.seq);
        stored.extend(inserted.into_iter().map(|m| m.seq));
    }
    let real: HashMap<i64, i64> = planned.iter().copied().zip(stored).collect();
    insert_all::<mark_void::Entity, _>(db, records.voids.iter().map(convert::void_row).collect()).await?;
    let overrides = records
        .overrides
        .iter()
        .map(|o| {
            let mut row = convert::override_row(o);
            // The greatest stored seq not after the planned one.
            row.covers_seq =
                planned.iter().filter(|p| **p <= o.covers_seq).max().and_then(|p| real.get(p).copied()).unwrap_or(0);
            row
        })
        .collect();
    insert_all::<discrepancy_override::Entity, _>(db, overrides).await?;
    let ceremonies = records.ceremony.iter().map(|c| convert::ceremony_row(id, c)).collect();
    insert_all::<entity::ceremony::Entity, _>(db, ceremonies).await
}
