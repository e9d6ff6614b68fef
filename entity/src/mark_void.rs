//! The voiding of a mark entered against the wrong entry (the mark itself stays).
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "mark_void")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub skill_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub mark_id: Uuid,
    pub reason: String,
    pub actor: String,
    pub created_at: DateTimeUtc,
    pub skill_version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
