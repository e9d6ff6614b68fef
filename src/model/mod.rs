//! The competition in memory and every write as a pure decision. The model (typed indices,
//! built from records at the store's border) sits below every layer that reads it; `decide`
//! turns a command into what to store, audit and publish, with the policy beside it. Pure:
//! no I/O, no clock (`now` is a parameter).
pub mod build;
pub mod caller;
pub mod ceremony;
pub mod channel;
pub mod command;
pub mod competition;
pub mod completeness;
pub mod decide;
pub mod decision;
pub mod fleet;
pub mod grid;
pub mod ix;
pub mod package;
pub mod policy;
pub mod readiness;
pub mod record;
pub mod sorted;

pub use caller::{Caller, JudgeRef};
pub use channel::Channel;
pub use command::{Command, MarkIn};
pub use competition::{Competition, Delegation, Entry, Judge, Skill, StoredMark, StoredOverride};
pub use decide::{MarkGroup, decide, redeem_login_code};
pub use decision::{AuditRecord, Decision, Guard, Outcome, Write};
pub use ix::{AspectIx, DelegationIx, EntryIx, IxVec, JudgeIx, SkillIx};
