//! The pure scoring engine: a skill's marks in, its results, ranks and medals out (SCORING.md).
//!
//! Everything here is deterministic and exact: `rust_decimal` only, no I/O, no clock. The server
//! loads a skill, its entries, every stored mark (superseded and voided ones included, in the
//! order they were stored) and the accepted overrides, and calls [`compute_skill`].

mod aggregate;
mod award;
mod decimal;
mod medal;
mod rank;
mod standardise;
mod table;

#[cfg(test)]
mod tests;

pub use crate::domain::round2;
pub use award::{NationBest, Standout, TopScore, best_of_nation, top_score};
pub use decimal::div_round2;
pub use medal::Medal;
pub use rank::{Candidate, Placing, rank};
pub use rust_decimal::Decimal;
use std::sync::Arc;
pub use table::{Award, MedalRow, medal_table};

use crate::domain::kinds::{AspectKind, EntryStatus, Standardise};
use crate::domain::spec::SkillSpec;
use serde::{Deserialize, Serialize};
// Short string keys hashed on every recomputation: FxHash, not SipHash (no untrusted
// keys can reach these maps from outside in a way that matters for DoS).
use rustc_hash::FxHashMap as HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub code: String,
    pub delegation: String,
    pub status: EntryStatus,
}

/// One stored mark, in the order the server stored them. `judge` identifies the judge (a code string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    // Shared strings: a skill's marks are rebuilt for every recomputation, and cloning a
    // code must not allocate.
    pub entry: Arc<str>,
    pub aspect: Arc<str>,
    pub judge: Arc<str>,
    pub value: Decimal,
    pub voided: bool,
}

/// A chief's/organizer's accepted discrepancy for (entry, aspect), made when `position` marks had been stored
/// (i.e. it covers marks[..position]); it clears the flag only while no non-voided mark for that
/// (entry, aspect) exists at index >= position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub entry: String,
    pub aspect: String,
    pub position: usize,
}

/// One aspect's mark for one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AspectMark {
    pub aspect: String,
    /// Rounded to 2 decimals; 0 while nothing is marked.
    pub mark: Decimal,
    /// The panel (or the measurement) is not complete yet.
    pub provisional: bool,
    /// Current scores counted (every judge's latest, even beyond the panel; 0 or 1 if measured).
    pub scores: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryResult {
    pub entry: String,
    pub delegation: String,
    pub status: EntryStatus,
    /// Exact sum of the 2-decimal aspect marks.
    pub raw: Decimal,
    /// Set when the skill is standardised.
    pub scaled: Option<Decimal>,
    /// What ranking and medals use: `scaled` when standardised, else `raw`.
    pub score: Decimal,
    /// `None` for withdrawn and disqualified entries.
    pub rank: Option<u32>,
    pub medal: Option<Medal>,
    /// Criterion subtotals in scheme order.
    pub criteria: Vec<(String, Decimal)>,
    /// Aspect marks in scheme order.
    pub aspects: Vec<AspectMark>,
    pub marked: u32,
    pub expected: u32,
    /// Some aspect is incomplete.
    pub provisional: bool,
    /// The skill was signed off with this row incomplete, its gaps accepted.
    pub gaps_accepted: bool,
}

/// A judgement (entry, aspect) whose panel spread exceeds the skill's `max_judgement_spread`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    pub entry: String,
    pub aspect: String,
    /// Each judge's current score, by judge code.
    pub scores: Vec<(String, Decimal)>,
    pub spread: Decimal,
    /// An override covers the scores as they stand, so the flag does not block locking.
    pub overridden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkillResult {
    pub skill: String,
    /// Ranked entries by rank (ties by entry code), then withdrawn and disqualified entries by code.
    pub entries: Vec<EntryResult>,
    /// Marking progress over active entries.
    pub marked: u32,
    pub expected: u32,
    /// By entry code, then aspect in scheme order; active entries only.
    pub discrepancies: Vec<Discrepancy>,
    /// Median raw total of the active entries, when standardised.
    pub median: Option<Decimal>,
    /// Median absolute deviation of the active entries' raw totals, when standardised.
    pub mad: Option<Decimal>,
}

impl SkillResult {
    /// Flags not covered by an override: locking is refused while this is non-zero.
    pub fn open_discrepancies(&self) -> usize {
        self.discrepancies.iter().filter(|d| !d.overridden).count()
    }

    /// Every expected mark of every active entry is in.
    pub fn complete(&self) -> bool {
        self.marked >= self.expected
    }

    pub fn entry(&self, code: &str) -> Option<&EntryResult> {
        self.entries.iter().find(|e| e.entry == code)
    }
}

/// Computes a skill's results from every stored mark, in storage order.
///
/// Marks and overrides for entries or aspects that are not the skill's are ignored, so a caller
/// may pass a whole competition's marks.
pub fn compute_skill(skill: &SkillSpec, entries: &[Entry], marks: &[Mark], overrides: &[Override]) -> SkillResult {
    let rules = &skill.rules;
    let current = aggregate::CurrentMarks::collect(skill, entries, marks);

    let mut results: Vec<EntryResult> = entries.iter().map(|entry| entry_result(skill, entry, &current)).collect();

    let active_raws: Vec<Decimal> = results.iter().filter(|r| r.status == EntryStatus::Active).map(|r| r.raw).collect();
    let (stats, centre_step) = match rules.standardise {
        Standardise::None => (None, None),
        Standardise::Robust700 => (
            standardise::RobustStats::of(&active_raws),
            Some((rules.scale_centre.to_decimal(), rules.scale_step.to_decimal())),
        ),
    };
    if let (Some(stats), Some((centre, step))) = (stats, centre_step) {
        for result in &mut results {
            let scaled = stats.scale(result.raw, centre, step);
            result.scaled = Some(scaled);
            result.score = scaled;
        }
    }

    let (active, mut inactive): (Vec<EntryResult>, Vec<EntryResult>) =
        results.into_iter().partition(|r| r.status == EntryStatus::Active);

    let candidates: Vec<Candidate> = active
        .iter()
        .map(|r| Candidate {
            code: r.entry.clone(),
            score: r.score,
            criteria: r.criteria.iter().map(|(_, subtotal)| *subtotal).collect(),
        })
        .collect();
    let placings = rank(&candidates, rules.tie_tolerance.to_decimal(), rules.tie_break);

    let awards_medals = u32::try_from(active.len()).unwrap_or(u32::MAX) >= rules.min_entries_for_medals;
    let threshold = rules.effective_excellence_threshold().map(crate::domain::Centi::to_decimal);
    let mut slots: Vec<Option<EntryResult>> = active.into_iter().map(Some).collect();
    let mut ordered: Vec<EntryResult> = Vec::with_capacity(entries.len());
    for placing in placings {
        if let Some(mut result) = slots.get_mut(placing.index).and_then(Option::take) {
            result.rank = Some(placing.rank);
            if awards_medals {
                result.medal = medal::medal_for(placing.rank, result.score, threshold);
            }
            ordered.push(result);
        }
    }
    inactive.sort_by(|a, b| a.entry.cmp(&b.entry));
    ordered.extend(inactive);

    let (marked, expected) = ordered
        .iter()
        .filter(|r| r.status == EntryStatus::Active)
        .fold((0u32, 0u32), |(m, e), r| (m.saturating_add(r.marked), e.saturating_add(r.expected)));

    let discrepancies = discrepancies(skill, entries, &current, marks, overrides);

    SkillResult {
        skill: skill.code.to_string(),
        entries: ordered,
        marked,
        expected,
        discrepancies,
        median: stats.map(|s| s.median),
        mad: stats.map(|s| s.mad),
    }
}

fn entry_result(skill: &SkillSpec, entry: &Entry, current: &aggregate::CurrentMarks) -> EntryResult {
    let mut criteria = Vec::with_capacity(skill.criteria.len());
    let mut aspects = Vec::new();
    let (mut marked, mut expected) = (0u32, 0u32);
    for criterion in &skill.criteria {
        let mut subtotal = decimal::ZERO2;
        for aspect in &criterion.aspects {
            let state = current.aspect_mark(&entry.code, aspect, &skill.rules);
            subtotal += state.mark.mark;
            marked = marked.saturating_add(state.marked);
            expected = expected.saturating_add(state.expected);
            aspects.push(state.mark);
        }
        criteria.push((criterion.code.to_string(), subtotal));
    }
    let raw = criteria.iter().fold(decimal::ZERO2, |sum, (_, subtotal)| sum + *subtotal);
    let provisional = aspects.iter().any(|a| a.provisional);
    EntryResult {
        entry: entry.code.clone(),
        delegation: entry.delegation.clone(),
        status: entry.status,
        raw,
        scaled: None,
        score: raw,
        rank: None,
        medal: None,
        criteria,
        aspects,
        marked,
        expected,
        provisional,
        gaps_accepted: false,
    }
}

fn discrepancies(
    skill: &SkillSpec,
    entries: &[Entry],
    current: &aggregate::CurrentMarks,
    marks: &[Mark],
    overrides: &[Override],
) -> Vec<Discrepancy> {
    // An override stays valid only while nothing was entered for its (entry, aspect) after it.
    let mut last_entered: HashMap<(&str, &str), usize> = HashMap::default();
    for (index, mark) in marks.iter().enumerate() {
        if !mark.voided {
            last_entered.insert((&*mark.entry, &*mark.aspect), index);
        }
    }
    let mut active: Vec<&Entry> = entries.iter().filter(|e| e.status == EntryStatus::Active).collect();
    active.sort_by(|a, b| a.code.cmp(&b.code));

    let limit = Decimal::from(skill.rules.max_judgement_spread);
    let mut found = Vec::new();
    for entry in active {
        for aspect in skill.aspects() {
            if aspect.kind != AspectKind::Judgement {
                continue;
            }
            let Some(scores) = current.judgement(&entry.code, aspect.code.as_str()) else {
                continue;
            };
            let (Some(low), Some(high)) = (scores.values().min(), scores.values().max()) else {
                continue;
            };
            let spread = *high - *low;
            if spread <= limit {
                continue;
            }
            let key = (entry.code.as_str(), aspect.code.as_str());
            let overridden = overrides.iter().any(|o| {
                o.entry == entry.code
                    && o.aspect == aspect.code.as_str()
                    && last_entered.get(&key).is_none_or(|&last| last < o.position)
            });
            found.push(Discrepancy {
                entry: entry.code.clone(),
                aspect: aspect.code.to_string(),
                scores: scores.iter().map(|(j, v)| (j.to_string(), *v)).collect(),
                spread,
                overridden,
            });
        }
    }
    found
}

impl SkillResult {
    /// The result of a skill before anything is computed (a placeholder while building).
    pub fn empty(skill: &str) -> SkillResult {
        SkillResult {
            skill: skill.to_owned(),
            entries: Vec::new(),
            marked: 0,
            expected: 0,
            discrepancies: Vec::new(),
            median: None,
            mad: None,
        }
    }
}
