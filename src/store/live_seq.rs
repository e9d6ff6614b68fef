//! Sequence numbers of live channels, kept in the database so every instance numbers the
//! same change the same way.
use entity::live_seq;
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

pub async fn all(db: &impl ConnectionTrait, competition_id: Uuid) -> Result<Vec<live_seq::Model>, DbErr> {
    live_seq::Entity::find().filter(live_seq::Column::CompetitionId.eq(competition_id)).all(db).await
}

/// Advances several channels' sequences by one in a single statement and returns the
/// new values by channel key.
pub async fn advance_all(
    db: &impl ConnectionTrait,
    competition_id: Uuid,
    channels: &[String],
) -> Result<std::collections::HashMap<String, i64>, DbErr> {
    if channels.is_empty() {
        return Ok(Default::default());
    }
    let rows = live_seq::Entity::insert_many(channels.iter().map(|channel| live_seq::ActiveModel {
        competition_id: Set(competition_id),
        channel: Set(channel.clone()),
        seq: Set(1),
    }))
    .on_conflict(
        OnConflict::columns([live_seq::Column::CompetitionId, live_seq::Column::Channel])
            .value(live_seq::Column::Seq, Expr::col((live_seq::Entity, live_seq::Column::Seq)).add(1))
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.channel, row.seq)).collect())
}
