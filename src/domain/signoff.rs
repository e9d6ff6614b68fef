//! Sign-off of a skill's marks: a gap (a missing mark) and the gaps an organizer accepted
//! when locking a skill anyway. Kept with the skill, carried by packages, shown on results.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A missing mark: an aspect of an entry with fewer current marks than it needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Gap {
    pub entry: String,
    pub aspect: String,
    pub have: u32,
    pub needed: u32,
}

/// Gaps accepted at sign-off, kept with the skill and shown on its result sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AcceptedGaps {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
    pub missing: Vec<Gap>,
}
