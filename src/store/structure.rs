//! Converting between validated specs and rows, and inserting a whole competition.
use super::competition::CompetitionRows;
use crate::domain::Centi;
use crate::domain::kinds::{AggregationMethod, SkillState, Standardise, TieBreak};
use crate::domain::package::{CriterionSpec, SkillSpec};
use entity::{
    aspect, competition, criterion, delegation, discrepancy_override, entry, entry_member, judge, judge_skill, mark,
    mark_void, skill,
};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use std::collections::HashMap;
use uuid::Uuid;

/// The settings of a stored skill as a spec (the scheme is passed in).
pub fn skill_spec_from_row(s: &skill::Model, criteria: Vec<CriterionSpec>) -> SkillSpec {
    SkillSpec {
        code: crate::domain::Code::trusted(s.code.clone()),
        name: s.name.clone(),
        team_size: s.team_size.max(1) as u32,
        standardise: Standardise::parse(&s.standardise).unwrap_or(Standardise::None),
        scale_centre: Centi(s.scale_centre_centi),
        scale_step: Centi(s.scale_step_centi),
        tie_tolerance: Centi(s.tie_tolerance_centi),
        tie_break: TieBreak::parse(&s.tie_break).unwrap_or(TieBreak::None),
        max_judgement_spread: s.max_judgement_spread.max(0) as u32,
        aggregation: AggregationMethod::parse(&s.aggregation).unwrap_or(AggregationMethod::Mean),
        aggregation_k: s.aggregation_k.max(0) as u32,
        excellence_threshold: s.excellence_threshold_centi.map(Centi),
        min_entries_for_medals: s.min_entries_for_medals.max(0) as u32,
        criteria,
    }
}

/// The skill row for a spec (settings only; the scheme goes to `scheme_rows`).
pub fn skill_row(id: Uuid, competition_id: Uuid, position: i32, spec: &SkillSpec, state: SkillState) -> skill::Model {
    skill::Model {
        id,
        competition_id,
        code: spec.code.to_string(),
        name: spec.name.clone(),
        position,
        team_size: spec.team_size as i32,
        standardise: spec.standardise.as_str().into(),
        scale_centre_centi: spec.scale_centre.0,
        scale_step_centi: spec.scale_step.0,
        tie_tolerance_centi: spec.tie_tolerance.0,
        tie_break: spec.tie_break.as_str().into(),
        max_judgement_spread: spec.max_judgement_spread as i32,
        aggregation: spec.aggregation.as_str().into(),
        aggregation_k: spec.aggregation_k as i32,
        excellence_threshold_centi: spec.excellence_threshold.map(|c| c.0),
        min_entries_for_medals: spec.min_entries_for_medals as i32,
        state: state.as_str().into(),
        version: 0,
    }
}

/// Criterion and aspect rows of a scheme, with fresh ids, in scheme order.
pub fn scheme_rows(skill_id: Uuid, spec: &SkillSpec) -> (Vec<criterion::Model>, Vec<aspect::Model>) {
    let mut criteria = Vec::new();
    let mut aspects = Vec::new();
    for (ci, c) in spec.criteria.iter().enumerate() {
        let criterion_id = Uuid::now_v7();
        criteria.push(criterion::Model {
            id: criterion_id,
            skill_id,
            code: c.code.to_string(),
            name: c.name.clone(),
            position: ci as i32,
        });
        for a in &c.aspects {
            aspects.push(aspect::Model {
                id: Uuid::now_v7(),
                skill_id,
                criterion_id,
                code: a.code.to_string(),
                description: a.description.clone(),
                kind: a.kind.as_str().into(),
                max_centi: a.max.0,
                panel: a.panel.map(|p| p as i32),
                binary: a.binary,
                position: aspects.len() as i32,
            });
        }
    }
    (criteria, aspects)
}

async fn insert_all<E, A>(db: &impl ConnectionTrait, rows: Vec<E::Model>) -> Result<(), DbErr>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    E::Model: IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(500).map(IntoActiveModel::into_active_model).collect();
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

pub async fn insert_scheme(
    db: &impl ConnectionTrait,
    criteria: Vec<criterion::Model>,
    aspects: Vec<aspect::Model>,
) -> Result<(), DbErr> {
    insert_all::<criterion::Entity, _>(db, criteria).await?;
    insert_all::<aspect::Entity, _>(db, aspects).await
}

/// Inserts a whole competition. Marks get their server order from the database; the
/// `seq` of the given rows only orders them, and overrides' `covers_seq` is translated.
pub async fn insert_competition(db: &impl ConnectionTrait, rows: CompetitionRows) -> Result<(), DbErr> {
    insert_all::<competition::Entity, _>(db, vec![rows.competition]).await?;
    insert_all::<delegation::Entity, _>(db, rows.delegations).await?;
    insert_all::<skill::Entity, _>(db, rows.skills).await?;
    insert_all::<criterion::Entity, _>(db, rows.criteria).await?;
    insert_all::<aspect::Entity, _>(db, rows.aspects).await?;
    insert_all::<entry::Entity, _>(db, rows.entries).await?;
    insert_all::<entry_member::Entity, _>(db, rows.members).await?;
    insert_all::<judge::Entity, _>(db, rows.judges).await?;
    insert_all::<judge_skill::Entity, _>(db, rows.judge_skills).await?;
    let mut marks = rows.marks;
    marks.sort_by_key(|m| m.seq);
    let planned: Vec<i64> = marks.iter().map(|m| m.seq).collect();
    let active: Vec<mark::ActiveModel> = marks
        .into_iter()
        .map(|m| {
            let mut a = m.into_active_model();
            a.seq = sea_orm::ActiveValue::NotSet;
            a
        })
        .collect();
    let stored = super::mark::insert_many(db, active).await?;
    let real: HashMap<i64, i64> = planned.iter().copied().zip(stored.iter().map(|m| m.seq)).collect();
    insert_all::<mark_void::Entity, _>(db, rows.voids).await?;
    let overrides = rows
        .overrides
        .into_iter()
        .map(|mut o| {
            // The greatest stored seq not after the planned one.
            o.covers_seq =
                planned.iter().filter(|p| **p <= o.covers_seq).max().and_then(|p| real.get(p).copied()).unwrap_or(0);
            o
        })
        .collect();
    insert_all::<discrepancy_override::Entity, _>(db, overrides).await
}

pub async fn update_entry_status(
    db: &impl ConnectionTrait,
    entry_id: Uuid,
    status: crate::domain::kinds::EntryStatus,
) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    entry::Entity::update_many()
        .col_expr(entry::Column::Status, sea_orm::sea_query::Expr::value(status.as_str()))
        .filter(entry::Column::Id.eq(entry_id))
        .exec(db)
        .await?;
    Ok(())
}
