//! Live updates over websockets (docs/live-protocol.md).
//!
//! The hub is one task that owns its state and takes requests on a channel (the actorless
//! chat design): per channel it numbers, rate-limits, merges and encodes each update once,
//! then hands the frame to each server thread's shard, which writes the same bytes to every
//! subscribed socket. Connections read and answer their clients on their own thread.
pub mod broadcast;
pub mod channel;
mod conn;
pub mod frame;
mod hub;
pub mod merge;
pub mod relay;
mod shard;
mod socket;

pub use conn::serve;
pub use hub::{ClientRequest, Revocation};
pub use socket::{IntoSocket, Socket};

use crate::model::{Channel, Competition};
use channel::Change;
use hub::HubState;
use shard::{ShardId, ShardMsg};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Largest client message; subscriptions are short.
pub const MAX_MESSAGE: usize = 16 * 1024;
pub const MAX_SUBSCRIPTIONS: usize = 256;

/// A live connection's id, unique in this process.
pub type ConnId = u64;

/// How the hub paces and bounds its work.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// A channel emits at most one frame per interval; faster changes are merged.
    pub interval: Duration,
    /// Emitted frames kept per channel for resuming clients.
    pub ring: usize,
    /// `since` replays a connection may ask for per window; beyond, it gets snapshots.
    pub replays: usize,
    pub replay_window: Duration,
    /// Live sockets in all, and from one address.
    pub max_sockets: usize,
    pub max_sockets_per_address: usize,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            interval: Duration::from_millis(100),
            ring: 256,
            replays: 20,
            replay_window: Duration::from_secs(60),
            max_sockets: 50_000,
            max_sockets_per_address: 5_000,
        }
    }
}

/// Counters for the benchmark and for operators.
#[derive(Default)]
pub struct Stats {
    /// Frames handed to sockets (or their queues).
    pub deliveries: AtomicU64,
    /// Frames a full queue could not take (the socket later catches up).
    pub dropped: AtomicU64,
    /// Frames emitted by the hub (each shared by its subscribers).
    pub frames: AtomicU64,
    pub sockets: AtomicUsize,
    /// Channel subscriptions of the open sockets.
    pub subscriptions: AtomicUsize,
    /// Changes merged into a frame held back by the channel's rate, or for a shard still
    /// writing the channel's previous frame.
    pub coalesced: AtomicU64,
    /// Snapshot frames written to sockets.
    pub snapshots: AtomicU64,
}

enum Request {
    AddShard { id: ShardId, tx: mpsc::UnboundedSender<ShardMsg>, handled: Arc<AtomicU64> },
    Loaded { model: Arc<Competition>, seqs: HashMap<String, i64> },
    Forget { competition: Uuid },
    Publish { model: Arc<Competition>, changes: Vec<(Change, i64)>, structure: bool },
    Connect { conn: ConnId, shard: ShardId, competition: Uuid, caller: Option<crate::model::Caller> },
    Disconnect { conn: ConnId },
    Client { conn: ConnId, request: ClientRequest },
    Behind { conn: ConnId, competition: Uuid, channel: Channel, last: i64 },
    Revoke(Revocation),
    Shutdown { code: u16, reason: String },
}

/// A handle on the hub task; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    tx: mpsc::UnboundedSender<Request>,
    next_conn: Arc<AtomicU64>,
    next_shard: Arc<AtomicUsize>,
    pub(crate) stats: Arc<Stats>,
    limits: Arc<Limits>,
}

/// Open sockets, in all and per address.
struct Limits {
    /// Set when the server stops: no new socket is taken.
    closed: std::sync::atomic::AtomicBool,
    total: usize,
    per_address: usize,
    by_address: Mutex<HashMap<IpAddr, usize>>,
}

/// A socket's place under the caps; given back when dropped.
pub struct Permit {
    limits: Arc<Limits>,
    stats: Arc<Stats>,
    address: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.stats.sockets.fetch_sub(1, Ordering::Relaxed);
        if let Ok(mut by) = self.limits.by_address.lock()
            && let Some(n) = by.get_mut(&self.address)
        {
            *n -= 1;
            if *n == 0 {
                by.remove(&self.address);
            }
        }
    }
}

impl Hub {
    /// Starts the hub's task.
    pub fn start(config: LiveConfig) -> Hub {
        let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
        let stats = Arc::new(Stats::default());
        let limits = Arc::new(Limits {
            closed: std::sync::atomic::AtomicBool::new(false),
            total: config.max_sockets,
            per_address: config.max_sockets_per_address,
            by_address: Mutex::new(HashMap::new()),
        });
        let mut state = HubState::new(stats.clone(), config);
        tokio::spawn(async move {
            let mut flush_at: Option<Instant> = None;
            let mut sweep = tokio::time::interval(Duration::from_millis(500));
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                let flush = async {
                    match flush_at {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    request = rx.recv() => match request {
                        Some(request) => {
                            // Sending to many queues in one poll must not be cut short by
                            // tokio's cooperative budget.
                            tokio::task::unconstrained(async { handle(&mut state, request) }).await;
                        }
                        None => break,
                    },
                    () = flush => {}
                    _ = sweep.tick() => state.expire(chrono::Utc::now()),
                }
                flush_at = state.flush(Instant::now());
            }
        });
        Hub { tx, next_conn: Arc::new(AtomicU64::new(1)), next_shard: Arc::new(AtomicUsize::new(0)), stats, limits }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    // A send fails only once the hub's task has stopped, when the server is shutting down.
    fn ask(&self, request: Request) {
        let _ = self.tx.send(request);
    }

    /// A competition was (re)loaded, with its channels' seqs from the database.
    pub fn loaded(&self, model: Arc<Competition>, seqs: HashMap<String, i64>) {
        self.ask(Request::Loaded { model, seqs });
    }

    pub fn forget(&self, competition: Uuid) {
        self.ask(Request::Forget { competition });
    }

    /// Committed changes, numbered by the database; `structure`: registration changed, so
    /// every subscription of the competition is checked against the policy again.
    pub fn publish(&self, model: Arc<Competition>, changes: Vec<(Change, i64)>, structure: bool) {
        self.ask(Request::Publish { model, changes, structure });
    }

    /// Sessions that end (log-out, a reissued code) drop to the public view.
    pub fn revoke(&self, revocation: Revocation) {
        self.ask(Request::Revoke(revocation));
    }

    /// Closes every live socket and takes no new one (the server is stopping).
    pub fn shutdown(&self, code: u16, reason: &str) {
        self.limits.closed.store(true, Ordering::Relaxed);
        self.ask(Request::Shutdown { code, reason: reason.to_owned() });
    }

    /// Resolves once every live socket has closed (after [`Hub::shutdown`]), or after `limit`.
    pub async fn closed(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.stats.sockets.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A place for a new socket from `address`, or `None` over the caps.
    pub fn permit(&self, address: IpAddr) -> Option<Permit> {
        if self.limits.closed.load(Ordering::Relaxed) {
            return None;
        }
        let mut by = self.limits.by_address.lock().ok()?;
        let here = by.get(&address).copied().unwrap_or(0);
        if self.stats.sockets.load(Ordering::Relaxed) >= self.limits.total || here >= self.limits.per_address {
            return None;
        }
        by.insert(address, here + 1);
        self.stats.sockets.fetch_add(1, Ordering::Relaxed);
        Some(Permit { limits: self.limits.clone(), stats: self.stats.clone(), address })
    }

    /// A shard's queue; the shard adds one to `handled` for every message it has handled.
    fn add_shard(&self, tx: mpsc::UnboundedSender<ShardMsg>, handled: Arc<AtomicU64>) -> ShardId {
        let id = ShardId(self.next_shard.fetch_add(1, Ordering::Relaxed));
        self.ask(Request::AddShard { id, tx, handled });
        id
    }

    fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    fn connect(&self, conn: ConnId, shard: ShardId, competition: Uuid, caller: Option<crate::model::Caller>) {
        self.ask(Request::Connect { conn, shard, competition, caller });
    }

    fn disconnect(&self, conn: ConnId) {
        self.ask(Request::Disconnect { conn });
    }

    fn request(&self, conn: ConnId, request: ClientRequest) {
        self.ask(Request::Client { conn, request });
    }

    fn behind(&self, conn: ConnId, competition: Uuid, channel: Channel, last: i64) {
        self.ask(Request::Behind { conn, competition, channel, last });
    }
}

fn handle(state: &mut HubState, request: Request) {
    let now = Instant::now();
    match request {
        Request::AddShard { id, tx, handled } => state.add_shard(id, tx, handled),
        Request::Loaded { model, seqs } => state.loaded(model, seqs),
        Request::Forget { competition } => state.forget(competition),
        Request::Publish { model, changes, structure } => state.publish(model, changes, structure, now),
        Request::Connect { conn, shard, competition, caller } => state.connect(conn, shard, competition, caller),
        Request::Disconnect { conn } => state.disconnect(conn),
        Request::Client { conn, request } => state.request(conn, request, now),
        Request::Behind { conn, competition, channel, last } => state.behind(conn, competition, channel, last),
        Request::Revoke(revocation) => state.revoke(revocation),
        Request::Shutdown { code, reason } => state.close_all(code, &reason),
    }
}
