//! One live connection after the upgrade: it reads and answers the client's messages,
//! keeps the heartbeat, and waits for the socket to drain when its queue is not empty.
//! Frames of the channels are written by the shard, not here.
use super::frame::{self, Frame};
use super::hub::ClientRequest;
use super::shard::{Shard, Wire};
use super::socket::Socket;
use super::{Hub, MAX_MESSAGE, Permit};
use crate::auth::Sessions;
use crate::error::ErrorCode;
use crate::model::Caller;
use actix_codec::Decoder;
use actix_http::ws::{Codec, Frame as ClientFrame, Item, ProtocolError};
use bytes::{Bytes, BytesMut};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use uuid::Uuid;

/// Idle sockets get a heartbeat this often (browsers cannot see ping frames).
const HEARTBEAT: Duration = Duration::from_secs(15);
/// A client that sends nothing (not even a pong) for this long is gone.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(45);
/// Client messages: a burst of this many, then this many a second.
const BURST: f64 = 20.0;
const PER_SECOND: f64 = 10.0;
/// Messages over the rate a client may send before it is disconnected (close 1008).
const MAX_VIOLATIONS: u32 = 50;

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

/// A token bucket for one connection's messages.
struct Bucket {
    tokens: f64,
    at: Instant,
    violations: u32,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * PER_SECOND).min(BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.violations += 1;
            false
        }
    }
}

/// Why the loop ends, and what the client is told.
enum Close {
    Quietly,
    With(u16, &'static str),
}

struct Connection {
    hub: Hub,
    sessions: Arc<Sessions>,
    shard: Shard,
    id: super::ConnId,
    /// Client bytes not yet decoded; released whenever empty.
    buf: BytesMut,
    codec: Codec,
    partial: Option<BytesMut>,
    bucket: Bucket,
    last_heard: Instant,
}

/// Serves an upgraded socket until it closes. `leftover` holds bytes read with the request.
pub async fn serve(
    hub: Hub,
    sessions: Arc<Sessions>,
    stream: Socket,
    leftover: BytesMut,
    competition: Uuid,
    caller: Option<Caller>,
    permit: Permit,
) {
    let shard = Shard::current(&hub);
    let id = hub.next_conn_id();
    let stream = Rc::new(stream);
    let wake = Rc::new(Notify::new());
    shard.attach(id, competition, stream.clone() as Rc<dyn Wire>, wake.clone());
    hub.connect(id, shard.id(), competition, caller);
    let now = Instant::now();
    let mut connection = Connection {
        hub: hub.clone(),
        sessions,
        shard: shard.clone(),
        id,
        buf: leftover,
        codec: Codec::new().max_size(MAX_MESSAGE),
        partial: None,
        bucket: Bucket { tokens: BURST, at: now, violations: 0 },
        last_heard: now,
    };
    let close = connection.run(&stream, &wake).await;
    if let Close::With(code, reason) = close {
        shard.send(id, &frame::close_frame(code, reason));
        // What is queued, the close frame last, gets a moment to reach the client; then the
        // socket lingers until the client closes, reading what it still sends: closing a
        // socket with unread input resets it, and the client would lose the close frame.
        let _ = tokio::time::timeout(Duration::from_secs(1), poll_fn(|cx| shard.poll_flush(id, cx))).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown_write()).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.drain()).await;
    }
    shard.detach(id);
    hub.disconnect(id);
    drop(permit);
}

impl Connection {
    async fn run(&mut self, stream: &Socket, wake: &Notify) -> Close {
        if !self.buf.is_empty()
            && let Some(close) = self.decode().await
        {
            return close;
        }
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.reset();
        loop {
            let (pending, broken, last_sent) = self.shard.status(self.id);
            if broken {
                return Close::Quietly;
            }
            let step = tokio::select! {
                biased;
                () = poll_fn(|cx| self.shard.poll_flush(self.id, cx)), if pending => None,
                () = wake.notified() => None,
                ready = stream.readable() => match ready {
                    // Boxed: a client message is rare, and the state of handling one would
                    // otherwise be part of every idle connection's future.
                    Ok(()) => Box::pin(self.read(stream)).await,
                    Err(_) => Some(Close::Quietly),
                },
                _ = heartbeat.tick() => self.heartbeat(last_sent),
            };
            if let Some(close) = step {
                return close;
            }
        }
    }

    async fn read(&mut self, stream: &Socket) -> Option<Close> {
        if self.buf.capacity() - self.buf.len() < 512 {
            self.buf.reserve(2048);
        }
        match stream.try_read_buf(&mut self.buf) {
            Ok(0) => return Some(Close::Quietly),
            Ok(_) => self.last_heard = Instant::now(),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return None,
            Err(_) => return Some(Close::Quietly),
        }
        let close = self.decode().await;
        if self.buf.is_empty() {
            // An idle connection holds no read buffer.
            self.buf = BytesMut::new();
        }
        close
    }

    async fn decode(&mut self) -> Option<Close> {
        loop {
            match self.codec.decode(&mut self.buf) {
                Ok(None) => return None,
                Ok(Some(message)) => {
                    if let Some(close) = self.on_frame(message).await {
                        return Some(close);
                    }
                }
                Err(ProtocolError::Overflow) => return Some(Close::With(1009, "message too big")),
                Err(_) => return Some(Close::With(1002, "not the websocket protocol")),
            }
        }
    }

    async fn on_frame(&mut self, message: ClientFrame) -> Option<Close> {
        match message {
            ClientFrame::Text(text) => self.on_text(&text).await,
            ClientFrame::Binary(_) => self.error(ErrorCode::InvalidMessage, "send JSON text frames"),
            ClientFrame::Continuation(item) => {
                let (last, bytes) = match item {
                    Item::FirstText(b) | Item::FirstBinary(b) => {
                        self.partial = Some(BytesMut::new());
                        (false, b)
                    }
                    Item::Continue(b) => (false, b),
                    Item::Last(b) => (true, b),
                };
                let partial = self.partial.get_or_insert_with(BytesMut::new);
                if partial.len() + bytes.len() > MAX_MESSAGE {
                    return Some(Close::With(1009, "message too big"));
                }
                partial.extend_from_slice(&bytes);
                if last && let Some(whole) = self.partial.take() {
                    return self.on_text(&whole.freeze()).await;
                }
                None
            }
            ClientFrame::Ping(payload) => {
                self.shard.send(self.id, &frame::pong_frame(&payload));
                None
            }
            ClientFrame::Pong(_) => None,
            ClientFrame::Close(_) => Some(Close::With(1000, "bye")),
        }
    }

    fn error(&mut self, code: ErrorCode, detail: &str) -> Option<Close> {
        let frame = Frame::control("error", &json!({ "code": code, "detail": detail }));
        self.shard.send(self.id, &frame.bytes);
        None
    }

    async fn on_text(&mut self, text: &Bytes) -> Option<Close> {
        if !self.bucket.take(Instant::now()) {
            if self.bucket.violations > MAX_VIOLATIONS {
                return Some(Close::With(1008, "too many messages"));
            }
            return self.error(ErrorCode::TooManyRequests, "too many messages; slow down");
        }
        let message: ClientMessage = match serde_json::from_slice(text) {
            Ok(m) => m,
            Err(e) => {
                let detail = format!("expected {{\"auth\"|\"subscribe\"|\"unsubscribe\"}}: {e}");
                return self.error(ErrorCode::InvalidMessage, &detail);
            }
        };
        if message.auth.is_none() && message.subscribe.is_empty() && message.unsubscribe.is_empty() {
            return self.error(ErrorCode::InvalidMessage, "nothing to do: send auth, subscribe or unsubscribe");
        }
        let mut request = ClientRequest {
            auth: None,
            subscribe: message.subscribe,
            since: message.since,
            unsubscribe: message.unsubscribe,
        };
        if let Some(token) = &message.auth {
            // Boxed: the lookup's state would otherwise be part of every idle connection.
            match Box::pin(self.sessions.resolve(token)).await {
                Ok(Some(caller)) => request.auth = Some(caller),
                _ => {
                    self.error(ErrorCode::InvalidToken, "the token is unknown, expired or revoked");
                }
            }
        }
        self.hub.request(self.id, request);
        None
    }

    fn heartbeat(&mut self, last_sent: Instant) -> Option<Close> {
        if self.last_heard.elapsed() > CLIENT_TIMEOUT {
            return Some(Close::With(1001, "no answer"));
        }
        self.shard.send(self.id, &frame::ping_frame());
        if last_sent.elapsed() >= HEARTBEAT - Duration::from_millis(500) {
            let frame = Frame::control("heartbeat", &serde_json::Value::Null);
            self.shard.send(self.id, &frame.bytes);
        }
        None
    }
}
