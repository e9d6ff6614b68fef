//! The hub's state, owned by one task (see [`super::Hub`]): per competition its current model
//! and per channel the last seq, the frames emitted lately (the replay ring), a cached
//! snapshot, the subscribers and the changes held back by the channel's rate, or because a
//! shard is still writing the channel's previous frame. Plain methods, so it is tested
//! without a runtime; frames leave through the shards' queues.
mod conns;

pub use conns::{ClientRequest, Revocation};

use super::channel::{self, Change, ChangeKind};
use super::frame::Frame;
use super::merge::merge_into;
use super::shard::{ShardId, ShardMsg};
use super::{ConnId, LiveConfig, Stats};
use crate::model::sorted::SortedVecMap;
use crate::model::{Caller, Channel, Competition};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

/// How soon a channel held back for a busy shard is looked at again.
const BUSY_RECHECK: Duration = Duration::from_millis(1);

/// A shard's queue, and how far the shard has got through it. A shard that has not yet
/// written a channel's last frame to all its sockets (one core saturated by the fan-out)
/// gets the channel's next changes merged into one frame once it has: its queue never holds
/// two frames of one channel, so it neither grows nor writes stale states in turn.
pub(super) struct ShardLink {
    tx: UnboundedSender<ShardMsg>,
    /// Messages sent to the shard so far.
    sent: AtomicU64,
    /// Messages the shard has handled so far (it counts them).
    handled: Arc<AtomicU64>,
}

impl ShardLink {
    /// Sends a message; returns its number in the shard's queue (1, 2, …), or `None` when
    /// the shard has stopped.
    fn send(&self, message: ShardMsg) -> Option<u64> {
        self.tx.send(message).ok()?;
        Some(self.sent.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Whether the shard has not yet handled its message number `ticket`.
    fn before(&self, ticket: u64) -> bool {
        self.handled.load(Ordering::Acquire) < ticket
    }
}

/// An emitted frame kept for resuming clients, with its data for merging.
struct Emitted {
    data: Arc<Value>,
    frame: Arc<Frame>,
}

/// Changes held back because the channel emitted less than one interval ago.
struct Held {
    from: i64,
    seq: i64,
    /// Some held change was a snapshot: a fresh snapshot goes out instead.
    snapshot: bool,
    data: Value,
}

#[derive(Default)]
pub(super) struct ChannelState {
    /// The seq of the last change numbered, emitted or held.
    seq: i64,
    ring: VecDeque<Emitted>,
    snapshot: Option<Arc<Frame>>,
    pub(super) subscribers: HashMap<ConnId, ShardId>,
    last_emit: Option<Instant>,
    held: Option<Held>,
    /// A merged catch-up frame, kept while the channel does not move: lagging viewers at
    /// the same seq share it.
    catch_up: Option<(i64, Arc<Frame>)>,
    /// The shards the last frame went to, with its number in each one's queue.
    in_flight: Vec<(ShardId, u64)>,
}

pub(super) struct CompetitionHub {
    pub(super) model: Arc<Competition>,
    seqs: HashMap<String, i64>,
    pub(super) channels: HashMap<Channel, ChannelState>,
}

/// A connection as the hub knows it.
pub(super) struct ConnReg {
    pub(super) shard: ShardId,
    pub(super) competition: Uuid,
    pub(super) caller: Option<Caller>,
    /// Client channel name → the channel it resolved to (public or private).
    pub(super) subs: Subs,
    /// When its recent `since` replays were served (bounded per window).
    pub(super) replays: VecDeque<Instant>,
}

/// A connection's subscriptions by client channel name, in name order. Most connections
/// hold one or two: a sorted vector takes a few dozen bytes where a B-tree's first node took
/// over 600 for each of ten thousand idle viewers.
pub(super) type Subs = SortedVecMap<String, Channel>;

pub struct HubState {
    stats: Arc<Stats>,
    config: LiveConfig,
    shards: Vec<Option<ShardLink>>,
    pub(super) competitions: HashMap<Uuid, CompetitionHub>,
    pub(super) conns: HashMap<ConnId, ConnReg>,
}

impl HubState {
    pub fn new(stats: Arc<Stats>, config: LiveConfig) -> HubState {
        HubState { stats, config, shards: Vec::new(), competitions: HashMap::new(), conns: HashMap::new() }
    }

    /// A shard's queue; the shard adds one to `handled` for every message it has handled.
    pub fn add_shard(&mut self, id: ShardId, tx: UnboundedSender<ShardMsg>, handled: Arc<AtomicU64>) {
        if self.shards.len() <= id.0 {
            self.shards.resize_with(id.0 + 1, || None);
        }
        self.shards[id.0] = Some(ShardLink { tx, sent: AtomicU64::new(0), handled });
    }

    pub(super) fn send(&self, shard: ShardId, message: ShardMsg) {
        if let Some(Some(link)) = self.shards.get(shard.0) {
            link.send(message);
        }
    }

    /// Every socket gets a close frame (the server is stopping).
    pub fn close_all(&self, code: u16, reason: &str) {
        for link in self.shards.iter().flatten() {
            link.send(ShardMsg::CloseAll { code, reason: reason.to_owned() });
        }
    }

    /// A competition was (re)loaded: later snapshots come from this model, numbered from the
    /// database's sequences; subscriptions are checked against it again.
    pub fn loaded(&mut self, model: Arc<Competition>, seqs: HashMap<String, i64>) {
        let id = model.id;
        let hub = self.competitions.entry(id).or_insert_with(|| CompetitionHub {
            model: model.clone(),
            seqs: HashMap::new(),
            channels: HashMap::new(),
        });
        hub.model = model;
        for (key, seq) in seqs {
            let known = hub.seqs.entry(key.clone()).or_default();
            *known = (*known).max(seq);
            if let Some(channel) = Channel::from_key(&key)
                && let Some(state) = hub.channels.get_mut(&channel)
                && state.seq < seq
            {
                // Changed elsewhere beyond what was relayed: the ring cannot bridge the gap.
                state.seq = seq;
                state.ring.clear();
                state.held = None;
            }
        }
        for state in hub.channels.values_mut() {
            state.snapshot = None;
            state.catch_up = None;
        }
        self.recheck(id, false);
    }

    /// The competition is gone: its subscribers hear nothing more.
    pub fn forget(&mut self, competition: Uuid) {
        self.competitions.remove(&competition);
    }

    /// Committed changes, numbered by the database. A channel emits at most one frame per
    /// interval: changes arriving faster are merged into the next frame.
    pub fn publish(&mut self, model: Arc<Competition>, changes: Vec<(Change, i64)>, structure: bool, now: Instant) {
        let id = model.id;
        let hub = self.competitions.entry(id).or_insert_with(|| CompetitionHub {
            model: model.clone(),
            seqs: HashMap::new(),
            channels: HashMap::new(),
        });
        hub.model = model;
        for state in hub.channels.values_mut() {
            state.snapshot = None;
        }
        let interval = self.config.interval;
        let mut due = Vec::new();
        for (change, seq) in changes {
            let known = hub.seqs.entry(change.channel.key()).or_default();
            if seq <= *known {
                continue; // relayed already
            }
            *known = seq;
            let state = hub.channels.entry(change.channel.clone()).or_default();
            state.seq = seq;
            state.catch_up = None;
            let snapshot = change.kind == ChangeKind::Snapshot;
            state.held = Some(match state.held.take() {
                Some(held) if held.snapshot || snapshot => {
                    self.stats.coalesced.fetch_add(1, Ordering::Relaxed);
                    Held { from: held.from, seq, snapshot: true, data: Value::Null }
                }
                Some(mut held) => {
                    self.stats.coalesced.fetch_add(1, Ordering::Relaxed);
                    merge_into(&change.channel, &mut held.data, change.data);
                    Held { seq, ..held }
                }
                None => Held { from: seq, seq, snapshot, data: change.data },
            });
            if state.last_emit.is_none_or(|at| now.duration_since(at) >= interval) {
                due.push(change.channel);
            }
        }
        for channel in due {
            self.emit_held(id, &channel, now);
        }
        if structure {
            self.recheck(id, false);
        }
    }

    /// Emits the channels whose held changes are due; returns when the next one is.
    pub fn flush(&mut self, now: Instant) -> Option<Instant> {
        let interval = self.config.interval;
        let mut due = Vec::new();
        let mut next: Option<Instant> = None;
        for (id, hub) in &self.competitions {
            for (channel, state) in &hub.channels {
                if state.held.is_none() {
                    continue;
                }
                let at = state.last_emit.map_or(now, |t| t + interval);
                if at <= now {
                    due.push((*id, channel.clone()));
                } else {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
        }
        for (id, channel) in due {
            if !self.emit_held(id, &channel, now) {
                let again = now + BUSY_RECHECK;
                next = Some(next.map_or(again, |n| n.min(again)));
            }
        }
        next
    }

    /// Emits a channel's held changes as one frame; false when a shard is still writing the
    /// channel's previous frame, and they stay held (merging what comes meanwhile).
    fn emit_held(&mut self, id: Uuid, channel: &Channel, now: Instant) -> bool {
        let Some(hub) = self.competitions.get_mut(&id) else { return true };
        let model = hub.model.clone();
        let Some(state) = hub.channels.get_mut(channel) else { return true };
        if state.held.is_none() {
            return true;
        }
        let links = &self.shards;
        let busy = |&(shard, ticket): &(ShardId, u64)| {
            links.get(shard.0).and_then(Option::as_ref).is_some_and(|link| link.before(ticket))
        };
        if state.in_flight.iter().any(busy) {
            return false;
        }
        let Some(held) = state.held.take() else { return true };
        state.last_emit = Some(now);
        let (frame, data) = if held.snapshot {
            let Some(data) = channel::snapshot(&model, channel) else { return true };
            (Frame::channel(channel, true, 1, held.seq, &data), data)
        } else {
            (Frame::channel(channel, false, held.from, held.seq, &held.data), held.data)
        };
        let frame = Arc::new(frame);
        if frame.snapshot {
            state.ring.clear();
            state.snapshot = Some(frame.clone());
        } else {
            state.ring.push_back(Emitted { data: Arc::new(data), frame: frame.clone() });
            while state.ring.len() > self.config.ring {
                state.ring.pop_front();
            }
        }
        let mut shards: Vec<ShardId> = state.subscribers.values().copied().collect();
        shards.sort_unstable();
        shards.dedup();
        self.stats.frames.fetch_add(1, Ordering::Relaxed);
        state.in_flight.clear();
        for shard in shards {
            let Some(Some(link)) = links.get(shard.0) else { continue };
            if let Some(ticket) = link.send(ShardMsg::Frame { competition: id, frame: frame.clone() }) {
                state.in_flight.push((shard, ticket));
            }
        }
        true
    }

    /// What a subscriber with `last` needs of a channel: nothing, the emitted frames after it
    /// merged into one, or a fresh snapshot when the ring does not reach back (or the
    /// replay would be larger than a snapshot is worth).
    pub(super) fn catch_up(&mut self, id: Uuid, channel: &Channel, last: Option<i64>) -> Option<Vec<Arc<Frame>>> {
        let hub = self.competitions.get_mut(&id)?;
        let seq = hub.seqs.get(&channel.key()).copied().unwrap_or(0);
        let model = hub.model.clone();
        let state = hub.channels.entry(channel.clone()).or_default();
        state.seq = state.seq.max(seq);
        let emitted = state.ring.back().map_or(state.seq, |e| e.frame.seq);
        if let Some(last) = last {
            // Up to date, or only held changes are newer: they are on their way.
            if last >= emitted || last >= state.seq {
                return Some(Vec::new());
            }
            if state.ring.front().is_some_and(|e| e.frame.from <= last + 1) {
                if let Some((at, frame)) = &state.catch_up
                    && *at == last
                {
                    return Some(vec![frame.clone()]);
                }
                let newer: Vec<&Emitted> = state.ring.iter().filter(|e| e.frame.seq > last).collect();
                if newer.len() == 1 {
                    return Some(vec![newer[0].frame.clone()]);
                }
                let mut data = (*newer[0].data).clone();
                for e in &newer[1..] {
                    merge_into(channel, &mut data, (*e.data).clone());
                }
                let from = newer[0].frame.from;
                let frame = Arc::new(Frame::channel(channel, false, from, emitted, &data));
                state.catch_up = Some((last, frame.clone()));
                return Some(vec![frame]);
            }
        }
        if state.snapshot.is_none() || state.snapshot.as_ref().is_some_and(|s| s.seq != state.seq) {
            let data = channel::snapshot(&model, channel)?;
            state.snapshot = Some(Arc::new(Frame::channel(channel, true, 1, state.seq, &data)));
        }
        state.snapshot.clone().map(|s| vec![s])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
