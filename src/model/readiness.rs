//! Whether a skill can be marked as set up: panels that eligible judges cannot fill, aspects
//! no eligible judge can mark, entries without members, a scheme whose total is not 100.
//! Setup warns; it never blocks.
use super::competition::Competition;
use super::ix::SkillIx;
use crate::domain::Centi;
use crate::domain::kinds::{AspectKind, EntryStatus};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Marking cannot complete as set up.
    Error,
    /// Unusual, perhaps intended.
    Warning,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A judgement panel needs more judges than are eligible for some entries.
    PanelUnfillable,
    /// No eligible judge (assigned to the skill, not of the entry's delegation) for some entries.
    NoEligibleJudge,
    EntryWithoutMembers,
    /// The maxima of the scheme do not add up to 100.
    SchemeTotal,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
// Named apart from the RFC 7807 `Problem` of every error response.
#[schema(as = ReadinessProblem)]
pub struct Problem {
    pub kind: ProblemKind,
    pub severity: Severity,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
    /// The fewest eligible judges among those entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Centi>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SkillReadiness {
    pub skill: String,
    pub name: String,
    pub state: crate::domain::kinds::SkillState,
    /// No error (warnings may remain).
    pub ready: bool,
    pub problems: Vec<Problem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub skills: Vec<SkillReadiness>,
    pub judges_without_skill: Vec<String>,
}

fn problem(kind: ProblemKind, severity: Severity, detail: String) -> Problem {
    Problem { kind, severity, detail, aspect: None, entries: Vec::new(), eligible: None, needed: None, total: None }
}

/// One skill's readiness.
pub fn skill(c: &Competition, s: SkillIx) -> SkillReadiness {
    let skill = &c.skills[s];
    let mut problems = Vec::new();
    // Eligible judges per active entry: assigned to the skill, not of the entry's delegation.
    let active: Vec<_> = skill.entries.iter().filter(|&&e| c.entries[e].status == EntryStatus::Active).collect();
    let eligible: Vec<(&str, u32)> = active
        .iter()
        .map(|&&e| {
            let entry = &c.entries[e];
            let n = c.judges.iter().filter(|j| j.skills.contains(&s) && j.delegation != entry.delegation).count();
            (entry.code.as_str(), u32::try_from(n).unwrap_or(u32::MAX))
        })
        .collect();
    for aspect in skill.aspects.iter() {
        let needed = aspect.expected();
        let none: Vec<String> = eligible.iter().filter(|(_, n)| *n == 0).map(|(e, _)| (*e).to_owned()).collect();
        if !none.is_empty() {
            let detail = format!("no eligible judge can mark {} for {} entries", aspect.code, none.len());
            problems.push(Problem {
                aspect: Some(aspect.code.to_string()),
                entries: none,
                eligible: Some(0),
                needed: Some(needed),
                ..problem(ProblemKind::NoEligibleJudge, Severity::Error, detail)
            });
            continue;
        }
        if aspect.kind == AspectKind::Judgement {
            let short: Vec<&(&str, u32)> = eligible.iter().filter(|(_, n)| *n < needed).collect();
            if let Some(fewest) = short.iter().map(|(_, n)| *n).min() {
                let detail = format!(
                    "the panel of {} needs {needed} judges; only {fewest} are eligible for {} entries",
                    aspect.code,
                    short.len()
                );
                problems.push(Problem {
                    aspect: Some(aspect.code.to_string()),
                    entries: short.iter().map(|(e, _)| (*e).to_owned()).collect(),
                    eligible: Some(fewest),
                    needed: Some(needed),
                    ..problem(ProblemKind::PanelUnfillable, Severity::Error, detail)
                });
            }
        }
    }
    let empty: Vec<String> =
        skill.entries.iter().map(|&e| &c.entries[e]).filter(|e| e.members.is_empty()).map(|e| e.code.clone()).collect();
    if !empty.is_empty() {
        let detail = format!("{} entries have no members", empty.len());
        problems.push(Problem { entries: empty, ..problem(ProblemKind::EntryWithoutMembers, Severity::Error, detail) });
    }
    let total = Centi(skill.aspects.iter().map(|a| a.max.0).sum());
    if total != Centi::from_units(100) {
        let detail = format!("the scheme's maxima add up to {total}, not 100.00");
        problems.push(Problem { total: Some(total), ..problem(ProblemKind::SchemeTotal, Severity::Warning, detail) });
    }
    SkillReadiness {
        skill: skill.code().to_owned(),
        name: skill.spec.name.clone(),
        state: skill.state,
        ready: problems.iter().all(|p| p.severity != Severity::Error),
        problems,
    }
}

/// Every skill's readiness, and the judges assigned to no skill.
pub fn competition(c: &Competition) -> Readiness {
    Readiness {
        skills: c.skills.indices().map(|s| skill(c, s)).collect(),
        judges_without_skill: c.judges.iter().filter(|j| j.skills.is_empty()).map(|j| j.code.clone()).collect(),
    }
}
