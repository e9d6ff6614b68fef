//! The connections the hub serves: who each caller is, what each subscribed to, and what
//! they may still see when their session ends or the competition changes.
use super::{ConnReg, HubState, Subs};
use crate::error::ErrorCode;
use crate::live::frame::Frame;
use crate::live::shard::{ShardId, ShardMsg};
use crate::live::{ConnId, MAX_SUBSCRIPTIONS};
use crate::model::{Caller, Channel, policy};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use uuid::Uuid;

/// What a client asked, parsed (its token already resolved by the connection).
#[derive(Debug, Default)]
pub struct ClientRequest {
    /// A new caller from an `auth` message.
    pub auth: Option<Caller>,
    pub subscribe: Vec<String>,
    pub since: std::collections::HashMap<String, i64>,
    pub unsubscribe: Vec<String>,
}

/// Why a connection drops to a narrower view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    Session(Uuid),
    Judge(Uuid),
}

impl HubState {
    pub fn connect(&mut self, conn: ConnId, shard: ShardId, competition: Uuid, caller: Option<Caller>) {
        let reg = ConnReg { shard, competition, caller, subs: Subs::default(), replays: VecDeque::new() };
        self.conns.insert(conn, reg);
    }

    pub fn disconnect(&mut self, conn: ConnId) {
        let Some(reg) = self.conns.remove(&conn) else { return };
        self.stats.subscriptions.fetch_sub(reg.subs.len(), Ordering::Relaxed);
        if let Some(hub) = self.competitions.get_mut(&reg.competition) {
            for channel in reg.subs.values() {
                if let Some(state) = hub.channels.get_mut(channel) {
                    state.subscribers.remove(&conn);
                }
            }
        }
    }

    fn error(&self, shard: ShardId, conn: ConnId, code: ErrorCode, detail: &str) {
        let frame = Arc::new(Frame::control("error", &json!({ "code": code, "detail": detail })));
        self.send(shard, ShardMsg::Send { conn, frame });
    }

    /// A client's `auth`, `subscribe` (with `since`) and `unsubscribe`.
    pub fn request(&mut self, conn: ConnId, request: ClientRequest, now: Instant) {
        let Some(reg) = self.conns.get_mut(&conn) else { return };
        if let Some(caller) = request.auth {
            reg.caller = Some(caller);
            // What the token may see can differ from the public view.
            self.resubscribe(conn, false);
        }
        for name in &request.unsubscribe {
            self.unsubscribe(conn, name);
        }
        for name in &request.subscribe {
            self.subscribe(conn, name, request.since.get(name).copied(), now);
        }
    }

    fn unsubscribe(&mut self, conn: ConnId, name: &str) {
        let Some(reg) = self.conns.get_mut(&conn) else { return };
        let Some(channel) = reg.subs.remove(name) else { return };
        self.stats.subscriptions.fetch_sub(1, Ordering::Relaxed);
        let (shard, competition) = (reg.shard, reg.competition);
        if let Some(state) = self.competitions.get_mut(&competition).and_then(|h| h.channels.get_mut(&channel)) {
            state.subscribers.remove(&conn);
        }
        self.send(shard, ShardMsg::Unsubscribed { conn, competition, channel });
    }

    /// Subscribes a connection to what its caller may see of a channel name; the first
    /// frames (the replay after `since`, or a snapshot) go out ahead of any later frame.
    fn subscribe(&mut self, conn: ConnId, name: &str, since: Option<i64>, now: Instant) {
        let window = self.config.replay_window;
        let limit = self.config.replays;
        let Some(reg) = self.conns.get_mut(&conn) else { return };
        let (shard, competition) = (reg.shard, reg.competition);
        if !reg.subs.contains_key(name) && reg.subs.len() >= MAX_SUBSCRIPTIONS {
            return self.error(shard, conn, ErrorCode::TooManySubscriptions, "unsubscribe first");
        }
        // Replays are bounded per connection and window; beyond, a snapshot serves.
        while reg.replays.front().is_some_and(|t| now.duration_since(*t) > window) {
            reg.replays.pop_front();
        }
        let since = since.filter(|_| reg.replays.len() < limit);
        if since.is_some() {
            reg.replays.push_back(now);
        }
        let caller = reg.caller.clone();
        let current = reg.subs.get(name).cloned();
        let Some(hub) = self.competitions.get(&competition) else {
            return self.error(shard, conn, ErrorCode::Unavailable, "the competition is loading; try again");
        };
        let channel = match policy::channel(caller.as_ref(), &hub.model, name) {
            Ok(channel) => channel,
            Err((code, detail)) => return self.error(shard, conn, code, &detail),
        };
        if current.as_ref() == Some(&channel) && since.is_none() {
            return; // subscribed already
        }
        self.attach(conn, name, channel, since);
    }

    /// Registers a connection on a channel and sends it what it lacks.
    fn attach(&mut self, conn: ConnId, name: &str, channel: Channel, since: Option<i64>) {
        let Some(reg) = self.conns.get_mut(&conn) else { return };
        let (shard, competition) = (reg.shard, reg.competition);
        let previous = reg.subs.insert(name.to_owned(), channel.clone());
        if previous.is_none() {
            self.stats.subscriptions.fetch_add(1, Ordering::Relaxed);
        }
        let replaced = previous.filter(|old| *old != channel);
        let first = self.catch_up(competition, &channel, since).unwrap_or_default();
        let Some(hub) = self.competitions.get_mut(&competition) else { return };
        if let Some(old) = &replaced
            && let Some(state) = hub.channels.get_mut(old)
        {
            state.subscribers.remove(&conn);
        }
        hub.channels.entry(channel.clone()).or_default().subscribers.insert(conn, shard);
        self.send(shard, ShardMsg::Subscribed { conn, competition, channel, replaced, since, first });
    }

    /// Checks every subscription of a connection against its caller and the current model:
    /// a channel it may no longer read is left (or traded for its public view, with a fresh
    /// snapshot). When rights were cut (`revoked`, or a channel narrowed) the client hears
    /// so first, before any frame of the narrower view.
    pub(super) fn resubscribe(&mut self, conn: ConnId, revoked: bool) {
        let Some(reg) = self.conns.get(&conn) else { return };
        let (shard, competition) = (reg.shard, reg.competition);
        let Some(hub) = self.competitions.get(&competition) else { return };
        let mut moves = Vec::new();
        let mut narrowed = false;
        for (name, channel) in reg.subs.iter() {
            match policy::channel(reg.caller.as_ref(), &hub.model, name) {
                Ok(allowed) if allowed == *channel => {}
                Ok(allowed) => {
                    narrowed |= matches!(allowed, Channel::PublicSkill(_));
                    moves.push((name.clone(), Some(allowed)));
                }
                Err(_) => {
                    narrowed = true;
                    moves.push((name.clone(), None));
                }
            }
        }
        if revoked || narrowed {
            let reason = if revoked { "your session ended" } else { "your rights changed" };
            let frame = Arc::new(Frame::control("revoked", &json!({ "reason": reason })));
            self.send(shard, ShardMsg::Send { conn, frame });
        }
        for (name, allowed) in moves {
            match allowed {
                Some(channel) => self.attach(conn, &name, channel, None),
                None => self.unsubscribe(conn, &name),
            }
        }
    }

    /// Re-checks every connection of a competition (its registration changed).
    pub(super) fn recheck(&mut self, competition: Uuid, revoked: bool) {
        let conns: Vec<ConnId> =
            self.conns.iter().filter(|(_, r)| r.competition == competition).map(|(id, _)| *id).collect();
        for conn in conns {
            self.resubscribe(conn, revoked);
        }
    }

    /// A session was logged out or a judge's sessions were revoked: their connections drop
    /// to the public view.
    pub fn revoke(&mut self, revocation: Revocation) {
        let hit: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, r)| {
                r.caller.as_ref().is_some_and(|c| match revocation {
                    Revocation::Session(id) => c.session_id == id,
                    Revocation::Judge(id) => c.judge.as_ref().is_some_and(|j| j.id == id),
                })
            })
            .map(|(id, _)| *id)
            .collect();
        for conn in hit {
            if let Some(reg) = self.conns.get_mut(&conn) {
                reg.caller = None;
            }
            self.resubscribe(conn, true);
        }
    }

    /// Sessions that expired: their connections drop to the public view.
    pub fn expire(&mut self, now: chrono::DateTime<chrono::Utc>) {
        let expired: Vec<Uuid> = self
            .conns
            .values()
            .filter_map(|r| r.caller.as_ref().filter(|c| c.expires_at <= now).map(|c| c.session_id))
            .collect();
        for session in expired {
            self.revoke(Revocation::Session(session));
        }
    }

    /// A connection fell behind on a channel (its queue was full): what it lacks.
    pub fn behind(&mut self, conn: ConnId, competition: Uuid, channel: Channel, last: i64) {
        let Some(shard) = self.conns.get(&conn).filter(|r| r.subs.values().any(|c| *c == channel)).map(|r| r.shard)
        else {
            return;
        };
        if let Some(frames) = self.catch_up(competition, &channel, Some(last)) {
            for frame in frames {
                self.send(shard, ShardMsg::CatchUp { conn, channel: channel.clone(), frame });
            }
        }
    }
}
