//! Deciding registration: the competition's settings, delegations, skills with their
//! marking schemes, entries and judges (one by one or in bulk), judges' one-time codes.
//! A registration change edits the model's records and rebuilds it, rescoring only the
//! skills it touched; the skills it touches are guarded like any judging write.
use super::roster::{check_entry, check_judge, save_entry, save_judge};
use super::{derive_id, find_skill};
use crate::domain::kinds::{Role, SkillState};
use crate::domain::offence::Offences;
use crate::domain::spec::SkillSpec;
use crate::error::{ErrorCode, Rejection};
use crate::model::caller::Caller;
use crate::model::command::Command;
use crate::model::competition::Competition;
use crate::model::decision::{AuditRecord, Decision, Guard, Outcome, Write};
use crate::model::ix::{DelegationIx, JudgeIx, SkillIx};
use crate::model::policy;
use crate::model::record::{DelegationRecord, Records, SessionRecord, SkillRecord};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// A registration change in the making: the records being edited and what to store.
pub(super) struct Edit<'a> {
    pub before: &'a Competition,
    actor: String,
    pub records: Records,
    pub writes: Vec<Write>,
    audit: Vec<AuditRecord>,
    guards: Vec<Guard>,
    dirty: Vec<Uuid>,
}

impl<'a> Edit<'a> {
    fn new(c: &'a Competition, caller: &Caller) -> Edit<'a> {
        Edit {
            before: c,
            actor: caller.actor(),
            records: c.to_records(),
            writes: Vec::new(),
            audit: Vec::new(),
            guards: Vec::new(),
            dirty: Vec::new(),
        }
    }

    /// Marks a skill as touched: its results are recomputed and its stored version guarded.
    pub fn touch(&mut self, skill: Uuid) {
        if self.dirty.contains(&skill) {
            return;
        }
        self.dirty.push(skill);
        if let Some(record) = self.records.skills.iter_mut().find(|s| s.id == skill) {
            self.guards.push(Guard { skill, version: record.version });
            record.version += 1;
        }
    }

    fn audit(&mut self, action: &'static str, subject: &str, after: Value) {
        self.audit.push(AuditRecord {
            skill_id: None,
            actor: self.actor.clone(),
            action,
            subject: subject.to_owned(),
            before: None,
            after: Some(after),
            reason: None,
        });
    }

    fn finish(self, outcome: Outcome) -> Decision {
        let model = Competition::rebuild(self.records, Some(self.before), &self.dirty);
        let changed = model.skills.enumerate().filter(|(_, s)| self.dirty.contains(&s.id)).map(|(i, _)| i).collect();
        Decision {
            outcome,
            model: Some(model),
            writes: self.writes,
            audit: self.audit,
            guards: self.guards,
            changed,
            structure: true,
        }
    }
}

fn already_exists(kind: &str, code: &str) -> Rejection {
    Rejection::conflict(ErrorCode::AlreadyExists, format!("{kind} '{code}' exists already"))
}

/// Registration changes that would alter a signed-off skill's results wait for its unlock.
pub(super) fn require_open(c: &Competition, s: SkillIx) -> Result<(), Rejection> {
    let skill = &c.skills[s];
    if skill.state.accepts_marks() {
        return Ok(());
    }
    let detail =
        format!("skill '{}' is {}; unlock it before changing what its results depend on", skill.code(), skill.state);
    Err(Rejection::conflict(ErrorCode::SkillLocked, detail))
}

pub(super) fn in_use(detail: &str) -> Rejection {
    Rejection::conflict(ErrorCode::InUse, detail)
}

fn found<I>(ix: Option<I>, code: ErrorCode, kind: &str, key: &str) -> Result<I, Rejection> {
    ix.ok_or_else(|| Rejection::unknown(code, format!("no {kind} '{key}'")))
}

pub fn decide(c: &Competition, caller: &Caller, command: Command, now: DateTime<Utc>) -> Result<Decision, Rejection> {
    policy::require_admin(caller)?;
    let mut edit = Edit::new(c, caller);
    match command {
        Command::UpdateCompetition { input } => {
            let mut offences = Offences::default();
            let spec = input.validate("", &mut offences);
            let spec = offences.into_result(spec, "nothing was stored")?;
            if spec.code.as_str() != c.code {
                return Err(Rejection::field("/code", ErrorCode::Immutable, "a competition's code cannot change"));
            }
            let record = &mut edit.records.competition;
            record.name = spec.name;
            record.timezone = spec.timezone;
            record.starts_on = spec.starts_on;
            record.ends_on = spec.ends_on;
            record.default_language = spec.default_language;
            record.medal_order = spec.medal_order;
            edit.writes.push(Write::Competition(record.clone()));
            edit.audit("competition.updated", &c.code, json!(input));
        }
        Command::DeleteCompetition => {
            edit.writes.push(Write::DeleteCompetition(c.id));
            let audit = AuditRecord {
                skill_id: None,
                actor: edit.actor.clone(),
                action: "competition.deleted",
                subject: c.code.clone(),
                before: None,
                after: Some(json!({})),
                reason: None,
            };
            return Ok(Decision {
                outcome: Outcome::Done,
                model: None,
                writes: edit.writes,
                audit: vec![audit],
                guards: Vec::new(),
                changed: Vec::new(),
                structure: true,
            });
        }
        Command::SaveDelegation { existing, input, fresh } => {
            let existing = match existing {
                Some(key) => Some(found(c.delegation(&key), ErrorCode::NotFound, "delegation", &key)?),
                None => None,
            };
            let mut offences = Offences::default();
            let spec = input.validate("", &mut offences);
            let spec = offences.into_result(spec, "nothing was stored")?;
            if let Some(other) = c.delegation(spec.code.as_str())
                && Some(other) != existing
            {
                return Err(already_exists("delegation", spec.code.as_str()));
            }
            let record = DelegationRecord {
                id: existing.map_or(fresh, |d| c.delegations[d].id),
                code: spec.code.to_string(),
                name: spec.name,
                names: spec.names,
            };
            // Results name delegations by code: the skills with its entries are rescored.
            if let Some(d) = existing {
                for s in skills_of_delegation(c, d) {
                    if c.delegations[d].code != record.code {
                        require_open(c, s)?;
                    }
                    edit.touch(c.skills[s].id);
                }
            }
            match edit.records.delegations.iter_mut().find(|r| r.id == record.id) {
                Some(slot) => *slot = record.clone(),
                None => edit.records.delegations.push(record.clone()),
            }
            edit.records.delegations.sort_by(|a, b| a.code.cmp(&b.code));
            edit.writes.push(Write::Delegation { record, new: existing.is_none() });
            let action = if existing.is_some() { "delegation.updated" } else { "delegation.created" };
            edit.audit(action, spec.code.as_str(), json!(input));
        }
        Command::ImportDelegations { inputs, rows, fresh } => {
            let mut offences = Offences::default();
            let mut specs = Vec::new();
            let mut codes = HashSet::new();
            for (i, input) in inputs.iter().enumerate() {
                let at = row_pointer(&rows, i);
                if c.delegation(&input.code).is_some() || !codes.insert(input.code.clone()) {
                    let detail = format!("delegation '{}' exists already", input.code);
                    offences.push(format!("{at}/code"), ErrorCode::DuplicateCode, detail);
                }
                specs.extend(input.validate(&at, &mut offences));
            }
            if !offences.is_empty() {
                return Err(offences.rejection("nothing was stored"));
            }
            let count = specs.len();
            for (n, spec) in specs.into_iter().enumerate() {
                let record = DelegationRecord {
                    id: derive_id(fresh, n),
                    code: spec.code.to_string(),
                    name: spec.name,
                    names: spec.names,
                };
                edit.records.delegations.push(record.clone());
                edit.writes.push(Write::Delegation { record, new: true });
            }
            edit.records.delegations.sort_by(|a, b| a.code.cmp(&b.code));
            edit.audit("delegations.imported", &c.code, json!({ "count": count }));
            return Ok(edit.finish(Outcome::Created { created: count }));
        }
        Command::DeleteDelegation { delegation } => {
            let d = found(c.delegation(&delegation), ErrorCode::NotFound, "delegation", &delegation)?;
            if c.entries.iter().any(|e| e.delegation == d) || c.judges.iter().any(|j| j.delegation == d) {
                return Err(in_use("entries or judges of this delegation exist; remove those first"));
            }
            let id = c.delegations[d].id;
            edit.records.delegations.retain(|r| r.id != id);
            edit.writes.push(Write::DeleteDelegation(id));
            edit.audit("delegation.deleted", &c.delegations[d].code, json!({}));
        }
        Command::SaveSkill { existing, input, fresh } => {
            let existing = match existing {
                Some(key) => Some(find_skill(c, &key)?),
                None => None,
            };
            let mut offences = Offences::default();
            let spec = input.validate("", &mut offences);
            let spec = offences.into_result(spec, "nothing was stored")?;
            let record = save_skill(&mut edit, existing, spec, fresh)?;
            let action = if existing.is_some() { "skill.updated" } else { "skill.created" };
            edit.audit(action, &record.spec.code.to_string(), json!(input));
        }
        Command::DeleteSkill { skill } => {
            let s = find_skill(c, &skill)?;
            require_open(c, s)?;
            let current = &c.skills[s];
            if !current.marks().is_empty() || !current.entries.is_empty() {
                return Err(in_use("remove the skill's entries (and marks) first"));
            }
            let id = current.id;
            edit.records.skills.retain(|r| r.id != id);
            for judge in &mut edit.records.judges {
                judge.skill_ids.retain(|s| *s != id);
            }
            edit.writes.push(Write::DeleteSkill(id));
            edit.audit("skill.deleted", current.code(), json!({}));
        }
        Command::SaveEntry { existing, input, fresh } => {
            let existing = match existing {
                Some(key) => Some(found(c.entry(&key), ErrorCode::UnknownEntry, "entry", &key)?),
                None => None,
            };
            let mut offences = Offences::default();
            let checked = check_entry(c, "", &input, &mut offences);
            let checked = offences.into_result(checked, "nothing was stored")?;
            if let Some(other) = c.entry(checked.code.as_str())
                && Some(other) != existing
            {
                return Err(already_exists("entry", checked.code.as_str()));
            }
            save_entry(&mut edit, existing, checked, fresh)?;
            let action = if existing.is_some() { "entry.updated" } else { "entry.created" };
            edit.audit(action, &input.code, json!(input));
        }
        Command::DeleteEntry { entry } => {
            let e = found(c.entry(&entry), ErrorCode::UnknownEntry, "entry", &entry)?;
            require_open(c, c.entries[e].skill)?;
            if c.skill_of(e).has_marks_of_entry(e) {
                return Err(in_use("the entry has marks; withdraw it instead"));
            }
            let (id, skill) = (c.entries[e].id, c.skill_of(e).id);
            edit.touch(skill);
            edit.records.entries.retain(|r| r.id != id);
            edit.writes.push(Write::DeleteEntry(id));
            edit.audit("entry.deleted", &c.entries[e].code, json!({}));
        }
        Command::ImportEntries { inputs, rows, fresh } => {
            let mut offences = Offences::default();
            let mut checked = Vec::new();
            let mut codes = HashSet::new();
            for (i, input) in inputs.iter().enumerate() {
                let at = row_pointer(&rows, i);
                if c.entry(&input.code).is_some() || !codes.insert(input.code.clone()) {
                    let detail = format!("entry '{}' exists already", input.code);
                    offences.push(format!("{at}/code"), ErrorCode::DuplicateCode, detail);
                }
                checked.extend(check_entry(c, &at, input, &mut offences));
            }
            if !offences.is_empty() {
                return Err(offences.rejection("nothing was stored"));
            }
            let count = checked.len();
            for (n, entry) in checked.into_iter().enumerate() {
                save_entry(&mut edit, None, entry, derive_id(fresh, n))?;
            }
            edit.audit("entries.imported", &c.code, json!({ "count": count }));
            return Ok(edit.finish(Outcome::Created { created: count }));
        }
        Command::SaveJudge { existing, input, fresh } => {
            let existing = match existing {
                Some(key) => Some(found(c.judge(&key), ErrorCode::UnknownJudge, "judge", &key)?),
                None => None,
            };
            let mut offences = Offences::default();
            let checked = check_judge(c, "", &input, &mut offences);
            let checked = offences.into_result(checked, "nothing was stored")?;
            if let Some(other) = c.judge(checked.code.as_str())
                && Some(other) != existing
            {
                return Err(already_exists("judge", checked.code.as_str()));
            }
            save_judge(&mut edit, existing, checked, fresh)?;
            let action = if existing.is_some() { "judge.updated" } else { "judge.created" };
            edit.audit(action, &input.code, json!(input));
        }
        Command::DeleteJudge { judge } => {
            let j = found(c.judge(&judge), ErrorCode::UnknownJudge, "judge", &judge)?;
            for &s in &c.judges[j].skills {
                require_open(c, s)?;
            }
            if c.skills.iter().any(|s| s.has_marks_of_judge(j)) {
                return Err(in_use("the judge has marks; unassign their skills instead"));
            }
            let id = c.judges[j].id;
            for &s in &c.judges[j].skills {
                edit.touch(c.skills[s].id);
            }
            edit.records.judges.retain(|r| r.id != id);
            edit.writes.push(Write::DeleteJudge(id));
            edit.audit("judge.deleted", &c.judges[j].code, json!({}));
        }
        Command::ImportJudges { inputs, rows, fresh } => {
            let mut offences = Offences::default();
            let mut checked = Vec::new();
            let mut codes = HashSet::new();
            for (i, input) in inputs.iter().enumerate() {
                let at = row_pointer(&rows, i);
                if c.judge(&input.code).is_some() || !codes.insert(input.code.clone()) {
                    let detail = format!("judge '{}' exists already", input.code);
                    offences.push(format!("{at}/code"), ErrorCode::DuplicateCode, detail);
                }
                checked.extend(check_judge(c, &at, input, &mut offences));
            }
            if !offences.is_empty() {
                return Err(offences.rejection("nothing was stored"));
            }
            let count = checked.len();
            for (n, judge) in checked.into_iter().enumerate() {
                save_judge(&mut edit, None, judge, derive_id(fresh, n))?;
            }
            edit.audit("judges.imported", &c.code, json!({ "count": count }));
            return Ok(edit.finish(Outcome::Created { created: count }));
        }
        Command::IssueLoginCode { judge, code_hash } => {
            let j = found(c.judge(&judge), ErrorCode::UnknownJudge, "judge", &judge)?;
            return Ok(issue_login_code(c, caller, j, code_hash, now));
        }
        Command::RecordMarks { .. }
        | Command::VoidMark { .. }
        | Command::SetEntryStatus { .. }
        | Command::LockSkill { .. }
        | Command::UnlockSkill { .. }
        | Command::PublishSkill { .. }
        | Command::OverrideDiscrepancy { .. }
        | Command::PlanCeremony { .. }
        | Command::CeremonyNext
        | Command::CeremonyBack
        | Command::CeremonyRehearsal { .. } => {
            return Err(Rejection::bad_request(ErrorCode::BadRequest, "not a registration command"));
        }
    }
    Ok(edit.finish(Outcome::Done))
}

/// Where the `i`th row of an imported file is reported: at its spreadsheet row (the header
/// is row 1), as the command says it, else as if no row were blank.
fn row_pointer(rows: &[u32], i: usize) -> String {
    format!("/rows/{}", rows.get(i).map_or(i + 2, |&r| r as usize))
}

/// Skills whose results name a delegation (by its entries' code).
fn skills_of_delegation(c: &Competition, d: DelegationIx) -> Vec<SkillIx> {
    let mut skills: Vec<SkillIx> = c.entries.iter().filter(|e| e.delegation == d).map(|e| e.skill).collect();
    skills.sort_unstable();
    skills.dedup();
    skills
}

fn save_skill(
    edit: &mut Edit<'_>,
    existing: Option<SkillIx>,
    spec: SkillSpec,
    fresh: Uuid,
) -> Result<SkillRecord, Rejection> {
    let c = edit.before;
    if let Some(other) = c.skill(spec.code.as_str())
        && Some(other) != existing
    {
        return Err(already_exists("skill", spec.code.as_str()));
    }
    let fresh_scheme = |spec: &SkillSpec| {
        let criterion_ids = (0..spec.criteria.len()).map(|n| derive_id(fresh, 1 + n)).collect();
        let aspect_ids = (0..spec.aspects().count()).map(|n| derive_id(fresh, 1 + spec.criteria.len() + n)).collect();
        (criterion_ids, aspect_ids)
    };
    let (record, new, scheme) = match existing {
        Some(s) => {
            let skill = &c.skills[s];
            if skill.spec != spec {
                require_open(c, s)?;
            }
            let scheme_changed = skill.spec.criteria != spec.criteria;
            if scheme_changed && !skill.marks().is_empty() {
                let detail = "the marking scheme can be edited only while the skill has no marks";
                return Err(Rejection::conflict(ErrorCode::SchemeLocked, detail));
            }
            if spec.team_size != skill.spec.team_size && !skill.entries.is_empty() {
                let detail = "team size cannot change once entries exist";
                return Err(Rejection::conflict(ErrorCode::TeamSizeLocked, detail));
            }
            edit.touch(skill.id);
            let (criterion_ids, aspect_ids) = if scheme_changed {
                fresh_scheme(&spec)
            } else {
                (skill.criterion_ids.clone(), skill.aspect_ids.iter().copied().collect())
            };
            let version = skill.version + 1;
            let record = SkillRecord {
                id: skill.id,
                position: skill.position,
                spec,
                state: skill.state,
                version,
                criterion_ids,
                aspect_ids,
                accepted_gaps: skill.accepted_gaps.as_deref().cloned(),
            };
            (record, false, scheme_changed)
        }
        None => {
            let (criterion_ids, aspect_ids) = fresh_scheme(&spec);
            let position = c.skills.iter().map(|s| s.position + 1).max().unwrap_or(0);
            let record = SkillRecord {
                id: fresh,
                position,
                spec,
                state: SkillState::Setup,
                version: 0,
                criterion_ids,
                aspect_ids,
                accepted_gaps: None,
            };
            (record, true, true)
        }
    };
    match edit.records.skills.iter_mut().find(|r| r.id == record.id) {
        Some(slot) => *slot = record.clone(),
        None => edit.records.skills.push(record.clone()),
    }
    edit.writes.push(Write::Skill { record: record.clone(), new, scheme });
    Ok(record)
}

/// A new one-time code: the previous one stops working and the judge's sessions end (a
/// lost tablet). Only the model's judge changes, so nothing is rebuilt.
fn issue_login_code(c: &Competition, caller: &Caller, j: JudgeIx, code_hash: String, now: DateTime<Utc>) -> Decision {
    let mut model = c.clone();
    let judge = &mut Arc::make_mut(&mut model.judges)[j];
    judge.login_code_hash = Some(code_hash.clone());
    let (id, code) = (judge.id, judge.code.clone());
    Decision {
        outcome: Outcome::Done,
        model: Some(model),
        writes: vec![Write::LoginCode { judge: id, hash: code_hash, issued_at: now }, Write::RevokeJudgeSessions(id)],
        audit: vec![AuditRecord {
            skill_id: None,
            actor: caller.actor(),
            action: "judge.code_issued",
            subject: code,
            before: None,
            after: Some(json!({})),
            reason: None,
        }],
        guards: Vec::new(),
        changed: Vec::new(),
        structure: false,
    }
}

/// A judge logs in with a one-time code: the code is used up and a session begins. Unknown
/// (or already used) codes are refused; the store refuses a code another instance took first.
pub fn redeem_login_code(c: &Competition, code_hash: &str, session: SessionRecord) -> Result<Decision, Rejection> {
    let wrong = || Rejection::unauthorized(ErrorCode::InvalidCredentials, "wrong user name, password or code");
    let j = c.judges.enumerate().find(|(_, j)| j.login_code_hash.as_deref() == Some(code_hash)).map(|(i, _)| i);
    let j = j.ok_or_else(wrong)?;
    let mut model = c.clone();
    Arc::make_mut(&mut model.judges)[j].login_code_hash = None;
    let judge = &c.judges[j];
    let role = Role::of_judge(judge.role);
    let session = SessionRecord { role, judge_id: Some(judge.id), account_id: None, ..session };
    let outcome = Outcome::Session { judge: judge.code.clone(), role };
    Ok(Decision {
        outcome,
        model: Some(model),
        writes: vec![Write::RedeemLoginCode { judge: judge.id, hash: code_hash.to_owned() }, Write::Session(session)],
        audit: Vec::new(),
        guards: Vec::new(),
        changed: Vec::new(),
        structure: false,
    })
}
