//! Live updates: the hub that fans deltas out to websocket subscribers, with gapless
//! per-channel sequence numbers (kept in the database), a replay ring for resuming, and
//! bounded per-connection queues (a slow socket falls back to a fresh snapshot).
pub mod channel;
pub mod relay;
pub mod socket;

use crate::service::model::Competition;
use bytestring::ByteString;
use channel::{Change, ChangeKind, Channel};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Deltas kept per channel for resuming clients; older gaps get a fresh snapshot.
const RING: usize = 256;
/// Frames queued per connection before it counts as lagging.
pub const QUEUE: usize = 64;

/// One frame for one connection: the serialized bytes are shared by every subscriber.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub competition: Uuid,
    pub channel: Channel,
    pub seq: i64,
    pub snapshot: bool,
    pub frame: ByteString,
}

/// What a connection registers with the hub.
#[derive(Clone)]
pub struct Subscriber {
    pub id: u64,
    /// Frames are shared: the queue holds pointers, not copies (a small per-connection bound).
    pub tx: mpsc::Sender<Arc<Outbound>>,
    /// Channels whose frames were dropped because the queue was full.
    pub lagged: Arc<Mutex<Vec<(Uuid, Channel)>>>,
}

#[derive(Default)]
struct ChannelState {
    seq: i64,
    ring: VecDeque<(i64, ByteString)>,
    snapshot: Option<ByteString>,
    subscribers: HashMap<u64, Subscriber>,
}

struct CompetitionHub {
    model: Arc<Competition>,
    seqs: HashMap<String, i64>,
    channels: HashMap<Channel, ChannelState>,
}

#[derive(Clone, Default)]
pub struct Hub {
    competitions: Arc<RwLock<HashMap<Uuid, Arc<Mutex<CompetitionHub>>>>>,
    next_id: Arc<AtomicU64>,
    stats: Arc<Stats>,
}

/// Counters for the benchmark and for operators.
#[derive(Default)]
pub struct Stats {
    pub deliveries: AtomicU64,
    pub dropped: AtomicU64,
}

pub fn frame(kind: &str, channel: Option<&Channel>, seq: Option<i64>, data: &serde_json::Value) -> ByteString {
    let text = serde_json::json!({
        "type": kind,
        "channel": channel.map(Channel::name),
        "seq": seq,
        "data": data,
    })
    .to_string();
    ByteString::from(text)
}

impl ChannelState {
    fn snapshot_frame(&mut self, model: &Competition, channel: &Channel) -> Option<ByteString> {
        if self.snapshot.is_none() {
            let data = channel::snapshot(model, channel)?;
            self.snapshot = Some(frame("snapshot", Some(channel), Some(self.seq), &data));
        }
        self.snapshot.clone()
    }
}

impl Hub {
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn next_subscriber_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn competition(&self, id: Uuid) -> Option<Arc<Mutex<CompetitionHub>>> {
        self.competitions.read().ok()?.get(&id).cloned()
    }

    /// A competition was (re)loaded: later snapshots come from this model, numbered from
    /// the database's sequences.
    pub fn competition_loaded(&self, model: &Arc<Competition>, seqs: HashMap<String, i64>) {
        let Ok(mut all) = self.competitions.write() else { return };
        let hub = all.entry(model.id).or_insert_with(|| {
            Arc::new(Mutex::new(CompetitionHub {
                model: model.clone(),
                seqs: HashMap::new(),
                channels: HashMap::new(),
            }))
        });
        if let Ok(mut hub) = hub.lock() {
            hub.model = model.clone();
            for (key, seq) in seqs {
                let known = hub.seqs.entry(key.clone()).or_default();
                *known = (*known).max(seq);
                if let Some(channel) = Channel::from_key(&key)
                    && let Some(state) = hub.channels.get_mut(&channel)
                    && state.seq < seq
                {
                    // Changed elsewhere (another instance) beyond what we relayed:
                    // subscribers get a fresh snapshot.
                    state.seq = seq;
                    state.ring.clear();
                    state.snapshot = None;
                }
            }
            for state in hub.channels.values_mut() {
                state.snapshot = None;
            }
        }
    }

    /// Sends committed changes (numbered by the database) to every subscriber.
    pub fn publish(&self, model: &Arc<Competition>, changes: &[(Change, i64)]) {
        let Some(hub) = self.competition(model.id) else {
            self.competition_loaded(model, HashMap::new());
            return self.publish(model, changes);
        };
        let Ok(mut hub) = hub.lock() else { return };
        hub.model = model.clone();
        for state in hub.channels.values_mut() {
            state.snapshot = None;
        }
        for (change, seq) in changes {
            let key = change.channel.key();
            let known = hub.seqs.entry(key).or_default();
            if *seq <= *known {
                continue; // relayed already
            }
            *known = *seq;
            let snapshot = change.kind == ChangeKind::Snapshot;
            let bytes =
                frame(if snapshot { "snapshot" } else { "delta" }, Some(&change.channel), Some(*seq), &change.data);
            let state = hub.channels.entry(change.channel.clone()).or_default();
            state.seq = *seq;
            if snapshot {
                state.ring.clear();
                state.snapshot = Some(bytes.clone());
            } else {
                state.ring.push_back((*seq, bytes.clone()));
                if state.ring.len() > RING {
                    state.ring.pop_front();
                }
            }
            let out = Arc::new(Outbound {
                competition: model.id,
                channel: change.channel.clone(),
                seq: *seq,
                snapshot,
                frame: bytes,
            });
            self.fan_out(state, &out);
        }
    }

    fn fan_out(&self, state: &mut ChannelState, out: &Arc<Outbound>) {
        let mut closed = Vec::new();
        for (id, subscriber) in &state.subscribers {
            match subscriber.tx.try_send(Arc::clone(out)) {
                Ok(()) => {
                    self.stats.deliveries.fetch_add(1, Ordering::Relaxed);
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut lagged) = subscriber.lagged.lock()
                        && !lagged.contains(&(out.competition, out.channel.clone()))
                    {
                        lagged.push((out.competition, out.channel.clone()));
                    }
                }
                Err(mpsc::error::TrySendError::Closed(_)) => closed.push(*id),
            }
        }
        for id in closed {
            state.subscribers.remove(&id);
        }
    }

    /// Subscribes a connection and returns what it must be sent first: the deltas after
    /// `since` when the ring still has them all, else a snapshot. Registration and the
    /// first frames happen under one lock, so no change falls between them.
    pub fn subscribe(
        &self,
        model: &Arc<Competition>,
        channel: &Channel,
        subscriber: Subscriber,
        since: Option<i64>,
    ) -> Option<Vec<Outbound>> {
        if self.competition(model.id).is_none() {
            self.competition_loaded(model, HashMap::new());
        }
        let hub = self.competition(model.id)?;
        let mut hub = hub.lock().ok()?;
        let seq = hub.seqs.get(&channel.key()).copied().unwrap_or(0);
        let current = hub.model.clone();
        let state = hub.channels.entry(channel.clone()).or_default();
        if state.seq < seq {
            state.seq = seq;
        }
        let make = |seq: i64, frame: ByteString, snapshot: bool| Outbound {
            competition: model.id,
            channel: channel.clone(),
            seq,
            snapshot,
            frame,
        };
        let first = match since {
            Some(since) if since == state.seq => Vec::new(),
            Some(since)
                if since < state.seq
                    && state.ring.front().is_some_and(|(first, _)| *first <= since + 1)
                    && state.ring.back().is_some_and(|(last, _)| *last == state.seq) =>
            {
                state.ring.iter().filter(|(s, _)| *s > since).map(|(s, f)| make(*s, f.clone(), false)).collect()
            }
            _ => vec![make(state.seq, state.snapshot_frame(&current, channel)?, true)],
        };
        state.subscribers.insert(subscriber.id, subscriber);
        Some(first)
    }

    /// A fresh snapshot of a channel (for a lagging subscriber).
    pub fn snapshot(&self, competition: Uuid, channel: &Channel) -> Option<Outbound> {
        let hub = self.competition(competition)?;
        let mut hub = hub.lock().ok()?;
        let current = hub.model.clone();
        let state = hub.channels.get_mut(channel)?;
        let frame = state.snapshot_frame(&current, channel)?;
        Some(Outbound { competition, channel: channel.clone(), seq: state.seq, snapshot: true, frame })
    }

    pub fn unsubscribe(&self, competition: Uuid, channel: &Channel, id: u64) {
        if let Some(hub) = self.competition(competition)
            && let Ok(mut hub) = hub.lock()
            && let Some(state) = hub.channels.get_mut(channel)
        {
            state.subscribers.remove(&id);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::live::channel::Change;
    use serde_json::json;

    fn model() -> Arc<Competition> {
        let package = crate::service::setup::demo_package().unwrap();
        let plan = package.validate().unwrap();
        let rows = crate::service::package::rows_from_plan(&plan, "test");
        Arc::new(Competition::build(rows))
    }

    fn change(n: i64) -> (Change, i64) {
        (Change { channel: Channel::Progress, kind: ChangeKind::Delta, data: json!({ "n": n }) }, n)
    }

    #[test]
    fn a_full_queue_drops_frames_marks_the_channel_lagging_and_a_snapshot_catches_up() {
        let hub = Hub::default();
        let model = model();
        let (tx, mut rx) = mpsc::channel(2);
        let me = Subscriber { id: 1, tx, lagged: Arc::default() };
        let first = hub.subscribe(&model, &Channel::Progress, me.clone(), None).unwrap();
        assert!(first[0].snapshot);
        let changes: Vec<_> = (1..=5).map(change).collect();
        hub.publish(&model, &changes);
        // Two frames fit; the other three were dropped, not queued without bound.
        assert_eq!(rx.try_recv().unwrap().seq, 1);
        assert_eq!(rx.try_recv().unwrap().seq, 2);
        assert!(rx.try_recv().is_err());
        assert_eq!(hub.stats().dropped.load(Ordering::Relaxed), 3);
        assert_eq!(me.lagged.lock().unwrap().as_slice(), &[(model.id, Channel::Progress)]);
        let snapshot = hub.snapshot(model.id, &Channel::Progress).unwrap();
        assert!(snapshot.snapshot);
        assert_eq!(snapshot.seq, 5, "the snapshot includes every change");
    }

    #[test]
    fn resuming_replays_the_ring_or_falls_back_to_a_snapshot() {
        let hub = Hub::default();
        let model = model();
        let changes: Vec<_> = (1..=300).map(change).collect();
        hub.publish(&model, &changes);
        let (tx, _rx) = mpsc::channel(8);
        let me = Subscriber { id: 1, tx, lagged: Arc::default() };
        let replay = hub.subscribe(&model, &Channel::Progress, me.clone(), Some(290)).unwrap();
        assert_eq!(replay.iter().map(|o| o.seq).collect::<Vec<_>>(), (291..=300).collect::<Vec<_>>());
        assert!(replay.iter().all(|o| !o.snapshot));
        let current = hub.subscribe(&model, &Channel::Progress, me.clone(), Some(300)).unwrap();
        assert!(current.is_empty());
        let old = hub.subscribe(&model, &Channel::Progress, me, Some(10)).unwrap();
        assert_eq!(old.len(), 1);
        assert!(old[0].snapshot);
        assert_eq!(old[0].seq, 300);
    }

    #[test]
    fn a_frame_is_serialized_once_and_shared() {
        let hub = Hub::default();
        let model = model();
        let mut receivers = Vec::new();
        for id in 0..3 {
            let (tx, rx) = mpsc::channel(4);
            hub.subscribe(&model, &Channel::Progress, Subscriber { id, tx, lagged: Arc::default() }, Some(0));
            receivers.push(rx);
        }
        hub.publish(&model, &[change(1)]);
        let frames: Vec<ByteString> = receivers.iter_mut().map(|rx| rx.try_recv().unwrap().frame.clone()).collect();
        let first = frames[0].as_bytes().as_ptr();
        assert!(frames.iter().all(|f| f.as_bytes().as_ptr() == first), "one buffer for every subscriber");
        let parsed: serde_json::Value = serde_json::from_str(&frames[0]).unwrap();
        assert_eq!(parsed, json!({"type": "delta", "channel": "progress", "seq": 1, "data": {"n": 1}}));
    }
}
