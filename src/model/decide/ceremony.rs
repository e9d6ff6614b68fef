//! Deciding the closing ceremony: planning it, the presenter's next and back, rehearsals.
//! Revealing a skill's last step publishes it; taking that step back returns it to locked
//! (both audited with the step), so the public board follows the presenter exactly.
use super::judging::move_state;
use crate::domain::ceremony::{CeremonyInput, CeremonySkillInput};
use crate::domain::kinds::SkillState;
use crate::error::{ErrorCode, FieldError, Rejection};
use crate::model::caller::Caller;
use crate::model::ceremony::{self, Ceremony, PlanSkill, Step};
use crate::model::competition::Competition;
use crate::model::decision::{AuditRecord, Decision, Outcome, Write};
use crate::model::policy;
use crate::scoring::Medal;
use serde_json::json;
use std::sync::Arc;

fn parse_medal(text: &str) -> Option<Medal> {
    ceremony::REVEAL_ORDER.into_iter().find(|m| ceremony::medal_name(*m) == text)
}

/// The plan of `input`; `published_ok` lets published skills in (a package exported
/// mid-ceremony), else every skill must be locked.
pub fn plan_from(c: &Competition, input: &CeremonyInput, published_ok: bool) -> Result<Vec<PlanSkill>, Rejection> {
    if input.skills.is_empty() {
        return Err(Rejection::field("/skills", ErrorCode::Required, "name at least one locked skill"));
    }
    let mut plan: Vec<PlanSkill> = Vec::new();
    for (i, item) in input.skills.iter().enumerate() {
        let code = item.skill();
        let s = c.skill(code).ok_or_else(|| Rejection::unknown(ErrorCode::NotFound, format!("no skill '{code}'")))?;
        let skill = &c.skills[s];
        if plan.iter().any(|p| p.skill == skill.code()) {
            let detail = format!("skill '{code}' is in the plan twice");
            return Err(Rejection::field(&format!("/skills/{i}"), ErrorCode::DuplicateCode, detail));
        }
        let allowed = skill.state == SkillState::Locked || (published_ok && skill.state == SkillState::Published);
        if !allowed {
            let detail = format!("skill '{code}' is {}; only locked skills can be revealed", skill.state);
            return Err(Rejection::conflict(ErrorCode::SkillNotLocked, detail));
        }
        let steps = match item {
            CeremonySkillInput::Code(_) => ceremony::default_steps(&skill.result),
            CeremonySkillInput::Planned { steps, .. } => {
                let mut parsed = Vec::new();
                for (k, step) in steps.iter().enumerate() {
                    let medal = parse_medal(&step.medal).ok_or_else(|| {
                        let detail = format!("'{}' is not one of excellence, bronze, silver, gold", step.medal);
                        Rejection::field(&format!("/skills/{i}/steps/{k}/medal"), ErrorCode::InvalidChoice, detail)
                    })?;
                    parsed.push(Step { medal, entries: step.entries.clone() });
                }
                parsed
            }
        };
        if ceremony::check_steps(&skill.result, &steps).is_err() && steps.is_empty() {
            let detail = format!("nobody holds a medal in skill '{code}': there is nothing to reveal");
            return Err(Rejection::conflict(ErrorCode::NoMedals, detail));
        }
        if let Err(detail) = ceremony::check_steps(&skill.result, &steps) {
            return Err(Rejection::field(&format!("/skills/{i}/steps"), ErrorCode::InvalidValue, detail));
        }
        plan.push(PlanSkill { skill: skill.code().to_owned(), steps });
    }
    Ok(plan)
}

/// The ceremony of a package, checked against the imported model.
pub fn from_package(c: &Competition, input: &CeremonyInput) -> Result<Ceremony, Vec<FieldError>> {
    let offence = |r: Rejection| {
        let code = r.code();
        vec![FieldError::new("/ceremony", code, r.to_string())]
    };
    let plan = plan_from(c, input, true).map_err(offence)?;
    let mut ceremony = Ceremony::new(plan);
    if input.position > ceremony.total() {
        let detail = format!("the plan has {} steps, not {}", ceremony.total(), input.position);
        return Err(vec![FieldError::new("/ceremony/position", ErrorCode::OutOfRange, detail)]);
    }
    ceremony.position = input.position;
    ceremony.version = 1;
    Ok(ceremony)
}

/// What a package carries of a ceremony: the real plan and place (a rehearsal is not kept).
pub fn to_package(ceremony: &Ceremony) -> CeremonyInput {
    use crate::domain::ceremony::CeremonyStepInput;
    CeremonyInput {
        skills: ceremony
            .skills
            .iter()
            .map(|s| CeremonySkillInput::Planned {
                skill: s.skill.clone(),
                steps: s
                    .steps
                    .iter()
                    .map(|st| CeremonyStepInput {
                        medal: ceremony::medal_name(st.medal).to_owned(),
                        entries: st.entries.clone(),
                    })
                    .collect(),
            })
            .collect(),
        position: if ceremony.rehearsal { 0 } else { ceremony.position },
    }
}

fn current(c: &Competition) -> Result<&Ceremony, Rejection> {
    c.ceremony.as_deref().ok_or_else(|| Rejection::unknown(ErrorCode::NoCeremony, "no ceremony is planned yet"))
}

/// Stores the ceremony `to` in the decision (guarded by the version it was decided on).
fn finish(mut decision: Decision, c: &Competition, mut to: Ceremony, audit: AuditRecord) -> Decision {
    let expected = c.ceremony.as_ref().map(|old| old.version);
    to.version = expected.unwrap_or(0) + 1;
    decision.writes.push(Write::Ceremony { ceremony: to.clone(), expected });
    decision.audit.push(audit);
    if let Some(model) = decision.model.as_mut() {
        model.ceremony = Some(Arc::new(to));
    }
    decision.outcome = Outcome::Done;
    decision
}

fn audit(
    caller: &Caller,
    action: &'static str,
    subject: String,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        skill_id: None,
        actor: caller.actor(),
        action,
        subject,
        before: Some(before),
        after: Some(after),
        reason: None,
    }
}

pub fn plan(c: &Competition, caller: &Caller, input: &CeremonyInput) -> Result<Decision, Rejection> {
    policy::require_presenter(caller)?;
    if let Some(old) = c.ceremony.as_deref()
        && !old.rehearsal
        && old.position > 0
    {
        let detail = format!("{} steps are revealed; take them back before planning again", old.position);
        return Err(Rejection::conflict(ErrorCode::CeremonyInProgress, detail));
    }
    let plan = plan_from(c, input, false)?;
    let skills: Vec<&str> = plan.iter().map(|p| p.skill.as_str()).collect();
    let record = audit(caller, "ceremony.planned", c.code.clone(), json!(null), json!({ "skills": skills }));
    Ok(finish(Decision::nothing(c, Outcome::Done), c, Ceremony::new(plan), record))
}

/// Reveals the next step. Outside a rehearsal the step must still fit the results (its
/// skill locked, every entry holding the medal); the skill's last step publishes it.
pub fn next(c: &Competition, caller: &Caller) -> Result<Decision, Rejection> {
    policy::require_presenter(caller)?;
    let old = current(c)?;
    let Some((code, step, cursor)) = old.step_at(old.position + 1) else {
        return Err(Rejection::conflict(ErrorCode::CeremonyEnd, "every step is revealed"));
    };
    let mut decision = Decision::nothing(c, Outcome::Done);
    let mut skill_id = None;
    if !old.rehearsal {
        let s = super::find_skill(c, &code)?;
        let state = c.skills[s].state;
        if !matches!(state, SkillState::Locked | SkillState::Published) {
            let detail = format!("skill '{code}' is {state} since the plan was made; lock it and plan again");
            return Err(Rejection::conflict(ErrorCode::SkillNotLocked, detail));
        }
        if !ceremony::step_holds(c, s, &step) {
            let detail = format!("the results of '{code}' changed since the plan was made; plan again");
            return Err(Rejection::conflict(ErrorCode::CeremonyStale, detail));
        }
        if cursor.last && state == SkillState::Locked {
            let accepted = c.skills[s].accepted_gaps.as_deref().cloned();
            decision = move_state(c, caller, s, (SkillState::Published, accepted), "skill.published", None);
        }
        skill_id = Some(c.skills[s].id);
    }
    let mut to = old.clone();
    to.position += 1;
    let after = json!({
        "position": to.position, "skill": code, "medal": step.medal, "entries": step.entries,
        "rehearsal": old.rehearsal, "publishes": cursor.last && !old.rehearsal,
    });
    let mut record = audit(caller, "ceremony.next", code, json!({ "position": old.position }), after);
    record.skill_id = skill_id;
    Ok(finish(decision, c, to, record))
}

/// Takes the last revealed step back; taking back a skill's last step returns the skill
/// from published to locked.
pub fn back(c: &Competition, caller: &Caller) -> Result<Decision, Rejection> {
    policy::require_presenter(caller)?;
    let old = current(c)?;
    let Some((code, step, cursor)) = old.step_at(old.position) else {
        return Err(Rejection::conflict(ErrorCode::CeremonyEnd, "no step is revealed"));
    };
    let mut decision = Decision::nothing(c, Outcome::Done);
    let mut skill_id = None;
    let mut unpublishes = false;
    if !old.rehearsal
        && let Some(s) = c.skill(&code)
    {
        skill_id = Some(c.skills[s].id);
        if cursor.last && c.skills[s].state == SkillState::Published {
            let accepted = c.skills[s].accepted_gaps.as_deref().cloned();
            let reason = Some("ceremony step taken back".to_owned());
            decision = move_state(c, caller, s, (SkillState::Locked, accepted), "skill.unpublished", reason);
            unpublishes = true;
        }
    }
    let mut to = old.clone();
    to.position -= 1;
    let after = json!({
        "position": to.position, "skill": code, "medal": step.medal, "entries": step.entries,
        "rehearsal": old.rehearsal, "unpublishes": unpublishes,
    });
    let mut record = audit(caller, "ceremony.back", code, json!({ "position": old.position }), after);
    record.skill_id = skill_id;
    Ok(finish(decision, c, to, record))
}

/// Starts (`on`) or ends a rehearsal; either way the presenter starts from the first step.
/// A rehearsal cannot start once real steps are revealed.
pub fn rehearsal(c: &Competition, caller: &Caller, on: bool) -> Result<Decision, Rejection> {
    policy::require_presenter(caller)?;
    let old = current(c)?;
    if on && !old.rehearsal && old.position > 0 {
        let detail = format!("{} real steps are revealed; a rehearsal would hide them", old.position);
        return Err(Rejection::conflict(ErrorCode::CeremonyInProgress, detail));
    }
    if !on && !old.rehearsal {
        return Ok(Decision::nothing(c, Outcome::Done));
    }
    let mut to = old.clone();
    to.rehearsal = on;
    to.position = 0;
    let action = if on { "ceremony.rehearsal_started" } else { "ceremony.rehearsal_ended" };
    let before = json!({ "position": old.position, "rehearsal": old.rehearsal });
    let record = audit(caller, action, c.code.clone(), before, json!({ "position": 0, "rehearsal": on }));
    Ok(finish(Decision::nothing(c, Outcome::Done), c, to, record))
}
