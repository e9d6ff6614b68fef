//! What each live channel carries: its snapshot, and the changes between two versions of the
//! model (its deltas). Pure functions of the model.
use crate::domain::kinds::{JudgeRole, MedalOrder, SkillState};
use crate::model::{Channel, Competition, JudgeIx, SkillIx};
use crate::scoring::{Discrepancy, EntryResult};
use crate::view::{medals_json, progress_row, progress_rows, result_row, skill_header};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// How a change reaches subscribers: a delta on top of what they have, or a new snapshot
/// (when what a channel shows changes kind, e.g. results appear on publication).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Delta,
    Snapshot,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub channel: Channel,
    pub kind: ChangeKind,
    pub data: Value,
}

fn with(mut header: Value, key: &str, value: Value) -> Value {
    if let Some(map) = header.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
    header
}

/// Each entry's row number within its skill (`i`): its place among the skill's entry codes
/// in order. Snapshots number their rows so that deltas can address them in a few bytes.
struct RowNumbers<'a>(Vec<&'a str>);

impl<'a> RowNumbers<'a> {
    fn of(c: &'a Competition, s: SkillIx) -> Self {
        let mut codes: Vec<&str> = c.skills[s].entries.iter().map(|&e| c.entries[e].code.as_str()).collect();
        codes.sort_unstable();
        RowNumbers(codes)
    }

    fn get(&self, entry: &str) -> Option<usize> {
        self.0.binary_search(&entry).ok()
    }
}

/// A skill's result rows as a snapshot carries them: the API's rows, each with its `i`.
fn numbered_rows(c: &Competition, s: SkillIx) -> Vec<Value> {
    let numbers = RowNumbers::of(c, s);
    c.skills[s].result.entries.iter().map(|r| with(result_row(c, r), "i", json!(numbers.get(&r.entry)))).collect()
}

/// What a channel carries now (the `data` of a snapshot); `None` if it does not exist.
pub fn snapshot(c: &Competition, channel: &Channel) -> Option<Value> {
    Some(match channel {
        Channel::Skill(code) => {
            let s = c.skill(code)?;
            with(skill_header(c, s), "results", Value::Array(numbered_rows(c, s)))
        }
        Channel::PublicSkill(code) => {
            let s = c.skill(code)?;
            if c.skills[s].state == SkillState::Published {
                with(skill_header(c, s), "results", Value::Array(numbered_rows(c, s)))
            } else {
                skill_header(c, s)
            }
        }
        Channel::Progress => progress_data(progress_rows(c)),
        Channel::Medals => medals(c),
        Channel::Judge(code) => judge(c, c.judge(code)?),
        Channel::Ceremony => super::broadcast::ceremony_snapshot(c),
        Channel::Broadcast => super::broadcast::broadcast_snapshot(c),
    })
}

/// The progress channel's data: `{"skills": rows}`, the rows moved in (not copied by `json!`).
fn progress_data(rows: Vec<Value>) -> Value {
    with(json!({}), "skills", Value::Array(rows))
}

fn medals(c: &Competition) -> Value {
    json!({
        "default": c.medal_order,
        "olympic": medals_json(c, MedalOrder::Olympic, false),
        "total": medals_json(c, MedalOrder::Total, false),
        "points": medals_json(c, MedalOrder::Points, false),
    })
}

fn judge(c: &Competition, j: JudgeIx) -> Value {
    let judge = &c.judges[j];
    let chief = judge.role == JudgeRole::Chief;
    let skills: Vec<Value> = judge
        .skills
        .iter()
        .map(|&s| {
            let skill = &c.skills[s];
            // A judge hears of the panels they sit on; a chief of every panel of the skill.
            let discrepancies: Vec<&Discrepancy> = skill
                .result
                .discrepancies
                .iter()
                .filter(|d| chief || d.scores.iter().any(|(code, _)| *code == judge.code))
                .collect();
            json!({"skill": skill.code(), "state": skill.state, "discrepancies": discrepancies})
        })
        .collect();
    json!({"judge": judge.code, "skills": skills})
}

/// The changes between two versions of a competition's model, limited to the given skills
/// (and the channels that summarise all skills).
pub fn changes(before: &Competition, after: &Competition, skills: &[String]) -> Vec<Change> {
    let mut out = Vec::new();
    for code in skills {
        skill_changes(before, after, code, &mut out);
    }
    // A skill's progress row depends on that skill alone: only the rows of the given skills
    // that a write replaced can differ (a write shares every skill it leaves alone), and a
    // replaced skill (a mark, a lock, a status) has nearly always moved its row: it is sent
    // without building the old row to compare.
    if before.skills.len() != after.skills.len() {
        let data = progress_data(progress_rows(after));
        out.push(Change { channel: Channel::Progress, kind: ChangeKind::Snapshot, data });
    } else {
        let changed: Vec<Value> = skills
            .iter()
            .filter_map(|code| {
                let a = after.skill(code)?;
                let shared = before.skill(code).is_some_and(|b| Arc::ptr_eq(&before.skills[b], &after.skills[a]));
                (!shared).then(|| progress_row(&after.skills[a]))
            })
            .collect();
        if !changed.is_empty() {
            out.push(Change { channel: Channel::Progress, kind: ChangeKind::Delta, data: progress_data(changed) });
        }
    }
    // The medal table counts published skills only: marks (never on a published skill)
    // leave it alone.
    let published = |c: &Competition| {
        skills.iter().any(|code| c.skill(code).is_some_and(|s| c.skills[s].state == SkillState::Published))
    };
    if published(before) || published(after) {
        let medals_after = medals(after);
        if medals(before) != medals_after {
            out.push(Change { channel: Channel::Medals, kind: ChangeKind::Delta, data: medals_after });
        }
    }
    judge_changes(before, after, skills, &mut out);
    super::broadcast::changes(before, after, &mut out);
    out
}

/// The header fields that changed (`name`, `state`, `official`, `progress`).
fn header_patch(before: &Value, after: &Value) -> Map<String, Value> {
    let mut patch = Map::new();
    if let Some(after) = after.as_object() {
        for (key, value) in after {
            if key != "skill" && before.get(key) != Some(value) {
                patch.insert(key.clone(), value.clone());
            }
        }
    }
    patch
}

/// The fields of a result row that changed; of its criteria, only those that changed.
fn row_patch(before: &Value, after: &Value) -> Map<String, Value> {
    let mut patch = Map::new();
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else { return patch };
    for (key, value) in after {
        let old = before.get(key);
        if old == Some(value) {
            continue;
        }
        match (key.as_str(), old.and_then(Value::as_object), value.as_object()) {
            ("criteria", Some(old), Some(new)) => {
                let changed: Map<String, Value> =
                    new.iter().filter(|(k, v)| old.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
                patch.insert(key.clone(), Value::Object(changed));
            }
            _ => {
                patch.insert(key.clone(), value.clone());
            }
        }
    }
    patch
}

/// A skill's private results and its public view. A delta carries only what changed: the
/// header fields that changed, a patch per changed row (`rows: [{i, …fields}]`), and rows
/// whose only change is their place as `ranks: [i, rank, …]` and `medals: [i, medal, …]`
/// (a mark that moves one entry shifts every row it passes). A standardised skill may
/// change every row.
fn skill_changes(before: &Competition, after: &Competition, code: &str, out: &mut Vec<Change>) {
    let (Some(b), Some(a)) = (before.skill(code), after.skill(code)) else {
        return;
    };
    let (bs, as_) = (&before.skills[b], &after.skills[a]);
    let old: FxHashMap<&str, &EntryResult> = bs.result.entries.iter().map(|r| (r.entry.as_str(), r)).collect();
    // A write that leaves registration alone (a mark) shares the entries: no member changed.
    let same_entries = Arc::ptr_eq(&before.entries, &after.entries);
    // Entries added or removed: a snapshot says it more simply than a delta.
    let (old_rows, new_rows) = (&bs.result.entries, &as_.result.entries);
    let reshaped = old_rows.len() != new_rows.len() || new_rows.iter().any(|r| !old.contains_key(r.entry.as_str()));
    let numbers = RowNumbers::of(after, a);
    // Compared on the computed results first, so unchanged rows are never serialized.
    let mut rows: Vec<Value> = Vec::new();
    let mut ranks: Vec<Value> = Vec::new();
    let mut medals: Vec<Value> = Vec::new();
    for r in new_rows.iter().filter(|_| !reshaped) {
        let Some(o) = old.get(r.entry.as_str()) else { continue };
        let same_members = same_entries || entry_members(before, &r.entry) == entry_members(after, &r.entry);
        if *o == r && same_members {
            continue;
        }
        let i = numbers.get(&r.entry).unwrap_or_default();
        if same_members && (EntryResult { rank: r.rank, medal: r.medal, ..(*o).clone() }) == *r {
            if r.rank != o.rank {
                ranks.extend([json!(i), json!(r.rank)]);
            }
            if r.medal != o.medal {
                medals.extend([json!(i), json!(r.medal)]);
            }
            continue;
        }
        let patch = row_patch(&result_row(before, o), &result_row(after, r));
        rows.push(with(Value::Object(patch), "i", json!(i)));
    }
    let header = header_patch(&skill_header(before, b), &skill_header(after, a));
    let delta = |header: &Map<String, Value>, with_rows: bool| {
        let mut data = header.clone();
        for (key, list) in [("rows", &rows), ("ranks", &ranks), ("medals", &medals)] {
            if with_rows && !list.is_empty() {
                data.insert(key.into(), Value::Array(list.clone()));
            }
        }
        Value::Object(data)
    };
    let moved = !rows.is_empty() || !ranks.is_empty() || !medals.is_empty();
    let private = Channel::Skill(code.to_owned());
    if reshaped {
        if let Some(data) = snapshot(after, &private) {
            out.push(Change { channel: private, kind: ChangeKind::Snapshot, data });
        }
    } else if moved || !header.is_empty() {
        out.push(Change { channel: private, kind: ChangeKind::Delta, data: delta(&header, true) });
    }
    let was = bs.state == SkillState::Published;
    let is = as_.state == SkillState::Published;
    let public = Channel::PublicSkill(code.to_owned());
    if was != is || (is && reshaped) {
        if let Some(data) = snapshot(after, &public) {
            out.push(Change { channel: public, kind: ChangeKind::Snapshot, data });
        }
    } else if is && (moved || !header.is_empty()) {
        out.push(Change { channel: public, kind: ChangeKind::Delta, data: delta(&header, true) });
    } else if !header.is_empty() {
        out.push(Change { channel: public, kind: ChangeKind::Delta, data: delta(&header, false) });
    }
}

fn entry_members<'a>(c: &'a Competition, entry: &str) -> Option<&'a Vec<String>> {
    c.entry(entry).map(|e| &c.entries[e].members)
}

/// Judges hear of discrepancies and lock changes: only skills where either changed.
fn judge_changes(before: &Competition, after: &Competition, skills: &[String], out: &mut Vec<Change>) {
    // A write that leaves registration alone (a mark) shares the judges: nothing to compare.
    let same_judges = Arc::ptr_eq(&before.judges, &after.judges)
        || (before.judges.len() == after.judges.len()
            && before
                .judges
                .iter()
                .zip(after.judges.iter())
                .all(|(x, y)| x.code == y.code && x.skills == y.skills && x.role == y.role));
    let alerting: Vec<&str> = skills
        .iter()
        .filter(|code| match (before.skill(code), after.skill(code)) {
            (Some(b), Some(a)) => {
                !same_judges
                    || before.skills[b].state != after.skills[a].state
                    || before.skills[b].result.discrepancies != after.skills[a].result.discrepancies
            }
            _ => true,
        })
        .map(String::as_str)
        .collect();
    if alerting.is_empty() {
        return;
    }
    for (j, judge_after) in after.judges.enumerate() {
        if !judge_after.skills.iter().any(|s| alerting.contains(&after.skills[*s].code())) {
            continue;
        }
        let new = judge(after, j);
        let old = before.judge(&judge_after.code).map(|jb| judge(before, jb));
        if old.as_ref() != Some(&new) {
            out.push(Change { channel: Channel::Judge(judge_after.code.clone()), kind: ChangeKind::Delta, data: new });
        }
    }
}
