//! Enumerations that travel as lower-case strings in JSON and in the database.

/// Defines a string enumeration with `as_str`, `parse` and serde/OpenAPI support.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
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

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Who a caller is: an organizer (`admin`), a chief judge, a judge, or the public.
    Role { Admin = "admin", Chief = "chief", Judge = "judge" }
);

string_enum!(
    /// A judge's role for every skill they are assigned to.
    JudgeRole { Judge = "judge", Chief = "chief" }
);

string_enum!(
    /// Life cycle of a skill: `setup → marking → locked → published`.
    SkillState { Setup = "setup", Marking = "marking", Locked = "locked", Published = "published" }
);

string_enum!(
    /// Entry status (SCORING.md §2).
    EntryStatus { Active = "active", Withdrawn = "withdrawn", Disqualified = "disqualified" }
);

string_enum!(
    /// Order of the medal table (SCORING.md §6).
    MedalOrder { Olympic = "olympic", Total = "total", Points = "points" }
);

string_enum!(
    AspectKind { Measurement = "measurement", Judgement = "judgement" }
);

string_enum!(
    Standardise { None = "none", Robust700 = "robust700" }
);

string_enum!(
    TieBreak { None = "none", CriteriaReverse = "criteria_reverse" }
);

string_enum!(
    AggregationMethod { Mean = "mean", Median = "median", Trimmed = "trimmed" }
);

impl SkillState {
    /// Marks may be entered only before the skill's marks are signed off.
    pub fn accepts_marks(self) -> bool {
        matches!(self, SkillState::Setup | SkillState::Marking)
    }
}
