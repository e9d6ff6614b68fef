//! The competition medal table (§6): counting awards per delegation and ranking under an order.

use super::Medal;
use crate::domain::kinds::MedalOrder;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// One medal or medallion won by a delegation's entry in a published skill (a team counts once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    pub delegation: String,
    pub medal: Medal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MedalRow {
    pub delegation: String,
    pub gold: u32,
    pub silver: u32,
    pub bronze: u32,
    pub excellence: u32,
    /// Gold + silver + bronze; medallions are not medals.
    pub total: u32,
    pub points: u32,
    pub rank: u32,
    /// Another row holds the same rank (shown as `=2`).
    pub shared: bool,
}

impl MedalRow {
    fn new(delegation: &str) -> Self {
        MedalRow {
            delegation: delegation.to_string(),
            gold: 0,
            silver: 0,
            bronze: 0,
            excellence: 0,
            total: 0,
            points: 0,
            rank: 0,
            shared: false,
        }
    }

    fn add(&mut self, medal: Medal) {
        match medal {
            Medal::Gold => self.gold += 1,
            Medal::Silver => self.silver += 1,
            Medal::Bronze => self.bronze += 1,
            Medal::Excellence => self.excellence += 1,
        }
        self.points += medal.points();
        if medal != Medal::Excellence {
            self.total += 1;
        }
    }

    /// The keys of an order, compared highest first.
    fn key(&self, order: MedalOrder) -> Vec<u32> {
        match order {
            MedalOrder::Olympic => vec![self.gold, self.silver, self.bronze],
            MedalOrder::Total => vec![self.total, self.gold, self.silver, self.bronze],
            MedalOrder::Points => vec![self.points],
        }
    }

    fn won_something(&self) -> bool {
        self.total > 0 || self.excellence > 0
    }
}

/// The medal table under `order`. Delegations that won a medal or a medallion are ranked (equal on
/// every key of the order share the rank and are listed by code; the next rank skips); with
/// `all`, every other delegation follows, all sharing the rank after the last winner.
/// `delegations` lists every delegation of the competition; a delegation seen only in `awards`
/// is counted too.
pub fn medal_table(awards: &[Award], delegations: &[String], order: MedalOrder, all: bool) -> Vec<MedalRow> {
    let mut rows: BTreeMap<&str, MedalRow> = BTreeMap::new();
    for award in awards {
        rows.entry(award.delegation.as_str()).or_insert_with(|| MedalRow::new(&award.delegation)).add(award.medal);
    }
    let (mut winners, mut others): (Vec<MedalRow>, Vec<MedalRow>) =
        rows.into_values().partition(MedalRow::won_something);

    // Rows come out of the map by code, so the stable sort lists equal rows by code.
    winners.sort_by_key(|row| Reverse(row.key(order)));
    let keys: Vec<Vec<u32>> = winners.iter().map(|r| r.key(order)).collect();
    let mut rank = 0;
    for (position, row) in winners.iter_mut().enumerate() {
        let key = keys.get(position);
        if position == 0 || keys.get(position - 1) != key {
            rank = rank_at(position);
        }
        row.rank = rank;
        row.shared = keys.iter().filter(|k| Some(*k) == key).count() > 1;
    }

    if all {
        for code in delegations {
            let known = winners.iter().chain(others.iter()).any(|r| &r.delegation == code);
            if !known {
                others.push(MedalRow::new(code));
            }
        }
        others.sort_by(|a, b| a.delegation.cmp(&b.delegation));
        others.dedup_by(|a, b| a.delegation == b.delegation);
        let rank = rank_at(winners.len());
        let shared = others.len() > 1;
        for row in &mut others {
            row.rank = rank;
            row.shared = shared;
        }
        winners.extend(others);
    }
    winners
}

fn rank_at(listed_before: usize) -> u32 {
    u32::try_from(listed_before).unwrap_or(u32::MAX).saturating_add(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn awards(counts: &[(&str, u32, u32, u32, u32)]) -> Vec<Award> {
        let mut out = Vec::new();
        for &(delegation, g, s, b, e) in counts {
            for (medal, n) in [(Medal::Gold, g), (Medal::Silver, s), (Medal::Bronze, b), (Medal::Excellence, e)] {
                for _ in 0..n {
                    out.push(Award { delegation: delegation.to_string(), medal });
                }
            }
        }
        out
    }

    fn paris() -> Vec<Award> {
        awards(&[
            ("USA", 40, 44, 42, 0),
            ("CHN", 40, 27, 24, 0),
            ("JPN", 20, 12, 13, 0),
            ("AUS", 18, 19, 16, 0),
            ("FRA", 16, 26, 22, 0),
        ])
    }

    fn order_of(rows: &[MedalRow]) -> Vec<&str> {
        rows.iter().map(|r| r.delegation.as_str()).collect()
    }

    #[test]
    fn paris_2024_top_five_in_olympic_order() {
        let rows = medal_table(&paris(), &[], MedalOrder::Olympic, false);
        assert_eq!(order_of(&rows), ["USA", "CHN", "JPN", "AUS", "FRA"]);
        // USA and CHN both have 40 golds; silver decides.
        assert_eq!(rows.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(rows[0].total, 126);
        assert!(rows.iter().all(|r| !r.shared));
    }

    #[test]
    fn paris_2024_top_five_by_total_moves_france_up() {
        // SCORING.md says `total` puts FRA 2nd, but CHN's 91 medals beat FRA's 64 among these
        // five: FRA rises from 5th to 3rd (USA 126, CHN 91, FRA 64, AUS 53, JPN 45).
        let rows = medal_table(&paris(), &[], MedalOrder::Total, false);
        assert_eq!(order_of(&rows), ["USA", "CHN", "FRA", "AUS", "JPN"]);
        assert_eq!(rows.iter().map(|r| r.total).collect::<Vec<_>>(), [126, 91, 64, 53, 45]);
    }

    #[test]
    fn equal_rows_share_the_rank_listed_by_code_and_the_next_rank_skips() {
        let rows = medal_table(
            &awards(&[("ZZZ", 1, 0, 0, 0), ("BBB", 0, 1, 0, 0), ("AAA", 0, 1, 0, 3), ("CCC", 0, 0, 1, 0)]),
            &[],
            MedalOrder::Olympic,
            false,
        );
        assert_eq!(order_of(&rows), ["ZZZ", "AAA", "BBB", "CCC"]);
        assert_eq!(
            rows.iter().map(|r| (r.rank, r.shared)).collect::<Vec<_>>(),
            [(1, false), (2, true), (2, true), (4, false)]
        );
    }

    #[test]
    fn points_count_medallions_and_nothing_else() {
        // AAA: 4 + 1 = 5; BBB: 3 + 2 = 5; CCC: 2 + 1 + 1 = 4.
        let rows = medal_table(
            &awards(&[("AAA", 1, 0, 0, 1), ("BBB", 0, 1, 1, 0), ("CCC", 0, 0, 1, 2)]),
            &[],
            MedalOrder::Points,
            false,
        );
        assert_eq!(
            rows.iter().map(|r| (r.delegation.as_str(), r.points, r.rank)).collect::<Vec<_>>(),
            [("AAA", 5, 1), ("BBB", 5, 1), ("CCC", 4, 3)]
        );
        // Olympic order ignores the medallions but a medallion alone still lists a delegation.
        let rows = medal_table(&awards(&[("AAA", 0, 0, 0, 1)]), &[], MedalOrder::Olympic, false);
        assert_eq!(order_of(&rows), ["AAA"]);
        assert_eq!(rows[0].excellence, 1);
    }

    #[test]
    fn all_lists_delegations_without_awards_after_the_winners_sharing_one_rank() {
        let delegations: Vec<String> = ["AAA", "BBB", "CCC", "DDD"].iter().map(|s| s.to_string()).collect();
        let rows = medal_table(&awards(&[("CCC", 1, 0, 0, 0)]), &delegations, MedalOrder::Olympic, true);
        assert_eq!(order_of(&rows), ["CCC", "AAA", "BBB", "DDD"]);
        assert_eq!(
            rows.iter().map(|r| (r.rank, r.shared)).collect::<Vec<_>>(),
            [(1, false), (2, true), (2, true), (2, true)]
        );
        let rows = medal_table(&awards(&[("CCC", 1, 0, 0, 0)]), &delegations[..3], MedalOrder::Olympic, true);
        assert_eq!(rows.len(), 3);
        let without_all = medal_table(&awards(&[("CCC", 1, 0, 0, 0)]), &delegations, MedalOrder::Olympic, false);
        assert_eq!(order_of(&without_all), ["CCC"]);
        let one_other = medal_table(&awards(&[("CCC", 1, 0, 0, 0)]), &delegations[2..], MedalOrder::Olympic, true);
        assert_eq!((one_other[1].rank, one_other[1].shared), (2, false));
    }

    fn arb_awards() -> impl Strategy<Value = Vec<Award>> {
        let medal = prop_oneof![Just(Medal::Gold), Just(Medal::Silver), Just(Medal::Bronze), Just(Medal::Excellence)];
        prop::collection::vec((0usize..6, medal), 0..30)
            .prop_map(|xs| xs.into_iter().map(|(d, medal)| Award { delegation: format!("D{d}"), medal }).collect())
    }

    fn arb_order() -> impl Strategy<Value = MedalOrder> {
        prop_oneof![Just(MedalOrder::Olympic), Just(MedalOrder::Total), Just(MedalOrder::Points)]
    }

    proptest! {
        #[test]
        fn the_table_order_is_a_strict_weak_order_consistent_with_rank(
            awards in arb_awards(), order in arb_order(), all in any::<bool>()
        ) {
            let delegations: Vec<String> = (0..8).map(|d| format!("D{d}")).collect();
            let rows = medal_table(&awards, &delegations, order, all);
            let winners: Vec<&MedalRow> = rows.iter().filter(|r| r.won_something()).collect();
            // Winners come first.
            prop_assert!(rows.iter().take(winners.len()).all(|r| r.won_something()));
            for (i, a) in winners.iter().enumerate() {
                let ahead = winners.iter().filter(|b| b.key(order) > a.key(order)).count();
                prop_assert_eq!(a.rank as usize, ahead + 1);
                let sharing = winners.iter().filter(|b| b.key(order) == a.key(order)).count();
                prop_assert_eq!(a.shared, sharing > 1);
                if i > 0 {
                    let above = winners[i - 1];
                    prop_assert!(above.key(order) >= a.key(order));
                    if above.key(order) == a.key(order) {
                        prop_assert!(above.delegation < a.delegation);
                        prop_assert_eq!(above.rank, a.rank);
                    } else {
                        prop_assert!(above.rank < a.rank);
                    }
                }
                prop_assert_eq!(a.total, a.gold + a.silver + a.bronze);
                prop_assert_eq!(a.points, 4 * a.gold + 3 * a.silver + 2 * a.bronze + a.excellence);
            }
            let counted: u32 = rows.iter().map(|r| r.total + r.excellence).sum();
            prop_assert_eq!(counted as usize, awards.len());
            if all {
                prop_assert_eq!(rows.len(), 8);
                for r in rows.iter().skip(winners.len()) {
                    prop_assert_eq!(r.rank as usize, winners.len() + 1);
                }
            } else {
                prop_assert_eq!(rows.len(), winners.len());
            }
        }

        #[test]
        fn the_table_does_not_depend_on_award_order(
            awards in arb_awards(), order in arb_order()
        ) {
            let mut reversed = awards.clone();
            reversed.reverse();
            prop_assert_eq!(
                medal_table(&awards, &[], order, false),
                medal_table(&reversed, &[], order, false)
            );
        }
    }
}
