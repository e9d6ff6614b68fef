//! Deciding the judging life cycle: voiding a mark, an entry's status, lock, unlock,
//! publish, and accepting a flagged judgement panel.
use super::marks::{mark_json, mark_subject};
use super::{Draft, derive_id, find_skill, require_reason};
use crate::domain::kinds::{EntryStatus, SkillState};
use crate::error::{ErrorCode, Rejection};
use crate::model::caller::Caller;
use crate::model::competition::{Competition, StoredOverride};
use crate::model::decision::{AuditRecord, Decision, Outcome, Write};
use crate::model::ix::SkillIx;
use crate::model::policy;
use crate::model::record::{OverrideRecord, VoidRecord};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

pub fn void(
    c: &Competition,
    caller: &Caller,
    mark: Uuid,
    reason: String,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    let (s, stored) = c.find_mark(mark).ok_or_else(|| Rejection::not_found(format!("no mark {mark}")))?;
    policy::require_chief(caller, c, s)?;
    let reason = require_reason(&reason)?;
    if !c.skills[s].state.accepts_marks() {
        return Err(Rejection::conflict(ErrorCode::SkillLocked, "unlock the skill before voiding a mark"));
    }
    if stored.void.is_some() {
        return Err(Rejection::conflict(ErrorCode::AlreadyVoid, "the mark is void already"));
    }
    let audit = AuditRecord {
        skill_id: Some(c.skills[s].id),
        actor: caller.actor(),
        action: "mark.voided",
        subject: mark_subject(c, s, stored),
        before: Some(mark_json(c, s, stored)),
        after: None,
        reason: Some(reason.clone()),
    };
    let mut draft = Draft::new(c);
    let skill = draft.skill_mut(s);
    skill.void_mark(mark, Arc::from(reason.as_str()));
    let record = VoidRecord {
        mark_id: mark,
        skill_id: skill.id,
        reason,
        actor: caller.actor(),
        created_at: now,
        skill_version: skill.version,
    };
    draft.writes.push(Write::Void(record));
    draft.audit.push(audit);
    let outcome = state_outcome(&draft.model, s);
    Ok(draft.finish(outcome))
}

pub fn set_status(
    c: &Competition,
    caller: &Caller,
    entry: &str,
    status: EntryStatus,
    reason: String,
) -> Result<Decision, Rejection> {
    policy::require_admin(caller)?;
    let reason = require_reason(&reason)?;
    let e = c.entry(entry).ok_or_else(|| Rejection::unknown(ErrorCode::UnknownEntry, format!("no entry '{entry}'")))?;
    let s = c.entries[e].skill;
    if !c.skills[s].state.accepts_marks() {
        return Err(Rejection::conflict(ErrorCode::SkillLocked, "unlock the skill before changing an entry's status"));
    }
    let before = c.entries[e].status;
    let mut draft = Draft::new(c);
    draft.skill_mut(s);
    Arc::make_mut(&mut draft.model.entries)[e].status = status;
    draft.writes.push(Write::EntryStatus { entry: c.entries[e].id, status });
    draft.audit.push(AuditRecord {
        skill_id: Some(c.skills[s].id),
        actor: caller.actor(),
        action: "entry.status_changed",
        subject: c.entries[e].code.clone(),
        before: Some(json!({ "status": before })),
        after: Some(json!({ "status": status })),
        reason: Some(reason),
    });
    let outcome = state_outcome(&draft.model, s);
    Ok(draft.finish(outcome))
}

pub fn lock(c: &Competition, caller: &Caller, skill: &str) -> Result<Decision, Rejection> {
    let s = find_skill(c, skill)?;
    policy::require_chief(caller, c, s)?;
    let current = &c.skills[s];
    if !current.state.accepts_marks() {
        let detail = format!("skill '{skill}' is {} already", current.state);
        return Err(Rejection::conflict(ErrorCode::InvalidState, detail));
    }
    let open = current.result.open_discrepancies();
    if open > 0 {
        let detail = format!("{open} judgement discrepancies are open; resolve them before locking");
        return Err(Rejection::conflict(ErrorCode::OpenDiscrepancies, detail));
    }
    Ok(move_state(c, caller, s, SkillState::Locked, "skill.locked", None))
}

pub fn unlock(c: &Competition, caller: &Caller, skill: &str, reason: String) -> Result<Decision, Rejection> {
    policy::require_admin(caller)?;
    let reason = require_reason(&reason)?;
    let s = find_skill(c, skill)?;
    if c.skills[s].state.accepts_marks() {
        return Err(Rejection::conflict(ErrorCode::InvalidState, format!("skill '{skill}' is not locked")));
    }
    Ok(move_state(c, caller, s, SkillState::Marking, "skill.unlocked", Some(reason)))
}

pub fn publish(c: &Competition, caller: &Caller, skill: &str) -> Result<Decision, Rejection> {
    policy::require_admin(caller)?;
    let s = find_skill(c, skill)?;
    let state = c.skills[s].state;
    if state != SkillState::Locked {
        let detail = format!("only a locked skill can be published; '{skill}' is {state}");
        return Err(Rejection::conflict(ErrorCode::InvalidState, detail));
    }
    Ok(move_state(c, caller, s, SkillState::Published, "skill.published", None))
}

fn move_state(
    c: &Competition,
    caller: &Caller,
    s: SkillIx,
    to: SkillState,
    action: &'static str,
    reason: Option<String>,
) -> Decision {
    let from = c.skills[s].state;
    let mut draft = Draft::new(c);
    let skill = draft.skill_mut(s);
    skill.state = to;
    let (id, code) = (skill.id, skill.code().to_owned());
    draft.writes.push(Write::SkillState { skill: id, state: to });
    draft.audit.push(AuditRecord {
        skill_id: Some(id),
        actor: caller.actor(),
        action,
        subject: code,
        before: Some(json!({ "state": from })),
        after: Some(json!({ "state": to })),
        reason,
    });
    let outcome = state_outcome(&draft.model, s);
    draft.finish(outcome)
}

/// Accepts a flagged panel as it stands, until a later score changes it.
pub fn override_discrepancy(
    c: &Competition,
    caller: &Caller,
    (skill, entry, aspect): (&str, &str, &str),
    reason: String,
    fresh: Uuid,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    let s = find_skill(c, skill)?;
    let e = c.entry(entry).ok_or_else(|| Rejection::unknown(ErrorCode::UnknownEntry, format!("no entry '{entry}'")))?;
    if c.entries[e].skill != s {
        return Err(Rejection::field("/entry", ErrorCode::WrongSkill, "the entry is not in this skill"));
    }
    policy::require_chief(caller, c, s)?;
    let reason = require_reason(&reason)?;
    let current = &c.skills[s];
    let a = current.aspect_ix(aspect).ok_or_else(|| {
        Rejection::unknown(ErrorCode::UnknownAspect, format!("no aspect '{aspect}' in skill '{}'", current.code()))
    })?;
    let flagged = current.result.discrepancies.iter().any(|d| d.entry == entry && d.aspect == aspect && !d.overridden);
    if !flagged {
        return Err(Rejection::conflict(ErrorCode::NoDiscrepancy, "there is no open discrepancy to resolve here"));
    }
    let judge = policy::judge_in(caller, c);
    let (covers, covers_seq) = (current.marks().len(), current.max_seq());
    let id = derive_id(fresh, 0);
    let mut draft = Draft::new(c);
    let skill = draft.skill_mut(s);
    skill.overrides.push(StoredOverride {
        id,
        entry: e,
        aspect: a,
        judge,
        covers,
        covers_seq,
        reason: reason.clone(),
        actor: caller.actor(),
        created_at: now,
    });
    let skill_id = skill.id;
    draft.writes.push(Write::Override(OverrideRecord {
        id,
        skill_id,
        entry_id: c.entries[e].id,
        aspect_id: c.skills[s].aspect_ids[a],
        judge_id: judge.map(|j| c.judges[j].id),
        reason: reason.clone(),
        covers_seq,
        actor: caller.actor(),
        created_at: now,
    }));
    draft.audit.push(AuditRecord {
        skill_id: Some(skill_id),
        actor: caller.actor(),
        action: "discrepancy.overridden",
        subject: format!("{entry}/{aspect}"),
        before: None,
        after: None,
        reason: Some(reason),
    });
    let outcome = state_outcome(&draft.model, s);
    Ok(draft.finish(outcome))
}

fn state_outcome(c: &Competition, s: SkillIx) -> Outcome {
    Outcome::Skill { skill: c.skills[s].code().to_owned(), state: c.skills[s].state }
}
