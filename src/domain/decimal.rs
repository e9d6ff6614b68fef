//! Exact two-decimal quantities (marks, maxima, totals, settings).
//!
//! Stored as integer hundredths so that SQLite and PostgreSQL hold the same exact value,
//! and read from JSON strings or numbers without ever passing through a float.
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Rounds half away from zero to 2 decimals, as on a paper marking form: the one rounding
/// rule of SCORING.md, used wherever a decimal is rounded.
///
/// The result always carries exactly 2 decimals (`38.7` becomes `38.70`), so sums of marks and
/// their serialized form read like the marking form too.
pub fn round2(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// A non-negative or negative amount in hundredths: `Centi(7577)` is `75.77`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Centi(pub i64);

/// Why a value is not an exact two-decimal amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("not a number")]
    NotANumber,
    #[error("more than 2 decimals")]
    TooPrecise,
    #[error("out of range")]
    OutOfRange,
    #[error("not a plain decimal (digits, then optionally '.' and at most 2 decimals)")]
    NotPlain,
}

impl Centi {
    pub const ZERO: Centi = Centi(0);

    pub fn from_units(units: i64) -> Centi {
        Centi(units * 100)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Exact conversion; a decimal with more than 2 significant decimals is refused.
    pub fn from_decimal(value: Decimal) -> Result<Centi, DecimalError> {
        let normalized = value.normalize();
        if normalized.scale() > 2 {
            return Err(DecimalError::TooPrecise);
        }
        let hundredths = value.checked_mul(Decimal::ONE_HUNDRED).ok_or(DecimalError::OutOfRange)?;
        i64::try_from(hundredths).map(Centi).map_err(|_| DecimalError::OutOfRange)
    }

    /// Rounds half away from zero to 2 decimals ([`round2`]); saturates far beyond any score.
    pub fn round(value: Decimal) -> Centi {
        Centi::from_decimal(round2(value)).unwrap_or(Centi(if value.is_sign_negative() { i64::MIN } else { i64::MAX }))
    }

    pub fn parse(text: &str) -> Result<Centi, DecimalError> {
        let text = text.trim();
        let value = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|_| DecimalError::NotANumber)?;
        Centi::from_decimal(value)
    }

    /// Reads a JSON string or number exactly (`serde_json` keeps the number's text).
    pub fn from_json(value: &serde_json::Value) -> Result<Centi, DecimalError> {
        match value {
            serde_json::Value::Number(number) => Centi::parse(&number.to_string()),
            serde_json::Value::String(text) => Centi::parse(text),
            _ => Err(DecimalError::NotANumber),
        }
    }

    /// Reads a mark's value strictly: a plain decimal, `-?[0-9]+(\.[0-9]+)?`, as a keypad
    /// types it and as [`Centi`] displays it. No whitespace, `+`, exponent, or bare `.5`/`5.`:
    /// a mark is evidence, and what is stored must be what was plainly written. Leading zeros
    /// (`05.5`) read as written. Decimals past the second must be zeros (`5.250` is `5.25`,
    /// `1.005` is too precise); a `-` reads, for the range check to name it out of range.
    pub fn parse_mark(text: &str) -> Result<Centi, DecimalError> {
        let unsigned = text.strip_prefix('-');
        let digits = unsigned.unwrap_or(text);
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (digits, None),
        };
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !plain(whole) || fraction.is_some_and(|f| !plain(f)) {
            return Err(DecimalError::NotPlain);
        }
        let fraction = fraction.unwrap_or_default();
        if fraction.bytes().skip(2).any(|b| b != b'0') {
            return Err(DecimalError::TooPrecise);
        }
        let hundredths = fraction.bytes().chain(std::iter::repeat(b'0')).take(2);
        let mut value: i128 = 0;
        for b in whole.bytes().chain(hundredths) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i128::from(b - b'0')))
                .ok_or(DecimalError::OutOfRange)?;
        }
        let value = if unsigned.is_some() { -value } else { value };
        i64::try_from(value).map(Centi).map_err(|_| DecimalError::OutOfRange)
    }

    /// A mark's value from JSON, by [`Centi::parse_mark`]: a string, or a number written
    /// the same plain way (`serde_json` keeps a number's text, so `1e1` is refused too).
    pub fn from_mark_json(value: &serde_json::Value) -> Result<Centi, DecimalError> {
        match value {
            serde_json::Value::Number(number) => Centi::parse_mark(&number.to_string()),
            serde_json::Value::String(text) => Centi::parse_mark(text),
            _ => Err(DecimalError::NotANumber),
        }
    }

    /// Whole units, if the amount has no fraction (a judgement score).
    pub fn whole(self) -> Option<i64> {
        (self.0 % 100 == 0).then_some(self.0 / 100)
    }
}

impl fmt::Display for Centi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Centi {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Centi {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Centi::from_json(&value).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Centi {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("Exact decimal with at most 2 decimals; a string (\"75.77\") or a number in requests"))
            .examples(["75.77"])
            .into()
    }
}

impl utoipa::ToSchema for Centi {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strings_and_numbers_read_the_same() {
        let a: Centi = serde_json::from_str("\"16.75\"").unwrap();
        let b: Centi = serde_json::from_str("16.75").unwrap();
        let c: Centi = serde_json::from_str("1675e-2").unwrap();
        assert_eq!(a, Centi(1675));
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(serde_json::from_str::<Centi>("9.0").unwrap(), Centi(900));
    }

    #[test]
    fn more_than_two_decimals_is_refused_not_rounded() {
        assert_eq!(Centi::parse("1.005"), Err(DecimalError::TooPrecise));
        assert_eq!(Centi::parse("1.500"), Ok(Centi(150)));
        assert!(serde_json::from_str::<Centi>("1.00000000000000001").is_err());
        assert!(serde_json::from_str::<Centi>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Centi>("true").is_err());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(Centi::round(Decimal::from_str("0.225").unwrap()), Centi(23));
        assert_eq!(Centi::round(Decimal::from_str("-0.225").unwrap()), Centi(-23));
        assert_eq!(Centi::round(Decimal::from_str("0.2249").unwrap()), Centi(22));
    }

    #[test]
    fn marks_are_plain_decimals() {
        let read = |text: &str| Centi::parse_mark(text);
        for (text, centi) in [("5", 500), ("5.25", 525), ("5.2", 520), ("0", 0), ("05.5", 550), ("5.250", 525)] {
            assert_eq!(read(text), Ok(Centi(centi)), "{text}");
        }
        assert_eq!(read("-1"), Ok(Centi(-100)), "read, then refused by the range check");
        for text in
            ["  5 ", " 5", "5 ", "+5", "1e-2", "1E2", "5.", ".5", "", "-", "--1", "-+1", "5,5", "0x10", "٥", "5.2.1"]
        {
            assert_eq!(read(text), Err(DecimalError::NotPlain), "{text:?}");
        }
        assert_eq!(read("1.005"), Err(DecimalError::TooPrecise));
        assert_eq!(read("99999999999999999999999"), Err(DecimalError::OutOfRange));
        assert_eq!(read(&"9".repeat(100)), Err(DecimalError::OutOfRange));
    }

    #[test]
    fn json_marks_read_strings_and_plain_numbers_only() {
        let read = |json: &str| Centi::from_mark_json(&serde_json::from_str(json).unwrap());
        assert_eq!(read("5.25"), Ok(Centi(525)));
        assert_eq!(read("5"), Ok(Centi(500)));
        assert_eq!(read("\"5.25\""), Ok(Centi(525)));
        assert_eq!(read("1e1"), Err(DecimalError::NotPlain));
        assert_eq!(read("1675e-2"), Err(DecimalError::NotPlain));
        assert_eq!(read("\"+5\""), Err(DecimalError::NotPlain));
        assert_eq!(read("true"), Err(DecimalError::NotANumber));
        assert_eq!(read("null"), Err(DecimalError::NotANumber));
    }

    proptest! {
        #[test]
        fn display_parses_back(n in -10_000_000i64..10_000_000) {
            prop_assert_eq!(Centi::parse(&Centi(n).to_string()), Ok(Centi(n)));
        }

        #[test]
        fn every_centi_displays_as_a_mark_the_strict_parser_reads_back(n in any::<i64>()) {
            prop_assert_eq!(Centi::parse_mark(&Centi(n).to_string()), Ok(Centi(n)));
        }

        #[test]
        fn the_strict_parser_never_reads_what_the_lenient_one_reads_differently(text in "[-+ .eE0-9]{0,12}") {
            if let Ok(strict) = Centi::parse_mark(&text) {
                prop_assert_eq!(Centi::parse(&text), Ok(strict));
            }
        }
    }
}
