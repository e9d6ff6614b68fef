//! A websocket connection: one task per connection, a `select!` over client messages, hub
//! frames and a heartbeat, that always unsubscribes on exit.
use super::{Hub, Outbound, QUEUE, Subscriber, frame};
use crate::auth::Sessions;
use crate::error::ErrorCode;
use crate::model::{Caller, Channel};
use actix_ws::{AggregatedMessage, Session};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Idle sockets get a heartbeat this often (browsers cannot see ping frames).
const HEARTBEAT: Duration = Duration::from_secs(15);
/// A client that sends nothing (not even a pong) for this long is gone.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(45);
/// Largest client message; subscriptions are short.
const MAX_MESSAGE: usize = 16 * 1024;
const MAX_SUBSCRIPTIONS: usize = 256;

#[derive(Deserialize)]
struct ClientMessage {
    auth: Option<String>,
    #[serde(default)]
    subscribe: Vec<String>,
    #[serde(default)]
    since: HashMap<String, i64>,
    #[serde(default)]
    unsubscribe: Vec<String>,
}

/// Serves one upgraded connection until it closes.
pub async fn serve(
    hub: Hub,
    sessions: Arc<Sessions>,
    competition: Uuid,
    caller: Option<Caller>,
    session: Session,
    stream: actix_ws::MessageStream,
) {
    let stream = stream.max_frame_size(MAX_MESSAGE).aggregate_continuations().max_continuation_size(MAX_MESSAGE);
    Connection::new(hub, sessions, competition, caller, session).run(stream).await
}

struct Connection {
    hub: Hub,
    sessions: Arc<Sessions>,
    competition: Uuid,
    caller: Option<Caller>,
    session: Session,
    me: Subscriber,
    rx: mpsc::Receiver<Arc<Outbound>>,
    /// Client channel name → the channel it resolved to (public or private).
    subscriptions: HashMap<String, Channel>,
    /// The last seq sent per channel: frames go out gapless.
    last: HashMap<Channel, i64>,
    last_sent: Instant,
}

enum Flow {
    Continue,
    Close,
}

impl Connection {
    fn new(
        hub: Hub,
        sessions: Arc<Sessions>,
        competition: Uuid,
        caller: Option<Caller>,
        session: Session,
    ) -> Connection {
        let (tx, rx) = mpsc::channel(QUEUE);
        let me = Subscriber { id: hub.next_subscriber_id(), tx, lagged: Arc::new(Mutex::new(Vec::new())) };
        Connection {
            hub,
            sessions,
            competition,
            caller,
            session,
            me,
            rx,
            subscriptions: HashMap::new(),
            last: HashMap::new(),
            last_sent: Instant::now(),
        }
    }

    async fn run(mut self, mut stream: actix_ws::AggregatedMessageStream) {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        loop {
            let flow = tokio::select! {
                // Hub frames first: under load they are the common case, and draining
                // several per wake-up saves a pass over the other branches for each.
                biased;
                Some(out) = self.rx.recv() => self.deliver_burst(out).await,
                message = stream.next() => {
                    last_heard = Instant::now();
                    match message {
                        Some(Ok(AggregatedMessage::Text(text))) => self.on_text(&text).await,
                        Some(Ok(AggregatedMessage::Binary(_))) => self.send_error(None, ErrorCode::InvalidMessage, "send JSON text frames").await,
                        Some(Ok(AggregatedMessage::Ping(bytes))) => self.pong(&bytes).await,
                        Some(Ok(AggregatedMessage::Pong(_))) => Flow::Continue,
                        Some(Ok(AggregatedMessage::Close(_))) | None => Flow::Close,
                        Some(Err(error)) => {
                            // A frame over the size limit, or not WebSocket at all.
                            let _ = self.send_error(None, ErrorCode::ProtocolError, &error.to_string()).await;
                            Flow::Close
                        }
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > CLIENT_TIMEOUT {
                        Flow::Close
                    } else {
                        self.heartbeat().await
                    }
                }
            };
            if matches!(flow, Flow::Close) || matches!(self.catch_up().await, Flow::Close) {
                break;
            }
        }
        for channel in self.subscriptions.values() {
            self.hub.unsubscribe(self.competition, channel.clone(), self.me.id);
        }
        let _ = self.session.close(None).await;
    }

    async fn send(&mut self, frame: bytestring::ByteString) -> Flow {
        self.last_sent = Instant::now();
        match self.session.text(frame).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    async fn send_error(&mut self, channel: Option<&Channel>, code: ErrorCode, detail: &str) -> Flow {
        let data = json!({ "code": code, "detail": detail });
        self.send(frame("error", channel, None, &data)).await
    }

    async fn pong(&mut self, bytes: &[u8]) -> Flow {
        match self.session.pong(bytes).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    async fn heartbeat(&mut self) -> Flow {
        if self.session.ping(b"").await.is_err() {
            return Flow::Close;
        }
        if self.last_sent.elapsed() >= HEARTBEAT - Duration::from_millis(500) {
            return self.send(frame("heartbeat", None, None, &Value::Null)).await;
        }
        Flow::Continue
    }

    /// Sends a hub frame unless it would break the channel's gapless sequence; on a gap
    /// (frames were dropped while this socket lagged) a fresh snapshot goes instead.
    async fn deliver(&mut self, out: Arc<Outbound>) -> Flow {
        if !self.subscriptions.values().any(|c| *c == out.channel) {
            return Flow::Continue;
        }
        let last = self.last.get(&out.channel).copied();
        if out.snapshot || last.is_some_and(|l| out.seq == l + 1) {
            self.last.insert(out.channel.clone(), out.seq);
            return self.send(out.frame.clone()).await;
        }
        if last.is_some_and(|l| out.seq <= l) {
            return Flow::Continue;
        }
        self.resnapshot(&out.channel).await
    }

    /// Delivers a frame and whatever else is already queued, up to a bound.
    async fn deliver_burst(&mut self, first: Arc<Outbound>) -> Flow {
        if matches!(self.deliver(first).await, Flow::Close) {
            return Flow::Close;
        }
        for _ in 0..QUEUE {
            match self.rx.try_recv() {
                Ok(out) => {
                    if matches!(self.deliver(out).await, Flow::Close) {
                        return Flow::Close;
                    }
                }
                Err(_) => break,
            }
        }
        Flow::Continue
    }

    async fn resnapshot(&mut self, channel: &Channel) -> Flow {
        match self.hub.snapshot(self.competition, channel.clone()).await {
            Some(snapshot) => {
                self.last.insert(channel.clone(), snapshot.seq);
                self.send(snapshot.frame.clone()).await
            }
            None => Flow::Continue,
        }
    }

    /// Channels whose frames the hub dropped (the queue was full) get a fresh snapshot.
    async fn catch_up(&mut self) -> Flow {
        let lagged: Vec<(Uuid, Channel)> = match self.me.lagged.lock() {
            Ok(mut lagged) if !lagged.is_empty() => std::mem::take(&mut *lagged),
            _ => return Flow::Continue,
        };
        for (_, channel) in lagged {
            // What is still queued for it is stale now; the snapshot supersedes it.
            if self.subscriptions.values().any(|c| *c == channel)
                && matches!(self.resnapshot(&channel).await, Flow::Close)
            {
                return Flow::Close;
            }
        }
        Flow::Continue
    }

    async fn on_text(&mut self, text: &str) -> Flow {
        let message: ClientMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                return self
                    .send_error(
                        None,
                        ErrorCode::InvalidMessage,
                        &format!("expected {{\"auth\"|\"subscribe\"|\"unsubscribe\"}}: {e}"),
                    )
                    .await;
            }
        };
        if let Some(token) = &message.auth {
            match self.sessions.resolve(token).await {
                Ok(Some(caller)) => {
                    self.caller = Some(caller);
                    // What the token may see can differ from the public view.
                    let names: Vec<String> = self.subscriptions.keys().cloned().collect();
                    if matches!(self.subscribe(&names, &HashMap::new(), true).await, Flow::Close) {
                        return Flow::Close;
                    }
                }
                _ => {
                    if matches!(
                        self.send_error(None, ErrorCode::InvalidToken, "the token is unknown, expired or revoked")
                            .await,
                        Flow::Close
                    ) {
                        return Flow::Close;
                    }
                }
            }
        }
        for name in &message.unsubscribe {
            if let Some(channel) = self.subscriptions.remove(name) {
                self.last.remove(&channel);
                self.hub.unsubscribe(self.competition, channel, self.me.id);
            }
        }
        if message.auth.is_none() && message.subscribe.is_empty() && message.unsubscribe.is_empty() {
            return self
                .send_error(None, ErrorCode::InvalidMessage, "nothing to do: send auth, subscribe or unsubscribe")
                .await;
        }
        self.subscribe(&message.subscribe, &message.since, false).await
    }

    async fn subscribe(&mut self, names: &[String], since: &HashMap<String, i64>, resolve_again: bool) -> Flow {
        for name in names {
            let current = self.subscriptions.get(name).cloned();
            if current.is_none() && self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
                let flow = self.send_error(None, ErrorCode::TooManySubscriptions, "unsubscribe first").await;
                if matches!(flow, Flow::Close) {
                    return Flow::Close;
                }
                continue;
            }
            if current.is_some() && !resolve_again && !since.contains_key(name) {
                continue;
            }
            let since = if resolve_again { None } else { since.get(name).copied() };
            // The hub resolves the name with the policy against its current model and
            // registers this connection in one step.
            let subscribed =
                self.hub.subscribe(self.competition, self.caller.clone(), name.clone(), self.me.clone(), since).await;
            let (channel, first) = match subscribed {
                Ok(ok) => ok,
                Err((code, detail)) => {
                    if matches!(self.send_error(None, code, &detail).await, Flow::Close) {
                        return Flow::Close;
                    }
                    continue;
                }
            };
            match current {
                // Still the channel it was: after a new token, nothing changes for it.
                Some(old) if old == channel && resolve_again => continue,
                Some(old) if old != channel => {
                    self.last.remove(&old);
                    self.hub.unsubscribe(self.competition, old, self.me.id);
                }
                _ => {}
            }
            self.subscriptions.insert(name.clone(), channel.clone());
            // Replay (or snapshot) first; later hub frames continue from its seq.
            self.last.insert(channel.clone(), since.unwrap_or(0));
            for out in first {
                self.last.insert(channel.clone(), out.seq);
                if matches!(self.send(out.frame.clone()).await, Flow::Close) {
                    return Flow::Close;
                }
            }
        }
        Flow::Continue
    }
}
