//! What each live channel carries: its snapshot, and the changes between two versions of the
//! model (its deltas). Pure functions of the model.
use crate::domain::kinds::{JudgeRole, MedalOrder, SkillState};
use crate::model::{Channel, Competition, JudgeIx};
use crate::scoring::{Discrepancy, EntryResult};
use crate::view::{medals_json, progress_rows, result_row, result_rows, skill_header};
use serde_json::{Value, json};
use std::collections::HashMap;

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

fn rows_delta(header: Value, changed: &[Value], ranks: &serde_json::Map<String, Value>) -> Value {
    let data = with(header, "rows", Value::Array(changed.to_vec()));
    if ranks.is_empty() { data } else { with(data, "ranks", Value::Object(ranks.clone())) }
}

/// What a channel carries now (the `data` of a snapshot); `None` if it does not exist.
pub fn snapshot(c: &Competition, channel: &Channel) -> Option<Value> {
    Some(match channel {
        Channel::Skill(code) => {
            let s = c.skill(code)?;
            with(skill_header(c, s), "results", Value::Array(result_rows(c, s)))
        }
        Channel::PublicSkill(code) => {
            let s = c.skill(code)?;
            if c.skills[s].state == SkillState::Published {
                with(skill_header(c, s), "results", Value::Array(result_rows(c, s)))
            } else {
                skill_header(c, s)
            }
        }
        Channel::Progress => json!({ "skills": progress_rows(c) }),
        Channel::Medals => medals(c),
        Channel::Judge(code) => judge(c, c.judge(code)?),
    })
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
    let old_progress: HashMap<String, Value> =
        progress_rows(before).into_iter().map(|r| (r["skill"].as_str().unwrap_or_default().to_owned(), r)).collect();
    let changed: Vec<Value> = progress_rows(after)
        .into_iter()
        .filter(|r| old_progress.get(r["skill"].as_str().unwrap_or_default()) != Some(r))
        .collect();
    if before.skills.len() != after.skills.len() {
        let data = json!({"skills": progress_rows(after)});
        out.push(Change { channel: Channel::Progress, kind: ChangeKind::Snapshot, data });
    } else if !changed.is_empty() {
        out.push(Change { channel: Channel::Progress, kind: ChangeKind::Delta, data: json!({ "skills": changed }) });
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
    out
}

/// A skill's private results (the rows that changed; a standardised skill may change all)
/// and its public view.
fn skill_changes(before: &Competition, after: &Competition, code: &str, out: &mut Vec<Change>) {
    let (Some(b), Some(a)) = (before.skill(code), after.skill(code)) else {
        return;
    };
    let (bs, as_) = (&before.skills[b], &after.skills[a]);
    let members = |c: &Competition, entry: &str| c.entry(entry).map(|e| c.entries[e].members.clone());
    let old: HashMap<&str, &EntryResult> = bs.result.entries.iter().map(|r| (r.entry.as_str(), r)).collect();
    // Compared on the computed results first, so unchanged rows are never serialized. A row
    // whose only change is its place (rank, and the medal that goes with it) travels as
    // `ranks: {entry: [rank, medal]}`, about 20 bytes instead of a whole row: a mark that
    // moves one entry up the board shifts every row it passes.
    let mut changed: Vec<Value> = Vec::new();
    let mut ranks = serde_json::Map::new();
    for r in &as_.result.entries {
        let same_members = members(before, &r.entry) == members(after, &r.entry);
        match old.get(r.entry.as_str()) {
            Some(o) if *o == r && same_members => {}
            Some(o) if same_members && EntryResult { rank: r.rank, medal: r.medal, ..(*o).clone() } == *r => {
                ranks.insert(r.entry.clone(), json!([r.rank, r.medal]));
            }
            _ => changed.push(result_row(after, r)),
        }
    }
    // Entries added or removed: a snapshot says it more simply than a delta.
    let (old_rows, new_rows) = (&bs.result.entries, &as_.result.entries);
    let removed = old_rows.len() != new_rows.len() || new_rows.iter().any(|r| !old.contains_key(r.entry.as_str()));
    let header_changed = skill_header(before, b) != skill_header(after, a);
    let private = Channel::Skill(code.to_owned());
    if removed {
        if let Some(data) = snapshot(after, &private) {
            out.push(Change { channel: private, kind: ChangeKind::Snapshot, data });
        }
    } else if !changed.is_empty() || !ranks.is_empty() || header_changed {
        let data = rows_delta(skill_header(after, a), &changed, &ranks);
        out.push(Change { channel: private, kind: ChangeKind::Delta, data });
    }
    let was = bs.state == SkillState::Published;
    let is = as_.state == SkillState::Published;
    let public = Channel::PublicSkill(code.to_owned());
    if was != is || (is && removed) {
        if let Some(data) = snapshot(after, &public) {
            out.push(Change { channel: public, kind: ChangeKind::Snapshot, data });
        }
    } else if is && (!changed.is_empty() || !ranks.is_empty() || header_changed) {
        let data = rows_delta(skill_header(after, a), &changed, &ranks);
        out.push(Change { channel: public, kind: ChangeKind::Delta, data });
    } else if header_changed {
        out.push(Change { channel: public, kind: ChangeKind::Delta, data: skill_header(after, a) });
    }
}

/// Judges hear of discrepancies and lock changes: only skills where either changed.
fn judge_changes(before: &Competition, after: &Competition, skills: &[String], out: &mut Vec<Change>) {
    let same_judges = before.judges.len() == after.judges.len()
        && before
            .judges
            .iter()
            .zip(after.judges.iter())
            .all(|(x, y)| x.code == y.code && x.skills == y.skills && x.role == y.role);
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
