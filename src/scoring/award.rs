//! Awards across skills (§7): Best of Nation and the highest score of the competition.
//!
//! Both compare scaled scores, the only ones on a common scale across skills: entries of skills
//! without standardisation take no part, nor do withdrawn or disqualified entries. The caller
//! chooses which skills count (typically the published ones) by the results it passes.

use super::{EntryStatus, SkillResult};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// An entry holding a cross-skill award.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standout {
    pub skill: String,
    pub entry: String,
    pub delegation: String,
    pub score: Decimal,
}

/// A delegation's best scaled score; entries tied on it all hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NationBest {
    pub delegation: String,
    pub score: Decimal,
    /// By skill code, then entry code.
    pub entries: Vec<Standout>,
}

/// The highest scaled score of the competition (the Albert Vidal Award at WorldSkills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopScore {
    pub score: Decimal,
    /// Every entry with that score, by skill code then entry code: ties share it.
    pub entries: Vec<Standout>,
}

fn standouts(results: &[SkillResult]) -> Vec<Standout> {
    let mut all: Vec<Standout> = results
        .iter()
        .flat_map(|skill| {
            skill.entries.iter().filter_map(move |entry| {
                let scaled = entry.scaled?;
                (entry.status == EntryStatus::Active && entry.rank.is_some()).then(|| Standout {
                    skill: skill.skill.clone(),
                    entry: entry.entry.clone(),
                    delegation: entry.delegation.clone(),
                    score: scaled,
                })
            })
        })
        .collect();
    all.sort_by(|a, b| a.skill.cmp(&b.skill).then_with(|| a.entry.cmp(&b.entry)));
    all
}

/// Keeps the standouts with the highest score.
fn highest(candidates: Vec<Standout>) -> Option<(Decimal, Vec<Standout>)> {
    let score = candidates.iter().map(|s| s.score).max()?;
    let entries = candidates.into_iter().filter(|s| s.score == score).collect();
    Some((score, entries))
}

/// Per delegation (by code), its entry with the highest scaled score across the given skills.
pub fn best_of_nation(results: &[SkillResult]) -> Vec<NationBest> {
    let mut by_delegation: BTreeMap<String, Vec<Standout>> = BTreeMap::new();
    for standout in standouts(results) {
        by_delegation.entry(standout.delegation.clone()).or_default().push(standout);
    }
    by_delegation
        .into_iter()
        .filter_map(|(delegation, candidates)| {
            highest(candidates).map(|(score, entries)| NationBest { delegation, score, entries })
        })
        .collect()
}

/// The highest scaled score across the given skills, shared by every entry that has it.
pub fn top_score(results: &[SkillResult]) -> Option<TopScore> {
    highest(standouts(results)).map(|(score, entries)| TopScore { score, entries })
}
