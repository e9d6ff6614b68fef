//! Coalescing deltas: several deltas of one channel merged into one that leaves a viewer in
//! the same state as applying them one after another (the latest state of every row). Also
//! [`apply`], the reference of how a client applies a frame, used to check the merge.
use crate::model::Channel;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `b` after `a`, as one delta of `channel`.
pub fn merge(channel: &Channel, a: &Value, b: &Value) -> Value {
    let mut out = a.clone();
    merge_into(channel, &mut out, b.clone());
    out
}

/// `b` after `acc`, as one delta of `channel`, in place: what `acc` already holds is moved,
/// never copied, so holding back a busy channel's changes costs each change its own size.
pub fn merge_into(channel: &Channel, acc: &mut Value, b: Value) {
    match channel {
        Channel::Skill(_) | Channel::PublicSkill(_) => merge_skill(acc, b),
        Channel::Progress => merge_progress(acc, b),
        // Medal tables, judges' alerts and the ceremony's hall view travel whole.
        Channel::Medals | Channel::Judge(_) | Channel::Ceremony => *acc = b,
        Channel::Broadcast => super::broadcast::merge_into(acc, b),
    }
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn into_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn row_number(row: &Value) -> Option<u64> {
    row.get("i").and_then(Value::as_u64)
}

/// Pairs `[i, value, i, value, …]` (of `ranks` or `medals`) as a map.
fn pairs(flat: Option<Value>) -> BTreeMap<u64, Value> {
    let Some(Value::Array(flat)) = flat else { return BTreeMap::new() };
    let mut map = BTreeMap::new();
    let mut items = flat.into_iter();
    while let (Some(i), Some(value)) = (items.next(), items.next()) {
        if let Some(i) = i.as_u64() {
            map.insert(i, value);
        }
    }
    map
}

fn flatten(map: BTreeMap<u64, Value>) -> Value {
    Value::Array(map.into_iter().flat_map(|(i, v)| [Value::from(i), v]).collect())
}

/// Fields carried outside the row patches, applied after them, in this order.
const PLACES: [(&str, &str); 2] = [("ranks", "rank"), ("medals", "medal")];

/// A row patch on top of another: later fields win, criteria merge one by one.
fn patch_row(row: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match (key.as_str(), row.get_mut(&key), value) {
            ("criteria", Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
            (_, _, value) => {
                row.insert(key, value);
            }
        }
    }
}

fn merge_skill(acc: &mut Value, b: Value) {
    let mut out = into_object(std::mem::take(acc));
    let mut b = into_object(b);
    let b_rows = b.remove("rows");
    let b_places: Vec<Option<Value>> = PLACES.iter().map(|(list, _)| b.remove(*list)).collect();
    out.extend(b);
    let mut rows: BTreeMap<u64, Map<String, Value>> = BTreeMap::new();
    if let Some(Value::Array(a_rows)) = out.remove("rows") {
        for row in a_rows {
            if let (Some(i), Value::Object(row)) = (row_number(&row), row) {
                rows.insert(i, row);
            }
        }
    }
    let mut places: Vec<BTreeMap<u64, Value>> = PLACES.iter().map(|(list, _)| pairs(out.remove(*list))).collect();
    if let Some(Value::Array(b_rows)) = b_rows {
        for row in b_rows {
            let Some(i) = row_number(&row) else { continue };
            let patch = into_object(row);
            for ((_, field), map) in PLACES.iter().zip(places.iter_mut()) {
                if patch.contains_key(*field) {
                    map.remove(&i);
                }
            }
            patch_row(rows.entry(i).or_default(), patch);
        }
    }
    for (((_, field), map), flat) in PLACES.iter().zip(places.iter_mut()).zip(b_places) {
        for (i, value) in pairs(flat) {
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
    if !rows.is_empty() {
        out.insert("rows".into(), Value::Array(rows.into_values().map(Value::Object).collect()));
    }
    for ((list, _), map) in PLACES.iter().zip(places) {
        if !map.is_empty() {
            out.insert((*list).into(), flatten(map));
        }
    }
    *acc = Value::Object(out);
}

/// Progress rows replace the same skill's earlier row.
fn merge_progress(acc: &mut Value, b: Value) {
    let mut skills = match into_object(std::mem::take(acc)).remove("skills") {
        Some(Value::Array(skills)) => skills,
        _ => Vec::new(),
    };
    if let Some(Value::Array(rows)) = into_object(b).remove("skills") {
        for row in rows {
            match skills.iter_mut().find(|r| r.get("skill") == row.get("skill")) {
                Some(slot) => *slot = row,
                None => skills.push(row),
            }
        }
    }
    *acc = serde_json::json!({ "skills": skills });
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
                        patch_row(row, object(patch));
                    }
                }
                for (list, field) in PLACES {
                    for (i, value) in pairs(delta.get(list).cloned()) {
                        if let Some(Value::Object(row)) = results.iter_mut().find(|r| row_number(r) == Some(i)) {
                            row.insert(field.into(), value);
                        }
                    }
                }
            }
            Value::Object(out)
        }
        _ => merge(channel, state, delta),
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

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const ROWS: u64 = 4;

        /// A result row's patched fields (raw, rank, one criterion, medal), drawn from small
        /// sets so that deltas often touch the same rows, criteria and places.
        type Fields = (Option<u8>, Option<u8>, Option<(usize, u8)>, Option<u8>);

        fn fields() -> impl Strategy<Value = Fields> {
            (
                proptest::option::of(0..9u8),
                proptest::option::of(1..5u8),
                proptest::option::of((0..2usize, 0..9u8)),
                proptest::option::of(0..4u8),
            )
        }

        fn patch(i: u64, (raw, rank, criterion, medal): Fields) -> Value {
            let mut row = Map::new();
            row.insert("i".into(), json!(i));
            if let Some(raw) = raw {
                row.insert("raw".into(), json!(format!("{raw}.00")));
            }
            if let Some(rank) = rank {
                row.insert("rank".into(), json!(rank));
            }
            if let Some((c, value)) = criterion {
                row.insert("criteria".into(), json!({ ["A", "B"][c]: format!("{value}.00") }));
            }
            if let Some(medal) = medal {
                row.insert("medal".into(), json!(medal));
            }
            Value::Object(row)
        }

        /// Pairs `[i, value, …]` of `ranks` or `medals`.
        fn places() -> impl Strategy<Value = Option<Vec<(u64, u8)>>> {
            proptest::option::of(proptest::collection::vec((0..ROWS, 1..5u8), 0..3))
        }

        fn delta() -> impl Strategy<Value = Value> {
            let state = proptest::option::of(proptest::sample::select(vec!["marking", "locked"]));
            // One patch per row, as a delta has it (docs/live-protocol.md).
            let rows = proptest::collection::btree_map(0..ROWS, fields(), 0..3);
            (rows, places(), places(), state).prop_map(|(rows, ranks, medals, state)| {
                let mut delta = Map::new();
                if !rows.is_empty() {
                    delta.insert("rows".into(), rows.into_iter().map(|(i, f)| patch(i, f)).collect());
                }
                for (key, list) in [("ranks", ranks), ("medals", medals)] {
                    if let Some(list) = list {
                        let flat = list.into_iter().flat_map(|(i, v)| [json!(i), json!(v)]).collect();
                        delta.insert(key.into(), Value::Array(flat));
                    }
                }
                if let Some(state) = state {
                    delta.insert("state".into(), json!(state));
                }
                Value::Object(delta)
            })
        }

        fn board() -> Value {
            let results: Vec<Value> = (0..ROWS)
                .map(|i| json!({"i": i, "raw": "0.00", "rank": 1, "criteria": {"A": "0.00", "B": "0.00"}}))
                .collect();
            json!({"state": "marking", "results": results})
        }

        proptest! {
            /// Held-back deltas merged in place leave a viewer where applying each of them in
            /// turn does: the merge is what coalesced viewers converge by.
            #[test]
            fn merged_deltas_equal_the_deltas_applied_in_turn(deltas in proptest::collection::vec(delta(), 1..6)) {
                let one_by_one = deltas.iter().fold(board(), |state, d| apply(&skill(), &state, d));
                let mut merged = deltas[0].clone();
                for d in &deltas[1..] {
                    merge_into(&skill(), &mut merged, d.clone());
                }
                prop_assert_eq!(apply(&skill(), &board(), &merged), one_by_one);
            }
        }
    }
}
