//! Coalescing deltas: several deltas of one channel merged into one that leaves a viewer in
//! the same state as applying them one after another (the latest state of every row). Also
//! [`apply`], the reference of how a client applies a frame, used to check the merge.
use crate::model::Channel;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `b` after `a`, as one delta of `channel`.
pub fn merge(channel: &Channel, a: &Value, b: &Value) -> Value {
    match channel {
        Channel::Skill(_) | Channel::PublicSkill(_) => merge_skill(a, b),
        Channel::Progress => merge_progress(a, b),
        // Medal tables, judges' alerts and the ceremony's hall view travel whole.
        Channel::Medals | Channel::Judge(_) | Channel::Ceremony => b.clone(),
        Channel::Broadcast => super::broadcast::merge(a, b),
    }
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn row_number(row: &Value) -> Option<u64> {
    row.get("i").and_then(Value::as_u64)
}

/// Pairs `[i, value, i, value, …]` (of `ranks` or `medals`) as a map.
fn pairs(delta: &Value, key: &str) -> BTreeMap<u64, Value> {
    let flat = delta.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    flat.chunks(2).filter_map(|pair| Some((pair.first()?.as_u64()?, pair.get(1)?.clone()))).collect()
}

fn flatten(map: BTreeMap<u64, Value>) -> Value {
    Value::Array(map.into_iter().flat_map(|(i, v)| [Value::from(i), v]).collect())
}

/// Fields carried outside the row patches, applied after them, in this order.
const PLACES: [(&str, &str); 2] = [("ranks", "rank"), ("medals", "medal")];

/// A row patch on top of another: later fields win, criteria merge one by one.
fn patch_row(row: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match (key.as_str(), row.get_mut(key), value.as_object()) {
            ("criteria", Some(Value::Object(old)), Some(new)) => {
                for (k, v) in new {
                    old.insert(k.clone(), v.clone());
                }
            }
            _ => {
                row.insert(key.clone(), value.clone());
            }
        }
    }
}

fn merge_skill(a: &Value, b: &Value) -> Value {
    let mut out = object(a);
    for (key, value) in object(b) {
        if key != "rows" && PLACES.iter().all(|(list, _)| key != *list) {
            out.insert(key, value);
        }
    }
    let mut rows: BTreeMap<u64, Map<String, Value>> = BTreeMap::new();
    for row in a.get("rows").and_then(Value::as_array).into_iter().flatten() {
        if let Some(i) = row_number(row) {
            rows.insert(i, object(row));
        }
    }
    let mut places: Vec<BTreeMap<u64, Value>> = PLACES.iter().map(|(list, _)| pairs(a, list)).collect();
    for row in b.get("rows").and_then(Value::as_array).into_iter().flatten() {
        let Some(i) = row_number(row) else { continue };
        let patch = object(row);
        for ((_, field), map) in PLACES.iter().zip(places.iter_mut()) {
            if patch.contains_key(*field) {
                map.remove(&i);
            }
        }
        patch_row(rows.entry(i).or_default(), &patch);
    }
    for ((list, field), map) in PLACES.iter().zip(places.iter_mut()) {
        for (i, value) in pairs(b, list) {
            // Places apply after rows: a row already patched takes its new place itself.
            match rows.get_mut(&i) {
                Some(row) => {
                    row.insert((*field).into(), value);
                    map.remove(&i);
                }
                None => {
                    map.insert(i, value);
                }
            }
        }
    }
    out.remove("rows");
    if !rows.is_empty() {
        out.insert("rows".into(), Value::Array(rows.into_values().map(Value::Object).collect()));
    }
    for ((list, _), map) in PLACES.iter().zip(places) {
        out.remove(*list);
        if !map.is_empty() {
            out.insert((*list).into(), flatten(map));
        }
    }
    Value::Object(out)
}

fn merge_progress(a: &Value, b: &Value) -> Value {
    let mut skills: Vec<Value> = a.get("skills").and_then(Value::as_array).cloned().unwrap_or_default();
    for row in b.get("skills").and_then(Value::as_array).into_iter().flatten() {
        match skills.iter_mut().find(|r| r.get("skill") == row.get("skill")) {
            Some(slot) => *slot = row.clone(),
            None => skills.push(row.clone()),
        }
    }
    serde_json::json!({ "skills": skills })
}

/// What a client holds after applying a delta to a channel's data (a snapshot replaces it).
pub fn apply(channel: &Channel, state: &Value, delta: &Value) -> Value {
    match channel {
        Channel::Skill(_) | Channel::PublicSkill(_) => {
            let mut out = object(state);
            for (key, value) in object(delta) {
                if key != "rows" && PLACES.iter().all(|(list, _)| key != *list) {
                    out.insert(key, value);
                }
            }
            if let Some(Value::Array(results)) = out.get_mut("results") {
                for patch in delta.get("rows").and_then(Value::as_array).into_iter().flatten() {
                    let i = row_number(patch);
                    if let Some(Value::Object(row)) = results.iter_mut().find(|r| row_number(r) == i) {
                        patch_row(row, &object(patch));
                    }
                }
                for (list, field) in PLACES {
                    for (i, value) in pairs(delta, list) {
                        if let Some(Value::Object(row)) = results.iter_mut().find(|r| row_number(r) == Some(i)) {
                            row.insert(field.into(), value);
                        }
                    }
                }
            }
            Value::Object(out)
        }
        Channel::Progress => merge_progress(state, delta),
        Channel::Medals | Channel::Judge(_) | Channel::Ceremony => delta.clone(),
        Channel::Broadcast => super::broadcast::merge(state, delta),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn skill() -> Channel {
        Channel::Skill("S".into())
    }

    #[test]
    fn a_row_patched_then_only_moved_keeps_its_fields_and_takes_the_new_rank() {
        let a = json!({"progress": {"marked": 1}, "rows": [{"i": 0, "raw": "5.00", "rank": 2}], "ranks": [1, 1]});
        let b = json!({"progress": {"marked": 2}, "ranks": [0, 1, 1, 2]});
        let merged = merge(&skill(), &a, &b);
        assert_eq!(
            merged,
            json!({"progress": {"marked": 2}, "rows": [{"i": 0, "raw": "5.00", "rank": 1}], "ranks": [1, 2]})
        );
    }

    #[test]
    fn merging_equals_applying_one_after_another() {
        let state = json!({"state": "marking", "results": [
            {"i": 0, "raw": "1.00", "rank": 2, "criteria": {"A": "1.00", "B": "0.00"}},
            {"i": 1, "raw": "2.00", "rank": 1, "criteria": {"A": "2.00", "B": "0.00"}},
            {"i": 2, "raw": "0.00", "rank": 3, "criteria": {"A": "0.00", "B": "0.00"}}]});
        let deltas = [
            json!({"rows": [{"i": 2, "raw": "3.00", "rank": 1, "criteria": {"B": "3.00"}}], "ranks": [1, 2, 0, 3]}),
            json!({"ranks": [2, 2, 1, 1]}),
            json!({"rows": [{"i": 1, "criteria": {"A": "2.50"}, "raw": "2.50"}], "state": "marking"}),
            json!({"rows": [{"i": 0, "raw": "9.00", "rank": 1, "criteria": {"A": "9.00"}}], "ranks": [1, 2, 2, 3]}),
        ];
        let one_by_one = deltas.iter().fold(state.clone(), |s, d| apply(&skill(), &s, d));
        let merged = deltas.iter().skip(1).fold(deltas[0].clone(), |m, d| merge(&skill(), &m, d));
        assert_eq!(apply(&skill(), &state, &merged), one_by_one);
    }
}
