//! The hub's state: per competition, its current model and per channel the last seq, a
//! replay ring, a cached snapshot and the subscribers. Owned by one task (see [`super::Hub`]);
//! plain methods here, so it is tested without a runtime.
use super::channel::{self, Change, ChangeKind};
use super::{Outbound, Stats, Subscriber, frame};
use crate::model::{Caller, Channel, Competition, policy};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc::error::TrySendError;
use uuid::Uuid;

/// Deltas kept per channel for resuming clients; older gaps get a fresh snapshot.
pub const RING: usize = 256;

#[derive(Default)]
struct ChannelState {
    seq: i64,
    ring: VecDeque<Arc<Outbound>>,
    snapshot: Option<Arc<Outbound>>,
    subscribers: HashMap<u64, Subscriber>,
}

struct CompetitionHub {
    model: Arc<Competition>,
    seqs: HashMap<String, i64>,
    channels: HashMap<Channel, ChannelState>,
}

impl CompetitionHub {
    fn snapshot(&mut self, channel: &Channel) -> Option<Arc<Outbound>> {
        let seq = self.seqs.get(&channel.key()).copied().unwrap_or(0);
        let state = self.channels.entry(channel.clone()).or_default();
        state.seq = state.seq.max(seq);
        if state.snapshot.is_none() {
            let data = channel::snapshot(&self.model, channel)?;
            state.snapshot = Some(Arc::new(Outbound {
                competition: self.model.id,
                channel: channel.clone(),
                seq: state.seq,
                snapshot: true,
                frame: frame("snapshot", Some(channel), Some(state.seq), &data),
            }));
        }
        state.snapshot.clone()
    }
}

#[derive(Default)]
pub struct HubState {
    competitions: HashMap<Uuid, CompetitionHub>,
    stats: Arc<Stats>,
}

impl HubState {
    pub fn new(stats: Arc<Stats>) -> HubState {
        HubState { competitions: HashMap::new(), stats }
    }

    fn hub(&mut self, model: &Arc<Competition>) -> &mut CompetitionHub {
        self.competitions.entry(model.id).or_insert_with(|| CompetitionHub {
            model: model.clone(),
            seqs: HashMap::new(),
            channels: HashMap::new(),
        })
    }

    /// A competition was (re)loaded: later snapshots come from this model, numbered from
    /// the database's sequences.
    pub fn loaded(&mut self, model: Arc<Competition>, seqs: HashMap<String, i64>) {
        let hub = self.hub(&model);
        hub.model = model;
        for (key, seq) in seqs {
            let known = hub.seqs.entry(key.clone()).or_default();
            *known = (*known).max(seq);
            if let Some(channel) = Channel::from_key(&key)
                && let Some(state) = hub.channels.get_mut(&channel)
                && state.seq < seq
            {
                // Changed elsewhere (another instance) beyond what was relayed: the ring
                // cannot bridge the gap, so resuming clients get a snapshot.
                state.seq = seq;
                state.ring.clear();
            }
        }
        for state in hub.channels.values_mut() {
            state.snapshot = None;
        }
    }

    /// The competition is gone: its subscribers hear nothing more.
    pub fn forget(&mut self, competition: Uuid) {
        self.competitions.remove(&competition);
    }

    /// Sends committed changes (numbered by the database) to every subscriber.
    pub fn publish(&mut self, model: Arc<Competition>, changes: Vec<(Change, i64)>) {
        let stats = self.stats.clone();
        let hub = self.hub(&model);
        hub.model = model.clone();
        for state in hub.channels.values_mut() {
            state.snapshot = None;
        }
        for (change, seq) in changes {
            let known = hub.seqs.entry(change.channel.key()).or_default();
            if seq <= *known {
                continue; // relayed already
            }
            *known = seq;
            let snapshot = change.kind == ChangeKind::Snapshot;
            let kind = if snapshot { "snapshot" } else { "delta" };
            let out = Arc::new(Outbound {
                competition: model.id,
                frame: frame(kind, Some(&change.channel), Some(seq), &change.data),
                channel: change.channel.clone(),
                seq,
                snapshot,
            });
            let state = hub.channels.entry(change.channel).or_default();
            state.seq = seq;
            if snapshot {
                state.ring.clear();
                state.snapshot = Some(out.clone());
            } else {
                state.ring.push_back(out.clone());
                if state.ring.len() > RING {
                    state.ring.pop_front();
                }
            }
            fan_out(&stats, state, &out);
        }
    }

    /// Subscribes a connection to what the caller may see of a channel name, and returns
    /// the channel and what to send first: the deltas after `since` when the ring still has
    /// them all, else a snapshot. Registration and the first frames happen in one step, so
    /// no change falls between them.
    pub fn subscribe(
        &mut self,
        competition: Uuid,
        caller: Option<&Caller>,
        name: &str,
        subscriber: Subscriber,
        since: Option<i64>,
    ) -> Result<(Channel, Vec<Arc<Outbound>>), policy::Refusal> {
        let unavailable = || (crate::error::ErrorCode::Unavailable, "the competition is loading; try again".to_owned());
        let hub = self.competitions.get_mut(&competition).ok_or_else(unavailable)?;
        let channel = policy::channel(caller, &hub.model, name)?;
        let seq = hub.seqs.get(&channel.key()).copied().unwrap_or(0);
        let state = hub.channels.entry(channel.clone()).or_default();
        state.seq = state.seq.max(seq);
        let first = match since {
            Some(since) if since == state.seq => Vec::new(),
            Some(since)
                if since < state.seq
                    && state.ring.front().is_some_and(|f| f.seq <= since + 1)
                    && state.ring.back().is_some_and(|l| l.seq == state.seq) =>
            {
                state.ring.iter().filter(|o| o.seq > since).cloned().collect()
            }
            _ => vec![hub.snapshot(&channel).ok_or_else(unavailable)?],
        };
        let state = hub.channels.entry(channel.clone()).or_default();
        state.subscribers.insert(subscriber.id, subscriber);
        Ok((channel, first))
    }

    /// A fresh snapshot of a channel (for a lagging subscriber).
    pub fn snapshot(&mut self, competition: Uuid, channel: &Channel) -> Option<Arc<Outbound>> {
        self.competitions.get_mut(&competition)?.snapshot(channel)
    }

    pub fn unsubscribe(&mut self, competition: Uuid, channel: &Channel, id: u64) {
        if let Some(state) = self.competitions.get_mut(&competition).and_then(|h| h.channels.get_mut(channel)) {
            state.subscribers.remove(&id);
        }
    }
}

/// Hands a frame to every subscriber without waiting: a full queue drops the frame and marks
/// the channel lagging (the connection then sends a fresh snapshot instead).
fn fan_out(stats: &Stats, state: &mut ChannelState, out: &Arc<Outbound>) {
    state.subscribers.retain(|_, subscriber| match subscriber.tx.try_send(Arc::clone(out)) {
        Ok(()) => {
            stats.deliveries.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(TrySendError::Full(_)) => {
            stats.dropped.fetch_add(1, Ordering::Relaxed);
            subscriber.lag(out.competition, &out.channel);
            true
        }
        Err(TrySendError::Closed(_)) => false,
    });
}
