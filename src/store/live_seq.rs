//! Sequence numbers of live channels, kept in the database so every instance numbers the
//! same change the same way.
use super::db::{Db, Tx};
use super::error::StoreError;
use entity::live_seq;
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, InsertMany, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// Every channel's last seq of a competition, by channel key.
pub async fn all(db: &Db, competition_id: Uuid) -> Result<HashMap<String, i64>, StoreError> {
    let rows =
        live_seq::Entity::find().filter(live_seq::Column::CompetitionId.eq(competition_id)).all(&db.pool).await?;
    Ok(rows.into_iter().map(|r| (r.channel, r.seq)).collect())
}

/// Advances several channels' sequences by one in a single statement and returns the new
/// values by channel key.
pub async fn advance(tx: &Tx, competition_id: Uuid, channels: &[String]) -> Result<HashMap<String, i64>, StoreError> {
    let Some(insert) = advance_statement(competition_id, channels) else {
        return Ok(HashMap::new());
    };
    let rows = insert.exec_with_returning(tx.conn()).await.map_err(StoreError::raced)?;
    Ok(rows.into_iter().map(|row| (row.channel, row.seq)).collect())
}

/// The upsert that advances the channels (none: `None`). Keys are taken in sorted order,
/// so writers cannot deadlock.
pub(super) fn advance_statement(
    competition_id: Uuid,
    channels: &[String],
) -> Option<InsertMany<live_seq::ActiveModel>> {
    if channels.is_empty() {
        return None;
    }
    let mut keys: Vec<&String> = channels.iter().collect();
    keys.sort();
    keys.dedup();
    let insert = live_seq::Entity::insert_many(keys.into_iter().map(|channel| live_seq::ActiveModel {
        competition_id: Set(competition_id),
        channel: Set(channel.clone()),
        seq: Set(1),
    }))
    .on_conflict(
        OnConflict::columns([live_seq::Column::CompetitionId, live_seq::Column::Channel])
            .value(live_seq::Column::Seq, Expr::col((live_seq::Entity, live_seq::Column::Seq)).add(1))
            .to_owned(),
    );
    Some(insert)
}
