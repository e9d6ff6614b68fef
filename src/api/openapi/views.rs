//! The shapes of the JSON views (`crate::view`, `competitions::detail`, the handlers' `json!`
//! bodies), for the OpenAPI document only: those views are built as `serde_json::Value`, so
//! their schemas are written here by hand. `tests/openapi_fuzz.rs` checks every response
//! against them.
use crate::domain::kinds::{
    AggregationMethod, AspectKind, EntryStatus, JudgeRole, MedalOrder, SkillState, Standardise, TieBreak,
};
use crate::domain::signoff::AcceptedGaps;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// An exact decimal, always with 2 decimals (`"75.70"`).
#[derive(ToSchema)]
#[schema(example = "75.70")]
pub struct Decimal2(pub String);

/// Marks entered and expected (over active entries).
#[derive(ToSchema)]
pub struct Progress {
    pub marked: u32,
    pub expected: u32,
}

#[derive(ToSchema)]
pub struct DelegationView {
    pub code: String,
    pub name: String,
    /// The name by language (`{"zh": "中国"}`).
    pub names: BTreeMap<String, String>,
}

#[derive(ToSchema)]
pub struct SkillSummary {
    pub code: String,
    pub name: String,
    /// Translations by language tag (`{"zh": "…", "ru": "…"}`).
    pub names: BTreeMap<String, String>,
    pub team_size: u32,
    pub state: SkillState,
    pub standardise: Standardise,
    pub progress: Progress,
}

/// A competition's settings, delegations and skills.
#[derive(ToSchema)]
pub struct CompetitionDetail {
    pub code: String,
    pub name: String,
    /// Translations by language tag (`{"zh": "…", "ru": "…"}`).
    pub names: BTreeMap<String, String>,
    pub timezone: String,
    #[schema(required)]
    pub starts_on: Option<NaiveDate>,
    #[schema(required)]
    pub ends_on: Option<NaiveDate>,
    pub default_language: String,
    pub medal_order: MedalOrder,
    pub delegations: Vec<DelegationView>,
    pub skills: Vec<SkillSummary>,
}

#[derive(ToSchema)]
pub struct AggregationView {
    pub method: AggregationMethod,
    /// Scores dropped at each end by `trimmed`.
    pub k: u32,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum AspectMode {
    Binary,
}

#[derive(ToSchema)]
pub struct AspectView {
    pub code: String,
    pub description: String,
    /// Translations by language tag (`{"zh": "…", "ru": "…"}`).
    pub names: BTreeMap<String, String>,
    pub kind: AspectKind,
    pub max: Decimal2,
    /// Judgement panel size; null for measurements.
    #[schema(required)]
    pub panel: Option<u32>,
    /// `binary` for a yes/no aspect (0 or max); null otherwise.
    #[schema(required)]
    pub mode: Option<AspectMode>,
}

#[derive(ToSchema)]
pub struct CriterionView {
    pub code: String,
    pub name: String,
    /// Translations by language tag (`{"zh": "…", "ru": "…"}`).
    pub names: BTreeMap<String, String>,
    pub aspects: Vec<AspectView>,
}

/// A skill's settings and marking scheme.
#[derive(ToSchema)]
pub struct SkillView {
    pub code: String,
    pub name: String,
    /// Translations by language tag (`{"zh": "…", "ru": "…"}`).
    pub names: BTreeMap<String, String>,
    pub team_size: u32,
    pub state: SkillState,
    pub standardise: Standardise,
    pub scale_centre: Decimal2,
    pub scale_step: Decimal2,
    pub tie_tolerance: Decimal2,
    pub tie_break: TieBreak,
    pub max_judgement_spread: u32,
    pub judgement_aggregation: AggregationView,
    #[schema(required)]
    pub excellence_threshold: Option<Decimal2>,
    pub min_entries_for_medals: u32,
    /// Marks stored for the skill (its scheme is fixed once there is one).
    pub marks: u32,
    pub criteria: Vec<CriterionView>,
}

#[derive(ToSchema)]
pub struct EntryView {
    pub code: String,
    pub skill: String,
    pub delegation: String,
    pub members: Vec<String>,
    pub status: EntryStatus,
}

#[derive(ToSchema)]
pub struct JudgeView {
    pub code: String,
    pub name: String,
    pub delegation: String,
    pub skills: Vec<String>,
    pub role: JudgeRole,
    /// A one-time code was issued and not used yet.
    pub has_login_code: bool,
}

/// How many rows a CSV import created.
#[derive(ToSchema)]
pub struct Created {
    pub created: u32,
}

/// A judge's one-time log-in code: shown this once.
#[derive(ToSchema)]
pub struct LoginCode {
    pub judge: String,
    pub code: String,
}

/// A stored mark.
#[derive(ToSchema)]
pub struct MarkView {
    pub id: Uuid,
    pub seq: i64,
    pub skill: String,
    pub entry: String,
    pub aspect: String,
    pub judge: String,
    pub value: Decimal2,
    #[schema(required)]
    pub reason: Option<String>,
    /// The mark this one corrects.
    #[schema(required)]
    pub supersedes: Option<Uuid>,
    /// Who typed it: the judge, or the organizer or chief entering it for them.
    pub entered_by: String,
    pub created_at: DateTime<Utc>,
    pub void: bool,
    #[schema(required)]
    pub void_reason: Option<String>,
    /// The caller's own mark (a judge also sees the panel's current measurements).
    pub own: bool,
}

/// The state of the skill a judging write changed.
#[derive(ToSchema)]
pub struct SkillStateView {
    pub skill: String,
    pub state: SkillState,
}

#[derive(ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(required)]
    pub skill: Option<String>,
    /// The record before the change, as stored (any JSON).
    #[schema(required)]
    pub before: Option<serde_json::Value>,
    /// The record after the change, as stored (any JSON).
    #[schema(required)]
    pub after: Option<serde_json::Value>,
    #[schema(required)]
    pub reason: Option<String>,
}

#[derive(ToSchema)]
pub struct AuditLog {
    pub events: Vec<AuditEventView>,
}

/// A judgement panel whose spread exceeds the skill's limit.
#[derive(ToSchema)]
pub struct DiscrepancyView {
    pub entry: String,
    pub aspect: String,
    /// `[judge, score]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub scores: Vec<(String, String)>,
    /// An exact decimal.
    pub spread: String,
    pub overridden: bool,
}

#[derive(ToSchema)]
pub struct Discrepancies {
    pub skill: String,
    /// Flags no override covers: locking is refused while this is not 0.
    pub open: u32,
    pub discrepancies: Vec<DiscrepancyView>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum MedalView {
    Gold,
    Silver,
    Bronze,
    Excellence,
}

/// One ranked (or withdrawn, or disqualified) entry.
#[derive(ToSchema)]
pub struct ResultRow {
    pub entry: String,
    pub delegation: String,
    pub members: Vec<String>,
    pub raw: Decimal2,
    #[schema(required)]
    pub scaled: Option<Decimal2>,
    #[schema(required)]
    pub rank: Option<u32>,
    #[schema(required)]
    pub medal: Option<MedalView>,
    pub status: EntryStatus,
    /// Criterion subtotals by criterion code.
    pub criteria: BTreeMap<String, Decimal2>,
    pub provisional: bool,
    pub gaps_accepted: bool,
    pub marked: u32,
    pub expected: u32,
}

/// A skill's header, and its results when the caller may see them.
#[derive(ToSchema)]
pub struct SkillResults {
    pub skill: String,
    pub name: String,
    pub state: SkillState,
    /// Published: the results are official.
    pub official: bool,
    pub progress: Progress,
    /// Absent while the caller may not see the results yet.
    pub results: Option<Vec<ResultRow>>,
    pub median: Option<Decimal2>,
    pub mad: Option<Decimal2>,
    /// The gaps accepted when the skill was signed off incomplete.
    pub accepted_gaps: Option<AcceptedGaps>,
}

#[derive(ToSchema)]
pub struct SkillProgress {
    pub skill: String,
    pub name: String,
    /// Translations by language tag (`{"zh": "…", "ru": "…"}`).
    pub names: BTreeMap<String, String>,
    pub state: SkillState,
    pub marked: u32,
    pub expected: u32,
    /// Marks have and needed per criterion.
    pub criteria: Vec<CriterionProgress>,
    /// Criteria whose every active entry has all its marks.
    pub criteria_done: u32,
    /// Marks entered per minute in the ten minutes up to the skill's latest one.
    pub activity: Vec<MinuteActivity>,
    /// Marks stored in the last ten minutes (server clock).
    pub recent_marks: u32,
}

#[derive(ToSchema)]
pub struct CriterionProgress {
    pub code: String,
    pub name: String,
    /// Translations by language tag (`{"zh": "…", "ru": "…"}`).
    pub names: BTreeMap<String, String>,
    pub marked: u32,
    pub expected: u32,
    pub done: bool,
}

#[derive(ToSchema)]
pub struct MinuteActivity {
    /// The minute's start.
    pub at: DateTime<Utc>,
    pub marks: u32,
}

#[derive(ToSchema)]
pub struct MedalRowView {
    pub delegation: String,
    pub name: String,
    pub names: BTreeMap<String, String>,
    pub gold: u32,
    pub silver: u32,
    pub bronze: u32,
    pub excellence: u32,
    pub total: u32,
    pub points: u32,
    pub rank: u32,
    /// Another row holds the same rank.
    pub shared: bool,
}

#[derive(ToSchema)]
pub struct MedalTable {
    pub order: MedalOrder,
    pub rows: Vec<MedalRowView>,
}

/// An entry holding a cross-skill award.
#[derive(ToSchema)]
pub struct StandoutView {
    pub skill: String,
    pub entry: String,
    pub delegation: String,
    /// An exact decimal.
    pub score: String,
}

#[derive(ToSchema)]
pub struct NationBestView {
    pub delegation: String,
    pub score: String,
    pub entries: Vec<StandoutView>,
}

#[derive(ToSchema)]
pub struct TopScoreView {
    pub score: String,
    pub entries: Vec<StandoutView>,
}

#[derive(ToSchema)]
pub struct Awards {
    pub best_of_nation: Vec<NationBestView>,
    #[schema(required)]
    pub top_score: Option<TopScoreView>,
}

/// How a table is sent.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}
