//! Rows and records: the border where database rows become the model's records, and back.
use crate::domain::names::Names;
use crate::domain::spec::{AspectSpec, CriterionSpec, SkillRules, SkillSpec};
use crate::domain::{Centi, Code};
use crate::model::record::{
    CompetitionRecord, DelegationRecord, EntryRecord, JudgeRecord, MarkRecord, OverrideRecord, SkillRecord, VoidRecord,
};
use entity::{
    aspect, competition, criterion, delegation, discrepancy_override, entry, entry_member, judge, judge_skill, mark,
    mark_void, skill,
};
use uuid::Uuid;

/// Stored translations (null or a JSON object) as a map; a malformed value reads as none.
fn names_of(json: Option<serde_json::Value>) -> Names {
    json.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

/// Translations as stored: null when there are none.
fn names_row(names: &Names) -> Option<serde_json::Value> {
    if names.is_empty() { None } else { serde_json::to_value(names).ok() }
}

pub fn competition_record(c: competition::Model) -> CompetitionRecord {
    CompetitionRecord {
        id: c.id,
        code: c.code,
        name: c.name,
        names: names_of(c.names),
        timezone: c.timezone,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        default_language: c.default_language,
        medal_order: c.medal_order,
        created_at: c.created_at,
    }
}

pub fn competition_row(c: &CompetitionRecord) -> competition::Model {
    competition::Model {
        id: c.id,
        code: c.code.clone(),
        name: c.name.clone(),
        names: names_row(&c.names),
        timezone: c.timezone.clone(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        default_language: c.default_language.clone(),
        medal_order: c.medal_order,
        created_at: c.created_at,
    }
}

pub fn delegation_record(d: delegation::Model) -> DelegationRecord {
    DelegationRecord {
        id: d.id,
        code: d.code,
        name: d.name,
        names: serde_json::from_value(d.names).unwrap_or_default(),
    }
}

pub fn delegation_row(competition_id: Uuid, d: &DelegationRecord) -> delegation::Model {
    delegation::Model {
        id: d.id,
        competition_id,
        code: d.code.clone(),
        name: d.name.clone(),
        names: serde_json::to_value(&d.names).unwrap_or_default(),
    }
}

/// A stored skill with its scheme (criteria and aspects in position order, any skill's:
/// only this skill's are taken).
pub fn skill_record(s: skill::Model, criteria: &[criterion::Model], aspects: &[aspect::Model]) -> SkillRecord {
    let mut criterion_ids = Vec::new();
    let mut aspect_ids = Vec::new();
    let mut spec_criteria = Vec::new();
    for c in criteria.iter().filter(|c| c.skill_id == s.id) {
        criterion_ids.push(c.id);
        let mut specs = Vec::new();
        for a in aspects.iter().filter(|a| a.criterion_id == c.id) {
            aspect_ids.push(a.id);
            specs.push(AspectSpec {
                code: Code::trusted(a.code.clone()),
                description: a.description.clone(),
                names: names_of(a.names.clone()),
                kind: a.kind,
                max: Centi(a.max_centi),
                panel: a.panel.map(|p| p.max(1).unsigned_abs()),
                binary: a.binary,
            });
        }
        spec_criteria.push(CriterionSpec {
            code: Code::trusted(c.code.clone()),
            name: c.name.clone(),
            names: names_of(c.names.clone()),
            aspects: specs,
        });
    }
    let spec = SkillSpec {
        code: Code::trusted(s.code),
        name: s.name,
        names: names_of(s.names),
        team_size: s.team_size.max(1).unsigned_abs(),
        rules: SkillRules {
            standardise: s.standardise,
            scale_centre: Centi(s.scale_centre_centi),
            scale_step: Centi(s.scale_step_centi),
            tie_tolerance: Centi(s.tie_tolerance_centi),
            tie_break: s.tie_break,
            max_judgement_spread: s.max_judgement_spread.max(0).unsigned_abs(),
            aggregation: s.aggregation,
            aggregation_k: s.aggregation_k.max(0).unsigned_abs(),
            excellence_threshold: s.excellence_threshold_centi.map(Centi),
            min_entries_for_medals: s.min_entries_for_medals.max(0).unsigned_abs(),
        },
        criteria: spec_criteria,
    };
    let accepted_gaps = s.accepted_gaps.and_then(|gaps| serde_json::from_value(gaps).ok());
    SkillRecord {
        id: s.id,
        position: s.position,
        spec,
        state: s.state,
        version: s.version,
        criterion_ids,
        aspect_ids,
        accepted_gaps,
    }
}

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub fn skill_row(competition_id: Uuid, s: &SkillRecord) -> skill::Model {
    let (spec, rules) = (&s.spec, &s.spec.rules);
    skill::Model {
        id: s.id,
        competition_id,
        code: spec.code.to_string(),
        name: spec.name.clone(),
        names: names_row(&spec.names),
        position: s.position,
        team_size: int(spec.team_size),
        standardise: rules.standardise,
        scale_centre_centi: rules.scale_centre.0,
        scale_step_centi: rules.scale_step.0,
        tie_tolerance_centi: rules.tie_tolerance.0,
        tie_break: rules.tie_break,
        max_judgement_spread: int(rules.max_judgement_spread),
        aggregation: rules.aggregation,
        aggregation_k: int(rules.aggregation_k),
        excellence_threshold_centi: rules.excellence_threshold.map(|c| c.0),
        min_entries_for_medals: int(rules.min_entries_for_medals),
        state: s.state,
        version: s.version,
        accepted_gaps: s.accepted_gaps.as_ref().and_then(|gaps| serde_json::to_value(gaps).ok()),
    }
}

/// Criterion and aspect rows of a skill's scheme, with the record's ids, in scheme order.
pub fn scheme_rows(s: &SkillRecord) -> (Vec<criterion::Model>, Vec<aspect::Model>) {
    let mut criteria = Vec::new();
    let mut aspects = Vec::new();
    let mut aspect_ids = s.aspect_ids.iter();
    for (position, (c, id)) in s.spec.criteria.iter().zip(&s.criterion_ids).enumerate() {
        criteria.push(criterion::Model {
            id: *id,
            skill_id: s.id,
            code: c.code.to_string(),
            name: c.name.clone(),
            names: names_row(&c.names),
            position: i32::try_from(position).unwrap_or(i32::MAX),
        });
        for a in &c.aspects {
            let Some(aspect_id) = aspect_ids.next() else { break };
            aspects.push(aspect::Model {
                id: *aspect_id,
                skill_id: s.id,
                criterion_id: *id,
                code: a.code.to_string(),
                description: a.description.clone(),
                names: names_row(&a.names),
                kind: a.kind,
                max_centi: a.max.0,
                panel: a.panel.map(int),
                binary: a.binary,
                position: i32::try_from(aspects.len()).unwrap_or(i32::MAX),
            });
        }
    }
    (criteria, aspects)
}

pub fn entry_record(e: entry::Model, members: Vec<String>) -> EntryRecord {
    EntryRecord {
        id: e.id,
        skill_id: e.skill_id,
        delegation_id: e.delegation_id,
        code: e.code,
        members,
        status: e.status,
    }
}

pub fn entry_rows(competition_id: Uuid, e: &EntryRecord) -> (entry::Model, Vec<entry_member::Model>) {
    let row = entry::Model {
        id: e.id,
        competition_id,
        skill_id: e.skill_id,
        delegation_id: e.delegation_id,
        code: e.code.clone(),
        status: e.status,
    };
    let members = e
        .members
        .iter()
        .enumerate()
        .map(|(p, name)| entry_member::Model {
            entry_id: e.id,
            position: i32::try_from(p).unwrap_or(i32::MAX),
            name: name.clone(),
        })
        .collect();
    (row, members)
}

pub fn judge_record(j: judge::Model, skill_ids: Vec<Uuid>) -> JudgeRecord {
    JudgeRecord {
        id: j.id,
        delegation_id: j.delegation_id,
        code: j.code,
        name: j.name,
        role: j.role,
        skill_ids,
        login_code_hash: j.login_code_hash,
    }
}

pub fn judge_rows(competition_id: Uuid, j: &JudgeRecord) -> (judge::Model, Vec<judge_skill::Model>) {
    let row = judge::Model {
        id: j.id,
        competition_id,
        delegation_id: j.delegation_id,
        code: j.code.clone(),
        name: j.name.clone(),
        role: j.role,
        login_code_hash: j.login_code_hash.clone(),
        login_code_issued_at: None,
        used_code_hash: None,
    };
    let skills = j.skill_ids.iter().map(|s| judge_skill::Model { judge_id: j.id, skill_id: *s }).collect();
    (row, skills)
}

/// The columns of a mark the cold load reads, in the order of [`MarkColumns`].
pub const MARK_COLUMNS: [mark::Column; 12] = {
    use mark::Column as C;
    [
        C::Seq,
        C::Id,
        C::SkillId,
        C::EntryId,
        C::AspectId,
        C::JudgeId,
        C::ValueCenti,
        C::Reason,
        C::Supersedes,
        C::EnteredBy,
        C::CreatedAt,
        C::SkillVersion,
    ]
};

/// A mark's columns as the cold load reads them (by position, [`MARK_COLUMNS`]): seq, id,
/// skill, entry, aspect, judge, value, reason, supersedes, entered by, created at, skill version.
pub type MarkColumns =
    (i64, Uuid, Uuid, Uuid, Uuid, Uuid, i64, Option<String>, Option<Uuid>, String, chrono::DateTime<chrono::Utc>, i64);

pub fn mark_record_of(columns: MarkColumns) -> MarkRecord {
    let (
        seq,
        id,
        skill_id,
        entry_id,
        aspect_id,
        judge_id,
        value,
        reason,
        supersedes,
        entered_by,
        created_at,
        skill_version,
    ) = columns;
    MarkRecord {
        seq,
        id,
        skill_id,
        entry_id,
        aspect_id,
        judge_id,
        value: Centi(value),
        reason,
        supersedes,
        entered_by,
        created_at,
        skill_version,
    }
}

/// The row of a new mark; `seq` is left to the database.
pub fn mark_row(competition_id: Uuid, m: &MarkRecord) -> mark::ActiveModel {
    use sea_orm::ActiveValue::{NotSet, Set};
    mark::ActiveModel {
        seq: NotSet,
        id: Set(m.id),
        competition_id: Set(competition_id),
        skill_id: Set(m.skill_id),
        entry_id: Set(m.entry_id),
        aspect_id: Set(m.aspect_id),
        judge_id: Set(m.judge_id),
        value_centi: Set(m.value.0),
        reason: Set(m.reason.clone()),
        supersedes: Set(m.supersedes),
        entered_by: Set(m.entered_by.clone()),
        created_at: Set(m.created_at),
        skill_version: Set(m.skill_version),
    }
}

pub fn void_record(v: mark_void::Model) -> VoidRecord {
    VoidRecord {
        mark_id: v.mark_id,
        skill_id: v.skill_id,
        reason: v.reason,
        actor: v.actor,
        created_at: v.created_at,
        skill_version: v.skill_version,
    }
}

pub fn void_row(v: &VoidRecord) -> mark_void::Model {
    mark_void::Model {
        mark_id: v.mark_id,
        skill_id: v.skill_id,
        reason: v.reason.clone(),
        actor: v.actor.clone(),
        created_at: v.created_at,
        skill_version: v.skill_version,
    }
}

pub fn override_record(o: discrepancy_override::Model) -> OverrideRecord {
    OverrideRecord {
        id: o.id,
        skill_id: o.skill_id,
        entry_id: o.entry_id,
        aspect_id: o.aspect_id,
        judge_id: o.judge_id,
        reason: o.reason,
        covers_seq: o.covers_seq,
        actor: o.actor,
        created_at: o.created_at,
    }
}

pub fn override_row(o: &OverrideRecord) -> discrepancy_override::Model {
    discrepancy_override::Model {
        id: o.id,
        skill_id: o.skill_id,
        entry_id: o.entry_id,
        aspect_id: o.aspect_id,
        judge_id: o.judge_id,
        reason: o.reason.clone(),
        covers_seq: o.covers_seq,
        actor: o.actor.clone(),
        created_at: o.created_at,
    }
}

/// A stored ceremony; `None` when its plan no longer reads (never written by this server).
pub fn ceremony_record(row: entity::ceremony::Model) -> Option<crate::model::ceremony::Ceremony> {
    let skills = serde_json::from_value(row.plan).ok()?;
    Some(crate::model::ceremony::Ceremony {
        skills,
        position: usize::try_from(row.position).unwrap_or(0),
        rehearsal: row.rehearsal,
        version: row.version,
    })
}

pub fn ceremony_row(competition_id: Uuid, c: &crate::model::ceremony::Ceremony) -> entity::ceremony::Model {
    entity::ceremony::Model {
        competition_id,
        plan: serde_json::to_value(&c.skills).unwrap_or_default(),
        position: i32::try_from(c.position).unwrap_or(i32::MAX),
        rehearsal: c.rehearsal,
        version: c.version,
    }
}
