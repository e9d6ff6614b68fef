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

    proptest! {
        #[test]
        fn display_parses_back(n in -10_000_000i64..10_000_000) {
            prop_assert_eq!(Centi::parse(&Centi(n).to_string()), Ok(Centi(n)));
        }
    }
}
