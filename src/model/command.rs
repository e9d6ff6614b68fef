//! What a caller asks the competition to do: every write, as data.
use crate::domain::input::{CompetitionInput, DelegationInput, EntryInput, JudgeInput, SkillInput};
use crate::domain::kinds::EntryStatus;
use uuid::Uuid;

/// One mark of a batch as the client sent it (the value is checked by `decide`).
#[derive(Clone, Debug, PartialEq)]
pub struct MarkIn {
    pub id: Uuid,
    pub entry: String,
    pub aspect: String,
    pub value: serde_json::Value,
    pub judge: Option<String>,
    pub reason: Option<String>,
}

/// A write. Things are addressed by code (or id) as in URLs. Commands that create things
/// carry `fresh`, an id the new things' ids derive from, so that deciding stays pure.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// A batch of marks: all are stored or none.
    RecordMarks {
        marks: Vec<MarkIn>,
    },
    VoidMark {
        mark: Uuid,
        reason: String,
    },
    SetEntryStatus {
        entry: String,
        status: EntryStatus,
        reason: String,
    },
    /// Signs off a skill's marks; `accept_missing` is the reason for accepting its gaps.
    LockSkill {
        skill: String,
        accept_missing: Option<String>,
    },
    UnlockSkill {
        skill: String,
        reason: String,
    },
    PublishSkill {
        skill: String,
    },
    OverrideDiscrepancy {
        skill: String,
        entry: String,
        aspect: String,
        reason: String,
        fresh: Uuid,
    },
    UpdateCompetition {
        input: CompetitionInput,
    },
    DeleteCompetition,
    /// Creates a delegation (`existing: None`) or replaces the one addressed.
    SaveDelegation {
        existing: Option<String>,
        input: DelegationInput,
        fresh: Uuid,
    },
    DeleteDelegation {
        delegation: String,
    },
    /// Creates delegations in bulk (a CSV file), like [`Command::ImportEntries`].
    ImportDelegations {
        inputs: Vec<DelegationInput>,
        rows: Vec<u32>,
        fresh: Uuid,
    },
    SaveSkill {
        existing: Option<String>,
        input: Box<SkillInput>,
        fresh: Uuid,
    },
    DeleteSkill {
        skill: String,
    },
    SaveEntry {
        existing: Option<String>,
        input: EntryInput,
        fresh: Uuid,
    },
    DeleteEntry {
        entry: String,
    },
    /// Creates entries in bulk (a CSV file): all or nothing, every offence named by row.
    /// `rows` holds each input's spreadsheet row (the header is row 1).
    ImportEntries {
        inputs: Vec<EntryInput>,
        rows: Vec<u32>,
        fresh: Uuid,
    },
    SaveJudge {
        existing: Option<String>,
        input: JudgeInput,
        fresh: Uuid,
    },
    DeleteJudge {
        judge: String,
    },
    ImportJudges {
        inputs: Vec<JudgeInput>,
        rows: Vec<u32>,
        fresh: Uuid,
    },
    /// A new single-use log-in code (only its hash is kept); the judge's sessions end.
    IssueLoginCode {
        judge: String,
        code_hash: String,
    },
    /// Plans the closing ceremony (default steps for skills named by code alone).
    PlanCeremony {
        input: crate::domain::ceremony::CeremonyInput,
    },
    /// Reveals the ceremony's next step.
    CeremonyNext,
    /// Takes the last revealed step back.
    CeremonyBack,
    /// Starts or ends a rehearsal on generated data.
    CeremonyRehearsal {
        on: bool,
    },
}

impl Command {
    /// Marks are decided in groups (one storage transaction for many requests); every
    /// other command is decided and stored on its own.
    pub fn is_marks(&self) -> bool {
        matches!(self, Command::RecordMarks { .. })
    }
}
