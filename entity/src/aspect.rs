//! An aspect of a criterion: a measurement or a judgement, with its maximum mark.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "aspect")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub skill_id: Uuid,
    pub criterion_id: Uuid,
    pub code: String,
    pub description: String,
    /// Translations of the name, `{"zh": .., "ru": ..}`; null when there are none.
    pub names: Option<Json>,
    pub kind: crate::kinds::AspectKind,
    pub max_centi: i64,
    pub panel: Option<i32>,
    pub binary: bool,
    pub position: i32,
}

impl ActiveModelBehavior for ActiveModel {}
