//! A criterion (A, B, C…) of a skill's marking scheme.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "criterion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub skill_id: Uuid,
    pub code: String,
    pub name: String,
    /// Translations of the name, `{"zh": .., "ru": ..}`; null when there are none.
    pub names: Option<Json>,
    pub position: i32,
}

impl ActiveModelBehavior for ActiveModel {}
