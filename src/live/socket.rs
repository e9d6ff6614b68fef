//! The websocket endpoint: one task per connection, a `select!` over client messages,
//! hub frames and a heartbeat, that always unsubscribes on exit.
use super::channel::Channel;
use super::{Outbound, QUEUE, Subscriber, frame};
use crate::auth::{Caller, policy};
use crate::error::ApiError;
use crate::startup::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
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
pub struct LiveQuery {
    token: Option<String>,
}

/// Upgrades to a websocket carrying the competition's live channels.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/live", tag = "live",
    params(("token" = Option<String>, Query, description = "a bearer token, for clients that cannot send one in a first message")),
    responses((status = 101, description = "switching to the live protocol (docs/live-protocol.md)"), (status = 404, body = crate::error::Problem)))]
pub async fn live(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<LiveQuery>,
) -> Result<HttpResponse, ApiError> {
    let competition = state.engine.competition(&code).await?;
    let caller = match &query.token {
        Some(token) => Some(state.sessions.resolve(&state.db, token).await?.ok_or(ApiError::Unauthorized {
            code: "invalid_token",
            detail: "the token is unknown, expired or revoked".into(),
        })?),
        None => None,
    };
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::bad_request("websocket_required", format!("this endpoint speaks websocket: {e}")))?;
    let stream = stream.max_frame_size(MAX_MESSAGE).aggregate_continuations().max_continuation_size(MAX_MESSAGE);
    actix_web::rt::spawn(Connection::new(state.into_inner(), competition.id, caller, session).run(stream));
    Ok(response)
}

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

struct Connection {
    state: Arc<AppState>,
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
    fn new(state: Arc<AppState>, competition: Uuid, caller: Option<Caller>, session: Session) -> Connection {
        let (tx, rx) = mpsc::channel(QUEUE);
        let me = Subscriber { id: state.hub.next_subscriber_id(), tx, lagged: Arc::new(Mutex::new(Vec::new())) };
        Connection {
            state,
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
                        Some(Ok(AggregatedMessage::Binary(_))) => self.send_error(None, "invalid_message", "send JSON text frames").await,
                        Some(Ok(AggregatedMessage::Ping(bytes))) => self.pong(&bytes).await,
                        Some(Ok(AggregatedMessage::Pong(_))) => Flow::Continue,
                        Some(Ok(AggregatedMessage::Close(_))) | None => Flow::Close,
                        Some(Err(error)) => {
                            // A frame over the size limit, or not WebSocket at all.
                            let _ = self.send_error(None, "protocol_error", &error.to_string()).await;
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
            self.state.hub.unsubscribe(self.competition, channel, self.me.id);
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

    async fn send_error(&mut self, channel: Option<&Channel>, code: &str, detail: &str) -> Flow {
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
        match self.state.hub.snapshot(self.competition, channel) {
            Some(snapshot) => {
                self.last.insert(channel.clone(), snapshot.seq);
                self.send(snapshot.frame).await
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
                        "invalid_message",
                        &format!("expected {{\"auth\"|\"subscribe\"|\"unsubscribe\"}}: {e}"),
                    )
                    .await;
            }
        };
        if let Some(token) = &message.auth {
            match self.state.sessions.resolve(&self.state.db, token).await {
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
                        self.send_error(None, "invalid_token", "the token is unknown, expired or revoked").await,
                        Flow::Close
                    ) {
                        return Flow::Close;
                    }
                }
            }
        }
        for name in &message.unsubscribe {
            if let Some(channel) = self.subscriptions.remove(name) {
                self.state.hub.unsubscribe(self.competition, &channel, self.me.id);
                self.last.remove(&channel);
            }
        }
        if message.auth.is_none() && message.subscribe.is_empty() && message.unsubscribe.is_empty() {
            return self
                .send_error(None, "invalid_message", "nothing to do: send auth, subscribe or unsubscribe")
                .await;
        }
        self.subscribe(&message.subscribe, &message.since, false).await
    }

    /// Resolves a channel name against what the caller may see.
    fn resolve(&self, name: &str) -> Result<Channel, (&'static str, String)> {
        let model = self.state.engine.cached_model(self.competition).ok_or(("unavailable", "try again".to_owned()))?;
        if let Some(code) = name.strip_prefix("skill:") {
            let s = model.skill(code).ok_or(("unknown_channel", format!("no skill '{code}'")))?;
            let code = model.skills[s].code().to_owned();
            // Only those who may see unpublished results get the private channel. Everyone
            // else follows the public one, which shows results exactly while the skill is
            // published (and withdraws them on unlock), whatever it was when they subscribed.
            let privileged = self.caller.as_ref().is_some_and(|c| c.is_admin() || policy::is_chief_of(c, &model, s));
            return Ok(if privileged { Channel::Skill(code) } else { Channel::PublicSkill(code) });
        }
        if let Some(code) = name.strip_prefix("judge:") {
            let j = model.judge(code).ok_or(("unknown_channel", format!("no judge '{code}'")))?;
            let allowed = self.caller.as_ref().is_some_and(|c| c.is_admin() || policy::judge_in(c, &model) == Some(j));
            if !allowed {
                return Err(("forbidden", format!("only judge '{code}' and organizers may open this channel")));
            }
            return Ok(Channel::Judge(model.judges[j].code.clone()));
        }
        match name {
            "progress" => Ok(Channel::Progress),
            "medals" => Ok(Channel::Medals),
            _ => Err(("unknown_channel", format!("no channel '{name}'; see docs/live-protocol.md"))),
        }
    }

    async fn subscribe(&mut self, names: &[String], since: &HashMap<String, i64>, resolve_again: bool) -> Flow {
        for name in names {
            let channel = match self.resolve(name) {
                Ok(c) => c,
                Err((code, detail)) => {
                    if matches!(self.send_error(None, code, &detail).await, Flow::Close) {
                        return Flow::Close;
                    }
                    continue;
                }
            };
            let current = self.subscriptions.get(name).cloned();
            if current.as_ref() == Some(&channel) && (resolve_again || !since.contains_key(name)) {
                continue;
            }
            if current.is_none() && self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
                if matches!(self.send_error(None, "too_many_subscriptions", "unsubscribe first").await, Flow::Close) {
                    return Flow::Close;
                }
                continue;
            }
            if let Some(old) = current {
                self.state.hub.unsubscribe(self.competition, &old, self.me.id);
                self.last.remove(&old);
            }
            let Some(model) = self.state.engine.cached_model(self.competition) else { continue };
            let since = if resolve_again { None } else { since.get(name).copied() };
            let Some(first) = self.state.hub.subscribe(&model, &channel, self.me.clone(), since) else {
                continue;
            };
            self.subscriptions.insert(name.clone(), channel.clone());
            // Replay (or snapshot) first; later hub frames continue from its seq.
            let seq = since.unwrap_or(0);
            self.last.insert(channel.clone(), seq);
            for out in first {
                self.last.insert(channel.clone(), out.seq);
                if matches!(self.send(out.frame).await, Flow::Close) {
                    return Flow::Close;
                }
            }
        }
        Flow::Continue
    }
}
