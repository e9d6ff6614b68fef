//! A mark: one judge's value for one (entry, aspect). Append-only; a correction is a
//! new row that supersedes the previous one. `seq` is the order the server stored it.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "mark")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The client's UUID, unique within the competition.
    pub id: Uuid,
    pub competition_id: Uuid,
    pub skill_id: Uuid,
    pub entry_id: Uuid,
    pub aspect_id: Uuid,
    pub judge_id: Uuid,
    pub value_centi: i64,
    pub reason: Option<String>,
    pub supersedes: Option<Uuid>,
    /// Who stored it: `judge:CODE` or `account:USERNAME` (an organizer typing a paper form).
    pub entered_by: String,
    pub created_at: DateTimeUtc,
    pub skill_version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
