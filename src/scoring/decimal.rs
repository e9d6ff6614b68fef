//! Exact decimal arithmetic for marks: the one rounding rule, exact division with it, and medians.

use crate::domain::round2;
use rust_decimal::Decimal;

/// Zero with 2 decimals, the starting point of every sum of marks.
pub const ZERO2: Decimal = Decimal::from_parts(0, 0, 0, false, 2);

/// `numerator / denominator` rounded half away from zero to 2 decimals.
///
/// A `Decimal` quotient is itself rounded at 28 digits, and a quotient that lands just under a
/// midpoint could be pushed onto it by that first rounding; dividing integers with a remainder
/// decides the midpoint exactly instead. A zero denominator yields zero (callers never pass one).
pub fn div_round2(numerator: Decimal, denominator: Decimal) -> Decimal {
    if denominator.is_zero() {
        return ZERO2;
    }
    exact_div_round2(numerator, denominator).unwrap_or_else(|| {
        // Only reachable for magnitudes far beyond any marking scheme, where i128 overflows.
        numerator.checked_div(denominator).map(round2).unwrap_or(ZERO2)
    })
}

fn exact_div_round2(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    // n / d × 100 = (mn / 10^sn) / (md / 10^sd) × 100 = mn × 10^sd × 100 / (md × 10^sn)
    let scaled_numerator = numerator.mantissa().checked_mul(pow10(denominator.scale())?)?.checked_mul(100)?;
    let scaled_denominator = denominator.mantissa().checked_mul(pow10(numerator.scale())?)?;
    let negative = (scaled_numerator < 0) != (scaled_denominator < 0);
    let a = scaled_numerator.unsigned_abs();
    let b = scaled_denominator.unsigned_abs();
    let (quotient, remainder) = (a / b, a % b);
    // Working on magnitudes makes "half up" mean "half away from zero"; `r >= b - r` is
    // `2r >= b` without the overflow.
    let magnitude = if remainder >= b - remainder { quotient.checked_add(1)? } else { quotient };
    let magnitude = i128::try_from(magnitude).ok()?;
    let cents = if negative { -magnitude } else { magnitude };
    Decimal::try_from_i128_with_scale(cents, 2).ok()
}

fn pow10(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

/// Median of already sorted values; the mean of the two middle values for an even count.
pub fn median_sorted(sorted: &[Decimal]) -> Option<Decimal> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let upper = sorted.get(n / 2).copied()?;
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = sorted.get(n / 2 - 1).copied()?;
    // Halving a decimal always terminates, so this is exact.
    Some((lower + upper) / Decimal::TWO)
}

/// Median of values in any order.
pub fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    median_sorted(&sorted)
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

    #[test]
    fn rounding_goes_half_away_from_zero() {
        assert_eq!(round2(d("0.225")), d("0.23"));
        assert_eq!(round2(d("0.224999")), d("0.22"));
        assert_eq!(round2(d("-0.225")), d("-0.23"));
        assert_eq!(round2(d("699.995")), d("700.00"));
        assert_eq!(round2(d("38.7")).to_string(), "38.70");
        assert_eq!(div_round2(d("10"), d("4")).to_string(), "2.50");
        assert_eq!(ZERO2.to_string(), "0.00");
    }

    #[test]
    fn the_worked_example_max_1_35_with_scores_1_and_0_gives_0_23() {
        // 1.35 × 1 / (3 × 2) = 0.225 → 0.23
        assert_eq!(div_round2(d("1.35") * d("1"), d("6")), d("0.23"));
    }

    #[test]
    fn exact_division_rounds_repeating_quotients_correctly() {
        assert_eq!(div_round2(d("2"), d("3")), d("0.67"));
        assert_eq!(div_round2(d("-2"), d("3")), d("-0.67"));
        assert_eq!(div_round2(d("1"), d("-8")), d("-0.13"));
        assert_eq!(div_round2(d("10"), d("0")), Decimal::ZERO);
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_two_middle_values() {
        assert_eq!(median(&[d("4"), d("1"), d("3"), d("2")]), Some(d("2.5")));
        assert_eq!(median(&[d("3"), d("1"), d("2")]), Some(d("2")));
        assert_eq!(median(&[]), None);
    }

    proptest! {
        #[test]
        fn exact_division_matches_rounding_of_a_terminating_quotient(
            n in -1_000_000i64..1_000_000, d_exp in 0u32..4, sign in any::<bool>()
        ) {
            // Powers of two and five keep the quotient terminating, so plain rounding is exact.
            let den = Decimal::from(2i64.pow(d_exp) * 5i64.pow(3 - d_exp.min(3)))
                * if sign { Decimal::ONE } else { Decimal::NEGATIVE_ONE };
            let num = Decimal::new(n, 3);
            prop_assert_eq!(div_round2(num, den), round2(num / den));
        }
    }
}
