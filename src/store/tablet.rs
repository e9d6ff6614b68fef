//! Tablets' last heartbeats (the fleet view): one row per judge and tablet, replaced by each
//! heartbeat. Telemetry, written outside the engine: it changes no competition state.
use super::db::Db;
use super::error::StoreError;
use crate::model::fleet::TabletRecord;
use entity::tablet;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

fn from_row(t: tablet::Model) -> TabletRecord {
    TabletRecord {
        judge_id: t.judge_id,
        tablet: t.tablet_id,
        competition_id: t.competition_id,
        app_version: t.app_version,
        queued: u32::try_from(t.queued).unwrap_or(0),
        unsent_since: t.unsent_since,
        last_sync_at: t.last_sync_at,
        battery_percent: t.battery_percent.and_then(|p| u8::try_from(p).ok()),
        battery_charging: t.battery_charging,
        last_seen_at: t.last_seen_at,
    }
}

pub async fn find(db: &Db, judge_id: Uuid, tablet_id: &str) -> Result<Option<TabletRecord>, StoreError> {
    Ok(tablet::Entity::find_by_id((judge_id, tablet_id.to_owned())).one(&db.pool).await?.map(from_row))
}

pub async fn all_of_competition(db: &Db, competition_id: Uuid) -> Result<Vec<TabletRecord>, StoreError> {
    let rows = tablet::Entity::find().filter(tablet::Column::CompetitionId.eq(competition_id)).all(&db.pool).await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Inserts or replaces a tablet's row. A judge deleted meanwhile takes its rows with it
/// (the foreign key), so a heartbeat racing that delete is refused, never half-stored.
pub async fn upsert(db: &Db, t: &TabletRecord) -> Result<(), StoreError> {
    use tablet::Column as C;
    let row = tablet::ActiveModel {
        judge_id: Set(t.judge_id),
        tablet_id: Set(t.tablet.clone()),
        competition_id: Set(t.competition_id),
        app_version: Set(t.app_version.clone()),
        queued: Set(i32::try_from(t.queued).unwrap_or(i32::MAX)),
        unsent_since: Set(t.unsent_since),
        last_sync_at: Set(t.last_sync_at),
        battery_percent: Set(t.battery_percent.map(i32::from)),
        battery_charging: Set(t.battery_charging),
        last_seen_at: Set(t.last_seen_at),
    };
    tablet::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::JudgeId, C::TabletId])
                .update_columns([
                    C::AppVersion,
                    C::Queued,
                    C::UnsentSince,
                    C::LastSyncAt,
                    C::BatteryPercent,
                    C::BatteryCharging,
                    C::LastSeenAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&db.pool)
        .await
        .map_err(StoreError::from_constraint)?;
    Ok(())
}
