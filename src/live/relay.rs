//! Scale-out on PostgreSQL: every committed write notifies one channel with the live changes
//! it numbered; every instance listens, refreshes its model of that competition and passes
//! the same frames, with the same sequence numbers, to its own viewers. This module is the
//! notifications' wire format; the engine sends and receives them.
use super::Revocation;
use super::channel::{self, Change, ChangeKind};
use crate::model::{Channel, Competition};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// PostgreSQL refuses payloads of 8000 bytes or more; larger changes travel as "fetch a
/// snapshot" markers.
const MAX_PAYLOAD: usize = 7000;

/// What one instance tells the others.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A write's numbered live changes (re-read the competition, pass the frames on).
    Changes { instance: Uuid, competition: Uuid, changes: Vec<Numbered> },
    /// A session, or every session of a judge, ended: its sockets drop to the public view.
    Revoked { instance: Uuid, revocation: Revocation },
}

impl Notice {
    pub fn instance(&self) -> Uuid {
        match self {
            Notice::Changes { instance, .. } | Notice::Revoked { instance, .. } => *instance,
        }
    }
}

/// The notification of a revocation.
pub fn encode_revocation(instance: Uuid, revocation: Revocation) -> String {
    serde_json::to_string(&Notice::Revoked { instance, revocation }).unwrap_or_default()
}

#[derive(Serialize, Deserialize)]
pub struct Numbered {
    channel: String,
    seq: i64,
    snapshot: bool,
    /// `None` when too large for a notification: receivers send a fresh snapshot.
    data: Option<Value>,
}

/// The notifications of one write: several when one would be too large (they arrive in
/// order); a change too large on its own travels without its data.
pub fn encode(instance: Uuid, competition: Uuid, changes: &[(Change, i64)]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut batch: Vec<Numbered> = Vec::new();
    let mut size = 0;
    let flush = |batch: &mut Vec<Numbered>, payloads: &mut Vec<String>| {
        let notice = Notice::Changes { instance, competition, changes: std::mem::take(batch) };
        payloads.push(serde_json::to_string(&notice).unwrap_or_default());
    };
    for (change, seq) in changes {
        let data = Some(change.data.clone()).filter(|d| d.to_string().len() < MAX_PAYLOAD - 200);
        let numbered =
            Numbered { channel: change.channel.key(), seq: *seq, snapshot: change.kind == ChangeKind::Snapshot, data };
        let len = serde_json::to_string(&numbered).map_or(0, |t| t.len());
        if !batch.is_empty() && size + len > MAX_PAYLOAD - 200 {
            flush(&mut batch, &mut payloads);
            size = 0;
        }
        size += len;
        batch.push(numbered);
    }
    if !batch.is_empty() || payloads.is_empty() {
        // A write with no live change still tells the other instances to refresh.
        flush(&mut batch, &mut payloads);
    }
    payloads
}

pub fn decode(payload: &str) -> Option<Notice> {
    serde_json::from_str(payload).ok()
}

/// The numbered changes of a notice, against the refreshed model for those sent without data.
pub fn changes(numbered: Vec<Numbered>, model: &Competition) -> Vec<(Change, i64)> {
    {
        numbered
            .into_iter()
            .filter_map(|n| {
                let channel = Channel::from_key(&n.channel)?;
                let (kind, data) = match n.data {
                    Some(data) if !n.snapshot => (ChangeKind::Delta, data),
                    Some(data) => (ChangeKind::Snapshot, data),
                    None => (ChangeKind::Snapshot, channel::snapshot(model, &channel)?),
                };
                Some((Change { channel, kind, data }, n.seq))
            })
            .collect()
    }
}
