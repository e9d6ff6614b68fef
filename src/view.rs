//! JSON views of the model, shared by the REST API and the live channels so that a board
//! sees the same rows either way.
use crate::domain::Centi;
use crate::domain::kinds::{EntryStatus, MedalOrder, SkillState};
use crate::model::{Competition, DelegationIx, EntryIx, JudgeIx, Skill, SkillIx};
use crate::scoring;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;

/// Decimals travel as strings with exactly 2 decimals.
pub fn dec(value: Decimal) -> String {
    Centi::round(value).to_string()
}

/// One result row, as the API and the live board show it.
pub fn result_row(c: &Competition, r: &scoring::EntryResult) -> Value {
    let members = c.entry(&r.entry).map(|e| c.entries[e].members.clone()).unwrap_or_default();
    let criteria: Map<String, Value> =
        r.criteria.iter().map(|(code, v)| (code.to_string(), Value::String(dec(*v)))).collect();
    let mut row = json!({
        "entry": r.entry, "delegation": r.delegation, "members": members,
        "raw": dec(r.raw), "scaled": r.scaled.map(dec), "rank": r.rank, "medal": r.medal,
        "status": r.status, "provisional": r.provisional,
        "gaps_accepted": r.gaps_accepted, "marked": r.marked, "expected": r.expected,
    });
    // Moved in: `json!` would copy a built value through serde.
    row["criteria"] = Value::Object(criteria);
    row
}

/// A skill's header: what everyone may see of it.
pub fn skill_header(c: &Competition, s: SkillIx) -> Value {
    let skill = &c.skills[s];
    json!({
        "skill": skill.code(), "name": skill.spec.name, "names": skill.spec.names, "state": skill.state,
        "official": skill.state == SkillState::Published,
        "progress": {"marked": skill.result.marked, "expected": skill.result.expected},
    })
}

/// Every result row of a skill, in rank order.
pub fn result_rows(c: &Competition, s: SkillIx) -> Vec<Value> {
    c.skills[s].result.entries.iter().map(|r| result_row(c, r)).collect()
}

pub fn results_json(c: &Competition, s: SkillIx, with_results: bool) -> Value {
    let mut body = skill_header(c, s);
    if with_results && let Some(map) = body.as_object_mut() {
        let result = &c.skills[s].result;
        map.insert("results".into(), Value::Array(result_rows(c, s)));
        map.insert("median".into(), json!(result.median.map(dec)));
        map.insert("mad".into(), json!(result.mad.map(dec)));
        map.insert("accepted_gaps".into(), json!(c.skills[s].accepted_gaps));
    }
    body
}

/// Marking progress of every skill: marks have and needed, each criterion's (a criterion
/// is done when every active entry has all its marks), and the marks entered per minute in
/// the ten minutes up to the skill's latest mark. Counts only: nothing here ranks anyone.
pub fn progress_rows(c: &Competition) -> Vec<Value> {
    c.skills.iter().map(|s| progress_row(s)).collect()
}

/// One skill's marking progress (a row of `progress_rows`): it depends on that skill alone.
pub fn progress_row(s: &Skill) -> Value {
    let criteria = criterion_progress(s);
    let done = criteria.iter().filter(|c| c["done"] == Value::Bool(true)).count();
    let mut row = json!({
        "skill": s.code(), "name": s.spec.name, "names": s.spec.names, "state": s.state,
        "marked": s.result.marked, "expected": s.result.expected, "criteria_done": done,
    });
    row["criteria"] = Value::Array(criteria);
    row["activity"] = Value::Array(activity(s));
    row
}

/// Marks have and needed per criterion, over the skill's active entries.
fn criterion_progress(s: &Skill) -> Vec<Value> {
    let active: Vec<_> = s.result.entries.iter().filter(|r| r.status == EntryStatus::Active).collect();
    let mut first = 0;
    s.spec
        .criteria
        .iter()
        .map(|criterion| {
            let range = first..first + criterion.aspects.len();
            first = range.end;
            let (mut marked, mut expected) = (0u32, 0u32);
            for row in &active {
                for (mark, aspect) in row.aspects.get(range.clone()).unwrap_or_default().iter().zip(&criterion.aspects)
                {
                    let needed = aspect.expected();
                    marked += mark.scores.min(needed);
                    expected += needed;
                }
            }
            json!({
                "code": criterion.code, "name": criterion.name, "names": criterion.names,
                "marked": marked, "expected": expected, "done": !active.is_empty() && marked == expected,
            })
        })
        .collect()
}

/// Marks entered per minute (`at`, the minute's start) in the ten minutes up to the skill's
/// latest one. A client sums the minutes still within ten minutes of its clock, so the count
/// falls back to zero when marking stops, with no frame needed. Marks loaded from a package
/// are no activity. Marks are stored in time order: a binary search finds the window.
fn activity(s: &Skill) -> Vec<Value> {
    let marks = s.marks();
    // Marks loaded from a package come before any entered at the venue (a package is imported
    // before anyone marks), so each minute's marks are found by two binary searches, not by
    // walking the window: this runs for every skill on every write.
    let first_live = partition_point(marks, |m| !entered_live(m));
    let Some(last) = marks.last().filter(|_| first_live < marks.len()) else { return Vec::new() };
    let end = last.created_at.timestamp().div_euclid(60);
    let before = |minute: i64| partition_point(marks, |m| !entered_live(m) || m.created_at.timestamp() < minute * 60);
    (end - 9..=end)
        .filter_map(|minute| {
            let count = before(minute + 1) - before(minute);
            let at = chrono::DateTime::<chrono::Utc>::from_timestamp(minute * 60, 0)?;
            (count > 0).then(|| json!({"at": at, "marks": count}))
        })
        .collect()
}

/// A mark entered at the venue, not loaded from a package.
fn entered_live(m: &crate::model::StoredMark) -> bool {
    !m.entered_by.starts_with("import:")
}

/// How many of a skill's marks were stored after `since` (the REST progress counts the last
/// ten minutes on the server's clock).
pub fn marks_since(s: &Skill, since: chrono::DateTime<chrono::Utc>) -> usize {
    let marks = s.marks();
    marks.skip(partition_point(marks, |m| m.created_at <= since)).iter().filter(|m| entered_live(m)).count()
}

/// The first position whose mark fails `before` (marks where it holds come first).
fn partition_point(
    marks: &imbl::Vector<crate::model::StoredMark>,
    before: impl Fn(&crate::model::StoredMark) -> bool,
) -> usize {
    let split = marks.binary_search_by(|m| if before(m) { Ordering::Less } else { Ordering::Greater });
    split.unwrap_or_else(|i| i)
}

pub fn medal_rows(c: &Competition, order: MedalOrder, all: bool) -> Vec<scoring::MedalRow> {
    scoring::medal_table(&c.awards(), &c.delegation_codes(), order, all)
}

pub fn medals_json(c: &Competition, order: MedalOrder, all: bool) -> Value {
    let rows: Vec<Value> = medal_rows(c, order, all)
        .into_iter()
        .map(|r| {
            let delegation = c.delegation(&r.delegation).map(|d| &c.delegations[d]);
            json!({
                "delegation": r.delegation,
                "name": delegation.map(|d| d.name.clone()).unwrap_or_default(),
                "names": delegation.map(|d| d.names.clone()).unwrap_or_default(),
                "gold": r.gold, "silver": r.silver, "bronze": r.bronze, "excellence": r.excellence,
                "total": r.total, "points": r.points, "rank": r.rank, "shared": r.shared,
            })
        })
        .collect();
    json!({ "order": order, "rows": rows })
}

pub fn delegation_json(c: &Competition, d: DelegationIx) -> Value {
    let d = &c.delegations[d];
    json!({"code": d.code, "name": d.name, "names": d.names})
}

/// A skill's settings and marking scheme, as the registration API takes them back.
pub fn skill_json(s: &Skill) -> Value {
    let (spec, rules) = (&s.spec, &s.spec.rules);
    json!({
        "code": spec.code, "name": spec.name, "names": spec.names, "team_size": spec.team_size, "state": s.state,
        "standardise": rules.standardise, "scale_centre": rules.scale_centre, "scale_step": rules.scale_step,
        "tie_tolerance": rules.tie_tolerance, "tie_break": rules.tie_break,
        "max_judgement_spread": rules.max_judgement_spread,
        "judgement_aggregation": {"method": rules.aggregation, "k": rules.aggregation_k},
        "excellence_threshold": rules.excellence_threshold, "min_entries_for_medals": rules.min_entries_for_medals,
        "marks": s.marks().len(),
        "criteria": spec.criteria.iter().map(|c| json!({
            "code": c.code, "name": c.name, "names": c.names,
            "aspects": c.aspects.iter().map(|a| json!({
                "code": a.code, "description": a.description, "names": a.names, "kind": a.kind, "max": a.max,
                "panel": a.panel, "mode": if a.binary { Some("binary") } else { None },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

pub fn entry_json(c: &Competition, e: EntryIx) -> Value {
    let entry = &c.entries[e];
    json!({
        "code": entry.code, "skill": c.skills[entry.skill].code(),
        "delegation": c.delegations[entry.delegation].code, "members": entry.members, "status": entry.status,
    })
}

pub fn judge_json(c: &Competition, j: JudgeIx) -> Value {
    let judge = &c.judges[j];
    json!({
        "code": judge.code, "name": judge.name, "delegation": c.delegations[judge.delegation].code,
        "skills": judge.skills.iter().map(|s| c.skills[*s].code()).collect::<Vec<_>>(),
        "role": judge.role, "has_login_code": judge.login_code_hash.is_some(),
    })
}
