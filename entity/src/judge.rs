//! A judge of a delegation; logs in with a single-use one-time code.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "judge")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub competition_id: Uuid,
    pub delegation_id: Uuid,
    pub code: String,
    pub name: String,
    pub role: crate::kinds::JudgeRole,
    /// SHA-256 (hex) of the current one-time code; cleared when used.
    pub login_code_hash: Option<String>,
    pub login_code_issued_at: Option<DateTimeUtc>,
    /// SHA-256 (hex) of the last code used to log in, so that reusing it can be told apart
    /// from a wrong code.
    pub used_code_hash: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
