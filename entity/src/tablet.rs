//! The last heartbeat of a judge's tablet: telemetry for the console's fleet view, not part
//! of the competition: neither audited nor part of its export.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tablet")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub judge_id: Uuid,
    /// Random, made by the tablet and kept in its local storage.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tablet_id: String,
    pub competition_id: Uuid,
    pub app_version: String,
    /// Marks the tablet holds that the server has not acknowledged.
    pub queued: i32,
    /// Since when the tablet has held unsent marks (server time).
    pub unsent_since: Option<DateTimeUtc>,
    pub last_sync_at: Option<DateTimeUtc>,
    pub battery_percent: Option<i32>,
    pub battery_charging: Option<bool>,
    pub last_seen_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
