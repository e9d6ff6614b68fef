//! The hub's state without a runtime: frames reach the shards once per shard, replays come
//! from the ring (merged), rates merge fast changes, and the policy decides every channel.
use super::*;
use crate::domain::input::Package;
use crate::error::ErrorCode;
use crate::live::channel::{Change, ChangeKind};
use crate::model::package::records_from_plan;
use serde_json::json;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

fn model() -> Arc<Competition> {
    let package: Package = serde_json::from_str(include_str!("../../../tests/fixtures/mini.json")).unwrap();
    let plan = package.validate().unwrap();
    Arc::new(Competition::build(records_from_plan(&plan, "test", chrono::Utc::now(), Uuid::now_v7)))
}

fn change(n: i64) -> (Change, i64) {
    (
        Change {
            channel: Channel::Progress,
            kind: ChangeKind::Delta,
            data: json!({ "skills": [{"skill": "X", "n": n}] }),
        },
        n,
    )
}

fn hub(interval: Duration) -> (HubState, Arc<Competition>, UnboundedReceiver<ShardMsg>) {
    let config = crate::live::LiveConfig { interval, ..crate::live::LiveConfig::default() };
    let mut hub = HubState::new(Arc::default(), config);
    let (tx, rx) = unbounded_channel();
    hub.add_shard(ShardId(0), tx);
    let model = model();
    hub.loaded(model.clone(), HashMap::new());
    (hub, model, rx)
}

fn subscribe(hub: &mut HubState, conn: ConnId, caller: Option<Caller>, name: &str, since: Option<i64>, now: Instant) {
    hub.connect(conn, ShardId(0), hub.competitions.keys().next().copied().unwrap(), caller);
    let request = ClientRequest {
        subscribe: vec![name.into()],
        since: since.map(|s| (name.to_owned(), s)).into_iter().collect(),
        ..ClientRequest::default()
    };
    hub.request(conn, request, now);
}

fn drain(rx: &mut UnboundedReceiver<ShardMsg>) -> Vec<ShardMsg> {
    let mut out = Vec::new();
    while let Ok(m) = rx.try_recv() {
        out.push(m);
    }
    out
}

fn text(frame: &Frame) -> serde_json::Value {
    serde_json::from_slice(frame.text()).unwrap()
}

#[test]
fn a_frame_goes_once_to_each_shard_and_its_bytes_are_shared() {
    let (mut hub, model, mut rx) = hub(Duration::ZERO);
    let now = Instant::now();
    for conn in 1..=3 {
        subscribe(&mut hub, conn, None, "progress", None, now);
    }
    drain(&mut rx);
    hub.publish(model, vec![change(1)], false, now);
    let frames: Vec<Arc<Frame>> = drain(&mut rx)
        .into_iter()
        .filter_map(|m| match m {
            ShardMsg::Frame { frame, .. } => Some(frame),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 1, "one frame for the shard, whatever its subscribers");
    assert_eq!(
        text(&frames[0]),
        json!({"type": "delta", "channel": "progress", "seq": 1, "data": {"skills": [{"skill": "X", "n": 1}]}})
    );
}

#[test]
fn changes_faster_than_the_rate_are_merged_into_one_frame_covering_their_seqs() {
    let (mut hub, model, mut rx) = hub(Duration::from_millis(100));
    let start = Instant::now();
    subscribe(&mut hub, 1, None, "progress", None, start);
    drain(&mut rx);
    hub.publish(model.clone(), vec![change(1)], false, start);
    hub.publish(model.clone(), vec![change(2)], false, start + Duration::from_millis(10));
    hub.publish(model, vec![change(3)], false, start + Duration::from_millis(20));
    let first = drain(&mut rx);
    assert_eq!(first.len(), 1, "the first change goes at once");
    let next = hub.flush(start + Duration::from_millis(30));
    assert_eq!(next, Some(start + Duration::from_millis(100)));
    assert!(drain(&mut rx).is_empty(), "held until the interval passed");
    assert_eq!(hub.flush(start + Duration::from_millis(100)), None);
    let merged = drain(&mut rx);
    let ShardMsg::Frame { frame, .. } = &merged[0] else { panic!("{merged:?}") };
    assert_eq!((frame.from, frame.seq), (2, 3));
    assert_eq!(text(frame)["from"], 2);
    assert_eq!(text(frame)["data"], json!({"skills": [{"skill": "X", "n": 3}]}), "the latest state of each row");
}

#[test]
fn resuming_replays_the_ring_merged_or_falls_back_to_a_snapshot() {
    let (mut hub, model, mut rx) = hub(Duration::ZERO);
    let now = Instant::now();
    for n in 1..=300 {
        hub.publish(model.clone(), vec![change(n)], false, now);
    }
    subscribe(&mut hub, 1, None, "progress", Some(290), now);
    let sent = drain(&mut rx);
    let ShardMsg::Subscribed { first, .. } = &sent[0] else { panic!("{sent:?}") };
    assert_eq!(first.len(), 1, "one merged frame");
    assert_eq!((first[0].from, first[0].seq, first[0].snapshot), (291, 300, false));
    subscribe(&mut hub, 2, None, "progress", Some(300), now);
    let ShardMsg::Subscribed { first, .. } = &drain(&mut rx)[0] else { panic!() };
    assert!(first.is_empty(), "up to date");
    subscribe(&mut hub, 3, None, "progress", Some(10), now);
    let ShardMsg::Subscribed { first, .. } = &drain(&mut rx)[0] else { panic!() };
    assert!(first[0].snapshot, "the ring does not reach back");
    assert_eq!(first[0].seq, 300);
}

#[test]
fn the_policy_decides_which_channel_a_name_opens_and_a_revoked_session_drops_to_public() {
    let (mut hub, model, mut rx) = hub(Duration::ZERO);
    let now = Instant::now();
    let skill = model.skills.iter().next().unwrap().code().to_owned();
    let admin = Caller::organizer("admin");
    subscribe(&mut hub, 1, Some(admin.clone()), &format!("skill:{skill}"), None, now);
    let ShardMsg::Subscribed { channel, .. } = &drain(&mut rx)[0] else { panic!() };
    assert_eq!(*channel, Channel::Skill(skill.clone()));
    let judge = model.judges.iter().next().unwrap().code.clone();
    subscribe(&mut hub, 2, None, &format!("judge:{judge}"), None, now);
    let ShardMsg::Send { frame, .. } = &drain(&mut rx)[0] else { panic!() };
    assert_eq!(text(frame)["data"]["code"], json!(ErrorCode::Forbidden));
    hub.revoke(Revocation::Session(admin.session_id));
    let sent = drain(&mut rx);
    let ShardMsg::Send { frame, .. } = &sent[0] else { panic!("{sent:?}") };
    assert_eq!(text(frame)["type"], "revoked");
    let ShardMsg::Subscribed { channel, replaced, first, .. } = &sent[1] else { panic!("{sent:?}") };
    assert_eq!((channel, replaced), (&Channel::PublicSkill(skill.clone()), &Some(Channel::Skill(skill))));
    assert!(first[0].snapshot, "the public view starts with a fresh snapshot");
}

#[test]
fn the_operators_counters_follow_subscriptions_and_merged_changes() {
    use std::sync::atomic::Ordering::Relaxed;
    let (mut hub, model, mut rx) = hub(Duration::from_millis(100));
    let start = Instant::now();
    let skill = model.skills.iter().next().unwrap().code().to_owned();
    let ask = |names: &[&str]| ClientRequest {
        subscribe: names.iter().map(|n| (*n).to_owned()).collect(),
        ..ClientRequest::default()
    };
    subscribe(&mut hub, 1, None, "progress", None, start);
    hub.request(1, ask(&[&format!("skill:{skill}")]), start);
    subscribe(&mut hub, 2, None, "progress", None, start);
    // Subscribing again to the same name is not a second subscription; a refused one is none.
    hub.request(2, ask(&["progress", "judge:nobody"]), start);
    assert_eq!(hub.stats.subscriptions.load(Relaxed), 3);
    // The first change goes at once; the next two wait for the interval, merged.
    for (n, after) in [(1, 0), (2, 10), (3, 20)] {
        hub.publish(model.clone(), vec![change(n)], false, start + Duration::from_millis(after));
    }
    assert_eq!(hub.stats.coalesced.load(Relaxed), 1, "the third change merged into the held second");
    hub.request(2, ClientRequest { unsubscribe: vec!["progress".into()], ..ClientRequest::default() }, start);
    assert_eq!(hub.stats.subscriptions.load(Relaxed), 2);
    hub.disconnect(1);
    assert_eq!(hub.stats.subscriptions.load(Relaxed), 0);
    drain(&mut rx);
}
