//! Live channels of a competition: what each carries (its snapshot), and the changes
//! between two versions of the model (its deltas). Pure functions of the model.
use crate::domain::kinds::{MedalOrder, SkillState};
use crate::service::model::Competition;
use crate::view::{medals_json, result_row};
use serde_json::{Value, json};
use std::collections::HashMap;

/// An internal channel: what a subscription resolves to once visibility is known.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// A skill's full results (organizers and the skill's chiefs).
    Skill(String),
    /// A skill as the public sees it: results once published, else progress only.
    PublicSkill(String),
    Progress,
    Medals,
    Judge(String),
}

impl Channel {
    /// The name clients use (public and private skill channels share it).
    pub fn name(&self) -> String {
        match self {
            Channel::Skill(s) | Channel::PublicSkill(s) => format!("skill:{s}"),
            Channel::Progress => "progress".into(),
            Channel::Medals => "medals".into(),
            Channel::Judge(j) => format!("judge:{j}"),
        }
    }

    /// The key of its sequence in the database (distinct for the public variant).
    pub fn key(&self) -> String {
        match self {
            Channel::PublicSkill(s) => format!("skill:{s}#public"),
            other => other.name(),
        }
    }

    pub fn from_key(key: &str) -> Option<Channel> {
        if let Some(skill) = key.strip_prefix("skill:") {
            return Some(match skill.strip_suffix("#public") {
                Some(s) => Channel::PublicSkill(s.to_owned()),
                None => Channel::Skill(skill.to_owned()),
            });
        }
        match key {
            "progress" => Some(Channel::Progress),
            "medals" => Some(Channel::Medals),
            _ => key.strip_prefix("judge:").map(|j| Channel::Judge(j.to_owned())),
        }
    }
}

/// How a change reaches subscribers: a delta on top of what they have, or a new snapshot
/// (when what a channel shows changes kind, e.g. results appear on publication).
#[derive(Clone, Debug, PartialEq)]
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

fn skill_header(c: &Competition, s: usize) -> Value {
    let skill = &c.skills[s];
    json!({
        "skill": skill.code(), "name": skill.spec.name, "state": skill.state,
        "official": skill.state == SkillState::Published,
        "progress": {"marked": skill.result.marked, "expected": skill.result.expected},
    })
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

fn rows(c: &Competition, s: usize) -> Vec<Value> {
    let skill = &c.skills[s];
    skill.result.entries.iter().map(|r| result_row(c, r)).collect()
}

/// What a channel carries now (the `data` of a snapshot); `None` if it does not exist.
pub fn snapshot(c: &Competition, channel: &Channel) -> Option<Value> {
    Some(match channel {
        Channel::Skill(code) => {
            let s = c.skill(code)?;
            with(skill_header(c, s), "results", Value::Array(rows(c, s)))
        }
        Channel::PublicSkill(code) => {
            let s = c.skill(code)?;
            if c.skills[s].state == SkillState::Published {
                with(skill_header(c, s), "results", Value::Array(rows(c, s)))
            } else {
                skill_header(c, s)
            }
        }
        Channel::Progress => json!({ "skills": progress_rows(c) }),
        Channel::Medals => medals(c),
        Channel::Judge(code) => judge(c, c.judge(code)?),
    })
}

fn progress_rows(c: &Competition) -> Vec<Value> {
    c.skills
        .iter()
        .map(|s| json!({"skill": s.code(), "name": s.spec.name, "state": s.state, "marked": s.result.marked, "expected": s.result.expected}))
        .collect()
}

fn medals(c: &Competition) -> Value {
    json!({
        "default": c.medal_order,
        "olympic": medals_json(c, MedalOrder::Olympic, false),
        "total": medals_json(c, MedalOrder::Total, false),
        "points": medals_json(c, MedalOrder::Points, false),
    })
}

fn judge(c: &Competition, j: usize) -> Value {
    let judge = &c.judges[j];
    let chief = judge.role == crate::domain::kinds::JudgeRole::Chief;
    let skills: Vec<Value> = judge
        .skills
        .iter()
        .map(|&s| {
            let skill = &c.skills[s];
            // A judge hears of the panels they sit on; a chief of every panel of the skill.
            let discrepancies: Vec<&crate::scoring::Discrepancy> = skill
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

/// The changes between two versions of a competition's model, limited to the given
/// skills (and the channels that summarise all skills).
pub fn changes(before: &Competition, after: &Competition, skills: &[String]) -> Vec<Change> {
    let mut out = Vec::new();
    for code in skills {
        let (Some(b), Some(a)) = (before.skill(code), after.skill(code)) else {
            continue;
        };
        // Private results: the rows that changed (a standardised skill may change all).
        // Compared on the computed results first, so unchanged rows are never serialized.
        let (bs, as_) = (&before.skills[b], &after.skills[a]);
        fn members<'a>(c: &'a Competition, code: &str) -> Option<&'a Vec<String>> {
            c.entry(code).map(|e| &c.entries[e].members)
        }
        let old: HashMap<&str, &crate::scoring::EntryResult> =
            bs.result.entries.iter().map(|r| (r.entry.as_str(), r)).collect();
        // A row whose only change is its place (rank, and the medal that goes with it)
        // travels as `ranks: {entry: [rank, medal]}`, about 20 bytes instead of a whole row:
        // a mark that moves one entry up the board shifts every row it passes.
        let mut changed: Vec<Value> = Vec::new();
        let mut ranks = serde_json::Map::new();
        for r in &as_.result.entries {
            match old.get(r.entry.as_str()) {
                Some(o) if *o == r && members(before, &r.entry) == members(after, &r.entry) => {}
                Some(o)
                    if members(before, &r.entry) == members(after, &r.entry)
                        && crate::scoring::EntryResult { rank: r.rank, medal: r.medal, ..(*o).clone() } == *r =>
                {
                    ranks.insert(r.entry.clone(), json!([r.rank, r.medal]));
                }
                _ => changed.push(result_row(after, r)),
            }
        }
        let (old_rows, new_rows) = (&bs.result.entries, &as_.result.entries);
        // Entries added or removed: a snapshot says it more simply than a delta.
        let removed = old_rows.len() != new_rows.len() || new_rows.iter().any(|r| !old.contains_key(r.entry.as_str()));
        let header_changed = skill_header(before, b) != skill_header(after, a);
        if removed {
            if let Some(data) = snapshot(after, &Channel::Skill(code.clone())) {
                out.push(Change { channel: Channel::Skill(code.clone()), kind: ChangeKind::Snapshot, data });
            }
        } else if !changed.is_empty() || !ranks.is_empty() || header_changed {
            out.push(Change {
                channel: Channel::Skill(code.clone()),
                kind: ChangeKind::Delta,
                data: rows_delta(skill_header(after, a), &changed, &ranks),
            });
        }
        // The public view.
        let was = before.skills[b].state == SkillState::Published;
        let is = after.skills[a].state == SkillState::Published;
        let public = Channel::PublicSkill(code.clone());
        if was != is || (is && removed) {
            if let Some(data) = snapshot(after, &public) {
                out.push(Change { channel: public, kind: ChangeKind::Snapshot, data });
            }
        } else if is && (!changed.is_empty() || !ranks.is_empty() || header_changed) {
            out.push(Change {
                channel: public,
                kind: ChangeKind::Delta,
                data: rows_delta(skill_header(after, a), &changed, &ranks),
            });
        } else if header_changed {
            out.push(Change { channel: public, kind: ChangeKind::Delta, data: skill_header(after, a) });
        }
    }
    let old_progress: HashMap<String, Value> =
        progress_rows(before).into_iter().map(|r| (r["skill"].as_str().unwrap_or_default().to_owned(), r)).collect();
    let changed: Vec<Value> = progress_rows(after)
        .into_iter()
        .filter(|r| old_progress.get(r["skill"].as_str().unwrap_or_default()) != Some(r))
        .collect();
    if before.skills.len() != after.skills.len() {
        out.push(Change {
            channel: Channel::Progress,
            kind: ChangeKind::Snapshot,
            data: json!({"skills": progress_rows(after)}),
        });
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
    // Judges hear of discrepancies and lock changes: only skills where either changed.
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
    for (j, judge_after) in after.judges.iter().enumerate() {
        if !judge_after.skills.iter().any(|s| alerting.contains(&after.skills[*s].code())) {
            continue;
        }
        let new = judge(after, j);
        let old = before.judge(&judge_after.code).map(|jb| judge(before, jb));
        if old.as_ref() != Some(&new) {
            out.push(Change { channel: Channel::Judge(judge_after.code.clone()), kind: ChangeKind::Delta, data: new });
        }
    }
    out
}
