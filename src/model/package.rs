//! The competition package and the model: a validated package becomes records (with fresh
//! ids) and a model, checked against the rules that need one (who may mark what, no open
//! discrepancy on a signed-off skill); a model becomes a package again.
use super::competition::Competition;
use super::ix::{EntryIx, JudgeIx};
use super::policy;
use super::record::{
    CompetitionRecord, DelegationRecord, EntryRecord, JudgeRecord, MarkRecord, OverrideRecord, Records, SkillRecord,
    VoidRecord,
};
use crate::domain::Centi;
use crate::domain::input::{
    AggregationInput, AspectInput, CompetitionInput, CriterionInput, DelegationInput, EntryInput, FORMAT, JudgeInput,
    MarkInput, OverrideInput, Package, SkillInput,
};
use crate::domain::kinds::{AggregationMethod, AspectKind, EntryStatus, JudgeRole, SkillState};
use crate::domain::package::ImportPlan;
use crate::error::{ErrorCode, FieldError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Turns a validated plan into records with fresh ids (marks numbered in package order).
/// `fresh` yields the ids, so that a plan always becomes the same records in tests.
pub fn records_from_plan(
    plan: &ImportPlan,
    actor: &str,
    now: DateTime<Utc>,
    mut fresh: impl FnMut() -> Uuid,
) -> Records {
    let c = &plan.competition;
    let competition = CompetitionRecord {
        id: fresh(),
        code: c.code.to_string(),
        name: c.name.clone(),
        timezone: c.timezone.clone(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        default_language: c.default_language.clone(),
        medal_order: c.medal_order,
        created_at: now,
    };
    let delegations: Vec<DelegationRecord> = plan
        .delegations
        .iter()
        .map(|d| DelegationRecord {
            id: fresh(),
            code: d.code.to_string(),
            name: d.name.clone(),
            names: d.names.clone(),
        })
        .collect();
    let skills: Vec<SkillRecord> = plan
        .skills
        .iter()
        .enumerate()
        .map(|(i, spec)| SkillRecord {
            id: fresh(),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            spec: spec.clone(),
            state: plan.states[i],
            version: 1,
            criterion_ids: spec.criteria.iter().map(|_| fresh()).collect(),
            aspect_ids: spec.aspects().map(|_| fresh()).collect(),
            accepted_gaps: plan.accepted_gaps[i].clone(),
        })
        .collect();
    let entries: Vec<EntryRecord> = plan
        .entries
        .iter()
        .map(|e| EntryRecord {
            id: fresh(),
            skill_id: skills[e.skill].id,
            delegation_id: delegations[e.delegation].id,
            code: e.code.to_string(),
            members: e.members.clone(),
            status: e.status,
        })
        .collect();
    let judges: Vec<JudgeRecord> = plan
        .judges
        .iter()
        .map(|j| JudgeRecord {
            id: fresh(),
            delegation_id: delegations[j.delegation].id,
            code: j.code.to_string(),
            name: j.name.clone(),
            role: j.role,
            skill_ids: j.skills.iter().map(|s| skills[*s].id).collect(),
            login_code_hash: None,
        })
        .collect();
    // What each mark supersedes: the latest earlier non-voided mark of the same judge
    // (judgement) or of anyone (measurement) on the same entry and aspect.
    let mut latest: HashMap<(usize, usize, Option<usize>), Uuid> = HashMap::new();
    let mut marks = Vec::new();
    let mut voids = Vec::new();
    let entered_by = format!("import:{actor}");
    for (i, m) in plan.marks.iter().enumerate() {
        let skill = plan.entries[m.entry].skill;
        let kind = plan.skills[skill].aspects().nth(m.aspect).map(|a| a.kind);
        let key = (m.entry, m.aspect, (kind == Some(AspectKind::Judgement)).then_some(m.judge));
        let supersedes = latest.get(&key).copied();
        if m.void.is_none() {
            latest.insert(key, m.id);
        }
        marks.push(MarkRecord {
            seq: i64::try_from(i).unwrap_or(i64::MAX) + 1,
            id: m.id,
            skill_id: skills[skill].id,
            entry_id: entries[m.entry].id,
            aspect_id: skills[skill].aspect_ids[m.aspect],
            judge_id: judges[m.judge].id,
            value: m.value,
            reason: m.reason.clone(),
            supersedes,
            entered_by: entered_by.clone(),
            created_at: now,
            skill_version: 1,
        });
        if let Some(reason) = &m.void {
            voids.push(VoidRecord {
                mark_id: m.id,
                skill_id: skills[skill].id,
                reason: reason.clone(),
                actor: entered_by.clone(),
                created_at: now,
                skill_version: 1,
            });
        }
    }
    let covers_seq = i64::try_from(marks.len()).unwrap_or(i64::MAX);
    let overrides = plan
        .overrides
        .iter()
        .map(|o| {
            let skill = plan.entries[o.entry].skill;
            OverrideRecord {
                id: fresh(),
                skill_id: skills[skill].id,
                entry_id: entries[o.entry].id,
                aspect_id: skills[skill].aspect_ids[o.aspect],
                judge_id: o.judge.map(|j| judges[j].id),
                reason: o.reason.clone(),
                covers_seq,
                actor: entered_by.clone(),
                created_at: now,
            }
        })
        .collect();
    Records { competition, delegations, skills, entries, judges, marks, voids, overrides, ceremony: None }
}

/// Offences of a package against the rules that need the model: every mark by a judge who
/// may mark its entry (the same policy as marks sent live), overrides by the skill's chief,
/// and no open judgement discrepancy on a locked or published skill.
pub fn check(package: &Package, plan: &ImportPlan, model: &Competition) -> Vec<FieldError> {
    let mut offences = Vec::new();
    for (i, m) in plan.marks.iter().enumerate() {
        if let Err((code, detail)) = policy::eligible(model, JudgeIx::new(m.judge), EntryIx::new(m.entry)) {
            offences.push(FieldError::new(format!("/marks/{i}/judge"), code, detail));
        }
    }
    for (i, o) in plan.overrides.iter().enumerate() {
        if let Some(j) = o.judge {
            let judge = &model.judges[JudgeIx::new(j)];
            let skill = model.entries[EntryIx::new(o.entry)].skill;
            if judge.role != JudgeRole::Chief || !judge.skills.contains(&skill) {
                let detail = "only the skill's chief judge may override";
                offences.push(FieldError::new(format!("/overrides/{i}/judge"), ErrorCode::NotChief, detail));
            }
        }
    }
    for (i, skill) in model.skills.enumerate() {
        let open = skill.result.open_discrepancies();
        if open == 0 || !matches!(plan.states[i.get()], SkillState::Locked | SkillState::Published) {
            continue;
        }
        let pointer = match package.published.iter().position(|p| p == skill.code()) {
            Some(p) => format!("/published/{p}"),
            None => format!("/skills/{}/state", i.get()),
        };
        let detail =
            format!("skill '{}' cannot be locked or published: {open} judgement discrepancies are open", skill.code());
        offences.push(FieldError::new(pointer, ErrorCode::OpenDiscrepancies, detail));
    }
    offences
}

fn value(c: Centi) -> serde_json::Value {
    serde_json::Value::String(c.to_string())
}

/// The package of a competition: importing it gives the same competition.
pub fn export(model: &Competition) -> Package {
    let skills = model
        .skills
        .iter()
        .map(|s| SkillInput { accepted_gaps: s.accepted_gaps.as_deref().cloned(), ..skill_input(&s.spec, s.state) })
        .collect();
    let mut marks: Vec<(i64, MarkInput)> = Vec::new();
    let mut overrides = Vec::new();
    for s in model.skills.iter() {
        for m in s.marks() {
            let mark = MarkInput {
                id: Some(m.id.to_string()),
                judge: model.judges[m.judge].code.clone(),
                entry: model.entries[m.entry].code.clone(),
                aspect: s.aspect_code(m.aspect).to_owned(),
                value: value(m.value),
                reason: m.reason.as_deref().map(str::to_owned),
                void: m.void.is_some(),
                void_reason: m.void.as_deref().map(str::to_owned),
            };
            marks.push((m.seq, mark));
        }
        // Only overrides still in force: a later score made the others lapse.
        for o in &s.overrides {
            let lapsed =
                s.marks()[o.covers.min(s.marks().len())..].iter().any(|m| m.entry == o.entry && m.aspect == o.aspect);
            if !lapsed {
                overrides.push(OverrideInput {
                    judge: None,
                    entry: model.entries[o.entry].code.clone(),
                    aspect: s.aspect_code(o.aspect).to_owned(),
                    reason: o.reason.clone(),
                });
            }
        }
    }
    marks.sort_by_key(|(seq, _)| *seq);
    Package {
        format: FORMAT.into(),
        competition: CompetitionInput {
            code: model.code.clone(),
            name: model.name.clone(),
            timezone: model.timezone.clone(),
            starts_on: model.starts_on.map(|d| d.to_string()),
            ends_on: model.ends_on.map(|d| d.to_string()),
            default_language: model.default_language.clone(),
            medal_order: model.medal_order.as_str().into(),
        },
        delegations: model
            .delegations
            .iter()
            .map(|d| DelegationInput { code: d.code.clone(), name: d.name.clone(), names: d.names.clone() })
            .collect(),
        skills,
        entries: model
            .entries
            .iter()
            .map(|e| EntryInput {
                code: e.code.clone(),
                skill: model.skills[e.skill].code().to_owned(),
                delegation: model.delegations[e.delegation].code.clone(),
                members: e.members.clone(),
                status: (e.status != EntryStatus::Active).then(|| e.status.as_str().into()),
            })
            .collect(),
        judges: model
            .judges
            .iter()
            .map(|j| JudgeInput {
                code: j.code.clone(),
                name: j.name.clone(),
                delegation: model.delegations[j.delegation].code.clone(),
                skills: j.skills.iter().map(|s| model.skills[*s].code().to_owned()).collect(),
                role: j.role.as_str().into(),
            })
            .collect(),
        marks: marks.into_iter().map(|(_, m)| m).collect(),
        overrides,
        published: Vec::new(),
        ceremony: model.ceremony.as_deref().map(super::decide::ceremony::to_package),
    }
}

/// A skill's settings and scheme as the package (and the registration API) spells them.
pub fn skill_input(spec: &crate::domain::spec::SkillSpec, state: SkillState) -> SkillInput {
    let rules = &spec.rules;
    SkillInput {
        code: spec.code.to_string(),
        name: spec.name.clone(),
        team_size: spec.team_size,
        standardise: rules.standardise.as_str().into(),
        tie_tolerance: value(rules.tie_tolerance),
        tie_break: rules.tie_break.as_str().into(),
        max_judgement_spread: rules.max_judgement_spread,
        judgement_aggregation: AggregationInput {
            method: rules.aggregation.as_str().into(),
            k: (rules.aggregation == AggregationMethod::Trimmed).then_some(rules.aggregation_k),
        },
        excellence_threshold: rules.excellence_threshold.map(value),
        min_entries_for_medals: rules.min_entries_for_medals,
        scale_centre: Some(value(rules.scale_centre)),
        scale_step: Some(value(rules.scale_step)),
        state: Some(state.as_str().into()),
        accepted_gaps: None,
        criteria: spec
            .criteria
            .iter()
            .map(|c| CriterionInput {
                code: c.code.to_string(),
                name: c.name.clone(),
                aspects: c
                    .aspects
                    .iter()
                    .map(|a| AspectInput {
                        code: a.code.to_string(),
                        description: a.description.clone(),
                        kind: a.kind.as_str().into(),
                        max: value(a.max),
                        panel: a.panel,
                        mode: a.binary.then(|| "binary".into()),
                    })
                    .collect(),
            })
            .collect(),
    }
}
