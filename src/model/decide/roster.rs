//! Deciding the roster: entries and judges, one by one or in bulk, checked like a form
//! (every offence named) and against what marks already tie them to.
use super::registration::{Edit, in_use, require_open};
use crate::domain::Code;
use crate::domain::input::{EntryInput, JudgeInput};
use crate::domain::kinds::{EntryStatus, JudgeRole};
use crate::domain::offence::Offences;
use crate::error::{ErrorCode, Rejection};
use crate::model::competition::Competition;
use crate::model::decision::Write;
use crate::model::ix::{DelegationIx, EntryIx, JudgeIx, SkillIx};
use crate::model::record::{EntryRecord, JudgeRecord};
use uuid::Uuid;

/// An entry that passed validation.
pub(super) struct CheckedEntry {
    pub code: Code,
    skill: SkillIx,
    delegation: DelegationIx,
    members: Vec<String>,
    status: EntryStatus,
}

pub(super) fn check_entry(c: &Competition, at: &str, input: &EntryInput, o: &mut Offences) -> Option<CheckedEntry> {
    let code = o.code(&format!("{at}/code"), &input.code);
    let skill = c.skill(&input.skill);
    if skill.is_none() {
        o.push(format!("{at}/skill"), ErrorCode::UnknownCode, format!("no skill '{}'", input.skill));
    }
    let delegation = c.delegation(&input.delegation);
    if delegation.is_none() {
        o.push(format!("{at}/delegation"), ErrorCode::UnknownCode, format!("no delegation '{}'", input.delegation));
    }
    let status = match &input.status {
        None => Some(EntryStatus::Active),
        Some(s) => o.choice(&format!("{at}/status"), s, EntryStatus::parse, EntryStatus::choices()),
    };
    let members: Vec<String> = input.members.iter().map(|m| m.trim().to_owned()).collect();
    for (i, m) in members.iter().enumerate() {
        if m.is_empty() {
            o.push(format!("{at}/members/{i}"), ErrorCode::Required, "a member needs a name");
        }
    }
    if let Some(s) = skill {
        let size = c.skills[s].spec.team_size as usize;
        if members.len() != size {
            let detail = format!("skill '{}' takes {size} member(s), got {}", input.skill, members.len());
            o.push(format!("{at}/members"), ErrorCode::TeamSize, detail);
        }
    }
    Some(CheckedEntry { code: code?, skill: skill?, delegation: delegation?, members, status: status? })
}

pub(super) fn save_entry(
    edit: &mut Edit<'_>,
    existing: Option<EntryIx>,
    entry: CheckedEntry,
    fresh: Uuid,
) -> Result<(), Rejection> {
    let c = edit.before;
    let new_skill = c.skills[entry.skill].id;
    require_open(c, entry.skill)?;
    let id = match existing {
        Some(e) => {
            let current = &c.entries[e];
            require_open(c, current.skill)?;
            let has_marks = c.skill_of(e).has_marks_of_entry(e);
            if has_marks && (entry.skill != current.skill || entry.delegation != current.delegation) {
                return Err(in_use("an entry with marks cannot move to another skill or delegation"));
            }
            if entry.status != current.status {
                let detail = "change the status with POST …/entries/{code}/status, which asks for a reason";
                return Err(Rejection::field("/status", ErrorCode::UseStatusEndpoint, detail));
            }
            edit.touch(c.skills[current.skill].id);
            current.id
        }
        None => fresh,
    };
    edit.touch(new_skill);
    let record = EntryRecord {
        id,
        skill_id: new_skill,
        delegation_id: c.delegations[entry.delegation].id,
        code: entry.code.to_string(),
        members: entry.members,
        status: entry.status,
    };
    match edit.records.entries.iter_mut().find(|r| r.id == id) {
        Some(slot) => *slot = record.clone(),
        None => edit.records.entries.push(record.clone()),
    }
    edit.records.entries.sort_by(|a, b| a.code.cmp(&b.code));
    edit.writes.push(Write::Entry { record, new: existing.is_none() });
    Ok(())
}

/// A judge that passed validation.
pub(super) struct CheckedJudge {
    pub code: Code,
    name: String,
    delegation: DelegationIx,
    skills: Vec<SkillIx>,
    role: JudgeRole,
}

pub(super) fn check_judge(c: &Competition, at: &str, input: &JudgeInput, o: &mut Offences) -> Option<CheckedJudge> {
    let code = o.code(&format!("{at}/code"), &input.code);
    let name = o.text(&format!("{at}/name"), &input.name, 200);
    let delegation = c.delegation(&input.delegation);
    if delegation.is_none() {
        o.push(format!("{at}/delegation"), ErrorCode::UnknownCode, format!("no delegation '{}'", input.delegation));
    }
    let role = o.choice(&format!("{at}/role"), &input.role, JudgeRole::parse, JudgeRole::choices());
    let mut skills = Vec::new();
    for (i, s) in input.skills.iter().enumerate() {
        match c.skill(s) {
            Some(ix) if !skills.contains(&ix) => skills.push(ix),
            Some(_) => {}
            None => o.push(format!("{at}/skills/{i}"), ErrorCode::UnknownCode, format!("no skill '{s}'")),
        }
    }
    Some(CheckedJudge { code: code?, name, delegation: delegation?, skills, role: role? })
}

pub(super) fn save_judge(
    edit: &mut Edit<'_>,
    existing: Option<JudgeIx>,
    judge: CheckedJudge,
    fresh: Uuid,
) -> Result<(), Rejection> {
    let c = edit.before;
    let (id, login_code_hash) = match existing {
        Some(j) => {
            let current = &c.judges[j];
            // Who may mark a signed-off skill cannot change under it.
            let changed_skills = current.skills.iter().filter(|s| !judge.skills.contains(s));
            let moved = judge.delegation != current.delegation || judge.role != current.role;
            for &s in changed_skills.chain(judge.skills.iter().filter(|s| moved || !current.skills.contains(s))) {
                require_open(c, s)?;
            }
            let marked = c.skills.iter().any(|s| s.has_marks_of_judge(j));
            if marked && judge.delegation != current.delegation {
                return Err(in_use("a judge with marks cannot change delegation"));
            }
            // Discrepancies name judges: their old skills are rescored too.
            for &s in &current.skills {
                edit.touch(c.skills[s].id);
            }
            (current.id, current.login_code_hash.clone())
        }
        None => {
            for &s in &judge.skills {
                require_open(c, s)?;
            }
            (fresh, None)
        }
    };
    for &s in &judge.skills {
        edit.touch(c.skills[s].id);
    }
    let record = JudgeRecord {
        id,
        delegation_id: c.delegations[judge.delegation].id,
        code: judge.code.to_string(),
        name: judge.name,
        role: judge.role,
        skill_ids: judge.skills.iter().map(|s| c.skills[*s].id).collect(),
        login_code_hash,
    };
    match edit.records.judges.iter_mut().find(|r| r.id == id) {
        Some(slot) => *slot = record.clone(),
        None => edit.records.judges.push(record.clone()),
    }
    edit.records.judges.sort_by(|a, b| a.code.cmp(&b.code));
    edit.writes.push(Write::Judge { record, new: existing.is_none() });
    Ok(())
}
