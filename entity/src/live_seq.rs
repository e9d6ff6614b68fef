//! The last sequence number of each live channel. Kept in the database so that every
//! instance sharing it numbers the same change the same way.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "live_seq")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub competition_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    pub seq: i64,
}

impl ActiveModelBehavior for ActiveModel {}
