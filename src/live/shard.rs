//! A shard: the sockets of one server thread and their subscriptions. The hub sends each
//! frame once per shard; the shard writes the shared bytes straight to every subscribed
//! socket (no task hop, no channel per connection), and only a socket that cannot take them
//! at once keeps a bounded queue, flushed in one vectored write when it drains. A socket
//! that falls further behind loses its queue and later gets one merged catch-up frame.
use super::frame::{self, Frame};
use super::{ConnId, Hub, Stats};
use crate::model::Channel;
use bytes::Bytes;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::io::{self, IoSlice};
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::sync::{Notify, mpsc};
use uuid::Uuid;

mod wire;

pub use wire::Wire;
use wire::send;

/// Which shard (server thread) a connection lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShardId(pub usize);

/// Bytes a socket may have queued before its frames are dropped for a catch-up.
const MAX_PENDING: usize = 64 * 1024;
/// Slices written at once.
const MAX_SLICES: usize = 64;
/// Sockets written to before a frame's fan-out lets the thread's other tasks run (the HTTP
/// requests and sockets of the same thread): about 1-2 ms of writes.
const FAN_OUT_STEP: usize = 256;

/// What the hub tells a shard; in order, so a subscription always precedes its frames.
#[derive(Debug)]
pub enum ShardMsg {
    Frame {
        competition: Uuid,
        frame: Arc<Frame>,
    },
    Subscribed {
        conn: ConnId,
        competition: Uuid,
        channel: Channel,
        replaced: Option<Channel>,
        since: Option<i64>,
        first: Vec<Arc<Frame>>,
    },
    Unsubscribed {
        conn: ConnId,
        competition: Uuid,
        channel: Channel,
    },
    /// A frame for one connection outside the channels (`error`, `revoked`).
    Send {
        conn: ConnId,
        frame: Arc<Frame>,
    },
    CatchUp {
        conn: ConnId,
        channel: Channel,
        frame: Arc<Frame>,
    },
    /// The server is stopping: every socket gets a close frame.
    CloseAll {
        code: u16,
        reason: String,
    },
}

/// The shard's number for one competition's channel while sockets subscribe to it: a
/// delivery compares it, not the channel (a skill channel's code sits behind a pointer).
type ChannelId = u32;

/// The sockets subscribed to one competition's channel.
struct Subscription {
    id: ChannelId,
    conns: Vec<ConnId>,
}

/// The seq of the last frame written per subscribed channel (-1: none yet). A socket has a
/// channel or two: a vector is searched faster than a map is hashed, and a delivery finds
/// its entry once, by the channel's number, and updates it in place. The first entry sits
/// in the slot itself: a delivery then reads no memory of its own besides the slot's.
#[derive(Debug, Default)]
struct Seqs(SmallVec<[(ChannelId, Channel, i64); 1]>);

impl Seqs {
    fn position(&self, channel: &Channel) -> Option<usize> {
        self.0.iter().position(|(_, c, _)| c == channel)
    }

    fn position_of(&self, id: ChannelId) -> Option<usize> {
        self.0.iter().position(|(i, _, _)| *i == id)
    }

    fn get(&self, channel: &Channel) -> Option<i64> {
        self.position(channel).map(|at| self.seq_at(at))
    }

    fn seq_at(&self, at: usize) -> i64 {
        self.0[at].2
    }

    /// Moves the seq at `at` (from [`Seqs::position`]) without searching again.
    fn set_at(&mut self, at: usize, seq: i64) {
        self.0[at].2 = seq;
    }

    fn insert(&mut self, id: ChannelId, channel: Channel, seq: i64) {
        match self.position(&channel) {
            Some(at) => self.0[at] = (id, channel, seq),
            None => self.0.push((id, channel, seq)),
        }
    }

    fn remove(&mut self, channel: &Channel) {
        self.0.retain(|(_, c, _)| c != channel);
    }

    fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.0.iter().map(|(_, c, _)| c)
    }
}

struct Slot {
    wire: Rc<dyn Wire>,
    /// `wire`'s descriptor when it is plain TCP, open for as long as the slot holds `wire`.
    fd: Option<RawFd>,
    competition: Uuid,
    /// The seq of the last frame written per subscribed channel (-1: none yet).
    last: Seqs,
    pending: VecDeque<Bytes>,
    pending_bytes: usize,
    /// Channels whose frames were dropped while the queue was full.
    behind: Vec<Channel>,
    wake: Rc<Notify>,
    last_sent: Instant,
    broken: bool,
    /// A close frame is queued: nothing more is written, the connection winds down.
    closing: bool,
}

impl Slot {
    fn new(wire: Rc<dyn Wire>, competition: Uuid, wake: Rc<Notify>) -> Slot {
        Slot {
            fd: wire.raw_fd(),
            wire,
            competition,
            last: Seqs::default(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            behind: Vec::new(),
            wake,
            last_sent: Instant::now(),
            broken: false,
            closing: false,
        }
    }

    /// Writes bytes now if nothing is queued, else queues them (bounded). Returns false when
    /// the queue is full and the bytes were not taken.
    fn write(&mut self, bytes: &Bytes, stats: &Stats) -> bool {
        if self.broken || self.closing {
            return true;
        }
        self.last_sent = Instant::now();
        if self.pending.is_empty() {
            match self.try_send(bytes) {
                Ok(n) if n == bytes.len() => {
                    stats.deliveries.fetch_add(1, Ordering::Relaxed);
                    if self.fd.is_none() && self.wire.backlog() {
                        self.wake.notify_one();
                    }
                    return true;
                }
                Ok(n) => self.queue(bytes.slice(n..)),
                Err(_) => self.fail(),
            }
            stats.deliveries.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        if self.pending_bytes + bytes.len() > MAX_PENDING {
            stats.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.queue(bytes.clone());
        stats.deliveries.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Writes to a socket with nothing queued. A plain socket is written to through its
    /// descriptor, without reading the socket's own memory (its object, tokio's readiness):
    /// a cache miss each on every delivery, with thousands of sockets. A full socket, or one
    /// under TLS, goes through its `Wire`, which reads the readiness before it tries (again)
    /// and clears it on `WouldBlock`, so the wait for room cannot miss the socket's event.
    fn try_send(&self, bytes: &[u8]) -> io::Result<usize> {
        if let Some(fd) = self.fd {
            match send(fd, bytes) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                sent => return sent,
            }
        }
        self.wire.try_write(&[IoSlice::new(bytes)])
    }

    fn queue(&mut self, bytes: Bytes) {
        self.pending_bytes += bytes.len();
        self.pending.push_back(bytes);
        self.wake.notify_one();
    }

    /// Writes or queues a close frame, past the queue's bound (it is the last frame), and
    /// wakes the connection to flush it and wind down.
    fn close(&mut self, bytes: &Bytes) {
        if self.broken || self.closing {
            return;
        }
        self.closing = true;
        if self.pending.is_empty() {
            match self.wire.try_write(&[IoSlice::new(bytes)]) {
                Ok(n) if n == bytes.len() => {}
                Ok(n) => self.queue(bytes.slice(n..)),
                Err(_) => self.fail(),
            }
        } else {
            self.queue(bytes.clone());
        }
        self.wake.notify_one();
    }

    fn fail(&mut self) {
        self.broken = true;
        self.pending.clear();
        self.pending_bytes = 0;
        self.wake.notify_one();
    }

    /// Writes what is queued, several frames in one vectored write.
    fn flush(&mut self) {
        while !self.pending.is_empty() && !self.broken {
            let slices: Vec<IoSlice<'_>> = self.pending.iter().take(MAX_SLICES).map(|b| IoSlice::new(b)).collect();
            match self.wire.try_write(&slices) {
                Ok(0) => return,
                Ok(mut n) => {
                    self.pending_bytes -= n;
                    while n > 0 {
                        let Some(front) = self.pending.front_mut() else { break };
                        if n >= front.len() {
                            n -= front.len();
                            self.pending.pop_front();
                        } else {
                            *front = front.slice(n..);
                            n = 0;
                        }
                    }
                }
                Err(_) => self.fail(),
            }
        }
        if self.pending.is_empty() {
            // Release what a burst made the queue hold.
            self.pending = VecDeque::new();
        }
    }

    /// Writes a channel frame if it continues what the socket has (gapless), skips it if
    /// the socket has it already, and reports a gap.
    fn deliver(&mut self, channel: &Channel, frame: &Arc<Frame>, stats: &Stats) -> Delivery {
        match self.last.position(channel) {
            Some(at) => self.deliver_at(at, channel, frame, stats),
            None => Delivery::Skipped,
        }
    }

    /// [`Slot::deliver`] to the channel at `at` of the socket's seqs.
    fn deliver_at(&mut self, at: usize, channel: &Channel, frame: &Arc<Frame>, stats: &Stats) -> Delivery {
        let last = self.last.seq_at(at);
        if !frame.snapshot && frame.seq <= last {
            return Delivery::Skipped;
        }
        if !frame.snapshot && frame.from > last + 1 {
            // A socket that fell behind asks for what it lacks once its queue drained.
            return if self.behind.contains(channel) { Delivery::Skipped } else { Delivery::Gap };
        }
        if self.write(&frame.bytes, stats) {
            if frame.snapshot {
                stats.snapshots.fetch_add(1, Ordering::Relaxed);
            }
            self.last.set_at(at, frame.seq);
            if !self.behind.is_empty() {
                self.behind.retain(|c| c != channel);
            }
            Delivery::Written
        } else {
            if !self.behind.contains(channel) {
                self.behind.push(channel.clone());
            }
            Delivery::Dropped
        }
    }
}

enum Delivery {
    Written,
    Skipped,
    Gap,
    Dropped,
}

/// The shard's state, shared by its receiving task and its connections' tasks (one thread).
pub struct ShardState {
    id: ShardId,
    hub: Hub,
    slots: FxHashMap<ConnId, Slot>,
    subs: HashMap<(Uuid, Channel), Subscription>,
    next_channel: ChannelId,
}

#[derive(Clone)]
pub struct Shard(Rc<RefCell<ShardState>>);

thread_local! {
    static CURRENT: RefCell<Option<Shard>> = const { RefCell::new(None) };
}

impl Shard {
    /// This thread's shard, started on first use (a server thread's first live socket).
    pub fn current(hub: &Hub) -> Shard {
        CURRENT.with(|current| {
            let mut current = current.borrow_mut();
            if let Some(shard) = current.as_ref() {
                return shard.clone();
            }
            let (tx, rx) = mpsc::unbounded_channel();
            let handled = Arc::new(AtomicU64::new(0));
            let id = hub.add_shard(tx, handled.clone());
            let shard = Shard(Rc::new(RefCell::new(ShardState {
                id,
                hub: hub.clone(),
                slots: FxHashMap::default(),
                subs: HashMap::new(),
                next_channel: 0,
            })));
            actix_web::rt::spawn(shard.clone().receive(rx, handled));
            *current = Some(shard.clone());
            shard
        })
    }

    pub fn id(&self) -> ShardId {
        self.0.borrow().id
    }

    /// Handles the hub's messages in order, counting them for the hub (which holds a
    /// channel's next changes back until its previous frame is handled).
    async fn receive(self, mut rx: mpsc::UnboundedReceiver<ShardMsg>, handled: Arc<AtomicU64>) {
        let mut batch = Vec::with_capacity(64);
        while rx.recv_many(&mut batch, 64).await > 0 {
            for message in batch.drain(..) {
                match message {
                    ShardMsg::Frame { competition, frame } => self.fan_out(competition, frame).await,
                    other => self.0.borrow_mut().handle(other),
                }
                handled.fetch_add(1, Ordering::Release);
            }
        }
    }

    /// Writes a channel frame to its subscribers, [`FAN_OUT_STEP`] sockets at a time. In
    /// between, the thread's other tasks run: a mark's request waits for one step, not for a
    /// whole fan-out to thousands of sockets, and its change reaches the hub meanwhile, which
    /// merges what comes until this frame is written (see the hub's `ShardLink`).
    async fn fan_out(&self, competition: Uuid, frame: Arc<Frame>) {
        let Some(channel) = &frame.channel else { return };
        let key = (competition, channel.clone());
        let (id, conns) = {
            let mut state = self.0.borrow_mut();
            let Some(sub) = state.subs.get(&key) else { return };
            if sub.conns.len() <= FAN_OUT_STEP {
                state.handle(ShardMsg::Frame { competition, frame });
                return;
            }
            // Sockets may come and go between steps: the steps go through this list, and a
            // socket gone meanwhile is skipped.
            (sub.id, sub.conns.clone())
        };
        for (step, part) in conns.chunks(FAN_OUT_STEP).enumerate() {
            if step > 0 {
                tokio::task::yield_now().await;
            }
            let mut state = self.0.borrow_mut();
            let state = &mut *state;
            deliver(&mut state.slots, &state.hub, id, competition, &frame, part);
        }
    }

    pub fn attach(&self, conn: ConnId, competition: Uuid, wire: Rc<dyn Wire>, wake: Rc<Notify>) {
        self.0.borrow_mut().slots.insert(conn, Slot::new(wire, competition, wake));
    }

    pub fn detach(&self, conn: ConnId) {
        let mut state = self.0.borrow_mut();
        if let Some(slot) = state.slots.remove(&conn) {
            for channel in slot.last.channels() {
                leave(&mut state.subs, (slot.competition, channel.clone()), conn);
            }
        }
    }

    /// Writes a frame of the connection's own (an error, a pong, a heartbeat, a close).
    pub fn send(&self, conn: ConnId, bytes: &Bytes) {
        let mut state = self.0.borrow_mut();
        let stats = state.hub.stats.clone();
        if let Some(slot) = state.slots.get_mut(&conn) {
            slot.write(bytes, &stats);
        }
    }

    /// Whether the connection has bytes waiting for the socket to drain, or broke.
    pub fn status(&self, conn: ConnId) -> (bool, bool, Instant) {
        let state = self.0.borrow();
        state.slots.get(&conn).map_or((false, true, Instant::now()), |s| {
            (!s.pending.is_empty() || s.wire.backlog(), s.broken, s.last_sent)
        })
    }

    /// Whether the server closed the connection (a close frame is on its way).
    pub fn closing(&self, conn: ConnId) -> bool {
        self.0.borrow().slots.get(&conn).is_some_and(|s| s.closing)
    }

    /// Waits for the socket to take more, then writes what is queued; once drained, asks the
    /// hub for what the connection missed meanwhile.
    pub fn poll_flush(&self, conn: ConnId, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.borrow_mut();
        let Some(slot) = state.slots.get_mut(&conn) else { return Poll::Ready(()) };
        loop {
            if (slot.pending.is_empty() && !slot.wire.backlog()) || slot.broken {
                break;
            }
            match slot.wire.poll_writable(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => slot.fail(),
                Poll::Ready(Ok(())) => {
                    let before = slot.pending_bytes;
                    slot.flush();
                    if slot.pending_bytes == before && !slot.pending.is_empty() {
                        // Readiness was stale: wait for the next edge.
                        continue;
                    }
                }
            }
        }
        let behind: Vec<(Channel, i64)> = std::mem::take(&mut slot.behind)
            .into_iter()
            .map(|c| {
                let last = slot.last.get(&c).unwrap_or(-1);
                (c, last)
            })
            .collect();
        let competition = slot.competition;
        for (channel, last) in behind {
            state.hub.behind(conn, competition, channel, last);
        }
        Poll::Ready(())
    }
}

impl ShardState {
    /// Handles a message at once; [`Shard::fan_out`] sends a frame for many sockets here in
    /// steps instead.
    fn handle(&mut self, message: ShardMsg) {
        let stats = self.hub.stats.clone();
        match message {
            ShardMsg::Frame { competition, frame } => {
                if let Some(channel) = &frame.channel
                    && let Some(sub) = self.subs.get(&(competition, channel.clone()))
                {
                    deliver(&mut self.slots, &self.hub, sub.id, competition, &frame, &sub.conns);
                }
            }
            ShardMsg::Subscribed { conn, competition, channel, replaced, since, first } => {
                let Some(slot) = self.slots.get_mut(&conn) else { return };
                if let Some(old) = replaced {
                    slot.last.remove(&old);
                    leave(&mut self.subs, (competition, old), conn);
                }
                let next = &mut self.next_channel;
                let sub = self.subs.entry((competition, channel.clone())).or_insert_with(|| {
                    *next = next.wrapping_add(1);
                    Subscription { id: *next, conns: Vec::new() }
                });
                slot.last.insert(sub.id, channel.clone(), since.unwrap_or(-1));
                slot.behind.retain(|c| *c != channel);
                for frame in &first {
                    slot.deliver(&channel, frame, &stats);
                }
                if !sub.conns.contains(&conn) {
                    sub.conns.push(conn);
                }
            }
            ShardMsg::Unsubscribed { conn, competition, channel } => {
                if let Some(slot) = self.slots.get_mut(&conn) {
                    slot.last.remove(&channel);
                    slot.behind.retain(|c| *c != channel);
                }
                leave(&mut self.subs, (competition, channel), conn);
            }
            ShardMsg::Send { conn, frame } => {
                if let Some(slot) = self.slots.get_mut(&conn) {
                    slot.write(&frame.bytes, &stats);
                }
            }
            ShardMsg::CatchUp { conn, channel, frame, .. } => {
                if let Some(slot) = self.slots.get_mut(&conn) {
                    slot.deliver(&channel, &frame, &stats);
                }
            }
            ShardMsg::CloseAll { code, reason } => {
                let bytes = frame::close_frame(code, &reason);
                for slot in self.slots.values_mut() {
                    slot.close(&bytes);
                }
            }
        }
    }
}

/// Writes a channel frame (numbered `id` in this shard) to `conns`, those still subscribed;
/// those it would leave with a gap ask the hub for what they lack.
fn deliver(
    slots: &mut FxHashMap<ConnId, Slot>,
    hub: &Hub,
    id: ChannelId,
    competition: Uuid,
    frame: &Arc<Frame>,
    conns: &[ConnId],
) {
    let Some(channel) = &frame.channel else { return };
    let mut gaps = Vec::new();
    for conn in conns {
        let Some(slot) = slots.get_mut(conn) else { continue };
        let Some(at) = slot.last.position_of(id) else { continue };
        match slot.deliver_at(at, channel, frame, &hub.stats) {
            Delivery::Gap => gaps.push((*conn, slot.last.seq_at(at))),
            Delivery::Written | Delivery::Skipped | Delivery::Dropped => {}
        }
    }
    for (conn, last) in gaps {
        hub.behind(conn, competition, channel.clone(), last);
    }
}

/// Takes a connection off a channel's subscribers; the channel's entry goes with its last one.
fn leave(subs: &mut HashMap<(Uuid, Channel), Subscription>, key: (Uuid, Channel), conn: ConnId) {
    if let Entry::Occupied(mut sub) = subs.entry(key) {
        sub.get_mut().conns.retain(|c| *c != conn);
        if sub.get().conns.is_empty() {
            sub.remove();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
