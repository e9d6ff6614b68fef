//! The ceremony and broadcast channels: the hall's view of the ceremony (revealed steps
//! only), and events for video overlays and automation. Pure functions of the model, like
//! every channel (see [`super::channel`]).
use super::channel::{Change, ChangeKind};
use crate::domain::kinds::SkillState;
use crate::model::ceremony::{self, HallView};
use crate::model::{Channel, Competition};
use serde_json::{Map, Value, json};

/// Marking progress milestones announced on the broadcast channel, in percent.
const MILESTONES: [u64; 4] = [25, 50, 75, 100];

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub fn ceremony_snapshot(c: &Competition) -> Value {
    to_json(&ceremony::hall(c))
}

/// The highest milestone a skill's marking has reached (0: none).
fn milestone(marked: u32, expected: u32) -> u64 {
    if expected == 0 {
        return 0;
    }
    let percent = u64::from(marked) * 100 / u64::from(expected);
    MILESTONES.iter().copied().filter(|m| *m <= percent).max().unwrap_or(0)
}

/// What the broadcast channel holds: the step revealed last, the published skills, each
/// skill's marking milestone, and the events that led here (none in a snapshot).
fn state(c: &Competition, hall: &HallView, events: Vec<Value>) -> Value {
    let published: Vec<Value> = c
        .skills
        .iter()
        .filter(|s| s.state == SkillState::Published)
        .map(|s| json!({"skill": s.code(), "name": s.spec.name}))
        .collect();
    let milestones: Map<String, Value> =
        c.skills.iter().map(|s| (s.code().to_owned(), json!(milestone(s.result.marked, s.result.expected)))).collect();
    json!({
        "rehearsal": hall.rehearsal, "current": hall.current, "published": published,
        "milestones": milestones, "events": events,
    })
}

pub fn broadcast_snapshot(c: &Competition) -> Value {
    state(c, &ceremony::hall(c), Vec::new())
}

/// The events between two versions of the model.
fn events(before: &Competition, after: &Competition, old: &HallView, new: &HallView) -> Vec<Value> {
    let mut out = Vec::new();
    if old.rehearsal != new.rehearsal {
        out.push(json!({"kind": if new.rehearsal { "rehearsal_started" } else { "rehearsal_ended" }}));
    }
    if new.position > old.position && old.rehearsal == new.rehearsal {
        if let Some(step) = &new.current {
            out.push(json!({"kind": "medal_revealed", "rehearsal": new.rehearsal, "step": step}));
        }
    } else if new.position < old.position && old.rehearsal == new.rehearsal {
        out.push(json!({"kind": "step_taken_back", "rehearsal": new.rehearsal, "current": new.current}));
    }
    for s in after.skills.iter() {
        let was = before.skill(s.code()).map(|b| &before.skills[b]);
        let was_published = was.is_some_and(|b| b.state == SkillState::Published);
        let is_published = s.state == SkillState::Published;
        if is_published && !was_published {
            out.push(json!({"kind": "skill_published", "skill": s.code(), "name": s.spec.name}));
        } else if was_published && !is_published {
            out.push(json!({"kind": "skill_withdrawn", "skill": s.code(), "name": s.spec.name}));
        }
        let reached = milestone(s.result.marked, s.result.expected);
        let had = was.map(|b| milestone(b.result.marked, b.result.expected)).unwrap_or(0);
        if reached > had {
            out.push(json!({"kind": "progress_milestone", "skill": s.code(), "name": s.spec.name, "percent": reached}));
        }
    }
    out
}

/// The ceremony's and the broadcast channel's changes.
pub fn changes(before: &Competition, after: &Competition, out: &mut Vec<Change>) {
    let (old, new) = (ceremony::hall(before), ceremony::hall(after));
    if old != new {
        out.push(Change { channel: Channel::Ceremony, kind: ChangeKind::Delta, data: to_json(&new) });
    }
    let events = events(before, after, &old, &new);
    if !events.is_empty() {
        out.push(Change { channel: Channel::Broadcast, kind: ChangeKind::Delta, data: state(after, &new, events) });
    }
}

/// Two broadcast deltas as one, in place: the later state, every event in order.
pub fn merge_into(acc: &mut Value, mut b: Value) {
    let mut events = match acc.get_mut("events") {
        Some(Value::Array(events)) => std::mem::take(events),
        _ => Vec::new(),
    };
    if let Some(Value::Array(more)) = b.get_mut("events") {
        events.append(more);
    }
    if let Some(map) = b.as_object_mut() {
        map.insert("events".into(), Value::Array(events));
    }
    *acc = b;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::ceremony::{CeremonyInput, CeremonySkillInput};
    use crate::domain::input::Package;
    use crate::model::package::records_from_plan;
    use crate::model::{Caller, Command, MarkIn, decide};
    use chrono::DateTime;
    use uuid::Uuid;

    /// Skill S (one measurement M, max 10), entries S-AAA and S-BBB, judge JC of CCC.
    fn model() -> Competition {
        let package: Package = serde_json::from_value(json!({
            "format": "podium.competition/1",
            "competition": {"code": "B", "name": "B", "timezone": "UTC"},
            "delegations": [{"code": "AAA", "name": "A"}, {"code": "BBB", "name": "B"}, {"code": "CCC", "name": "C"}],
            "skills": [{"code": "S", "name": "Ess", "criteria": [{"code": "A", "aspects": [
                {"code": "M", "kind": "measurement", "max": "10"}]}]}],
            "entries": [
                {"code": "S-AAA", "skill": "S", "delegation": "AAA", "members": ["Ann Alpha"]},
                {"code": "S-BBB", "skill": "S", "delegation": "BBB", "members": ["Bob Beta"]}
            ],
            "judges": [{"code": "JC", "name": "C", "delegation": "CCC", "skills": ["S"]}]
        }))
        .unwrap();
        let mut n = 0u128;
        Competition::build(records_from_plan(&package.validate().unwrap(), "t", DateTime::UNIX_EPOCH, || {
            n += 1;
            Uuid::from_u128(n)
        }))
    }

    /// Decides `command` and returns the new model with the live changes it makes.
    fn step(c: &Competition, command: Command) -> (Competition, Vec<Change>) {
        let after = decide(c, &Caller::organizer("o"), command, DateTime::UNIX_EPOCH).unwrap().model.unwrap();
        let mut out = Vec::new();
        changes(c, &after, &mut out);
        (after, out)
    }

    fn mark(id: u128, entry: &str, value: &str) -> Command {
        let m = MarkIn {
            id: Uuid::from_u128(id),
            entry: entry.into(),
            aspect: "M".into(),
            value: json!(value),
            judge: Some("JC".into()),
            reason: None,
        };
        Command::RecordMarks { marks: vec![m] }
    }

    fn kinds(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .filter(|c| c.channel == Channel::Broadcast)
            .flat_map(|c| c.data["events"].as_array().cloned().unwrap_or_default())
            .map(|e| {
                format!(
                    "{}{}",
                    e["kind"].as_str().unwrap(),
                    e.get("percent").map(|p| format!(" {p}")).unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn the_channels_announce_milestones_reveals_and_publication_and_never_a_step_to_come() {
        let c = model();
        let (c, out) = step(&c, mark(1, "S-BBB", "3"));
        assert_eq!(kinds(&out), vec!["progress_milestone 50"]);
        let (c, out) = step(&c, mark(2, "S-AAA", "7"));
        assert_eq!(kinds(&out), vec!["progress_milestone 100"]);
        let (c, _) = step(&c, Command::LockSkill { skill: "S".into(), accept_missing: None });
        let input = CeremonyInput { skills: vec![CeremonySkillInput::Code("S".into())], position: 0 };
        let (c, out) = step(&c, Command::PlanCeremony { input });
        assert!(kinds(&out).is_empty(), "planning announces nothing");
        let (c, out) = step(&c, Command::CeremonyNext);
        assert_eq!(kinds(&out), vec!["medal_revealed"]);
        let frames = serde_json::to_string(&out.iter().map(|c| &c.data).collect::<Vec<_>>()).unwrap();
        assert!(frames.contains("Bob Beta") && !frames.contains("Ann Alpha") && !frames.contains("S-AAA"), "{frames}");
        let snapshots = format!("{}{}", ceremony_snapshot(&c), broadcast_snapshot(&c));
        assert!(!snapshots.contains("Ann Alpha") && !snapshots.contains("gold"), "{snapshots}");
        let (c, out) = step(&c, Command::CeremonyNext);
        assert_eq!(kinds(&out), vec!["medal_revealed", "skill_published"]);
        let (_, out) = step(&c, Command::CeremonyBack);
        assert_eq!(kinds(&out), vec!["step_taken_back", "skill_withdrawn"]);
    }

    #[test]
    fn milestones_are_reached_at_quarters() {
        assert_eq!(milestone(0, 0), 0);
        assert_eq!(milestone(24, 100), 0);
        assert_eq!(milestone(25, 100), 25);
        assert_eq!(milestone(99, 100), 75);
        assert_eq!(milestone(100, 100), 100);
    }

    #[test]
    fn merged_broadcast_deltas_keep_every_event_and_the_later_state() {
        let a = json!({"current": 1, "events": [{"kind": "a"}]});
        let b = json!({"current": 2, "events": [{"kind": "b"}]});
        let mut merged = a;
        merge_into(&mut merged, b);
        assert_eq!(merged, json!({"current": 2, "events": [{"kind": "a"}, {"kind": "b"}]}));
    }
}
