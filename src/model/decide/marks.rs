//! Deciding marks. Several requests are decided one after another on one working model and
//! stored together (group commit); each request is all or nothing, and its outcome is its
//! own. A mark whose id was stored before is a duplicate, recognised before any other check.
use super::Draft;
use crate::domain::kinds::{AspectKind, SkillState};
use crate::domain::spec::check_value;
use crate::domain::{Centi, Text};
use crate::error::{ErrorCode, FieldError, Rejection};
use crate::model::caller::Caller;
use crate::model::command::MarkIn;
use crate::model::competition::{Competition, StoredMark};
use crate::model::decision::{AuditRecord, Decision, Outcome, Write};
use crate::model::ix::{AspectIx, EntryIx, JudgeIx, SkillIx};
use crate::model::policy;
use crate::model::record::MarkRecord;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

/// Marks of several requests, decided on one working model and rescored once at the end.
pub struct MarkGroup {
    draft: Draft,
    marks: Vec<MarkRecord>,
}

/// A mark that passed every check, waiting for the rest of its request.
struct Accepted {
    skill: SkillIx,
    mark: StoredMark,
    audit: AuditRecord,
}

impl MarkGroup {
    pub fn new(c: &Competition) -> MarkGroup {
        MarkGroup { draft: Draft::new(c), marks: Vec::new() }
    }

    /// The working model: the competition with the marks accepted so far.
    pub fn model(&self) -> &Competition {
        &self.draft.model
    }

    /// Decides one request against the marks accepted so far. Refused: nothing of it is kept.
    pub fn decide(&mut self, caller: &Caller, marks: Vec<MarkIn>, now: DateTime<Utc>) -> Result<Outcome, Rejection> {
        let c = &self.draft.model;
        if let Some(judge) = &caller.judge
            && judge.competition_id != c.id
        {
            return Err(Rejection::forbidden(ErrorCode::NotAJudgeHere, "you are not a judge of this competition"));
        }
        let mut errors = Vec::new();
        let mut accepted: Vec<Accepted> = Vec::new();
        let mut duplicates = 0;
        let mut seen = HashSet::new();
        let total = marks.len();
        for (index, m) in marks.into_iter().enumerate() {
            let error = |field: &str, code: ErrorCode, detail: String| FieldError {
                index: Some(index),
                id: Some(m.id.to_string()),
                ..FieldError::new(format!("/marks/{index}{field}"), code, detail)
            };
            // What can be resolved is resolved first: a duplicate is recognised before any
            // other check (even on a skill locked since).
            let entry = c.entry(&m.entry);
            let judge = policy::marking_judge(caller, c, m.judge.as_deref());
            let aspect = entry.and_then(|e| c.skill_of(e).aspect_ix(&m.aspect));
            let value = Centi::from_mark_json(&m.value);
            if let Some((_, stored)) = c.find_mark(m.id) {
                let same = entry == Some(stored.entry)
                    && aspect == Some(stored.aspect)
                    && judge.as_ref().ok() == Some(&stored.judge)
                    && value.as_ref().ok() == Some(&stored.value);
                if same {
                    duplicates += 1;
                    continue;
                }
                return Err(Rejection::conflict(
                    ErrorCode::MarkIdConflict,
                    format!("mark {} was stored already with a different body", m.id),
                ));
            }
            if !seen.insert(m.id) {
                errors.push(error("/id", ErrorCode::DuplicateId, "the same id appears twice in this batch".into()));
                continue;
            }
            let Some(e) = entry else {
                errors.push(error("/entry", ErrorCode::UnknownEntry, format!("no entry '{}'", m.entry)));
                continue;
            };
            let s = c.entries[e].skill;
            let skill = &c.skills[s];
            let Some(a) = aspect else {
                let detail = format!("skill '{}' has no aspect '{}'", skill.code(), m.aspect);
                errors.push(error("/aspect", ErrorCode::UnknownAspect, detail));
                continue;
            };
            let j = match judge {
                Ok(j) => j,
                Err((code, detail)) => {
                    errors.push(error("/judge", code, detail));
                    continue;
                }
            };
            if let Err((code, detail)) = policy::may_mark(c, j, e) {
                errors.push(error("", code, detail));
                continue;
            }
            let value = match value {
                Ok(v) => v,
                Err(why) => {
                    errors.push(error("/value", ErrorCode::InvalidValue, format!("{} is {why}", m.value)));
                    continue;
                }
            };
            if let Err((code, detail)) = check_value(skill.aspect(a), value) {
                errors.push(error("/value", code, detail));
                continue;
            }
            // A batch may correct itself: its own earlier marks count before the model's.
            let previous = superseded(c, &accepted, (s, e, a, j));
            let reason = m.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
            if previous.is_some() && reason.is_none() {
                let detail = "this corrects an earlier mark: give a reason".to_owned();
                errors.push(error("/reason", ErrorCode::ReasonRequired, detail));
                continue;
            }
            let mark = StoredMark {
                seq: 0,
                id: m.id,
                entry: e,
                aspect: a,
                judge: j,
                value,
                reason: reason.as_deref().map(Text::from),
                supersedes: previous.as_ref().map(|p| p.id),
                entered_by: caller.actor().into(),
                created_at: now,
                void: None,
            };
            let audit = AuditRecord {
                skill_id: Some(skill.id),
                actor: caller.actor(),
                action: if previous.is_some() { "mark.corrected" } else { "mark.recorded" },
                subject: mark_subject(c, s, &mark),
                before: previous.as_ref().map(|p| mark_json(c, s, p)),
                after: Some(mark_json(c, s, &mark)),
                reason,
            };
            accepted.push(Accepted { skill: s, mark, audit });
        }
        if !errors.is_empty() {
            let detail = format!("{} of {total} marks were refused; none was stored", errors.len());
            return Err(Rejection::invalid(detail, errors));
        }
        let outcome = Outcome::Marks { accepted: accepted.len(), duplicates };
        for Accepted { skill: s, mark, audit } in accepted {
            self.accept(s, mark, audit);
        }
        Ok(outcome)
    }

    fn accept(&mut self, s: SkillIx, mark: StoredMark, audit: AuditRecord) {
        let draft = &mut self.draft;
        let starts = draft.model.skills[s].state == SkillState::Setup;
        let skill = draft.skill_mut(s);
        if starts {
            // The first stored mark moves the skill from setup to marking.
            skill.state = SkillState::Marking;
            let id = skill.id;
            draft.writes.push(Write::SkillState { skill: id, state: SkillState::Marking, accepted_gaps: None });
        }
        let c = &draft.model;
        let skill = &c.skills[s];
        self.marks.push(MarkRecord {
            seq: 0,
            id: mark.id,
            skill_id: skill.id,
            entry_id: c.entries[mark.entry].id,
            aspect_id: skill.aspect_ids[mark.aspect],
            judge_id: c.judges[mark.judge].id,
            value: mark.value,
            reason: mark.reason.as_deref().map(str::to_owned),
            supersedes: mark.supersedes,
            entered_by: mark.entered_by.to_string(),
            created_at: mark.created_at,
            skill_version: skill.version,
        });
        draft.audit.push(audit);
        Arc::make_mut(&mut draft.model.skills[s]).push_mark(mark);
    }

    /// The group's decision: every accepted mark, each changed skill rescored once.
    pub fn finish(mut self, outcome: Outcome) -> Decision {
        if !self.marks.is_empty() {
            // Marks go first: skill states only ever move forward here (setup → marking).
            self.draft.writes.insert(0, Write::Marks(std::mem::take(&mut self.marks)));
        }
        self.draft.finish(outcome)
    }
}

/// The mark a new one by `j` on (e, a) supersedes: the batch's own latest first.
fn superseded(
    c: &Competition,
    accepted: &[Accepted],
    (s, e, a, j): (SkillIx, EntryIx, AspectIx, JudgeIx),
) -> Option<StoredMark> {
    let measured = c.skills[s].aspect(a).kind == AspectKind::Measurement;
    accepted
        .iter()
        .rev()
        .map(|x| &x.mark)
        .find(|m| m.entry == e && m.aspect == a && (measured || m.judge == j))
        .or_else(|| c.skills[s].current_mark(e, a, j))
        .cloned()
}

/// How the audit log names a mark: `entry/aspect/judge`.
pub(super) fn mark_subject(c: &Competition, s: SkillIx, m: &StoredMark) -> String {
    format!("{}/{}/{}", c.entries[m.entry].code, c.skills[s].aspect_code(m.aspect), c.judges[m.judge].code)
}

pub(super) fn mark_json(c: &Competition, s: SkillIx, m: &StoredMark) -> serde_json::Value {
    json!({
        "id": m.id,
        "entry": c.entries[m.entry].code,
        "aspect": c.skills[s].aspect_code(m.aspect),
        "judge": c.judges[m.judge].code,
        "value": m.value,
    })
}
