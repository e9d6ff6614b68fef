//! JSON views of the in-memory model, shared by the REST API and the live channels so a
//! board sees the same rows either way.
use crate::domain::Centi;
use crate::domain::kinds::{MedalOrder, SkillState};
use crate::scoring;
use crate::service::model::{Competition, Skill};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

/// Decimals travel as strings with exactly 2 decimals.
pub fn dec(value: Decimal) -> String {
    Centi::round(value).to_string()
}

pub fn progress_json(skill: &Skill) -> Value {
    json!({ "marked": skill.result.marked, "expected": skill.result.expected })
}

/// One result row, as the API and the live board show it.
pub fn result_row(c: &Competition, r: &scoring::EntryResult) -> Value {
    let members = c.entry(&r.entry).map(|e| c.entries[e].members.clone()).unwrap_or_default();
    let criteria: Map<String, Value> =
        r.criteria.iter().map(|(code, v)| (code.clone(), Value::String(dec(*v)))).collect();
    json!({
        "entry": r.entry, "delegation": r.delegation, "members": members,
        "raw": dec(r.raw), "scaled": r.scaled.map(dec), "rank": r.rank, "medal": r.medal,
        "status": r.status, "criteria": criteria, "provisional": r.provisional,
        "marked": r.marked, "expected": r.expected,
    })
}

pub fn results_json(c: &Competition, s: usize, with_results: bool) -> Value {
    let skill = &c.skills[s];
    let mut body = json!({
        "skill": skill.code(), "name": skill.spec.name, "state": skill.state,
        "official": skill.state == SkillState::Published,
        "progress": progress_json(skill),
    });
    if with_results && let Some(map) = body.as_object_mut() {
        let rows: Vec<Value> = skill.result.entries.iter().map(|r| result_row(c, r)).collect();
        map.insert("results".into(), Value::Array(rows));
        map.insert("median".into(), json!(skill.result.median.map(dec)));
        map.insert("mad".into(), json!(skill.result.mad.map(dec)));
    }
    body
}

pub fn progress_all(c: &Competition) -> Value {
    Value::Array(
        c.skills
            .iter()
            .map(|s| json!({"skill": s.code(), "name": s.spec.name, "state": s.state, "marked": s.result.marked, "expected": s.result.expected}))
            .collect(),
    )
}

pub fn medal_rows(c: &Competition, order: MedalOrder, all: bool) -> Vec<scoring::MedalRow> {
    let order = match order {
        MedalOrder::Olympic => scoring::MedalOrder::Olympic,
        MedalOrder::Total => scoring::MedalOrder::Total,
        MedalOrder::Points => scoring::MedalOrder::Points,
    };
    scoring::medal_table(&c.awards(), &c.delegation_codes(), order, all)
}

pub fn medals_json(c: &Competition, order: MedalOrder, all: bool) -> Value {
    let rows: Vec<Value> = medal_rows(c, order, all)
        .into_iter()
        .map(|r| {
            let name = c.delegation(&r.delegation).map(|d| c.delegations[d].name.clone()).unwrap_or_default();
            let names = c.delegation(&r.delegation).map(|d| c.delegations[d].names.clone()).unwrap_or_default();
            json!({
                "delegation": r.delegation, "name": name, "names": names, "gold": r.gold, "silver": r.silver,
                "bronze": r.bronze, "excellence": r.excellence, "total": r.total, "points": r.points,
                "rank": r.rank, "shared": r.shared,
            })
        })
        .collect();
    json!({ "order": order, "rows": rows })
}
