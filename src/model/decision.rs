//! What a decision says to do: the rows to store, the audit records, the skills whose
//! stored version must still be the one decided on, the new model, and what changed.
use super::competition::Competition;
use super::completeness::AcceptedGaps;
use super::ix::SkillIx;
use super::record::{
    CompetitionRecord, DelegationRecord, EntryRecord, JudgeRecord, MarkRecord, OverrideRecord, SessionRecord,
    SkillRecord, VoidRecord,
};
use crate::domain::kinds::{EntryStatus, Role, SkillState};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One row change. Records carry ids, so a write means the same on every instance.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// New marks, in order; the store assigns their `seq`.
    Marks(Vec<MarkRecord>),
    Void(VoidRecord),
    Override(OverrideRecord),
    /// A skill's state, and the gaps accepted at its sign-off (none outside `locked` and
    /// `published`).
    SkillState {
        skill: Uuid,
        state: SkillState,
        accepted_gaps: Option<AcceptedGaps>,
    },
    EntryStatus {
        entry: Uuid,
        status: EntryStatus,
    },
    Competition(CompetitionRecord),
    DeleteCompetition(Uuid),
    Delegation {
        record: DelegationRecord,
        new: bool,
    },
    DeleteDelegation(Uuid),
    /// A skill's settings; its marking scheme's rows too when `scheme` (a new skill, or a
    /// scheme edited while the skill has no marks).
    Skill {
        record: SkillRecord,
        new: bool,
        scheme: bool,
    },
    DeleteSkill(Uuid),
    Entry {
        record: EntryRecord,
        new: bool,
    },
    DeleteEntry(Uuid),
    Judge {
        record: JudgeRecord,
        new: bool,
    },
    DeleteJudge(Uuid),
    LoginCode {
        judge: Uuid,
        hash: String,
        issued_at: DateTime<Utc>,
    },
    /// Uses up a one-time code: stored only while the judge still holds `hash` (a code is
    /// single-use even when two instances take it at once).
    RedeemLoginCode {
        judge: Uuid,
        hash: String,
    },
    /// A new session for a judge who logged in with a code.
    Session(SessionRecord),
    RevokeJudgeSessions(Uuid),
    /// The ceremony as it now stands; stored only while the stored one is still at version
    /// `expected` (`None`: there was none), so two presenters cannot both move it.
    Ceremony {
        ceremony: super::ceremony::Ceremony,
        expected: Option<i64>,
    },
}

/// One entry of the append-only audit log (its competition is the decision's).
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub skill_id: Option<Uuid>,
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

/// A skill whose stored version must be `version` when the decision is stored; storing
/// bumps it by one. Another instance's write in between shows as a different version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    pub skill: Uuid,
    pub version: i64,
}

/// What the caller is told (the handler renders it, with the new model).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Marks stored, and marks recognised as sent before.
    Marks { accepted: usize, duplicates: usize },
    /// A skill's state after the write.
    Skill { skill: String, state: SkillState },
    /// Things created in bulk.
    Created { created: usize },
    /// A judge logged in with a one-time code.
    Session { judge: String, role: Role },
    /// Anything else: the caller reads the new model.
    Done,
}

/// A decided write.
#[derive(Clone, Debug)]
pub struct Decision {
    pub outcome: Outcome,
    /// The model once the decision is stored (`None`: the competition was deleted).
    pub model: Option<Competition>,
    pub writes: Vec<Write>,
    pub audit: Vec<AuditRecord>,
    pub guards: Vec<Guard>,
    /// Skills whose results or state changed.
    pub changed: Vec<SkillIx>,
    /// Registration changed (delegations, skills, entries, judges): live viewers get the
    /// change of every skill.
    pub structure: bool,
}

impl Decision {
    /// Nothing to store (every mark was a duplicate, say).
    pub fn nothing(model: &Competition, outcome: Outcome) -> Decision {
        Decision {
            outcome,
            model: Some(model.clone()),
            writes: Vec::new(),
            audit: Vec::new(),
            guards: Vec::new(),
            changed: Vec::new(),
            structure: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.audit.is_empty()
    }
}
