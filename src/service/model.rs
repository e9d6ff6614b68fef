//! The in-memory model of one competition: structure, every mark, and the computed
//! results of each skill. Immutable once built; the engine replaces a skill (or the
//! whole competition) with a new value after each committed write, so readers never wait.
use crate::domain::kinds::{AspectKind, EntryStatus, JudgeRole, MedalOrder, SkillState};
use crate::domain::package::{AspectSpec, CriterionSpec, SkillSpec};
use crate::domain::{Centi, Code};
use crate::scoring;
use crate::store::competition::CompetitionRows;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Delegation {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub names: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Uuid,
    pub code: String,
    /// The code again, shared with the scoring engine's marks without allocating.
    pub key: Arc<str>,
    pub skill: usize,
    pub delegation: usize,
    pub members: Vec<String>,
    pub status: EntryStatus,
}

#[derive(Debug, Clone)]
pub struct Judge {
    pub id: Uuid,
    pub code: String,
    pub key: Arc<str>,
    pub name: String,
    pub delegation: usize,
    pub role: JudgeRole,
    pub skills: Vec<usize>,
    pub has_login_code: bool,
}

/// A stored mark, as the scoring engine and the policy need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMark {
    pub seq: i64,
    pub id: Uuid,
    pub entry: usize,
    pub aspect: usize,
    pub judge: usize,
    pub value: Centi,
    pub reason: Option<Arc<str>>,
    pub supersedes: Option<Uuid>,
    pub entered_by: Arc<str>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub void: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredOverride {
    pub entry: usize,
    pub aspect: usize,
    pub covers_seq: i64,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Skill {
    pub id: Uuid,
    pub position: i32,
    pub spec: SkillSpec,
    pub state: SkillState,
    pub version: i64,
    pub criterion_ids: Vec<Uuid>,
    /// Aspect ids in scheme order (the index used by marks).
    pub aspect_ids: Vec<Uuid>,
    pub aspect_ix: HashMap<String, usize>,
    /// Aspect codes in scheme order, shared with the scoring engine's marks.
    pub aspect_keys: Vec<Arc<str>>,
    /// Indices into `Competition::entries`.
    pub entries: Vec<usize>,
    pub marks: Vec<StoredMark>,
    pub overrides: Vec<StoredOverride>,
    pub result: Arc<scoring::SkillResult>,
}

impl Skill {
    pub fn code(&self) -> &str {
        self.spec.code.as_str()
    }

    pub fn aspect(&self, index: usize) -> Option<&AspectSpec> {
        self.spec.aspects().nth(index)
    }

    pub fn aspect_list(&self) -> Vec<&AspectSpec> {
        self.spec.aspects().collect()
    }

    /// The latest non-voided mark that a new mark by `judge` on (entry, aspect) would
    /// supersede: the same judge's for a judgement, anyone's for a measurement.
    pub fn current_mark(&self, entry: usize, aspect: usize, judge: usize) -> Option<&StoredMark> {
        let kind = self.aspect(aspect).map(|a| a.kind);
        self.marks.iter().rev().find(|m| {
            m.void.is_none()
                && m.entry == entry
                && m.aspect == aspect
                && (kind == Some(AspectKind::Measurement) || m.judge == judge)
        })
    }

    pub fn max_seq(&self) -> i64 {
        self.marks.last().map_or(0, |m| m.seq)
    }
}

#[derive(Debug, Clone)]
pub struct Competition {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub timezone: String,
    pub starts_on: Option<chrono::NaiveDate>,
    pub ends_on: Option<chrono::NaiveDate>,
    pub default_language: String,
    pub medal_order: MedalOrder,
    // Shared, so that replacing one skill after a write copies no registration data.
    pub delegations: Arc<Vec<Delegation>>,
    pub skills: Vec<Arc<Skill>>,
    pub entries: Arc<Vec<Entry>>,
    pub judges: Arc<Vec<Judge>>,
    pub index: Arc<Index>,
}

/// Lookups by code and by id (both address things in URLs and packages).
#[derive(Debug, Default)]
pub struct Index {
    pub delegations: HashMap<String, usize>,
    pub skills: HashMap<String, usize>,
    pub entries: HashMap<String, usize>,
    pub judges: HashMap<String, usize>,
}

fn keyed<'a>(items: impl Iterator<Item = (&'a str, Uuid)>) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, (code, id)) in items.enumerate() {
        map.insert(code.to_owned(), i);
        map.insert(id.to_string(), i);
    }
    map
}

impl Competition {
    pub fn delegation(&self, key: &str) -> Option<usize> {
        self.index.delegations.get(key).copied()
    }
    pub fn skill(&self, key: &str) -> Option<usize> {
        self.index.skills.get(key).copied()
    }
    pub fn entry(&self, key: &str) -> Option<usize> {
        self.index.entries.get(key).copied()
    }
    pub fn judge(&self, key: &str) -> Option<usize> {
        self.index.judges.get(key).copied()
    }
    pub fn judge_by_id(&self, id: Uuid) -> Option<usize> {
        self.index.judges.get(&id.to_string()).copied()
    }

    pub fn skill_of_entry(&self, entry: usize) -> &Skill {
        &self.skills[self.entries[entry].skill]
    }

    /// Builds the model from database rows and computes every skill's results.
    pub fn build(rows: CompetitionRows) -> Competition {
        let c = &rows.competition;
        let delegations: Vec<Delegation> = rows
            .delegations
            .iter()
            .map(|d| Delegation { id: d.id, code: d.code.clone(), name: d.name.clone(), names: d.names.clone() })
            .collect();
        let deleg_by_id: HashMap<Uuid, usize> = delegations.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
        let skill_by_id: HashMap<Uuid, usize> = rows.skills.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let mut members: HashMap<Uuid, Vec<String>> = HashMap::new();
        for m in &rows.members {
            members.entry(m.entry_id).or_default().push(m.name.clone());
        }
        let entries: Vec<Entry> = rows
            .entries
            .iter()
            .filter_map(|e| {
                Some(Entry {
                    id: e.id,
                    code: e.code.clone(),
                    key: e.code.as_str().into(),
                    skill: *skill_by_id.get(&e.skill_id)?,
                    delegation: *deleg_by_id.get(&e.delegation_id)?,
                    members: members.remove(&e.id).unwrap_or_default(),
                    status: EntryStatus::parse(&e.status).unwrap_or(EntryStatus::Active),
                })
            })
            .collect();
        let entry_by_id: HashMap<Uuid, usize> = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        let mut judge_skills: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for js in &rows.judge_skills {
            if let Some(s) = skill_by_id.get(&js.skill_id) {
                judge_skills.entry(js.judge_id).or_default().push(*s);
            }
        }
        let judges: Vec<Judge> = rows
            .judges
            .iter()
            .filter_map(|j| {
                let mut skills = judge_skills.remove(&j.id).unwrap_or_default();
                skills.sort_unstable();
                Some(Judge {
                    id: j.id,
                    code: j.code.clone(),
                    key: j.code.as_str().into(),
                    name: j.name.clone(),
                    delegation: *deleg_by_id.get(&j.delegation_id)?,
                    role: JudgeRole::parse(&j.role).unwrap_or(JudgeRole::Judge),
                    skills,
                    has_login_code: j.login_code_hash.is_some(),
                })
            })
            .collect();
        let judge_by_id: HashMap<Uuid, usize> = judges.iter().enumerate().map(|(i, j)| (j.id, i)).collect();
        let voided: HashMap<(Uuid, Uuid), String> =
            rows.voids.iter().map(|v| ((v.skill_id, v.mark_id), v.reason.clone())).collect();

        let mut skills = Vec::new();
        for (si, s) in rows.skills.iter().enumerate() {
            let criteria: Vec<_> = rows.criteria.iter().filter(|c| c.skill_id == s.id).collect();
            let mut aspect_ids = Vec::new();
            let mut spec_criteria = Vec::new();
            for criterion in &criteria {
                let mut aspects = Vec::new();
                for a in rows.aspects.iter().filter(|a| a.criterion_id == criterion.id) {
                    aspect_ids.push(a.id);
                    aspects.push(AspectSpec {
                        code: Code::trusted(a.code.clone()),
                        description: a.description.clone(),
                        kind: AspectKind::parse(&a.kind).unwrap_or(AspectKind::Measurement),
                        max: Centi(a.max_centi),
                        panel: a.panel.map(|p| p.max(1) as u32),
                        binary: a.binary,
                    });
                }
                spec_criteria.push(CriterionSpec {
                    code: Code::trusted(criterion.code.clone()),
                    name: criterion.name.clone(),
                    aspects,
                });
            }
            let spec = crate::store::skill_spec_from_row(s, spec_criteria);
            let aspect_keys: Vec<Arc<str>> = spec.aspects().map(|a| Arc::from(a.code.as_str())).collect();
            let aspect_pos: HashMap<Uuid, usize> = aspect_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            let aspect_ix: HashMap<String, usize> =
                spec.aspects().enumerate().map(|(i, a)| (a.code.to_string(), i)).collect();
            let marks: Vec<StoredMark> = rows
                .marks
                .iter()
                .filter(|m| m.skill_id == s.id)
                .filter_map(|m| {
                    Some(StoredMark {
                        seq: m.seq,
                        id: m.id,
                        entry: *entry_by_id.get(&m.entry_id)?,
                        aspect: *aspect_pos.get(&m.aspect_id)?,
                        judge: *judge_by_id.get(&m.judge_id)?,
                        value: Centi(m.value_centi),
                        reason: m.reason.as_deref().map(Arc::from),
                        supersedes: m.supersedes,
                        entered_by: m.entered_by.as_str().into(),
                        created_at: m.created_at,
                        void: voided.get(&(m.skill_id, m.id)).cloned(),
                    })
                })
                .collect();
            let overrides = rows
                .overrides
                .iter()
                .filter(|o| o.skill_id == s.id)
                .filter_map(|o| {
                    Some(StoredOverride {
                        entry: *entry_by_id.get(&o.entry_id)?,
                        aspect: *aspect_pos.get(&o.aspect_id)?,
                        covers_seq: o.covers_seq,
                        reason: o.reason.clone(),
                    })
                })
                .collect();
            skills.push(Skill {
                id: s.id,
                position: s.position,
                spec,
                state: SkillState::parse(&s.state).unwrap_or(SkillState::Setup),
                version: s.version,
                criterion_ids: criteria.iter().map(|c| c.id).collect(),
                aspect_ids,
                aspect_ix,
                aspect_keys,
                entries: entries.iter().enumerate().filter(|(_, e)| e.skill == si).map(|(i, _)| i).collect(),
                marks,
                overrides,
                result: Arc::new(scoring::SkillResult::empty(&s.code)),
            });
        }
        let index = Index {
            delegations: keyed(delegations.iter().map(|d| (d.code.as_str(), d.id))),
            skills: keyed(skills.iter().map(|s| (s.spec.code.as_str(), s.id))),
            entries: keyed(entries.iter().map(|e| (e.code.as_str(), e.id))),
            judges: keyed(judges.iter().map(|j| (j.code.as_str(), j.id))),
        };
        let mut competition = Competition {
            id: c.id,
            code: c.code.clone(),
            name: c.name.clone(),
            timezone: c.timezone.clone(),
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            default_language: c.default_language.clone(),
            medal_order: MedalOrder::parse(&c.medal_order).unwrap_or(MedalOrder::Olympic),
            delegations: Arc::new(delegations),
            skills: Vec::new(),
            entries: Arc::new(entries),
            judges: Arc::new(judges),
            index: Arc::new(index),
        };
        competition.skills = skills
            .into_iter()
            .map(|mut skill| {
                skill.result = Arc::new(compute(&competition, &skill));
                Arc::new(skill)
            })
            .collect();
        competition
    }

    /// Every delegation's code, in code order (the medal table lists them with `?all=true`).
    pub fn delegation_codes(&self) -> Vec<String> {
        self.delegations.iter().map(|d| d.code.clone()).collect()
    }

    /// Awards of the published skills, for the medal table.
    pub fn awards(&self) -> Vec<scoring::Award> {
        self.skills
            .iter()
            .filter(|s| s.state == SkillState::Published)
            .flat_map(|s| {
                s.result
                    .entries
                    .iter()
                    .filter_map(|r| r.medal.map(|medal| scoring::Award { delegation: r.delegation.clone(), medal }))
            })
            .collect()
    }

    pub fn entry_set_of_judge(&self, judge: usize) -> HashSet<usize> {
        let j = &self.judges[judge];
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| j.skills.contains(&e.skill) && e.delegation != j.delegation)
            .map(|(i, _)| i)
            .collect()
    }
}

/// Computes a skill's results with the pure scoring engine.
pub fn compute(competition: &Competition, skill: &Skill) -> scoring::SkillResult {
    let entries: Vec<scoring::Entry> = skill
        .entries
        .iter()
        .map(|&e| {
            let entry = &competition.entries[e];
            scoring::Entry {
                code: entry.code.clone(),
                delegation: competition.delegations[entry.delegation].code.clone(),
                status: match entry.status {
                    EntryStatus::Active => scoring::EntryStatus::Active,
                    EntryStatus::Withdrawn => scoring::EntryStatus::Withdrawn,
                    EntryStatus::Disqualified => scoring::EntryStatus::Disqualified,
                },
            }
        })
        .collect();
    let marks: Vec<scoring::Mark> = skill
        .marks
        .iter()
        .map(|m| scoring::Mark {
            entry: competition.entries[m.entry].key.clone(),
            aspect: skill.aspect_keys.get(m.aspect).cloned().unwrap_or_else(|| Arc::from("")),
            judge: competition.judges[m.judge].key.clone(),
            value: m.value.to_decimal(),
            voided: m.void.is_some(),
        })
        .collect();
    let overrides: Vec<scoring::Override> = skill
        .overrides
        .iter()
        .map(|o| scoring::Override {
            entry: competition.entries[o.entry].code.clone(),
            aspect: skill.aspect_keys.get(o.aspect).map(|a| a.to_string()).unwrap_or_default(),
            position: skill.marks.iter().take_while(|m| m.seq <= o.covers_seq).count(),
        })
        .collect();
    scoring::compute_skill(&scoring_skill(&skill.spec), &entries, &marks, &overrides)
}

pub fn scoring_skill(spec: &SkillSpec) -> scoring::Skill {
    use crate::domain::kinds::{AggregationMethod, Standardise, TieBreak};
    scoring::Skill {
        code: spec.code.to_string(),
        rules: scoring::SkillRules {
            standardise: match spec.standardise {
                Standardise::None => scoring::Standardise::None,
                Standardise::Robust700 => scoring::Standardise::Robust {
                    centre: spec.scale_centre.to_decimal(),
                    step: spec.scale_step.to_decimal(),
                },
            },
            tie_tolerance: spec.tie_tolerance.to_decimal(),
            tie_break: match spec.tie_break {
                TieBreak::None => scoring::TieBreak::None,
                TieBreak::CriteriaReverse => scoring::TieBreak::CriteriaReverse,
            },
            max_judgement_spread: spec.max_judgement_spread,
            aggregation: match spec.aggregation {
                AggregationMethod::Mean => scoring::Aggregation::Mean,
                AggregationMethod::Median => scoring::Aggregation::Median,
                AggregationMethod::Trimmed => scoring::Aggregation::Trimmed { k: spec.aggregation_k },
            },
            excellence_threshold: spec.excellence_threshold.map(Centi::to_decimal),
            min_entries_for_medals: spec.min_entries_for_medals,
        },
        criteria: spec
            .criteria
            .iter()
            .map(|c| scoring::Criterion {
                code: c.code.to_string(),
                aspects: c
                    .aspects
                    .iter()
                    .map(|a| scoring::Aspect {
                        code: a.code.to_string(),
                        kind: match a.kind {
                            AspectKind::Measurement => scoring::AspectKind::Measurement { binary: a.binary },
                            AspectKind::Judgement => scoring::AspectKind::Judgement { panel: a.panel.unwrap_or(3) },
                        },
                        max: a.max.to_decimal(),
                    })
                    .collect(),
            })
            .collect(),
    }
}
