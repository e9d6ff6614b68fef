//! A chief judge's (or organizer's) acceptance of a flagged judgement panel as it stood.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "discrepancy_override")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub skill_id: Uuid,
    pub entry_id: Uuid,
    pub aspect_id: Uuid,
    pub judge_id: Option<Uuid>,
    pub reason: String,
    /// The highest mark `seq` of the skill when the override was made: it covers the
    /// panel as it stood then, and lapses when a later score arrives.
    pub covers_seq: i64,
    pub actor: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
