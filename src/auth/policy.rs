//! The one authorization policy (DESIGN §7): who may read and write what, conflict of
//! interest included. Handlers and the engine ask here; nothing else decides.
use super::Caller;
use crate::domain::kinds::{EntryStatus, JudgeRole, Role, SkillState};
use crate::error::ApiError;
use crate::service::model::Competition;

/// Organizer-only operations (registration, unlock, publish, audit log).
pub fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() { Ok(()) } else { Err(ApiError::forbidden("admin_only", "only an organizer may do this")) }
}

/// The caller's judge index in this competition, if the caller is one of its judges.
pub fn judge_in(caller: &Caller, competition: &Competition) -> Option<usize> {
    caller.judge.as_ref().filter(|j| j.competition_id == competition.id).and_then(|j| competition.judge_by_id(j.id))
}

/// Whether the caller is a chief judge assigned to the skill.
pub fn is_chief_of(caller: &Caller, competition: &Competition, skill: usize) -> bool {
    judge_in(caller, competition).is_some_and(|j| {
        let judge = &competition.judges[j];
        judge.role == JudgeRole::Chief && judge.skills.contains(&skill)
    })
}

/// Chief-level operations on a skill (lock, resolve discrepancies, void a mark): the
/// skill's chief judges, and organizers, who may do whatever a chief may.
pub fn require_chief(caller: &Caller, competition: &Competition, skill: usize) -> Result<(), ApiError> {
    if caller.is_admin() || is_chief_of(caller, competition, skill) {
        Ok(())
    } else {
        Err(ApiError::forbidden("chief_only", "only the skill's chief judge or an organizer may do this"))
    }
}

/// Whether results (rankings) of a skill may be shown: published ones to everyone,
/// unpublished ones to organizers and the skill's chiefs only (no bias, no leaks).
pub fn may_see_results(caller: Option<&Caller>, competition: &Competition, skill: usize) -> bool {
    competition.skills[skill].state == SkillState::Published
        || caller.is_some_and(|c| c.is_admin() || is_chief_of(c, competition, skill))
}

/// Whether the caller may see a skill's marks and discrepancies (its judges, chiefs, organizers).
pub fn may_see_marking(caller: &Caller, competition: &Competition, skill: usize) -> bool {
    caller.is_admin() || judge_in(caller, competition).is_some_and(|j| competition.judges[j].skills.contains(&skill))
}

/// Whether `judge` may mark `entry` now: assigned to its skill, not of its delegation,
/// the skill not locked, the entry still competing. Returns a stable code and a detail.
pub fn may_mark(competition: &Competition, judge: usize, entry: usize) -> Result<(), (&'static str, String)> {
    let j = &competition.judges[judge];
    let e = &competition.entries[entry];
    let skill = &competition.skills[e.skill];
    if !j.skills.contains(&e.skill) {
        return Err(("judge_not_assigned", format!("judge '{}' is not assigned to skill '{}'", j.code, skill.code())));
    }
    if j.delegation == e.delegation {
        return Err((
            "own_delegation",
            format!("judge '{}' may not mark '{}', an entry of their own delegation", j.code, e.code),
        ));
    }
    if !skill.state.accepts_marks() {
        return Err(("skill_locked", format!("skill '{}' is {}; marks are closed", skill.code(), skill.state)));
    }
    if e.status != EntryStatus::Active {
        return Err(("entry_not_active", format!("entry '{}' is {}", e.code, e.status)));
    }
    Ok(())
}

/// Which judge a mark is entered as. A judge marks as themselves; an organizer typing in
/// a paper form names the judge, under the same policy.
pub fn marking_judge(
    caller: &Caller,
    competition: &Competition,
    named: Option<&str>,
) -> Result<usize, (&'static str, String)> {
    match caller.role {
        Role::Admin => {
            let Some(code) = named else {
                return Err(("judge_required", "an organizer must name the judge whose mark this is".into()));
            };
            competition.judge(code).ok_or_else(|| ("unknown_judge", format!("no judge '{code}'")))
        }
        Role::Chief | Role::Judge => {
            let Some(me) = judge_in(caller, competition) else {
                return Err(("not_a_judge_here", "you are not a judge of this competition".into()));
            };
            match named {
                Some(code) if competition.judge(code) != Some(me) => {
                    Err(("judge_mismatch", format!("you mark as '{}', not as '{code}'", competition.judges[me].code)))
                }
                _ => Ok(me),
            }
        }
    }
}
