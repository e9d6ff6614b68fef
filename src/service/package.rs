//! Importing and exporting competition packages. An import is validated whole (every
//! offence named), checked against the scoring rules, then stored in one transaction.
use super::model::Competition;
use crate::domain::kinds::{AspectKind, EntryStatus, SkillState};
use crate::domain::package::{
    AggregationInput, AspectInput, CompetitionInput, CriterionInput, DelegationInput, EntryInput, FORMAT, ImportPlan,
    JudgeInput, MarkInput, Offence, OverrideInput, Package, SkillInput,
};
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::competition::CompetitionRows;
use chrono::Utc;
use entity::{competition, delegation, discrepancy_override, entry, entry_member, judge, judge_skill, mark, mark_void};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Turns a validated plan into rows with fresh ids (marks numbered in package order).
pub fn rows_from_plan(plan: &ImportPlan, actor: &str) -> CompetitionRows {
    let now = Utc::now();
    let competition_id = Uuid::now_v7();
    let c = &plan.competition;
    let competition = competition::Model {
        id: competition_id,
        code: c.code.to_string(),
        name: c.name.clone(),
        timezone: c.timezone.clone(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        default_language: c.default_language.clone(),
        medal_order: c.medal_order.as_str().into(),
        created_at: now,
    };
    let delegations: Vec<delegation::Model> = plan
        .delegations
        .iter()
        .map(|d| delegation::Model {
            id: Uuid::now_v7(),
            competition_id,
            code: d.code.to_string(),
            name: d.name.clone(),
            names: serde_json::to_value(&d.names).unwrap_or_default(),
        })
        .collect();
    let mut skills = Vec::new();
    let mut criteria = Vec::new();
    let mut aspects = Vec::new();
    let mut aspect_ids: Vec<Vec<Uuid>> = Vec::new();
    for (i, spec) in plan.skills.iter().enumerate() {
        let id = Uuid::now_v7();
        let mut row = store::structure::skill_row(id, competition_id, i as i32, spec, plan.states[i]);
        row.version = 1;
        skills.push(row);
        let (c, a) = store::structure::scheme_rows(id, spec);
        aspect_ids.push(a.iter().map(|a| a.id).collect());
        criteria.extend(c);
        aspects.extend(a);
    }
    let entries: Vec<entry::Model> = plan
        .entries
        .iter()
        .map(|e| entry::Model {
            id: Uuid::now_v7(),
            competition_id,
            skill_id: skills[e.skill].id,
            delegation_id: delegations[e.delegation].id,
            code: e.code.to_string(),
            status: e.status.as_str().into(),
        })
        .collect();
    let members = plan
        .entries
        .iter()
        .zip(&entries)
        .flat_map(|(e, row)| {
            e.members.iter().enumerate().map(|(p, name)| entry_member::Model {
                entry_id: row.id,
                position: p as i32,
                name: name.clone(),
            })
        })
        .collect();
    let judges: Vec<judge::Model> = plan
        .judges
        .iter()
        .map(|j| judge::Model {
            id: Uuid::now_v7(),
            competition_id,
            delegation_id: delegations[j.delegation].id,
            code: j.code.to_string(),
            name: j.name.clone(),
            role: j.role.as_str().into(),
            login_code_hash: None,
            login_code_issued_at: None,
        })
        .collect();
    let judge_skills = plan
        .judges
        .iter()
        .zip(&judges)
        .flat_map(|(j, row)| j.skills.iter().map(|s| judge_skill::Model { judge_id: row.id, skill_id: skills[*s].id }))
        .collect();
    // What each new mark supersedes: the latest earlier non-voided mark of the same judge
    // (judgement) or of anyone (measurement) on the same entry and aspect.
    let mut latest: HashMap<(usize, usize, Option<usize>), Uuid> = HashMap::new();
    let mut marks = Vec::new();
    let mut voids = Vec::new();
    for (i, m) in plan.marks.iter().enumerate() {
        let skill = plan.entries[m.entry].skill;
        let kind = plan.skills[skill].aspects().nth(m.aspect).map(|a| a.kind);
        let key = (m.entry, m.aspect, (kind == Some(AspectKind::Judgement)).then_some(m.judge));
        let supersedes = latest.get(&key).copied();
        if m.void.is_none() {
            latest.insert(key, m.id);
        }
        marks.push(mark::Model {
            seq: i as i64 + 1,
            id: m.id,
            competition_id,
            skill_id: skills[skill].id,
            entry_id: entries[m.entry].id,
            aspect_id: aspect_ids[skill][m.aspect],
            judge_id: judges[m.judge].id,
            value_centi: m.value.0,
            reason: m.reason.clone(),
            supersedes,
            entered_by: format!("import:{actor}"),
            created_at: now,
            skill_version: 1,
        });
        if let Some(reason) = &m.void {
            voids.push(mark_void::Model {
                mark_id: m.id,
                skill_id: skills[skill].id,
                reason: reason.clone(),
                actor: format!("import:{actor}"),
                created_at: now,
                skill_version: 1,
            });
        }
    }
    let overrides = plan
        .overrides
        .iter()
        .map(|o| {
            let skill = plan.entries[o.entry].skill;
            discrepancy_override::Model {
                id: Uuid::now_v7(),
                skill_id: skills[skill].id,
                entry_id: entries[o.entry].id,
                aspect_id: aspect_ids[skill][o.aspect],
                judge_id: o.judge.map(|j| judges[j].id),
                reason: o.reason.clone(),
                covers_seq: marks.len() as i64,
                actor: format!("import:{actor}"),
                created_at: now,
            }
        })
        .collect();
    CompetitionRows {
        competition,
        delegations,
        skills,
        criteria,
        aspects,
        entries,
        members,
        judges,
        judge_skills,
        marks,
        voids,
        overrides,
    }
}

/// Offences a plan commits against the scoring rules: a locked or published skill with
/// an open judgement discrepancy.
pub fn check_states(package: &Package, plan: &ImportPlan, model: &Competition) -> Vec<Offence> {
    let mut offences = Vec::new();
    for (i, skill) in model.skills.iter().enumerate() {
        let open = skill.result.open_discrepancies();
        if open == 0 || !matches!(plan.states[i], SkillState::Locked | SkillState::Published) {
            continue;
        }
        let pointer = match package.published.iter().position(|p| p == skill.code()) {
            Some(p) => format!("/published/{p}"),
            None => format!("/skills/{i}/state"),
        };
        offences.push(Offence::new(
            pointer,
            "open_discrepancies",
            format!("skill '{}' cannot be locked or published: {open} judgement discrepancies are open", skill.code()),
        ));
    }
    offences
}

/// Validates and stores a package; returns the new competition's id.
pub async fn import(db: &DatabaseConnection, package: &Package, actor: &str) -> ApiResult<Uuid> {
    let plan = package.validate().map_err(|offences| ApiError::offences(summary(&offences), offences))?;
    let rows = rows_from_plan(&plan, actor);
    let model = Competition::build(rows.clone());
    let offences = check_states(package, &plan, &model);
    if !offences.is_empty() {
        return Err(ApiError::offences(summary(&offences), offences));
    }
    if store::competition::find_by_code(db, plan.competition.code.as_str()).await?.is_some() {
        return Err(ApiError::conflict(
            "competition_exists",
            format!("a competition with code '{}' exists already", plan.competition.code),
        ));
    }
    let id = rows.competition.id;
    let txn = crate::db::begin_write(db).await?;
    store::structure::insert_competition(&txn, rows).await.map_err(|e| match ApiError::from(e) {
        ApiError::Conflict { code: "already_exists", .. } => {
            ApiError::conflict("competition_exists", "the competition, or one of its mark ids, exists already")
        }
        other => other,
    })?;
    store::audit::insert(
        &txn,
        AuditEntry {
            competition_id: Some(id),
            skill_id: None,
            actor: actor.to_owned(),
            action: "competition.imported",
            subject: plan.competition.code.to_string(),
            before: None,
            after: Some(serde_json::json!({
                "delegations": plan.delegations.len(), "skills": plan.skills.len(),
                "entries": plan.entries.len(), "judges": plan.judges.len(), "marks": plan.marks.len(),
            })),
            reason: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

fn summary(offences: &[Offence]) -> String {
    format!("the package was rejected whole, nothing was stored: {} offence(s)", offences.len())
}

fn value(c: crate::domain::Centi) -> serde_json::Value {
    serde_json::Value::String(c.to_string())
}

/// The package of a competition: importing it gives the same competition.
pub fn export(model: &Competition) -> Package {
    let skills = model
        .skills
        .iter()
        .map(|s| {
            let spec = &s.spec;
            SkillInput {
                code: spec.code.to_string(),
                name: spec.name.clone(),
                team_size: spec.team_size,
                standardise: spec.standardise.as_str().into(),
                tie_tolerance: value(spec.tie_tolerance),
                tie_break: spec.tie_break.as_str().into(),
                max_judgement_spread: spec.max_judgement_spread,
                judgement_aggregation: AggregationInput {
                    method: spec.aggregation.as_str().into(),
                    k: (spec.aggregation == crate::domain::kinds::AggregationMethod::Trimmed)
                        .then_some(spec.aggregation_k),
                },
                excellence_threshold: spec.excellence_threshold.map(value),
                min_entries_for_medals: spec.min_entries_for_medals,
                scale_centre: Some(value(spec.scale_centre)),
                scale_step: Some(value(spec.scale_step)),
                state: Some(s.state.as_str().into()),
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
        })
        .collect();
    let mut marks: Vec<(i64, MarkInput)> = Vec::new();
    let mut overrides = Vec::new();
    for s in &model.skills {
        let aspects = s.aspect_list();
        let code = |i: usize| aspects.get(i).map(|a| a.code.to_string()).unwrap_or_default();
        for m in &s.marks {
            marks.push((
                m.seq,
                MarkInput {
                    id: Some(m.id.to_string()),
                    judge: model.judges[m.judge].code.clone(),
                    entry: model.entries[m.entry].code.clone(),
                    aspect: code(m.aspect),
                    value: value(m.value),
                    reason: m.reason.as_deref().map(str::to_owned),
                    void: m.void.is_some(),
                    void_reason: m.void.clone(),
                },
            ));
        }
        // Only overrides still in force: a later score made the others lapse.
        for o in &s.overrides {
            let lapsed = s.marks.iter().any(|m| m.entry == o.entry && m.aspect == o.aspect && m.seq > o.covers_seq);
            if !lapsed {
                overrides.push(OverrideInput {
                    judge: None,
                    entry: model.entries[o.entry].code.clone(),
                    aspect: code(o.aspect),
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
            .map(|d| DelegationInput {
                code: d.code.clone(),
                name: d.name.clone(),
                names: serde_json::from_value(d.names.clone()).unwrap_or_default(),
            })
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
    }
}
