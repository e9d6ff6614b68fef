//! The one authorization policy (DESIGN §7): who may read and write what, conflict of
//! interest included, and who may receive which live channel. `decide`, the handlers and
//! the live hub ask here; nothing else decides.
use super::caller::Caller;
use super::channel::Channel;
use super::competition::Competition;
use super::ix::{EntryIx, JudgeIx, SkillIx};
use crate::domain::kinds::{EntryStatus, JudgeRole, Role, SkillState};
use crate::error::{ErrorCode, Rejection};

/// A refusal of one item (a mark of a batch, a channel of a subscription).
pub type Refusal = (ErrorCode, String);

/// Organizer-only operations (registration, unlock, publish, audit log).
pub fn require_admin(caller: &Caller) -> Result<(), Rejection> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(Rejection::forbidden(ErrorCode::AdminOnly, "only an organizer may do this"))
    }
}

/// Who may plan and present the closing ceremony: organizers (sessions carry no
/// separate presenter role yet).
pub fn require_presenter(caller: &Caller) -> Result<(), Rejection> {
    require_admin(caller)
}

/// The caller's judge index in this competition, if the caller is one of its judges.
pub fn judge_in(caller: &Caller, c: &Competition) -> Option<JudgeIx> {
    caller.judge.as_ref().filter(|j| j.competition_id == c.id).and_then(|j| c.judge_by_id(j.id))
}

/// Organizers, and the competition's own judges (marks, judge lists): anyone else is refused.
pub fn require_judge_or_admin(caller: &Caller, c: &Competition) -> Result<Option<JudgeIx>, Rejection> {
    match judge_in(caller, c) {
        Some(j) => Ok(Some(j)),
        None if caller.is_admin() => Ok(None),
        None => Err(Rejection::forbidden(ErrorCode::NotAJudgeHere, "you are not a judge of this competition")),
    }
}

/// Whether the caller is a chief judge assigned to the skill.
pub fn is_chief_of(caller: &Caller, c: &Competition, skill: SkillIx) -> bool {
    judge_in(caller, c).is_some_and(|j| {
        let judge = &c.judges[j];
        judge.role == JudgeRole::Chief && judge.skills.contains(&skill)
    })
}

/// Chief-level operations on a skill (lock, resolve discrepancies, void a mark): the
/// skill's chief judges, and organizers, who may do whatever a chief may.
pub fn require_chief(caller: &Caller, c: &Competition, skill: SkillIx) -> Result<(), Rejection> {
    if caller.is_admin() || is_chief_of(caller, c, skill) {
        Ok(())
    } else {
        Err(Rejection::forbidden(ErrorCode::ChiefOnly, "only the skill's chief judge or an organizer may do this"))
    }
}

/// Whether unpublished results (rankings) of a skill may be shown to the caller: organizers
/// and the skill's chiefs only (no bias, no leaks).
pub fn sees_unpublished(caller: Option<&Caller>, c: &Competition, skill: SkillIx) -> bool {
    caller.is_some_and(|caller| caller.is_admin() || is_chief_of(caller, c, skill))
}

/// Whether results of a skill may be shown: published ones to everyone, unpublished ones
/// to those who [see unpublished results](sees_unpublished).
pub fn may_see_results(caller: Option<&Caller>, c: &Competition, skill: SkillIx) -> bool {
    c.skills[skill].state == SkillState::Published || sees_unpublished(caller, c, skill)
}

/// Whether the caller may see a skill's marks and discrepancies (its judges, chiefs, organizers).
pub fn may_see_marking(caller: &Caller, c: &Competition, skill: SkillIx) -> bool {
    caller.is_admin() || judge_in(caller, c).is_some_and(|j| c.judges[j].skills.contains(&skill))
}

/// Who reports a tablet's heartbeat: a judge of this competition, for themself only (a
/// named judge must be the caller).
pub fn tablet_reporter(caller: &Caller, c: &Competition, named: Option<&str>) -> Result<JudgeIx, Rejection> {
    let me = judge_in(caller, c).ok_or_else(|| {
        Rejection::forbidden(ErrorCode::NotAJudgeHere, "only a judge of this competition has a tablet")
    })?;
    match named {
        Some(code) if c.judge(code) != Some(me) => Err(Rejection::forbidden(
            ErrorCode::JudgeMismatch,
            format!("you report as '{}', not as '{code}'", c.judges[me].code),
        )),
        _ => Ok(me),
    }
}

/// Whose tablets the caller may watch: organizers every judge's, a chief judge those of the
/// judges sharing one of their skills; anyone else is refused.
pub fn fleet_judges(caller: &Caller, c: &Competition) -> Result<Vec<JudgeIx>, Rejection> {
    if caller.is_admin() {
        return Ok(c.judges.indices().collect());
    }
    let chief_skills: Vec<SkillIx> = c.skills.indices().filter(|&s| is_chief_of(caller, c, s)).collect();
    if chief_skills.is_empty() {
        return Err(Rejection::forbidden(ErrorCode::ChiefOnly, "only organizers and chief judges see the tablets"));
    }
    Ok(c.judges
        .enumerate()
        .filter(|(_, j)| j.skills.iter().any(|s| chief_skills.contains(s)))
        .map(|(i, _)| i)
        .collect())
}

/// Whether `judge` may ever mark `entry`: assigned to its skill and not of its delegation
/// (conflict of interest). The rule holds for marks sent live and marks in a package alike.
pub fn eligible(c: &Competition, judge: JudgeIx, entry: EntryIx) -> Result<(), Refusal> {
    let j = &c.judges[judge];
    let e = &c.entries[entry];
    if !j.skills.contains(&e.skill) {
        let skill = c.skills[e.skill].code();
        return Err((ErrorCode::JudgeNotAssigned, format!("judge '{}' is not assigned to skill '{skill}'", j.code)));
    }
    if j.delegation == e.delegation {
        return Err((
            ErrorCode::OwnDelegation,
            format!("judge '{}' may not mark '{}', an entry of their own delegation", j.code, e.code),
        ));
    }
    Ok(())
}

/// Whether `judge` may mark `entry` now: eligible, the skill not locked, the entry still
/// competing.
pub fn may_mark(c: &Competition, judge: JudgeIx, entry: EntryIx) -> Result<(), Refusal> {
    eligible(c, judge, entry)?;
    let e = &c.entries[entry];
    let skill = &c.skills[e.skill];
    if !skill.state.accepts_marks() {
        return Err((ErrorCode::SkillLocked, format!("skill '{}' is {}; marks are closed", skill.code(), skill.state)));
    }
    if e.status != EntryStatus::Active {
        return Err((ErrorCode::EntryNotActive, format!("entry '{}' is {}", e.code, e.status)));
    }
    Ok(())
}

/// Which judge a mark is entered as. A judge marks as themselves; an organizer typing in
/// a paper form names the judge, under the same policy.
pub fn marking_judge(caller: &Caller, c: &Competition, named: Option<&str>) -> Result<JudgeIx, Refusal> {
    match caller.role {
        Role::Admin => {
            let Some(code) = named else {
                return Err((ErrorCode::JudgeRequired, "an organizer must name the judge whose mark this is".into()));
            };
            c.judge(code).ok_or_else(|| (ErrorCode::UnknownJudge, format!("no judge '{code}'")))
        }
        Role::Chief | Role::Judge => {
            let Some(me) = judge_in(caller, c) else {
                return Err((ErrorCode::NotAJudgeHere, "you are not a judge of this competition".into()));
            };
            match named {
                Some(code) if c.judge(code) != Some(me) => {
                    Err((ErrorCode::JudgeMismatch, format!("you mark as '{}', not as '{code}'", c.judges[me].code)))
                }
                _ => Ok(me),
            }
        }
    }
}

/// What a live channel name resolves to for this caller, or why it is refused. Those who
/// may see unpublished results get a skill's private channel; everyone else follows the
/// public one, which shows results exactly while the skill is published.
pub fn channel(caller: Option<&Caller>, c: &Competition, name: &str) -> Result<Channel, Refusal> {
    if let Some(code) = name.strip_prefix("skill:") {
        let s = c.skill(code).ok_or_else(|| (ErrorCode::UnknownChannel, format!("no skill '{code}'")))?;
        let code = c.skills[s].code().to_owned();
        return Ok(if sees_unpublished(caller, c, s) { Channel::Skill(code) } else { Channel::PublicSkill(code) });
    }
    if let Some(code) = name.strip_prefix("judge:") {
        let j = c.judge(code).ok_or_else(|| (ErrorCode::UnknownChannel, format!("no judge '{code}'")))?;
        let allowed = caller.is_some_and(|caller| caller.is_admin() || judge_in(caller, c) == Some(j));
        if !allowed {
            return Err((ErrorCode::Forbidden, format!("only judge '{code}' and organizers may open this channel")));
        }
        return Ok(Channel::Judge(c.judges[j].code.clone()));
    }
    match name {
        "progress" => Ok(Channel::Progress),
        "medals" => Ok(Channel::Medals),
        // Both carry revealed ceremony steps and public events only: open to everyone.
        "ceremony" => Ok(Channel::Ceremony),
        "broadcast" => Ok(Channel::Broadcast),
        _ => Err((ErrorCode::UnknownChannel, format!("no channel '{name}'; see docs/live-protocol.md"))),
    }
}
