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

use crate::domain::Code;
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
    pub aspect: Code,
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
    /// Criterion subtotals in scheme order (shared: only the entry's own marks change them).
    pub criteria: Arc<[(Code, Decimal)]>,
    /// Aspect marks in scheme order (shared likewise).
    pub aspects: Arc<[AspectMark]>,
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

/// What one entry's own marks decide of its skill's results: its row before standardisation,
/// ranking and medals, and its discrepancies. [`assemble`] turns the parts of a skill's entries
/// into its results, so a write recomputes only the parts of the entries it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPart {
    /// `scaled`, `rank` and `medal` unset, `score` the raw total.
    pub result: EntryResult,
    /// By aspect in scheme order; kept for any status (only active entries' are reported).
    pub discrepancies: Vec<Discrepancy>,
}

/// Computes a skill's results from every stored mark, in storage order.
///
/// Marks and overrides for entries or aspects that are not the skill's are ignored, so a caller
/// may pass a whole competition's marks.
pub fn compute_skill(skill: &SkillSpec, entries: &[Entry], marks: &[Mark], overrides: &[Override]) -> SkillResult {
    let current = aggregate::CurrentMarks::collect(skill, entries, marks);
    let last = last_entered(marks);
    let parts: Vec<EntryPart> = entries.iter().map(|e| part(skill, e, &current, &last, overrides)).collect();
    assemble(skill, &parts)
}

/// One entry's part, from its marks in storage order (others' marks are ignored) and the
/// overrides, whose positions count the same `marks`.
pub fn entry_part(skill: &SkillSpec, entry: &Entry, marks: &[Mark], overrides: &[Override]) -> EntryPart {
    let current = aggregate::CurrentMarks::collect(skill, std::slice::from_ref(entry), marks);
    part(skill, entry, &current, &last_entered(marks), overrides)
}

/// Where each (entry, aspect) last got a non-voided mark: an override stays valid only while
/// nothing was entered for its (entry, aspect) after it.
fn last_entered(marks: &[Mark]) -> HashMap<(&str, &str), usize> {
    let mut last: HashMap<(&str, &str), usize> = HashMap::default();
    for (index, mark) in marks.iter().enumerate() {
        if !mark.voided {
            last.insert((&*mark.entry, &*mark.aspect), index);
        }
    }
    last
}

fn part(
    skill: &SkillSpec,
    entry: &Entry,
    current: &aggregate::CurrentMarks,
    last: &HashMap<(&str, &str), usize>,
    overrides: &[Override],
) -> EntryPart {
    EntryPart {
        result: entry_result(skill, entry, current),
        discrepancies: discrepancies(skill, entry, current, last, overrides),
    }
}

/// A skill's results from the parts of all its entries (in any order): the robust scale over
/// the active entries' raw totals, ranks, medals, progress and the discrepancies.
pub fn assemble<P: std::borrow::Borrow<EntryPart>>(skill: &SkillSpec, parts: &[P]) -> SkillResult {
    let rules = &skill.rules;
    let mut results: Vec<EntryResult> = parts.iter().map(|p| p.borrow().result.clone()).collect();

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
    let mut ordered: Vec<EntryResult> = Vec::with_capacity(parts.len());
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

    let mut flagged: Vec<&EntryPart> =
        parts.iter().map(|p| p.borrow()).filter(|p| p.result.status == EntryStatus::Active).collect();
    flagged.sort_by(|a, b| a.result.entry.cmp(&b.result.entry));
    let discrepancies = flagged.into_iter().flat_map(|p| p.discrepancies.iter().cloned()).collect();

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
        criteria.push((criterion.code.clone(), subtotal));
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
        criteria: criteria.into(),
        aspects: aspects.into(),
        marked,
        expected,
        provisional,
        gaps_accepted: false,
    }
}

/// One entry's judgement aspects whose panel spread exceeds the limit, in scheme order.
fn discrepancies(
    skill: &SkillSpec,
    entry: &Entry,
    current: &aggregate::CurrentMarks,
    last_entered: &HashMap<(&str, &str), usize>,
    overrides: &[Override],
) -> Vec<Discrepancy> {
    let limit = Decimal::from(skill.rules.max_judgement_spread);
    let mut found = Vec::new();
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
    found
}

impl EntryResult {
    /// A placeholder row before anything is computed.
    pub fn empty() -> EntryResult {
        EntryResult {
            entry: String::new(),
            delegation: String::new(),
            status: EntryStatus::Active,
            raw: decimal::ZERO2,
            scaled: None,
            score: decimal::ZERO2,
            rank: None,
            medal: None,
            criteria: Arc::from([]),
            aspects: Arc::from([]),
            marked: 0,
            expected: 0,
            provisional: false,
            gaps_accepted: false,
        }
    }
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
