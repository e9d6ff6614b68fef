//! Who is asking: an authenticated caller, as the policy and the audit log see them. How a
//! token becomes a caller is `auth`'s business; what a caller may do is `policy`'s.
use crate::domain::kinds::Role;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A judge behind a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgeRef {
    pub id: Uuid,
    pub competition_id: Uuid,
    pub code: String,
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub session_id: Uuid,
    pub role: Role,
    pub username: Option<String>,
    pub judge: Option<JudgeRef>,
    pub expires_at: DateTime<Utc>,
}

impl Caller {
    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        match (&self.judge, &self.username) {
            (Some(judge), _) => format!("judge:{}", judge.code),
            (None, Some(username)) => format!("account:{username}"),
            _ => format!("session:{}", self.session_id),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// An organizer, for tests and the command line.
    pub fn organizer(username: &str) -> Caller {
        Caller {
            session_id: Uuid::nil(),
            role: Role::Admin,
            username: Some(username.to_owned()),
            judge: None,
            expires_at: DateTime::<Utc>::MAX_UTC,
        }
    }
}
