//! The enumerations of Podium, defined once: stored as text columns (`DeriveActiveEnum`),
//! sent as snake_case JSON, and used as they are by the domain, the model and the scoring
//! engine. Only what every layer needs lives here: spelling, parsing and a few pure facts.
use sea_orm::entity::prelude::*;

/// Defines a text-backed enumeration with `as_str`, `parse`, `choices`, `Display`, serde,
/// OpenAPI and sea-orm support, all from one list of spellings.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum,
            serde::Serialize, serde::Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $text)] #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted spellings, for error messages.
            pub fn choices() -> String {
                [$($text),+].join(", ")
            }
        }

        // By hand: the derive does not see a `serde(rename)` whose spelling comes from a
        // macro argument, and would document the Rust names instead of the wire ones.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Who a caller is: an organizer (`admin`), a chief judge, a judge; the public has none.
    Role { Admin = "admin", Chief = "chief", Judge = "judge" }
);

text_enum!(
    /// A judge's role for every skill they are assigned to.
    JudgeRole { Judge = "judge", Chief = "chief" }
);

text_enum!(
    /// Life cycle of a skill: `setup → marking → locked → published`; a published skill
    /// that is unlocked is `under_review` until it is locked again.
    SkillState {
        Setup = "setup",
        Marking = "marking",
        Locked = "locked",
        Published = "published",
        UnderReview = "under_review",
    }
);

text_enum!(
    /// Entry status (SCORING.md §2): only active entries are ranked.
    EntryStatus { Active = "active", Withdrawn = "withdrawn", Disqualified = "disqualified" }
);

text_enum!(
    /// Order of the medal table (SCORING.md §6).
    MedalOrder {
        /// Gold, then silver, then bronze.
        Olympic = "olympic",
        /// Total medals, then gold, silver, bronze.
        Total = "total",
        /// Gold 4, silver 3, bronze 2, medallion 1.
        Points = "points",
    }
);

text_enum!(
    /// How an aspect is marked: one objective mark, or a panel of 0–3 scores.
    AspectKind { Measurement = "measurement", Judgement = "judgement" }
);

text_enum!(
    /// Standardisation of raw totals: none, or the robust scale (centre and step are
    /// settings of the skill; `robust700` is 700 and 30 by default).
    Standardise { None = "none", Robust700 = "robust700" }
);

text_enum!(
    /// Tie-break among entries with equal scores.
    TieBreak {
        None = "none",
        /// Compare criterion subtotals from the last criterion to the first.
        CriteriaReverse = "criteria_reverse",
    }
);

text_enum!(
    /// How a judgement panel's scores become one score (`trimmed` takes the skill's `k`).
    AggregationMethod { Mean = "mean", Median = "median", Trimmed = "trimmed" }
);

impl SkillState {
    /// Marks may be entered only before the skill's marks are signed off.
    pub fn accepts_marks(self) -> bool {
        matches!(self, SkillState::Setup | SkillState::Marking | SkillState::UnderReview)
    }
}

impl Role {
    /// The session role of a judge with this role.
    pub fn of_judge(role: JudgeRole) -> Role {
        match role {
            JudgeRole::Chief => Role::Chief,
            JudgeRole::Judge => Role::Judge,
        }
    }
}
