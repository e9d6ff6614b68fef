//! The hub's state without a runtime: frames reach the shards once per shard, replays come
//! from the ring (merged), rates and busy shards merge fast changes, and the policy decides
//! every channel.
use super::*;
use crate::domain::input::Package;
use crate::error::ErrorCode;
use crate::live::channel::{Change, ChangeKind};
use crate::model::package::records_from_plan;
use serde_json::json;
use std::sync::atomic::Ordering::Relaxed;
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

/// Shard 0's queue and its count of handled messages.
struct Queue {
    rx: UnboundedReceiver<ShardMsg>,
    handled: Arc<AtomicU64>,
}

fn hub(interval: Duration) -> (HubState, Arc<Competition>, Queue) {
    let config = crate::live::LiveConfig { interval, ..crate::live::LiveConfig::default() };
    let mut hub = HubState::new(Arc::default(), config);
    let (tx, rx) = unbounded_channel();
    let handled = Arc::new(AtomicU64::new(0));
    hub.add_shard(ShardId(0), tx, handled.clone());
    let model = model();
    hub.loaded(model.clone(), HashMap::new());
    (hub, model, Queue { rx, handled })
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

/// What the shard gets, taken and handled as a shard that keeps up would.
fn drain(queue: &mut Queue) -> Vec<ShardMsg> {
    let out = received(queue);
    queue.handled.fetch_add(out.len() as u64, Relaxed);
    out
}

/// What the shard gets, taken off its queue but not handled yet (a shard busy writing).
fn received(queue: &mut Queue) -> Vec<ShardMsg> {
    let mut out = Vec::new();
    while let Ok(m) = queue.rx.try_recv() {
        out.push(m);
    }
    out
}

fn frames(messages: Vec<ShardMsg>) -> Vec<Arc<Frame>> {
    messages
        .into_iter()
        .filter_map(|m| match m {
            ShardMsg::Frame { frame, .. } => Some(frame),
            _ => None,
        })
        .collect()
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
    let frames = frames(drain(&mut rx));
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
fn a_shard_still_writing_a_channel_gets_its_next_changes_merged_once_it_has_written() {
    let (mut hub, model, mut rx) = hub(Duration::ZERO);
    let now = Instant::now();
    let skill = model.skills.iter().next().unwrap().code().to_owned();
    subscribe(&mut hub, 1, Some(Caller::organizer("admin")), "progress", None, now);
    subscribe(&mut hub, 2, Some(Caller::organizer("admin")), &format!("skill:{skill}"), None, now);
    drain(&mut rx);
    hub.publish(model.clone(), vec![change(1)], false, now);
    // The shard takes frame 1 and is still writing it to its sockets.
    let first = frames(received(&mut rx));
    assert_eq!(first.iter().map(|f| (f.from, f.seq)).collect::<Vec<_>>(), vec![(1, 1)]);
    hub.publish(model.clone(), vec![change(2)], false, now + Duration::from_millis(1));
    hub.publish(model.clone(), vec![change(3)], false, now + Duration::from_millis(2));
    // Another channel's frame is not held back by this one.
    let other = Change { channel: Channel::Skill(skill), kind: ChangeKind::Delta, data: json!({"rows": []}) };
    hub.publish(model.clone(), vec![(other, 1)], false, now + Duration::from_millis(2));
    let meanwhile = frames(received(&mut rx));
    assert_eq!(meanwhile.len(), 1, "{meanwhile:?}");
    assert!(matches!(&meanwhile[0].channel, Some(Channel::Skill(_))), "{meanwhile:?}");
    assert_eq!(hub.stats.coalesced.load(Relaxed), 1, "change 3 merged into the held change 2");
    // The hub looks again shortly, and holds on while frame 1 is not written.
    let later = now + Duration::from_millis(3);
    assert_eq!(hub.flush(later), Some(later + BUSY_RECHECK));
    assert!(received(&mut rx).is_empty());
    // Frame 1 and the other channel's frame are written: 2 and 3 go as one merged frame.
    rx.handled.fetch_add(2, Relaxed);
    assert_eq!(hub.flush(later + BUSY_RECHECK), None);
    let merged = frames(drain(&mut rx));
    assert_eq!(merged.iter().map(|f| (f.from, f.seq)).collect::<Vec<_>>(), vec![(2, 3)]);
    assert_eq!(text(&merged[0])["data"], json!({"skills": [{"skill": "X", "n": 3}]}), "the latest state of each row");
    // A shard that keeps up gets every change as it comes.
    hub.publish(model.clone(), vec![change(4)], false, later + BUSY_RECHECK);
    assert_eq!(frames(drain(&mut rx)).iter().map(|f| (f.from, f.seq)).collect::<Vec<_>>(), vec![(4, 4)]);
    hub.publish(model, vec![change(5)], false, later + BUSY_RECHECK);
    assert_eq!(frames(drain(&mut rx)).iter().map(|f| (f.from, f.seq)).collect::<Vec<_>>(), vec![(5, 5)]);
}

#[test]
fn resuming_replays_the_ring_merged_or_falls_back_to_a_snapshot() {
    let (mut hub, model, mut rx) = hub(Duration::ZERO);
    let now = Instant::now();
    for n in 1..=300 {
        hub.publish(model.clone(), vec![change(n)], false, now);
        drain(&mut rx);
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
