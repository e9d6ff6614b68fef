//! Which stored marks currently count, and how they become one rounded mark per aspect (§1).

use super::decimal::{ZERO2, div_round2, median_sorted};
use super::{AspectMark, Entry, Mark};
use crate::domain::kinds::{AggregationMethod, AspectKind};
use crate::domain::round2;
use crate::domain::spec::{AspectSpec, SkillRules, SkillSpec};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;

/// The marks that count right now: for a measurement the latest by anyone, for a judgement each
/// judge's latest. "Latest" is the position in storage order, and a voided mark is skipped as
/// if never entered, so the mark it had superseded counts again.
pub struct CurrentMarks<'a> {
    measured: HashMap<&'a str, HashMap<&'a str, Decimal>>,
    judged: HashMap<&'a str, HashMap<&'a str, BTreeMap<&'a str, Decimal>>>,
}

/// One aspect of one entry: its mark and its share of the marking progress.
pub struct AspectState {
    pub mark: AspectMark,
    pub marked: u32,
    pub expected: u32,
}

impl<'a> CurrentMarks<'a> {
    pub fn collect(skill: &SkillSpec, entries: &[Entry], marks: &'a [Mark]) -> Self {
        let entry_codes: HashSet<&str> = entries.iter().map(|e| e.code.as_str()).collect();
        let kinds: HashMap<&str, AspectKind> = skill.aspects().map(|a| (a.code.as_str(), a.kind)).collect();
        let mut measured: HashMap<&str, HashMap<&str, Decimal>> = HashMap::default();
        let mut judged: HashMap<&str, HashMap<&str, BTreeMap<&str, Decimal>>> = HashMap::default();
        for mark in marks {
            if mark.voided || !entry_codes.contains(&*mark.entry) {
                continue;
            }
            match kinds.get(&*mark.aspect) {
                Some(AspectKind::Measurement) => {
                    measured.entry(&*mark.entry).or_default().insert(&*mark.aspect, mark.value);
                }
                Some(AspectKind::Judgement) => {
                    judged
                        .entry(&*mark.entry)
                        .or_default()
                        .entry(&*mark.aspect)
                        .or_default()
                        .insert(&*mark.judge, mark.value);
                }
                None => {}
            }
        }
        CurrentMarks { measured, judged }
    }

    /// Each judge's current score for a judgement aspect, by judge code.
    pub fn judgement(&self, entry: &str, aspect: &str) -> Option<&BTreeMap<&'a str, Decimal>> {
        self.judged.get(entry).and_then(|aspects| aspects.get(aspect))
    }

    fn measurement(&self, entry: &str, aspect: &str) -> Option<Decimal> {
        self.measured.get(entry).and_then(|aspects| aspects.get(aspect)).copied()
    }

    pub fn aspect_mark(&self, entry: &str, aspect: &AspectSpec, rules: &SkillRules) -> AspectState {
        match aspect.kind {
            AspectKind::Measurement => {
                let value = self.measurement(entry, aspect.code.as_str());
                let marked = u32::from(value.is_some());
                AspectState {
                    mark: AspectMark {
                        aspect: aspect.code.clone(),
                        // Values are validated to 2 decimals on entry; rounding keeps the
                        // "every aspect mark is 2-dp" invariant whatever the caller passes.
                        mark: value.map(round2).unwrap_or(ZERO2),
                        provisional: marked < 1,
                        scores: marked,
                    },
                    marked,
                    expected: 1,
                }
            }
            AspectKind::Judgement => {
                let panel = aspect.expected();
                let scores: Vec<Decimal> = self
                    .judgement(entry, aspect.code.as_str())
                    .map(|by_judge| by_judge.values().copied().collect())
                    .unwrap_or_default();
                let count = u32::try_from(scores.len()).unwrap_or(u32::MAX);
                let marked = count.min(panel);
                AspectState {
                    mark: AspectMark {
                        aspect: aspect.code.clone(),
                        mark: judgement_mark(aspect.max.to_decimal(), scores, rules.aggregation, rules.aggregation_k),
                        provisional: marked < panel,
                        scores: count,
                    },
                    marked,
                    expected: panel,
                }
            }
        }
    }
}

/// `max × aggregate(scores) / 3`, rounded once; 0 without scores.
pub fn judgement_mark(max: Decimal, mut scores: Vec<Decimal>, method: AggregationMethod, k: u32) -> Decimal {
    scores.sort_unstable();
    match aggregate(&scores, method, k) {
        // The aggregate stays a fraction so that the single division comes last.
        Some((numerator, denominator)) => div_round2(max * numerator, Decimal::from(3) * denominator),
        None => ZERO2,
    }
}

/// The aggregate of sorted scores as `numerator / denominator`, or `None` without scores.
fn aggregate(sorted: &[Decimal], method: AggregationMethod, k: u32) -> Option<(Decimal, Decimal)> {
    if sorted.is_empty() {
        return None;
    }
    match method {
        AggregationMethod::Mean => Some(mean_fraction(sorted)),
        AggregationMethod::Median => median_sorted(sorted).map(|m| (m, Decimal::ONE)),
        AggregationMethod::Trimmed => {
            let k = usize::try_from(k).unwrap_or(usize::MAX);
            if k.saturating_mul(2) >= sorted.len() {
                median_sorted(sorted).map(|m| (m, Decimal::ONE))
            } else {
                sorted.get(k..sorted.len() - k).map(mean_fraction)
            }
        }
    }
}

fn mean_fraction(scores: &[Decimal]) -> (Decimal, Decimal) {
    let sum: Decimal = scores.iter().copied().sum();
    (sum, Decimal::from(scores.len()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn scores(values: &[i64]) -> Vec<Decimal> {
        values.iter().map(|&v| Decimal::from(v)).collect()
    }

    #[test]
    fn mean_of_1_and_0_on_max_1_35_is_0_23() {
        assert_eq!(judgement_mark(d("1.35"), scores(&[1, 0]), AggregationMethod::Mean, 0), d("0.23"));
    }

    #[test]
    fn mean_divides_once_at_the_end() {
        // 2.00 × 5 / 9 = 1.1111… → 1.11; rounding the mean (1.67) first would give 1.11 too,
        // but 7.00 × 5 / 9 = 3.888… → 3.89 whereas 7 × round2(5/3)/3 = 7 × 1.67 / 3 = 3.90.
        assert_eq!(judgement_mark(d("7"), scores(&[2, 2, 1]), AggregationMethod::Mean, 0), d("3.89"));
    }

    #[test]
    fn median_of_an_even_panel_is_the_mean_of_the_two_middle_scores() {
        // median of 0,1,2,3 = 1.5 → 6 × 1.5 / 3 = 3
        assert_eq!(judgement_mark(d("6"), scores(&[3, 0, 2, 1]), AggregationMethod::Median, 0), d("3"));
        assert_eq!(judgement_mark(d("6"), scores(&[3, 0, 2]), AggregationMethod::Median, 0), d("4"));
    }

    #[test]
    fn trimmed_drops_k_highest_and_k_lowest() {
        // 0,1,2,2,3 drop one each side → 1,2,2 → mean 5/3 → 7.5 × 5 / 9 = 4.1666… → 4.17
        assert_eq!(judgement_mark(d("7.5"), scores(&[2, 0, 3, 1, 2]), AggregationMethod::Trimmed, 1), d("4.17"));
        // Diving: 7 scores, drop 2 and 2.
        assert_eq!(judgement_mark(d("3"), scores(&[0, 3, 3, 1, 2, 2, 0]), AggregationMethod::Trimmed, 2), d("1.67"));
    }

    #[test]
    fn trimmed_with_2k_at_least_n_falls_back_to_the_median() {
        let four = scores(&[0, 1, 3, 3]);
        let fallback = judgement_mark(d("6"), four.clone(), AggregationMethod::Trimmed, 2);
        assert_eq!(fallback, judgement_mark(d("6"), four, AggregationMethod::Median, 0));
        assert_eq!(fallback, d("4")); // median 2
        assert_eq!(judgement_mark(d("6"), scores(&[1, 3]), AggregationMethod::Trimmed, 1), d("4"));
        assert_eq!(judgement_mark(d("6"), scores(&[2]), AggregationMethod::Trimmed, 5), d("4"));
    }

    #[test]
    fn no_scores_give_zero() {
        assert_eq!(judgement_mark(d("6"), vec![], AggregationMethod::Mean, 0), Decimal::ZERO);
        assert_eq!(judgement_mark(d("6"), vec![], AggregationMethod::Trimmed, 1), Decimal::ZERO);
    }
}
