//! Live updates: the hub that fans deltas out to websocket subscribers, with gapless
//! per-channel sequence numbers (kept in the database), a replay ring for resuming, and
//! bounded per-connection queues (a slow socket falls back to a fresh snapshot).
//!
//! The hub is one task that owns its state and takes requests on a channel (the
//! actorless-chat design): nothing holds a lock around subscribers while frames go out.
pub mod channel;
mod hub;
pub mod relay;
pub mod socket;

pub use hub::RING;

use crate::model::{Caller, Channel, Competition, policy};
use bytestring::ByteString;
use channel::Change;
use hub::HubState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Frames queued per connection before it counts as lagging.
pub const QUEUE: usize = 64;

/// One frame: the serialized bytes are shared by every subscriber.
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

impl Subscriber {
    fn lag(&self, competition: Uuid, channel: &Channel) {
        if let Ok(mut lagged) = self.lagged.lock()
            && !lagged.iter().any(|(c, ch)| *c == competition && ch == channel)
        {
            lagged.push((competition, channel.clone()));
        }
    }
}

/// Counters for the benchmark and for operators.
#[derive(Default)]
pub struct Stats {
    pub deliveries: AtomicU64,
    pub dropped: AtomicU64,
}

/// A live frame as the protocol spells it.
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

type Subscribed = Result<(Channel, Vec<Arc<Outbound>>), policy::Refusal>;

enum Request {
    Loaded {
        model: Arc<Competition>,
        seqs: HashMap<String, i64>,
    },
    Forget {
        competition: Uuid,
    },
    Publish {
        model: Arc<Competition>,
        changes: Vec<(Change, i64)>,
    },
    Subscribe {
        competition: Uuid,
        caller: Option<Caller>,
        name: String,
        subscriber: Subscriber,
        since: Option<i64>,
        reply: oneshot::Sender<Subscribed>,
    },
    Unsubscribe {
        competition: Uuid,
        channel: Channel,
        id: u64,
    },
    Snapshot {
        competition: Uuid,
        channel: Channel,
        reply: oneshot::Sender<Option<Arc<Outbound>>>,
    },
}

/// A handle on the hub task; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    tx: mpsc::UnboundedSender<Request>,
    next_id: Arc<AtomicU64>,
    stats: Arc<Stats>,
}

impl Hub {
    /// Starts the hub's task.
    pub fn start() -> Hub {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let stats = Arc::new(Stats::default());
        let mut state = HubState::new(stats.clone());
        tokio::spawn(async move {
            while let Some(request) = rx.recv().await {
                match request {
                    Request::Loaded { model, seqs } => state.loaded(model, seqs),
                    Request::Forget { competition } => state.forget(competition),
                    // Sending to thousands of queues in one poll must not be cut short by
                    // tokio's cooperative budget, which would refuse sends as if queues were full.
                    Request::Publish { model, changes } => {
                        tokio::task::unconstrained(async { state.publish(model, changes) }).await
                    }
                    Request::Subscribe { competition, caller, name, subscriber, since, reply } => {
                        let _ = reply.send(state.subscribe(competition, caller.as_ref(), &name, subscriber, since));
                    }
                    Request::Unsubscribe { competition, channel, id } => state.unsubscribe(competition, &channel, id),
                    Request::Snapshot { competition, channel, reply } => {
                        let _ = reply.send(state.snapshot(competition, &channel));
                    }
                }
            }
        });
        Hub { tx, next_id: Arc::new(AtomicU64::new(1)), stats }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn next_subscriber_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    // A send fails only once the hub's task has stopped, when the server is shutting down.

    /// A competition was (re)loaded, with its channels' seqs from the database.
    pub fn loaded(&self, model: Arc<Competition>, seqs: HashMap<String, i64>) {
        let _ = self.tx.send(Request::Loaded { model, seqs });
    }

    pub fn forget(&self, competition: Uuid) {
        let _ = self.tx.send(Request::Forget { competition });
    }

    /// Committed changes, numbered by the database, for every subscriber.
    pub fn publish(&self, model: Arc<Competition>, changes: Vec<(Change, i64)>) {
        let _ = self.tx.send(Request::Publish { model, changes });
    }

    pub async fn subscribe(
        &self,
        competition: Uuid,
        caller: Option<Caller>,
        name: String,
        subscriber: Subscriber,
        since: Option<i64>,
    ) -> Subscribed {
        let (reply, answer) = oneshot::channel();
        let stopped = || (crate::error::ErrorCode::Unavailable, "the server is stopping".to_owned());
        self.tx
            .send(Request::Subscribe { competition, caller, name, subscriber, since, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub fn unsubscribe(&self, competition: Uuid, channel: Channel, id: u64) {
        let _ = self.tx.send(Request::Unsubscribe { competition, channel, id });
    }

    pub async fn snapshot(&self, competition: Uuid, channel: Channel) -> Option<Arc<Outbound>> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Request::Snapshot { competition, channel, reply }).ok()?;
        answer.await.ok()?
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
