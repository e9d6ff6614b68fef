//! Deciding the judging life cycle: voiding a mark, an entry's status, lock, unlock,
//! publish, and accepting a flagged judgement panel.
use super::marks::{mark_json, mark_subject};
use super::{Draft, derive_id, find_skill, require_reason};
use crate::domain::Text;
use crate::domain::kinds::{EntryStatus, SkillState};
use crate::error::{ErrorCode, Rejection};
use crate::model::caller::Caller;
use crate::model::competition::{Competition, StoredOverride};
use crate::model::completeness::{self, AcceptedGaps};
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
    skill.void_mark(mark, Text::from(reason.as_str()));
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
    draft.skill_mut(s).touch(e);
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

/// Signs off a skill. An incomplete skill is refused with every gap listed, unless the
/// caller accepts the gaps with a reason; an active entry without any mark cannot be
/// accepted (it must be withdrawn first).
pub fn lock(
    c: &Competition,
    caller: &Caller,
    skill: &str,
    accept_missing: Option<String>,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
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
    let missing = completeness::gaps(c, s);
    let accepted = match (missing.is_empty(), accept_missing) {
        (true, _) => None,
        (false, None) => {
            let detail = format!("{} marks are missing; accept the gaps with a reason to lock anyway", missing.len());
            return Err(conflict_with(ErrorCode::MarksMissing, detail, "missing", json!(missing)));
        }
        (false, Some(reason)) => {
            let reason = require_reason(&reason)?;
            let unmarked = completeness::unmarked(c, s);
            if !unmarked.is_empty() {
                let detail = format!("{} active entries have no mark at all; withdraw them first", unmarked.len());
                return Err(conflict_with(ErrorCode::EntryUnmarked, detail, "entries", json!(unmarked)));
            }
            Some(AcceptedGaps { reason, by: caller.actor(), at: now, missing })
        }
    };
    let reason = accepted.as_ref().map(|gaps| gaps.reason.clone());
    Ok(move_state(c, caller, s, (SkillState::Locked, accepted), "skill.locked", reason))
}

fn conflict_with(code: ErrorCode, detail: String, key: &str, value: serde_json::Value) -> Rejection {
    let extra = serde_json::Map::from_iter([(key.to_owned(), value)]);
    Rejection::Conflict { code, detail, extra: Some(extra) }
}

pub fn unlock(c: &Competition, caller: &Caller, skill: &str, reason: String) -> Result<Decision, Rejection> {
    policy::require_admin(caller)?;
    let reason = require_reason(&reason)?;
    let s = find_skill(c, skill)?;
    let to = match c.skills[s].state {
        // Results the public saw are withdrawn for review, not silently back to marking.
        SkillState::Published => SkillState::UnderReview,
        SkillState::Locked => SkillState::Marking,
        _ => return Err(Rejection::conflict(ErrorCode::InvalidState, format!("skill '{skill}' is not locked"))),
    };
    Ok(move_state(c, caller, s, (to, None), "skill.unlocked", Some(reason)))
}

pub fn publish(c: &Competition, caller: &Caller, skill: &str) -> Result<Decision, Rejection> {
    policy::require_admin(caller)?;
    let s = find_skill(c, skill)?;
    let state = c.skills[s].state;
    if state != SkillState::Locked {
        let detail = format!("only a locked skill can be published; '{skill}' is {state}");
        return Err(Rejection::conflict(ErrorCode::InvalidState, detail));
    }
    let accepted = c.skills[s].accepted_gaps.as_deref().cloned();
    Ok(move_state(c, caller, s, (SkillState::Published, accepted), "skill.published", None))
}

/// Moves a skill to another state, with the gaps accepted at its sign-off (if any).
pub(super) fn move_state(
    c: &Competition,
    caller: &Caller,
    s: SkillIx,
    (to, accepted): (SkillState, Option<AcceptedGaps>),
    action: &'static str,
    reason: Option<String>,
) -> Decision {
    let from = c.skills[s].state;
    let mut draft = Draft::new(c);
    let skill = draft.skill_mut(s);
    skill.state = to;
    skill.accepted_gaps = accepted.clone().map(Arc::new);
    let (id, code) = (skill.id, skill.code().to_owned());
    let after = match &accepted {
        Some(gaps) => json!({ "state": to, "accepted_gaps": gaps.missing }),
        None => json!({ "state": to }),
    };
    draft.writes.push(Write::SkillState { skill: id, state: to, accepted_gaps: accepted });
    draft.audit.push(AuditRecord {
        skill_id: Some(id),
        actor: caller.actor(),
        action,
        subject: code,
        before: Some(json!({ "state": from })),
        after: Some(after),
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
    skill.push_override(StoredOverride {
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
