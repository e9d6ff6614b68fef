//! A competition's closing ceremony: its plan (JSON), how many steps are revealed, whether
//! it is a rehearsal, and a version that guards it against two writers.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ceremony")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub competition_id: Uuid,
    /// `[{"skill", "steps": [{"medal", "entries"}]}]`
    pub plan: Json,
    pub position: i32,
    pub rehearsal: bool,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
