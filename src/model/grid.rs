//! The marking grid of a skill: for every entry and aspect, the marks it has and needs, and
//! for a judgement which eligible judges scored and which have not; per judge, the marks
//! entered and the last activity. What an organizer needs to chase missing marks.
use super::competition::Competition;
use super::ix::{EntryIx, JudgeIx, SkillIx};
use crate::domain::kinds::{AspectKind, EntryStatus, SkillState};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridAspect {
    pub code: String,
    pub kind: AspectKind,
    pub needed: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cell {
    pub aspect: String,
    pub have: u32,
    pub needed: u32,
    pub missing: bool,
    /// Judgements: the eligible judges whose score counts, and those yet to score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridEntry {
    pub entry: String,
    pub delegation: String,
    pub status: EntryStatus,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridJudge {
    pub judge: String,
    pub name: String,
    /// Marks entered in this skill (corrections included, voided ones not).
    pub marks: u32,
    pub last_activity: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Grid {
    pub skill: String,
    pub state: SkillState,
    pub aspects: Vec<GridAspect>,
    pub entries: Vec<GridEntry>,
    pub judges: Vec<GridJudge>,
}

pub fn grid(c: &Competition, s: SkillIx) -> Grid {
    let skill = &c.skills[s];
    // The judges whose current judgement score counts, per (entry, aspect).
    let mut scored: HashMap<(EntryIx, usize), Vec<JudgeIx>> = HashMap::new();
    let mut measured: HashMap<(EntryIx, usize), u32> = HashMap::new();
    for m in skill.current_marks() {
        match skill.aspect(m.aspect).kind {
            AspectKind::Judgement => scored.entry((m.entry, m.aspect.get())).or_default().push(m.judge),
            AspectKind::Measurement => *measured.entry((m.entry, m.aspect.get())).or_default() += 1,
        }
    }
    let assigned: Vec<JudgeIx> = c.judges.enumerate().filter(|(_, j)| j.skills.contains(&s)).map(|(i, _)| i).collect();
    let mut entries: Vec<EntryIx> = skill.entries.clone();
    entries.sort_by(|a, b| c.entries[*a].code.cmp(&c.entries[*b].code));
    let rows = entries
        .into_iter()
        .map(|e| {
            let entry = &c.entries[e];
            let eligible: Vec<JudgeIx> =
                assigned.iter().copied().filter(|&j| c.judges[j].delegation != entry.delegation).collect();
            let cells = skill
                .aspects
                .enumerate()
                .map(|(a, aspect)| {
                    let needed = aspect.expected();
                    match aspect.kind {
                        AspectKind::Measurement => {
                            let have = measured.get(&(e, a.get())).copied().unwrap_or(0).min(needed);
                            Cell {
                                aspect: aspect.code.to_string(),
                                have,
                                needed,
                                missing: have < needed,
                                scored: None,
                                pending: None,
                            }
                        }
                        AspectKind::Judgement => {
                            let by = scored.get(&(e, a.get())).cloned().unwrap_or_default();
                            let mut done: Vec<String> = by.iter().map(|j| c.judges[*j].code.clone()).collect();
                            done.sort();
                            let pending = eligible
                                .iter()
                                .filter(|j| !by.contains(j))
                                .map(|j| c.judges[*j].code.clone())
                                .collect();
                            let have = u32::try_from(by.len()).unwrap_or(u32::MAX).min(needed);
                            Cell {
                                aspect: aspect.code.to_string(),
                                have,
                                needed,
                                missing: have < needed,
                                scored: Some(done),
                                pending: Some(pending),
                            }
                        }
                    }
                })
                .collect();
            GridEntry {
                entry: entry.code.clone(),
                delegation: c.delegations[entry.delegation].code.clone(),
                status: entry.status,
                cells,
            }
        })
        .collect();
    let judges = assigned
        .iter()
        .map(|&j| {
            let theirs = skill.marks().iter().filter(|m| m.judge == j && m.void.is_none());
            let (count, last) = theirs.fold((0u32, None), |(n, last): (u32, Option<DateTime<Utc>>), m| {
                (n + 1, Some(last.map_or(m.created_at, |l| l.max(m.created_at))))
            });
            GridJudge {
                judge: c.judges[j].code.clone(),
                name: c.judges[j].name.clone(),
                marks: count,
                last_activity: last,
            }
        })
        .collect();
    Grid {
        skill: skill.code().to_owned(),
        state: skill.state,
        aspects: skill
            .aspects
            .iter()
            .map(|a| GridAspect { code: a.code.to_string(), kind: a.kind, needed: a.expected() })
            .collect(),
        entries: rows,
        judges,
    }
}
