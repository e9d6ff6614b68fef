//! The hub's state without a runtime: bounded queues and lag, ring replay, shared frames.
use super::channel::{Change, ChangeKind};
use super::hub::HubState;
use super::*;
use crate::domain::input::Package;
use crate::model::package::records_from_plan;
use serde_json::json;

fn model() -> Arc<Competition> {
    let package: Package = serde_json::from_str(include_str!("../../tests/fixtures/mini.json")).unwrap();
    let plan = package.validate().unwrap();
    Arc::new(Competition::build(records_from_plan(&plan, "test", chrono::Utc::now(), Uuid::now_v7)))
}

fn change(n: i64) -> (Change, i64) {
    (Change { channel: Channel::Progress, kind: ChangeKind::Delta, data: json!({ "n": n }) }, n)
}

fn subscriber(id: u64, capacity: usize) -> (Subscriber, mpsc::Receiver<Arc<Outbound>>) {
    let (tx, rx) = mpsc::channel(capacity);
    (Subscriber { id, tx, lagged: Arc::default() }, rx)
}

fn loaded() -> (HubState, Arc<Competition>) {
    let mut hub = HubState::default();
    let model = model();
    hub.loaded(model.clone(), HashMap::new());
    (hub, model)
}

#[test]
fn a_full_queue_drops_frames_marks_the_channel_lagging_and_a_snapshot_catches_up() {
    let (mut hub, model) = loaded();
    let (me, mut rx) = subscriber(1, 2);
    let (_, first) = hub.subscribe(model.id, None, "progress", me.clone(), None).unwrap();
    assert!(first[0].snapshot);
    hub.publish(model.clone(), (1..=5).map(change).collect());
    // Two frames fit; the other three were dropped, not queued without bound.
    assert_eq!(rx.try_recv().unwrap().seq, 1);
    assert_eq!(rx.try_recv().unwrap().seq, 2);
    assert!(rx.try_recv().is_err());
    assert_eq!(me.lagged.lock().unwrap().as_slice(), &[(model.id, Channel::Progress)]);
    let snapshot = hub.snapshot(model.id, &Channel::Progress).unwrap();
    assert!(snapshot.snapshot);
    assert_eq!(snapshot.seq, 5, "the snapshot includes every change");
}

#[test]
fn resuming_replays_the_ring_or_falls_back_to_a_snapshot() {
    let (mut hub, model) = loaded();
    hub.publish(model.clone(), (1..=300).map(change).collect());
    let (me, _rx) = subscriber(1, 8);
    let (_, replay) = hub.subscribe(model.id, None, "progress", me.clone(), Some(290)).unwrap();
    assert_eq!(replay.iter().map(|o| o.seq).collect::<Vec<_>>(), (291..=300).collect::<Vec<_>>());
    assert!(replay.iter().all(|o| !o.snapshot));
    let (_, current) = hub.subscribe(model.id, None, "progress", me.clone(), Some(300)).unwrap();
    assert!(current.is_empty());
    let (_, old) = hub.subscribe(model.id, None, "progress", me, Some(10)).unwrap();
    assert_eq!(old.len(), 1);
    assert!(old[0].snapshot);
    assert_eq!(old[0].seq, 300);
}

#[test]
fn a_frame_is_serialized_once_and_shared() {
    let (mut hub, model) = loaded();
    let mut receivers = Vec::new();
    for id in 0..3 {
        let (me, rx) = subscriber(id, 4);
        hub.subscribe(model.id, None, "progress", me, Some(0)).unwrap();
        receivers.push(rx);
    }
    hub.publish(model, vec![change(1)]);
    let frames: Vec<Arc<Outbound>> = receivers.iter_mut().map(|rx| rx.try_recv().unwrap()).collect();
    assert!(frames.iter().all(|f| Arc::ptr_eq(f, &frames[0])), "one frame for every subscriber");
    let parsed: serde_json::Value = serde_json::from_str(&frames[0].frame).unwrap();
    assert_eq!(parsed, json!({"type": "delta", "channel": "progress", "seq": 1, "data": {"n": 1}}));
}

#[test]
fn the_policy_decides_which_channel_a_name_opens() {
    let (mut hub, model) = loaded();
    let (me, _rx) = subscriber(1, 4);
    let skill = model.skills.iter().next().unwrap().code().to_owned();
    let (public, _) = hub.subscribe(model.id, None, &format!("skill:{skill}"), me.clone(), None).unwrap();
    assert_eq!(public, Channel::PublicSkill(skill.clone()));
    let admin = Caller::organizer("admin");
    let (private, _) = hub.subscribe(model.id, Some(&admin), &format!("skill:{skill}"), me.clone(), None).unwrap();
    assert_eq!(private, Channel::Skill(skill));
    let judge = model.judges.iter().next().unwrap().code.clone();
    let refused = hub.subscribe(model.id, None, &format!("judge:{judge}"), me, None).unwrap_err();
    assert_eq!(refused.0, crate::error::ErrorCode::Forbidden);
}
