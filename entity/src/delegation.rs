//! A delegation (member country, region or institution) of a competition.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "delegation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub competition_id: Uuid,
    pub code: String,
    pub name: String,
    /// Localised names, `{"en": .., "zh": .., "ru": ..}`.
    pub names: Json,
}

impl ActiveModelBehavior for ActiveModel {}
