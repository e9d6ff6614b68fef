//! What clients send: the JSON shapes of the competition package (`podium.competition/1`)
//! and of the registration requests, before validation.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: &str = "podium.competition/1";

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Package {
    pub format: String,
    pub competition: CompetitionInput,
    #[serde(default)]
    pub delegations: Vec<DelegationInput>,
    #[serde(default)]
    pub skills: Vec<SkillInput>,
    #[serde(default)]
    pub entries: Vec<EntryInput>,
    #[serde(default)]
    pub judges: Vec<JudgeInput>,
    #[serde(default)]
    pub marks: Vec<MarkInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub published: Vec<String>,
    /// The closing ceremony's plan, if one is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<super::ceremony::CeremonyInput>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetitionInput {
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    pub code: String,
    pub name: String,
    /// Translations of the name by language tag (`zh`, `ru`; `en` too if it differs).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    #[serde(default = "default_timezone")]
    /// An IANA time zone name.
    #[schema(example = "Asia/Shanghai")]
    pub timezone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    #[serde(default = "default_language")]
    pub default_language: String,
    #[serde(default = "default_medal_order")]
    #[schema(value_type = crate::domain::kinds::MedalOrder)]
    pub medal_order: String,
}

fn default_timezone() -> String {
    "UTC".into()
}
fn default_language() -> String {
    "en".into()
}
fn default_medal_order() -> String {
    "olympic".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DelegationInput {
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AggregationInput {
    #[schema(value_type = crate::domain::kinds::AggregationMethod)]
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
}

impl Default for AggregationInput {
    fn default() -> Self {
        AggregationInput { method: "mean".into(), k: None }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkillInput {
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    pub code: String,
    pub name: String,
    /// Translations of the name by language tag (`zh`, `ru`; `en` too if it differs).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    #[serde(default = "one")]
    pub team_size: u32,
    #[serde(default = "none_text")]
    #[schema(value_type = crate::domain::kinds::Standardise)]
    pub standardise: String,
    #[serde(default = "zero_value")]
    #[schema(value_type = String)]
    pub tie_tolerance: serde_json::Value,
    #[serde(default = "none_text")]
    #[schema(value_type = crate::domain::kinds::TieBreak)]
    pub tie_break: String,
    #[serde(default = "one")]
    pub max_judgement_spread: u32,
    #[serde(default)]
    pub judgement_aggregation: AggregationInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub excellence_threshold: Option<serde_json::Value>,
    #[serde(default = "one")]
    pub min_entries_for_medals: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub scale_centre: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub scale_step: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Gaps accepted when the skill was signed off incomplete (packages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_gaps: Option<super::signoff::AcceptedGaps>,
    #[serde(default)]
    pub criteria: Vec<CriterionInput>,
}

fn one() -> u32 {
    1
}
fn none_text() -> String {
    "none".into()
}
fn zero_value() -> serde_json::Value {
    serde_json::Value::from(0)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionInput {
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// Translations of the name by language tag (`zh`, `ru`; `en` too if it differs).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    #[serde(default)]
    pub aspects: Vec<AspectInput>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AspectInput {
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    pub code: String,
    #[serde(default)]
    pub description: String,
    /// Translations of the description by language tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    #[schema(value_type = crate::domain::kinds::AspectKind)]
    pub kind: String,
    #[schema(value_type = String)]
    pub max: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntryInput {
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    pub code: String,
    pub skill: String,
    pub delegation: String,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::kinds::EntryStatus>)]
    pub status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JudgeInput {
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    pub code: String,
    pub name: String,
    pub delegation: String,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default = "judge_text")]
    #[schema(value_type = crate::domain::kinds::JudgeRole)]
    pub role: String,
}

fn judge_text() -> String {
    "judge".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MarkInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub judge: String,
    pub entry: String,
    pub aspect: String,
    #[schema(value_type = String)]
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub void: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverrideInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    pub entry: String,
    pub aspect: String,
    pub reason: String,
}
