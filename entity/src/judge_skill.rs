//! Assignment of a judge to a skill.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "judge_skill")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub judge_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub skill_id: Uuid,
}

impl ActiveModelBehavior for ActiveModel {}
