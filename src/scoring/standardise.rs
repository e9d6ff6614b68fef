//! The robust scale (§3): median and MAD of the active entries' raw totals, and the scaled score.

use super::decimal::{div_round2, median};
use rust_decimal::Decimal;

/// The statistics a robust scale is anchored on, kept exact (they are never rounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RobustStats {
    pub median: Decimal,
    pub mad: Decimal,
}

impl RobustStats {
    /// `None` when there is nothing to anchor on (no active entry).
    pub fn of(raws: &[Decimal]) -> Option<Self> {
        let median = median(raws)?;
        let deviations: Vec<Decimal> = raws.iter().map(|raw| (*raw - median).abs()).collect();
        let mad = self::median(&deviations)?;
        Some(RobustStats { median, mad })
    }

    /// `centre + step × (raw − median) / (1.4826 × MAD)`, clamped to 0..=1000, rounded to 2 dp;
    /// the centre when MAD is 0.
    pub fn scale(&self, raw: Decimal, centre: Decimal, step: Decimal) -> Decimal {
        // Bounds with 2 decimals, so a clamped score still reads like every other one.
        let lowest = Decimal::new(0, 2);
        let highest = Decimal::new(100_000, 2);
        if self.mad.is_zero() {
            return crate::domain::round2(centre.clamp(lowest, highest));
        }
        let denominator = Decimal::new(14826, 4) * self.mad;
        // The centre goes inside the one division: half-away-from-zero rounding is not
        // translation invariant (700 − 0.005 rounds to 700.00, 700 + round(−0.005) to 699.99).
        let numerator = centre * denominator + step * (raw - self.median);
        // 0 and 1000 lie on the 2-decimal grid, so clamping after the monotone rounding gives
        // the same value as clamping first.
        div_round2(numerator, denominator).clamp(lowest, highest)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn ds(values: &[&str]) -> Vec<Decimal> {
        values.iter().map(|s| d(s)).collect()
    }

    const CENTRE: i64 = 700;
    const STEP: i64 = 30;

    fn scale(stats: &RobustStats, raw: &str) -> Decimal {
        stats.scale(d(raw), Decimal::from(CENTRE), Decimal::from(STEP))
    }

    #[test]
    fn median_and_mad_of_an_even_count_take_the_two_middle_values() {
        let stats = RobustStats::of(&ds(&["10", "20", "30", "50"])).unwrap();
        assert_eq!(stats.median, d("25"));
        // deviations 15, 5, 5, 25 → sorted 5, 5, 15, 25 → MAD 10
        assert_eq!(stats.mad, d("10"));
        // 700 + 30 × 25 / 14.826 = 750.5868…
        assert_eq!(scale(&stats, "50"), d("750.59"));
        assert_eq!(scale(&stats, "25"), d("700.00"));
        assert_eq!(scale(&stats, "10"), d("669.65"));
    }

    #[test]
    fn mad_zero_puts_every_entry_at_the_centre() {
        let stats = RobustStats::of(&ds(&["40", "50", "50", "50", "90"])).unwrap();
        assert_eq!(stats.mad, Decimal::ZERO);
        assert_eq!(scale(&stats, "90"), d("700"));
        assert_eq!(scale(&stats, "40"), d("700"));
    }

    #[test]
    fn scaled_scores_are_clamped_to_0_and_1000() {
        // median 50, MAD 0.01: one point is 30 / 0.014826 ≈ 2023 scaled points.
        let stats = RobustStats::of(&ds(&["49.99", "50", "50.01"])).unwrap();
        assert_eq!(stats.mad, d("0.01"));
        assert_eq!(scale(&stats, "51"), d("1000"));
        assert_eq!(scale(&stats, "100"), d("1000"));
        assert_eq!(scale(&stats, "49"), d("0"));
        assert_eq!(scale(&stats, "0"), d("0"));
        assert_eq!(scale(&stats, "50.01"), d("720.23"));
    }

    #[test]
    fn no_entries_give_no_scale() {
        assert_eq!(RobustStats::of(&[]), None);
    }
}
