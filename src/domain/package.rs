//! The competition package (`podium.competition/1`): its JSON shape, and validation into
//! a resolved plan that names every offence at once (a package is all or nothing).
use super::Code;
use super::decimal::{Centi, DecimalError};
use super::kinds::{
    AggregationMethod, AspectKind, EntryStatus, JudgeRole, MedalOrder, SkillState, Standardise, TieBreak,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub const FORMAT: &str = "podium.competition/1";

/// One thing wrong with an input, addressed by a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Offence {
    pub pointer: String,
    pub code: String,
    pub detail: String,
}

impl Offence {
    pub fn new(pointer: impl Into<String>, code: &str, detail: impl Into<String>) -> Offence {
        Offence { pointer: pointer.into(), code: code.to_owned(), detail: detail.into() }
    }
}

/// Collects offences while validating, so a caller hears of every one.
#[derive(Default, Debug)]
pub struct Offences(pub Vec<Offence>);

impl Offences {
    pub fn push(&mut self, pointer: impl Into<String>, code: &str, detail: impl Into<String>) {
        self.0.push(Offence::new(pointer, code, detail));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn code(&mut self, pointer: &str, text: &str) -> Option<Code> {
        match Code::parse(text) {
            Ok(code) => Some(code),
            Err(why) => {
                self.push(pointer, "invalid_code", format!("'{text}' {why}"));
                None
            }
        }
    }

    pub fn text(&mut self, pointer: &str, text: &str, max: usize) -> String {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            self.push(pointer, "required", "must not be empty");
        } else if trimmed.chars().count() > max {
            self.push(pointer, "too_long", format!("must be at most {max} characters"));
        }
        trimmed.to_owned()
    }

    pub fn decimal(&mut self, pointer: &str, value: &serde_json::Value) -> Option<Centi> {
        match Centi::from_json(value) {
            Ok(centi) => Some(centi),
            Err(DecimalError::TooPrecise) => {
                self.push(pointer, "too_precise", "at most 2 decimals are allowed");
                None
            }
            Err(error) => {
                self.push(pointer, "invalid_number", format!("{value} is {error}"));
                None
            }
        }
    }

    pub fn choice<T>(&mut self, pointer: &str, text: &str, parse: fn(&str) -> Option<T>, choices: String) -> Option<T> {
        let parsed = parse(text);
        if parsed.is_none() {
            self.push(pointer, "invalid_choice", format!("'{text}' is not one of: {choices}"));
        }
        parsed
    }
}

// ---------------------------------------------------------------- the JSON shape

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetitionInput {
    pub code: String,
    pub name: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<String>,
    #[serde(default = "default_language")]
    pub default_language: String,
    #[serde(default = "default_medal_order")]
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

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DelegationInput {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub names: HashMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AggregationInput {
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
}

impl Default for AggregationInput {
    fn default() -> Self {
        AggregationInput { method: "mean".into(), k: None }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkillInput {
    pub code: String,
    pub name: String,
    #[serde(default = "one")]
    pub team_size: u32,
    #[serde(default = "none_text")]
    pub standardise: String,
    #[serde(default = "zero_value")]
    #[schema(value_type = String)]
    pub tie_tolerance: serde_json::Value,
    #[serde(default = "none_text")]
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

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionInput {
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub aspects: Vec<AspectInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AspectInput {
    pub code: String,
    #[serde(default)]
    pub description: String,
    pub kind: String,
    #[schema(value_type = String)]
    pub max: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntryInput {
    pub code: String,
    pub skill: String,
    pub delegation: String,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JudgeInput {
    pub code: String,
    pub name: String,
    pub delegation: String,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default = "judge_text")]
    pub role: String,
}

fn judge_text() -> String {
    "judge".into()
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverrideInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    pub entry: String,
    pub aspect: String,
    pub reason: String,
}

// ---------------------------------------------------------------- validated form

#[derive(Clone, Debug, PartialEq)]
pub struct CompetitionSpec {
    pub code: Code,
    pub name: String,
    pub timezone: String,
    pub starts_on: Option<chrono::NaiveDate>,
    pub ends_on: Option<chrono::NaiveDate>,
    pub default_language: String,
    pub medal_order: MedalOrder,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DelegationSpec {
    pub code: Code,
    pub name: String,
    pub names: HashMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AspectSpec {
    pub code: Code,
    pub description: String,
    pub kind: AspectKind,
    pub max: Centi,
    /// Judgement panel size (None for measurements).
    pub panel: Option<u32>,
    pub binary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CriterionSpec {
    pub code: Code,
    pub name: String,
    pub aspects: Vec<AspectSpec>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SkillSpec {
    pub code: Code,
    pub name: String,
    pub team_size: u32,
    pub standardise: Standardise,
    pub scale_centre: Centi,
    pub scale_step: Centi,
    pub tie_tolerance: Centi,
    pub tie_break: TieBreak,
    pub max_judgement_spread: u32,
    pub aggregation: AggregationMethod,
    pub aggregation_k: u32,
    pub excellence_threshold: Option<Centi>,
    pub min_entries_for_medals: u32,
    pub criteria: Vec<CriterionSpec>,
}

impl SkillSpec {
    pub fn aspects(&self) -> impl Iterator<Item = &AspectSpec> {
        self.criteria.iter().flat_map(|c| c.aspects.iter())
    }

    pub fn aspect(&self, code: &str) -> Option<&AspectSpec> {
        self.aspects().find(|a| a.code.as_str() == code)
    }
}

/// Checks a mark value against its aspect (SCORING.md §1).
pub fn check_value(aspect: &AspectSpec, value: Centi) -> Result<(), (&'static str, String)> {
    match aspect.kind {
        AspectKind::Judgement => match value.whole() {
            Some(0..=3) => Ok(()),
            _ => Err(("invalid_score", format!("a judgement score is an integer 0..3, not {value}"))),
        },
        AspectKind::Measurement if aspect.binary => {
            if value == Centi::ZERO || value == aspect.max {
                Ok(())
            } else {
                Err(("out_of_range", format!("a binary measurement is 0.00 or {}, not {value}", aspect.max)))
            }
        }
        AspectKind::Measurement => {
            if value >= Centi::ZERO && value <= aspect.max {
                Ok(())
            } else {
                Err(("out_of_range", format!("must be between 0.00 and {}, not {value}", aspect.max)))
            }
        }
    }
}

impl SkillInput {
    /// Validates a skill's settings and marking scheme; offences are reported under `at`.
    pub fn validate(&self, at: &str, offences: &mut Offences) -> Option<SkillSpec> {
        let before = offences.0.len();
        let code = offences.code(&format!("{at}/code"), &self.code);
        let name = offences.text(&format!("{at}/name"), &self.name, 200);
        if self.team_size == 0 {
            offences.push(format!("{at}/team_size"), "out_of_range", "must be at least 1");
        }
        let standardise = offences.choice(
            &format!("{at}/standardise"),
            &self.standardise,
            Standardise::parse,
            Standardise::choices(),
        );
        let tie_break =
            offences.choice(&format!("{at}/tie_break"), &self.tie_break, TieBreak::parse, TieBreak::choices());
        let tie_tolerance = offences.decimal(&format!("{at}/tie_tolerance"), &self.tie_tolerance);
        if tie_tolerance.is_some_and(|t| t < Centi::ZERO) {
            offences.push(format!("{at}/tie_tolerance"), "out_of_range", "must not be negative");
        }
        let aggregation = offences.choice(
            &format!("{at}/judgement_aggregation/method"),
            &self.judgement_aggregation.method,
            AggregationMethod::parse,
            AggregationMethod::choices(),
        );
        let aggregation_k = match (aggregation, self.judgement_aggregation.k) {
            (Some(AggregationMethod::Trimmed), Some(k)) => k,
            (Some(AggregationMethod::Trimmed), None) => {
                offences.push(format!("{at}/judgement_aggregation/k"), "required", "trimmed needs k");
                0
            }
            _ => 0,
        };
        let excellence_threshold = self
            .excellence_threshold
            .as_ref()
            .filter(|v| !v.is_null())
            .and_then(|v| offences.decimal(&format!("{at}/excellence_threshold"), v));
        let scale_centre = match &self.scale_centre {
            Some(v) if !v.is_null() => offences.decimal(&format!("{at}/scale_centre"), v),
            _ => Some(Centi::from_units(700)),
        };
        let scale_step = match &self.scale_step {
            Some(v) if !v.is_null() => offences.decimal(&format!("{at}/scale_step"), v),
            _ => Some(Centi::from_units(30)),
        };
        if scale_step.is_some_and(|s| s <= Centi::ZERO) {
            offences.push(format!("{at}/scale_step"), "out_of_range", "must be greater than 0");
        }
        let mut criteria = Vec::new();
        let mut criterion_codes = HashSet::new();
        let mut aspect_codes = HashSet::new();
        for (ci, criterion) in self.criteria.iter().enumerate() {
            let cat = format!("{at}/criteria/{ci}");
            let ccode = offences.code(&format!("{cat}/code"), &criterion.code);
            if let Some(c) = &ccode
                && !criterion_codes.insert(c.clone())
            {
                offences.push(format!("{cat}/code"), "duplicate_code", format!("criterion '{c}' appears twice"));
            }
            let mut aspects = Vec::new();
            for (ai, aspect) in criterion.aspects.iter().enumerate() {
                let aat = format!("{cat}/aspects/{ai}");
                let acode = offences.code(&format!("{aat}/code"), &aspect.code);
                if let Some(a) = &acode
                    && !aspect_codes.insert(a.clone())
                {
                    offences.push(format!("{aat}/code"), "duplicate_code", format!("aspect '{a}' appears twice"));
                }
                let kind =
                    offences.choice(&format!("{aat}/kind"), &aspect.kind, AspectKind::parse, AspectKind::choices());
                let max = offences.decimal(&format!("{aat}/max"), &aspect.max);
                if max.is_some_and(|m| m <= Centi::ZERO) {
                    offences.push(format!("{aat}/max"), "out_of_range", "max must be greater than 0");
                }
                let binary = match aspect.mode.as_deref() {
                    None => false,
                    Some("binary") if kind == Some(AspectKind::Measurement) => true,
                    Some(other) => {
                        offences.push(
                            format!("{aat}/mode"),
                            "invalid_choice",
                            format!("mode '{other}' is allowed only as 'binary' on a measurement"),
                        );
                        false
                    }
                };
                let panel = match kind {
                    Some(AspectKind::Judgement) => {
                        let panel = aspect.panel.unwrap_or(3);
                        if panel == 0 {
                            offences.push(format!("{aat}/panel"), "out_of_range", "panel must be at least 1");
                        }
                        Some(panel)
                    }
                    _ => None,
                };
                if let (Some(code), Some(kind), Some(max)) = (acode, kind, max) {
                    let description = aspect.description.trim().to_owned();
                    aspects.push(AspectSpec { code, description, kind, max, panel, binary });
                }
            }
            if let Some(code) = ccode {
                criteria.push(CriterionSpec { code, name: criterion.name.trim().to_owned(), aspects });
            }
        }
        if offences.0.len() > before {
            return None;
        }
        Some(SkillSpec {
            code: code?,
            name,
            team_size: self.team_size,
            standardise: standardise?,
            scale_centre: scale_centre?,
            scale_step: scale_step?,
            tie_tolerance: tie_tolerance?,
            tie_break: tie_break?,
            max_judgement_spread: self.max_judgement_spread,
            aggregation: aggregation?,
            aggregation_k,
            excellence_threshold,
            min_entries_for_medals: self.min_entries_for_medals,
            criteria,
        })
    }
}

impl CompetitionInput {
    pub fn validate(&self, at: &str, offences: &mut Offences) -> Option<CompetitionSpec> {
        let before = offences.0.len();
        let code = offences.code(&format!("{at}/code"), &self.code);
        let name = offences.text(&format!("{at}/name"), &self.name, 200);
        let timezone = offences.text(&format!("{at}/timezone"), &self.timezone, 64);
        let medal_order =
            offences.choice(&format!("{at}/medal_order"), &self.medal_order, MedalOrder::parse, MedalOrder::choices());
        let mut date = |field: &str, value: &Option<String>| {
            value.as_ref().and_then(|text| match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    offences.push(
                        format!("{at}/{field}"),
                        "invalid_date",
                        format!("'{text}' is not a YYYY-MM-DD date"),
                    );
                    None
                }
            })
        };
        let starts_on = date("starts_on", &self.starts_on);
        let ends_on = date("ends_on", &self.ends_on);
        if let (Some(s), Some(e)) = (starts_on, ends_on)
            && e < s
        {
            offences.push(format!("{at}/ends_on"), "out_of_range", "ends before it starts");
        }
        let default_language = offences.text(&format!("{at}/default_language"), &self.default_language, 16);
        if offences.0.len() > before {
            return None;
        }
        Some(CompetitionSpec {
            code: code?,
            name,
            timezone,
            starts_on,
            ends_on,
            default_language,
            medal_order: medal_order?,
        })
    }
}

impl DelegationInput {
    pub fn validate(&self, at: &str, offences: &mut Offences) -> Option<DelegationSpec> {
        let code = offences.code(&format!("{at}/code"), &self.code);
        let name = offences.text(&format!("{at}/name"), &self.name, 200);
        Some(DelegationSpec { code: code?, name, names: self.names.clone() })
    }
}

// ---------------------------------------------------------------- the whole package

#[derive(Clone, Debug, PartialEq)]
pub struct EntryPlan {
    pub code: Code,
    pub skill: usize,
    pub delegation: usize,
    pub members: Vec<String>,
    pub status: EntryStatus,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JudgePlan {
    pub code: Code,
    pub name: String,
    pub delegation: usize,
    pub skills: Vec<usize>,
    pub role: JudgeRole,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MarkPlan {
    pub id: Uuid,
    pub judge: usize,
    pub entry: usize,
    /// Index of the aspect in the entry's skill, in scheme order.
    pub aspect: usize,
    pub value: Centi,
    pub reason: Option<String>,
    pub void: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OverridePlan {
    pub judge: Option<usize>,
    pub entry: usize,
    pub aspect: usize,
    pub reason: String,
}

/// A validated package: everything resolved to indices, nothing left to check but the
/// rules that need the scoring engine (open discrepancies of published skills).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPlan {
    pub competition: CompetitionSpec,
    pub delegations: Vec<DelegationSpec>,
    pub skills: Vec<SkillSpec>,
    /// Target state of each skill (`published[]` or `skills[].state`).
    pub states: Vec<SkillState>,
    pub entries: Vec<EntryPlan>,
    pub judges: Vec<JudgePlan>,
    pub marks: Vec<MarkPlan>,
    pub overrides: Vec<OverridePlan>,
}

fn index_codes<'a>(
    kind: &str,
    at: &str,
    codes: impl Iterator<Item = &'a str>,
    offences: &mut Offences,
) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, code) in codes.enumerate() {
        if map.insert(code.to_owned(), i).is_some() {
            offences.push(format!("/{at}/{i}/code"), "duplicate_code", format!("{kind} '{code}' appears twice"));
        }
    }
    map
}

fn resolve(
    map: &HashMap<String, usize>,
    pointer: String,
    kind: &str,
    code: &str,
    offences: &mut Offences,
) -> Option<usize> {
    let found = map.get(code).copied();
    if found.is_none() {
        offences.push(pointer, "unknown_code", format!("no {kind} '{code}'"));
    }
    found
}

impl Package {
    /// Validates the whole package, naming every offence.
    pub fn validate(&self) -> Result<ImportPlan, Vec<Offence>> {
        let mut offences = Offences::default();
        if self.format != FORMAT {
            offences.push("/format", "unsupported_format", format!("expected '{FORMAT}', got '{}'", self.format));
        }
        let competition = self.competition.validate("/competition", &mut offences);
        let delegations: Vec<_> = self
            .delegations
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.validate(&format!("/delegations/{i}"), &mut offences))
            .collect();
        // Kept aligned with the package (None where invalid), so that later items can
        // still be checked against the valid ones and every offence is named at once.
        let skills: Vec<Option<SkillSpec>> =
            self.skills.iter().enumerate().map(|(i, s)| s.validate(&format!("/skills/{i}"), &mut offences)).collect();
        let delegation_ix =
            index_codes("delegation", "delegations", self.delegations.iter().map(|d| d.code.as_str()), &mut offences);
        let skill_ix = index_codes("skill", "skills", self.skills.iter().map(|s| s.code.as_str()), &mut offences);
        let entry_ix = index_codes("entry", "entries", self.entries.iter().map(|e| e.code.as_str()), &mut offences);
        let judge_ix = index_codes("judge", "judges", self.judges.iter().map(|j| j.code.as_str()), &mut offences);

        let mut entries = Vec::new();
        for (i, entry) in self.entries.iter().enumerate() {
            let at = format!("/entries/{i}");
            let code = offences.code(&format!("{at}/code"), &entry.code);
            let skill = resolve(&skill_ix, format!("{at}/skill"), "skill", &entry.skill, &mut offences);
            let delegation =
                resolve(&delegation_ix, format!("{at}/delegation"), "delegation", &entry.delegation, &mut offences);
            let status = match &entry.status {
                None => Some(EntryStatus::Active),
                Some(s) => offences.choice(&format!("{at}/status"), s, EntryStatus::parse, EntryStatus::choices()),
            };
            let members: Vec<String> = entry.members.iter().map(|m| m.trim().to_owned()).collect();
            for (mi, member) in members.iter().enumerate() {
                if member.is_empty() {
                    offences.push(format!("{at}/members/{mi}"), "required", "a member needs a name");
                }
            }
            if let Some(Some(spec)) = skill.map(|s| &skills[s])
                && members.len() != spec.team_size as usize
            {
                offences.push(
                    format!("{at}/members"),
                    "team_size",
                    format!("skill '{}' takes {} member(s), got {}", entry.skill, spec.team_size, members.len()),
                );
            }
            entries.push(match (code, skill, delegation, status) {
                (Some(code), Some(skill), Some(delegation), Some(status)) => {
                    Some(EntryPlan { code, skill, delegation, members, status })
                }
                _ => None,
            });
        }

        let mut judges = Vec::new();
        for (i, judge) in self.judges.iter().enumerate() {
            let at = format!("/judges/{i}");
            let code = offences.code(&format!("{at}/code"), &judge.code);
            let name = offences.text(&format!("{at}/name"), &judge.name, 200);
            let delegation =
                resolve(&delegation_ix, format!("{at}/delegation"), "delegation", &judge.delegation, &mut offences);
            let role = offences.choice(&format!("{at}/role"), &judge.role, JudgeRole::parse, JudgeRole::choices());
            let mut judge_skills = Vec::new();
            for (si, skill) in judge.skills.iter().enumerate() {
                if let Some(s) = resolve(&skill_ix, format!("{at}/skills/{si}"), "skill", skill, &mut offences)
                    && !judge_skills.contains(&s)
                {
                    judge_skills.push(s);
                }
            }
            judges.push(match (code, delegation, role) {
                (Some(code), Some(delegation), Some(role)) => {
                    Some(JudgePlan { code, name, delegation, skills: judge_skills, role })
                }
                _ => None,
            });
        }

        let mut marks = Vec::new();
        let mut mark_ids = HashSet::new();
        {
            for (i, mark) in self.marks.iter().enumerate() {
                let at = format!("/marks/{i}");
                let id = match &mark.id {
                    None => Some(Uuid::now_v7()),
                    Some(text) => match Uuid::parse_str(text) {
                        Ok(id) if mark_ids.insert(id) => Some(id),
                        Ok(_) => {
                            offences.push(format!("{at}/id"), "duplicate_id", format!("mark id {text} appears twice"));
                            None
                        }
                        Err(_) => {
                            offences.push(format!("{at}/id"), "invalid_id", format!("'{text}' is not a UUID"));
                            None
                        }
                    },
                };
                let judge = resolve(&judge_ix, format!("{at}/judge"), "judge", &mark.judge, &mut offences);
                let entry = resolve(&entry_ix, format!("{at}/entry"), "entry", &mark.entry, &mut offences);
                let value = offences.decimal(&format!("{at}/value"), &mark.value);
                // Checks that depend on an invalid entry, skill or judge are skipped: that
                // one's own offence is named already.
                let Some((entry, Some(plan))) = entry.map(|e| (e, &entries[e])) else { continue };
                let Some(skill) = &skills[plan.skill] else { continue };
                let aspect = skill.aspects().position(|a| a.code.as_str() == mark.aspect);
                if aspect.is_none() {
                    offences.push(
                        format!("{at}/aspect"),
                        "unknown_code",
                        format!("skill '{}' has no aspect '{}'", skill.code, mark.aspect),
                    );
                }
                if let Some(Some(judge)) = judge.map(|j| &judges[j]) {
                    if !judge.skills.contains(&plan.skill) {
                        offences.push(
                            format!("{at}/judge"),
                            "judge_not_assigned",
                            format!("judge '{}' is not assigned to skill '{}'", judge.code, skill.code),
                        );
                    }
                    if judge.delegation == plan.delegation {
                        offences.push(
                            format!("{at}/judge"),
                            "own_delegation",
                            format!(
                                "judge '{}' may not mark '{}', an entry of their own delegation",
                                judge.code, mark.entry
                            ),
                        );
                    }
                }
                if let (Some(a), Some(v)) = (aspect, value)
                    && let Some(spec) = skill.aspects().nth(a)
                    && let Err((code, detail)) = check_value(spec, v)
                {
                    offences.push(format!("{at}/value"), code, detail);
                }
                let void = if mark.void {
                    Some(mark.void_reason.clone().unwrap_or_else(|| "voided (imported)".into()))
                } else {
                    None
                };
                if let (Some(id), Some(judge), Some(aspect), Some(value)) = (id, judge, aspect, value) {
                    let reason = mark.reason.clone().filter(|r| !r.trim().is_empty());
                    marks.push(MarkPlan { id, judge, entry, aspect, value, reason, void });
                }
            }
        }

        let mut overrides = Vec::new();
        {
            for (i, o) in self.overrides.iter().enumerate() {
                let at = format!("/overrides/{i}");
                let entry = resolve(&entry_ix, format!("{at}/entry"), "entry", &o.entry, &mut offences);
                let judge = o
                    .judge
                    .as_ref()
                    .and_then(|code| resolve(&judge_ix, format!("{at}/judge"), "judge", code, &mut offences));
                let reason = offences.text(&format!("{at}/reason"), &o.reason, 2000);
                let Some((entry, Some(plan))) = entry.map(|e| (e, &entries[e])) else { continue };
                let skill = plan.skill;
                let Some(spec) = &skills[skill] else { continue };
                let aspect = spec.aspects().position(|a| a.code.as_str() == o.aspect);
                if aspect.is_none() {
                    offences.push(format!("{at}/aspect"), "unknown_code", format!("no aspect '{}'", o.aspect));
                }
                if let Some(Some(j)) = judge.map(|j| &judges[j])
                    && (j.role != JudgeRole::Chief || !j.skills.contains(&skill))
                {
                    offences.push(format!("{at}/judge"), "not_chief", "only the skill's chief judge may override");
                }
                if let Some(aspect) = aspect {
                    overrides.push(OverridePlan { judge, entry, aspect, reason });
                }
            }
        }

        let mut states = vec![SkillState::Setup; self.skills.len()];
        for (i, skill) in self.skills.iter().enumerate() {
            if let Some(state) = &skill.state
                && let Some(s) =
                    offences.choice(&format!("/skills/{i}/state"), state, SkillState::parse, SkillState::choices())
            {
                states[i] = s;
            }
        }
        for (i, code) in self.published.iter().enumerate() {
            if let Some(s) = resolve(&skill_ix, format!("/published/{i}"), "skill", code, &mut offences) {
                states[s] = SkillState::Published;
            }
        }
        let (Some(competition), true) = (competition, offences.is_empty()) else {
            return Err(offences.0);
        };
        // No offence: every item is valid, and indices are those of the package.
        let skills: Vec<SkillSpec> = skills.into_iter().flatten().collect();
        let entries: Vec<EntryPlan> = entries.into_iter().flatten().collect();
        let judges: Vec<JudgePlan> = judges.into_iter().flatten().collect();
        // A skill with marks is at least being marked.
        for mark in &marks {
            let s = entries[mark.entry].skill;
            if states[s] == SkillState::Setup {
                states[s] = SkillState::Marking;
            }
        }
        Ok(ImportPlan { competition, delegations, skills, states, entries, judges, marks, overrides })
    }
}
