//! Every write as a pure decision: `decide(&Competition, &Caller, Command, now)` checks the
//! command against the model and the policy and says what to store, what to audit, which
//! stored versions it relies on, and what the model becomes. No I/O here: the engine stores
//! a decision in one transaction, then answers, then publishes.
pub mod ceremony;
mod judging;
mod marks;
mod registration;
mod roster;
#[cfg(test)]
mod tests;

pub use marks::MarkGroup;
pub use registration::redeem_login_code;

use super::caller::Caller;
use super::command::Command;
use super::competition::{Competition, Skill};
use super::decision::{AuditRecord, Decision, Guard, Outcome, Write};
use super::ix::SkillIx;
use crate::error::{ErrorCode, Rejection};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// Decides one command.
pub fn decide(c: &Competition, caller: &Caller, command: Command, now: DateTime<Utc>) -> Result<Decision, Rejection> {
    match command {
        Command::RecordMarks { marks } => {
            let mut group = MarkGroup::new(c);
            let outcome = group.decide(caller, marks, now)?;
            Ok(group.finish(outcome))
        }
        Command::VoidMark { mark, reason } => judging::void(c, caller, mark, reason, now),
        Command::SetEntryStatus { entry, status, reason } => judging::set_status(c, caller, &entry, status, reason),
        Command::LockSkill { skill, accept_missing } => judging::lock(c, caller, &skill, accept_missing, now),
        Command::UnlockSkill { skill, reason } => judging::unlock(c, caller, &skill, reason),
        Command::PublishSkill { skill } => judging::publish(c, caller, &skill),
        Command::OverrideDiscrepancy { skill, entry, aspect, reason, fresh } => {
            judging::override_discrepancy(c, caller, (&skill, &entry, &aspect), reason, fresh, now)
        }
        Command::PlanCeremony { input } => ceremony::plan(c, caller, &input),
        Command::CeremonyNext => ceremony::next(c, caller),
        Command::CeremonyBack => ceremony::back(c, caller),
        Command::CeremonyRehearsal { on } => ceremony::rehearsal(c, caller, on),
        other => registration::decide(c, caller, other, now),
    }
}

/// A decision in the making: a working copy of the model, and what to store.
pub(crate) struct Draft {
    pub model: Competition,
    pub writes: Vec<Write>,
    pub audit: Vec<AuditRecord>,
    pub guards: Vec<Guard>,
    pub changed: Vec<SkillIx>,
}

impl Draft {
    pub fn new(c: &Competition) -> Draft {
        Draft { model: c.clone(), writes: Vec::new(), audit: Vec::new(), guards: Vec::new(), changed: Vec::new() }
    }

    /// The skill to change: its stored version is guarded (once) and bumped by one.
    pub fn skill_mut(&mut self, s: SkillIx) -> &mut Skill {
        if !self.changed.contains(&s) {
            let skill = &self.model.skills[s];
            self.guards.push(Guard { skill: skill.id, version: skill.version });
            self.changed.push(s);
            Arc::make_mut(&mut self.model.skills[s]).version += 1;
        }
        Arc::make_mut(&mut self.model.skills[s])
    }

    /// Rescores the changed skills and hands the decision over.
    pub fn finish(mut self, outcome: Outcome) -> Decision {
        let changed = self.changed.clone();
        self.model.rescore(&changed);
        Decision {
            outcome,
            model: Some(self.model),
            writes: self.writes,
            audit: self.audit,
            guards: self.guards,
            changed: self.changed,
            structure: false,
        }
    }
}

pub(crate) fn require_reason(reason: &str) -> Result<String, Rejection> {
    let reason = reason.trim();
    if reason.is_empty() {
        Err(Rejection::field("/reason", ErrorCode::ReasonRequired, "give a reason"))
    } else {
        Ok(reason.to_owned())
    }
}

pub(crate) fn find_skill(c: &Competition, key: &str) -> Result<SkillIx, Rejection> {
    c.skill(key).ok_or_else(|| Rejection::not_found(format!("no skill '{key}'")))
}

/// An id for the `n`th thing a command creates, derived from the command's fresh id.
pub(crate) fn derive_id(fresh: Uuid, n: usize) -> Uuid {
    if n == 0 { fresh } else { Uuid::new_v5(&fresh, &(n as u64).to_be_bytes()) }
}
