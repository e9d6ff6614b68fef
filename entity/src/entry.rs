//! An entry: one competitor or one team of a delegation, ranked in one skill.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub competition_id: Uuid,
    pub skill_id: Uuid,
    pub delegation_id: Uuid,
    pub code: String,
    pub status: crate::kinds::EntryStatus,
}

impl ActiveModelBehavior for ActiveModel {}
