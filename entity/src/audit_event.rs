//! The append-only audit log: who, when, what, before/after, reason.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub competition_id: Option<Uuid>,
    pub skill_id: Option<Uuid>,
    pub at: DateTimeUtc,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub reason: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
