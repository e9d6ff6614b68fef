//! Standard competition ranking ("1224") with tie tolerance chaining and the criteria tie-break (§4).

use crate::domain::kinds::TieBreak;
use rust_decimal::Decimal;
use serde::Serialize;
use std::cmp::Ordering;

/// One ranked entry's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub code: String,
    /// Scaled score if standardised, else the raw total (2 decimals).
    pub score: Decimal,
    /// Criterion subtotals in scheme order, for `criteria_reverse`.
    pub criteria: Vec<Decimal>,
}

/// A candidate's place: `index` into the candidates passed to [`rank`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Placing {
    pub index: usize,
    pub rank: u32,
}

/// Ranks candidates, returning them in result order.
///
/// Sorted by score, highest first, an entry ties with the one listed just above it when their
/// scores differ by no more than `tolerance`, so ties chain. Tied entries are listed by code,
/// unless `criteria_reverse` splits them: it orders a tie by criterion subtotals from the last
/// criterion to the first (exactly, higher first), and only entries equal on every criterion keep
/// sharing a rank. A rank is 1 + the number of entries listed before its first holder.
pub fn rank(candidates: &[Candidate], tolerance: Decimal, tie_break: TieBreak) -> Vec<Placing> {
    // Equal scores always tie; a negative tolerance would contradict that.
    let tolerance = tolerance.max(Decimal::ZERO);
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| by_score(candidates, a, b));

    let mut placings = Vec::with_capacity(candidates.len());
    let mut chain: Vec<usize> = Vec::new();
    let mut previous: Option<Decimal> = None;
    for index in order {
        let Some(candidate) = candidates.get(index) else {
            continue;
        };
        if previous.is_some_and(|above| above - candidate.score > tolerance) {
            place_chain(candidates, &mut chain, tie_break, &mut placings);
        }
        previous = Some(candidate.score);
        chain.push(index);
    }
    place_chain(candidates, &mut chain, tie_break, &mut placings);
    placings
}

fn by_score(candidates: &[Candidate], a: usize, b: usize) -> Ordering {
    match (candidates.get(a), candidates.get(b)) {
        (Some(x), Some(y)) => y.score.cmp(&x.score).then_with(|| x.code.cmp(&y.code)),
        _ => Ordering::Equal,
    }
}

/// Later criteria first, the higher subtotal ahead; `Equal` only when equal on every criterion.
fn by_criteria_reverse(x: &Candidate, y: &Candidate) -> Ordering {
    let len = x.criteria.len().max(y.criteria.len());
    (0..len)
        .rev()
        .map(|i| {
            let a = x.criteria.get(i).copied().unwrap_or(Decimal::ZERO);
            let b = y.criteria.get(i).copied().unwrap_or(Decimal::ZERO);
            b.cmp(&a)
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

fn place_chain(candidates: &[Candidate], chain: &mut Vec<usize>, tie_break: TieBreak, placings: &mut Vec<Placing>) {
    let get = |i: usize| candidates.get(i);
    let tie_order = |a: &usize, b: &usize| -> Ordering {
        match (get(*a), get(*b)) {
            (Some(x), Some(y)) => {
                let split = match tie_break {
                    TieBreak::None => Ordering::Equal,
                    TieBreak::CriteriaReverse => by_criteria_reverse(x, y),
                };
                split.then_with(|| x.code.cmp(&y.code))
            }
            _ => Ordering::Equal,
        }
    };
    chain.sort_by(tie_order);
    let start = placings.len();
    let mut rank = rank_at(start);
    for (offset, &index) in chain.iter().enumerate() {
        if offset > 0 {
            let still_tied = match (tie_break, chain.get(offset - 1).and_then(|&i| get(i)), get(index)) {
                (TieBreak::None, _, _) => true,
                (TieBreak::CriteriaReverse, Some(above), Some(this)) => by_criteria_reverse(above, this).is_eq(),
                _ => false,
            };
            if !still_tied {
                rank = rank_at(start + offset);
            }
        }
        placings.push(Placing { index, rank });
    }
    chain.clear();
}

fn rank_at(listed_before: usize) -> u32 {
    u32::try_from(listed_before).unwrap_or(u32::MAX).saturating_add(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn c(code: &str, score: &str, criteria: &[&str]) -> Candidate {
        Candidate { code: code.to_string(), score: d(score), criteria: criteria.iter().map(|s| d(s)).collect() }
    }

    /// (code, rank) in result order.
    fn ranked(candidates: &[Candidate], tolerance: &str, tie_break: TieBreak) -> Vec<(String, u32)> {
        rank(candidates, d(tolerance), tie_break)
            .into_iter()
            .map(|p| (candidates[p.index].code.clone(), p.rank))
            .collect()
    }

    fn expect(pairs: &[(&str, u32)]) -> Vec<(String, u32)> {
        pairs.iter().map(|(c, r)| (c.to_string(), *r)).collect()
    }

    #[test]
    fn equal_scores_share_a_rank_and_the_next_rank_skips() {
        let cs = [c("D", "70", &[]), c("B", "90", &[]), c("C", "80", &[]), c("A", "80", &[])];
        assert_eq!(ranked(&cs, "0", TieBreak::None), expect(&[("B", 1), ("A", 2), ("C", 2), ("D", 4)]));
    }

    #[test]
    fn tolerance_ties_chain_through_close_scores() {
        // 80.00 − 79.60 ≤ 0.5 and 79.60 − 79.20 ≤ 0.5: all three tie though 80 − 79.2 > 0.5.
        let cs = [
            c("A", "80.00", &[]),
            c("B", "79.60", &[]),
            c("C", "79.20", &[]),
            c("D", "78.69", &[]),
            c("E", "78.20", &[]),
        ];
        assert_eq!(ranked(&cs, "0.5", TieBreak::None), expect(&[("A", 1), ("B", 1), ("C", 1), ("D", 4), ("E", 4)]));
        // A gap of exactly the tolerance still ties.
        let cs = [c("B", "10.5", &[]), c("A", "10", &[])];
        assert_eq!(ranked(&cs, "0.5", TieBreak::None), expect(&[("A", 1), ("B", 1)]));
        let cs = [c("B", "10.51", &[]), c("A", "10", &[])];
        assert_eq!(ranked(&cs, "0.5", TieBreak::None), expect(&[("B", 1), ("A", 2)]));
    }

    #[test]
    fn tied_entries_are_listed_by_code_even_across_a_tolerance() {
        let cs = [c("Z", "80", &[]), c("A", "79.9", &[])];
        assert_eq!(ranked(&cs, "0.1", TieBreak::None), expect(&[("A", 1), ("Z", 1)]));
    }

    #[test]
    fn criteria_reverse_splits_ties_from_the_last_criterion() {
        let cs = [
            c("A", "60", &["30", "20", "10"]),
            c("B", "60", &["20", "30", "10"]),
            c("C", "60", &["30", "10", "20"]),
            c("D", "60", &["20", "30", "10"]),
            c("E", "59", &["20", "19", "20"]),
        ];
        // C has the highest last criterion; B and D are equal on every criterion and stay tied
        // ahead of A, which loses on the middle criterion.
        assert_eq!(
            ranked(&cs, "0", TieBreak::CriteriaReverse),
            expect(&[("C", 1), ("B", 2), ("D", 2), ("A", 4), ("E", 5)])
        );
        assert_eq!(ranked(&cs, "0", TieBreak::None), expect(&[("A", 1), ("B", 1), ("C", 1), ("D", 1), ("E", 5)]));
    }

    #[test]
    fn criteria_reverse_orders_a_whole_tolerance_chain() {
        // The tolerance ties A and B by score; the tie-break then decides on criteria alone.
        let cs = [c("A", "60", &["40", "20"]), c("B", "59.5", &["29.5", "30"])];
        assert_eq!(ranked(&cs, "1", TieBreak::CriteriaReverse), expect(&[("B", 1), ("A", 2)]));
    }

    fn arb_candidates(max: usize) -> impl Strategy<Value = Vec<Candidate>> {
        // Few distinct cents values make ties common.
        prop::collection::vec((0i64..12, prop::collection::vec(0i64..4, 3)), 0..max).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (score, crit))| Candidate {
                    code: format!("E{i:02}"),
                    score: Decimal::new(score * 25, 2),
                    criteria: crit.into_iter().map(Decimal::from).collect(),
                })
                .collect()
        })
    }

    fn arb_tie_break() -> impl Strategy<Value = TieBreak> {
        prop_oneof![Just(TieBreak::None), Just(TieBreak::CriteriaReverse)]
    }

    fn arb_tolerance() -> impl Strategy<Value = Decimal> {
        (0i64..4).prop_map(|t| Decimal::new(t * 25, 2))
    }

    proptest! {
        #[test]
        fn ranking_is_a_permutation_with_1224_ranks(
            cs in arb_candidates(12), tol in arb_tolerance(), tb in arb_tie_break()
        ) {
            let placings = rank(&cs, tol, tb);
            let mut indices: Vec<usize> = placings.iter().map(|p| p.index).collect();
            indices.sort_unstable();
            prop_assert_eq!(indices, (0..cs.len()).collect::<Vec<_>>());
            for (position, p) in placings.iter().enumerate() {
                // Ranks never decrease in list order, and a rank is 1 + the entries strictly ahead.
                if position > 0 {
                    prop_assert!(placings[position - 1].rank <= p.rank);
                }
                let ahead = placings.iter().filter(|q| q.rank < p.rank).count();
                prop_assert_eq!(p.rank as usize, ahead + 1);
                // Entries sharing a rank are listed by code.
                if position > 0 && placings[position - 1].rank == p.rank {
                    prop_assert!(cs[placings[position - 1].index].code < cs[p.index].code);
                }
            }
        }

        #[test]
        fn with_tolerance_0_and_no_tie_break_the_list_is_sorted_and_equal_scores_iff_equal_ranks(
            cs in arb_candidates(12)
        ) {
            let placings = rank(&cs, Decimal::ZERO, TieBreak::None);
            for pair in placings.windows(2) {
                prop_assert!(cs[pair[0].index].score >= cs[pair[1].index].score);
            }
            for p in &placings {
                for q in &placings {
                    prop_assert_eq!(cs[p.index].score == cs[q.index].score, p.rank == q.rank);
                }
            }
        }

        #[test]
        fn with_a_tolerance_close_scores_tie_and_separate_ranks_are_more_than_it_apart(
            cs in arb_candidates(12), tol in arb_tolerance()
        ) {
            let placings = rank(&cs, tol, TieBreak::None);
            for p in &placings {
                for q in &placings {
                    let (sp, sq) = (cs[p.index].score, cs[q.index].score);
                    if (sp - sq).abs() <= tol {
                        prop_assert_eq!(p.rank, q.rank);
                    }
                    if p.rank < q.rank {
                        prop_assert!(sp - sq > tol);
                    }
                }
            }
        }

        #[test]
        fn criteria_reverse_ties_only_entries_equal_on_every_criterion(
            cs in arb_candidates(12), tol in arb_tolerance()
        ) {
            let with = rank(&cs, tol, TieBreak::CriteriaReverse);
            let without = rank(&cs, tol, TieBreak::None);
            let rank_of = |ps: &[Placing], i: usize| ps.iter().find(|p| p.index == i).map(|p| p.rank);
            for p in &with {
                for q in &with {
                    if p.rank == q.rank {
                        prop_assert_eq!(&cs[p.index].criteria, &cs[q.index].criteria);
                    }
                }
                // The tie-break only reorders within a tie group, never across groups.
                let base = rank_of(&without, p.index).unwrap();
                let group = without.iter().filter(|q| q.rank == base).count() as u32;
                prop_assert!(p.rank >= base && p.rank < base + group);
            }
            // Without tolerance, the list stays sorted by score.
            if tol.is_zero() {
                for pair in with.windows(2) {
                    prop_assert!(cs[pair[0].index].score >= cs[pair[1].index].score);
                }
            }
        }

        #[test]
        fn ranking_does_not_depend_on_input_order(
            cs in arb_candidates(10), tol in arb_tolerance(), tb in arb_tie_break(), seed in any::<u64>()
        ) {
            let mut shuffled = cs.clone();
            // A deterministic Fisher-Yates driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let named = |xs: &[Candidate]| -> Vec<(String, u32)> {
                rank(xs, tol, tb).into_iter().map(|p| (xs[p.index].code.clone(), p.rank)).collect()
            };
            prop_assert_eq!(named(&cs), named(&shuffled));
        }
    }
}
