//! The competition package as a whole: validation into a plan where every item is resolved
//! to its position in the package, naming every offence at once (all or nothing). Rules
//! that need the model (who may mark what) are checked when the model is built from the plan.
use super::Code;
use super::decimal::Centi;
use super::input::{FORMAT, Package};
use super::kinds::{EntryStatus, JudgeRole, SkillState};
use super::offence::Offences;
use super::spec::{CompetitionSpec, DelegationSpec, SkillSpec, check_value};
use crate::error::{ErrorCode, FieldError};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

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
    /// Gaps accepted at each skill's sign-off.
    pub accepted_gaps: Vec<Option<super::signoff::AcceptedGaps>>,
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
            offences.push(
                format!("/{at}/{i}/code"),
                ErrorCode::DuplicateCode,
                format!("{kind} '{code}' appears twice"),
            );
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
        offences.push(pointer, ErrorCode::UnknownCode, format!("no {kind} '{code}'"));
    }
    found
}

impl Package {
    /// Validates the whole package, naming every offence.
    pub fn validate(&self) -> Result<ImportPlan, Vec<FieldError>> {
        let mut offences = Offences::default();
        if self.format != FORMAT {
            offences.push(
                "/format",
                ErrorCode::UnsupportedFormat,
                format!("expected '{FORMAT}', got '{}'", self.format),
            );
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
                    offences.push(format!("{at}/members/{mi}"), ErrorCode::Required, "a member needs a name");
                }
            }
            if let Some(Some(spec)) = skill.map(|s| &skills[s])
                && members.len() != spec.team_size as usize
            {
                offences.push(
                    format!("{at}/members"),
                    ErrorCode::TeamSize,
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
                            offences.push(
                                format!("{at}/id"),
                                ErrorCode::DuplicateId,
                                format!("mark id {text} appears twice"),
                            );
                            None
                        }
                        Err(_) => {
                            offences.push(format!("{at}/id"), ErrorCode::InvalidId, format!("'{text}' is not a UUID"));
                            None
                        }
                    },
                };
                let judge = resolve(&judge_ix, format!("{at}/judge"), "judge", &mark.judge, &mut offences);
                let entry = resolve(&entry_ix, format!("{at}/entry"), "entry", &mark.entry, &mut offences);
                let value = offences.mark_value(&format!("{at}/value"), &mark.value);
                // Checks that depend on an invalid entry, skill or judge are skipped: that
                // one's own offence is named already.
                let Some((entry, Some(plan))) = entry.map(|e| (e, &entries[e])) else { continue };
                let Some(skill) = &skills[plan.skill] else { continue };
                let aspect = skill.aspects().position(|a| a.code.as_str() == mark.aspect);
                if aspect.is_none() {
                    offences.push(
                        format!("{at}/aspect"),
                        ErrorCode::UnknownCode,
                        format!("skill '{}' has no aspect '{}'", skill.code, mark.aspect),
                    );
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
                    offences.push(format!("{at}/aspect"), ErrorCode::UnknownCode, format!("no aspect '{}'", o.aspect));
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
        let accepted_gaps = self.skills.iter().map(|s| s.accepted_gaps.clone()).collect();
        Ok(ImportPlan { competition, delegations, skills, states, accepted_gaps, entries, judges, marks, overrides })
    }
}
