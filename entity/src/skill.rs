//! A skill: its settings (SCORING.md), life-cycle state and write version.
//!
//! Decimal settings are stored exactly as integer hundredths (`*_centi`), which is
//! portable between SQLite and PostgreSQL and never passes through a float.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "skill")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub competition_id: Uuid,
    pub code: String,
    pub name: String,
    /// Translations of the name, `{"zh": .., "ru": ..}`; null when there are none.
    pub names: Option<Json>,
    pub position: i32,
    pub team_size: i32,
    pub standardise: crate::kinds::Standardise,
    pub scale_centre_centi: i64,
    pub scale_step_centi: i64,
    pub tie_tolerance_centi: i64,
    pub tie_break: crate::kinds::TieBreak,
    pub max_judgement_spread: i32,
    pub aggregation: crate::kinds::AggregationMethod,
    pub aggregation_k: i32,
    pub excellence_threshold_centi: Option<i64>,
    pub min_entries_for_medals: i32,
    pub state: crate::kinds::SkillState,
    /// Bumped by every judging transaction on the skill; lets an instance tell
    /// whether its cached marks are current (several instances share PostgreSQL).
    pub version: i64,
    /// The gaps accepted when the skill was locked with marks missing: `{"reason", "by",
    /// "at", "missing": [{"entry", "aspect", "have", "needed"}]}`; null otherwise.
    pub accepted_gaps: Option<Json>,
}

impl ActiveModelBehavior for ActiveModel {}
