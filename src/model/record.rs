//! Plain records of what is stored, addressed by id: the store reads rows into them and the
//! model is built from them; a decision's writes carry them back. No indices here, so a
//! record means the same thing in every version of the model.
use crate::domain::Centi;
use crate::domain::kinds::{EntryStatus, JudgeRole, MedalOrder, SkillState};
use crate::domain::spec::SkillSpec;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq)]
pub struct CompetitionRecord {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub timezone: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub default_language: String,
    pub medal_order: MedalOrder,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DelegationRecord {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub names: BTreeMap<String, String>,
}

/// A skill with its settings and marking scheme; `criterion_ids` and `aspect_ids` follow
/// the scheme's order.
#[derive(Clone, Debug, PartialEq)]
pub struct SkillRecord {
    pub id: Uuid,
    pub position: i32,
    pub spec: SkillSpec,
    pub state: SkillState,
    pub version: i64,
    pub criterion_ids: Vec<Uuid>,
    pub aspect_ids: Vec<Uuid>,
    pub accepted_gaps: Option<super::completeness::AcceptedGaps>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EntryRecord {
    pub id: Uuid,
    pub skill_id: Uuid,
    pub delegation_id: Uuid,
    pub code: String,
    pub members: Vec<String>,
    pub status: EntryStatus,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JudgeRecord {
    pub id: Uuid,
    pub delegation_id: Uuid,
    pub code: String,
    pub name: String,
    pub role: JudgeRole,
    pub skill_ids: Vec<Uuid>,
    /// SHA-256 (hex) of the judge's unused one-time code.
    pub login_code_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MarkRecord {
    /// The server's storage order; 0 until the store assigns it.
    pub seq: i64,
    pub id: Uuid,
    pub skill_id: Uuid,
    pub entry_id: Uuid,
    pub aspect_id: Uuid,
    pub judge_id: Uuid,
    pub value: Centi,
    pub reason: Option<String>,
    pub supersedes: Option<Uuid>,
    pub entered_by: String,
    pub created_at: DateTime<Utc>,
    /// The skill's version this mark was stored with.
    pub skill_version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VoidRecord {
    pub mark_id: Uuid,
    pub skill_id: Uuid,
    pub reason: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub skill_version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OverrideRecord {
    pub id: Uuid,
    pub skill_id: Uuid,
    pub entry_id: Uuid,
    pub aspect_id: Uuid,
    pub judge_id: Option<Uuid>,
    pub reason: String,
    /// The last mark seq of the skill the override covers.
    pub covers_seq: i64,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

/// A log-in session; only the SHA-256 of its bearer token is kept.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    pub id: Uuid,
    pub token_hash: String,
    pub role: crate::domain::kinds::Role,
    pub account_id: Option<Uuid>,
    pub judge_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Everything one competition's model is built from. Marks are in storage order.
#[derive(Clone, Debug, PartialEq)]
pub struct Records {
    pub competition: CompetitionRecord,
    pub delegations: Vec<DelegationRecord>,
    pub skills: Vec<SkillRecord>,
    pub entries: Vec<EntryRecord>,
    pub judges: Vec<JudgeRecord>,
    pub marks: Vec<MarkRecord>,
    pub voids: Vec<VoidRecord>,
    pub overrides: Vec<OverrideRecord>,
    /// The closing ceremony's plan and place, if one is planned.
    pub ceremony: Option<super::ceremony::Ceremony>,
}
