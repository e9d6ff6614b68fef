//! A competition: the top-level aggregate everything else belongs to.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "competition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// Translations of the name, `{"zh": .., "ru": ..}`; null when there are none.
    pub names: Option<Json>,
    pub timezone: String,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub default_language: String,
    pub medal_order: crate::kinds::MedalOrder,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
