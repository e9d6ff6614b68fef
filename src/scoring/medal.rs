//! Medals within a skill (§5): by rank value, so shared ranks give the Olympic outcomes.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Medal {
    Gold,
    Silver,
    Bronze,
    /// The Medallion for Excellence.
    Excellence,
}

impl Medal {
    /// Points in the `points` medal table order.
    pub fn points(self) -> u32 {
        match self {
            Medal::Gold => 4,
            Medal::Silver => 3,
            Medal::Bronze => 2,
            Medal::Excellence => 1,
        }
    }
}

/// The award of a ranked entry. Going by the rank value (not the position) is what makes two
/// tied for first both gold with no silver, and two tied for second both silver with no bronze.
pub fn medal_for(rank: u32, score: Decimal, excellence_threshold: Option<Decimal>) -> Option<Medal> {
    match rank {
        1 => Some(Medal::Gold),
        2 => Some(Medal::Silver),
        3 => Some(Medal::Bronze),
        _ => excellence_threshold.filter(|threshold| score >= *threshold).map(|_| Medal::Excellence),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ranks_one_two_three_are_gold_silver_bronze() {
        let none = None;
        assert_eq!(medal_for(1, Decimal::ZERO, none), Some(Medal::Gold));
        assert_eq!(medal_for(2, Decimal::ZERO, none), Some(Medal::Silver));
        assert_eq!(medal_for(3, Decimal::ZERO, none), Some(Medal::Bronze));
        assert_eq!(medal_for(4, Decimal::from(1000), none), None);
    }

    #[test]
    fn a_medallion_needs_a_score_at_least_the_threshold() {
        let t = Some(Decimal::from(700));
        assert_eq!(medal_for(4, Decimal::from(700), t), Some(Medal::Excellence));
        assert_eq!(medal_for(9, Decimal::new(69999, 2), t), None);
        // A medal outranks the medallion.
        assert_eq!(medal_for(2, Decimal::from(900), t), Some(Medal::Silver));
    }

    #[test]
    fn medals_serialize_lowercase() {
        let json = serde_json::to_string(&[Medal::Gold, Medal::Excellence]).unwrap();
        assert_eq!(json, r#"["gold","excellence"]"#);
    }
}
