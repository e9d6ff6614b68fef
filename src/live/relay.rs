//! Scale-out on PostgreSQL: every committed write NOTIFYs one channel with the live
//! changes it numbered; every instance LISTENs, refreshes its cached model of that
//! competition and passes the same frames, with the same sequence numbers, to its own
//! viewers. No broker beyond the database.
use super::Hub;
use super::channel::{Change, ChangeKind, Channel};
use crate::service::Engine;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

pub const CHANNEL: &str = "podium_live";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; larger changes travel as
/// "fetch a snapshot" markers.
const MAX_PAYLOAD: usize = 7000;

#[derive(Serialize, Deserialize)]
struct Notice {
    instance: Uuid,
    competition: Uuid,
    changes: Vec<Numbered>,
}

#[derive(Serialize, Deserialize)]
struct Numbered {
    channel: String,
    seq: i64,
    snapshot: bool,
    /// `None` when too large for a notification: receivers send a fresh snapshot.
    data: Option<Value>,
}

pub async fn notify(
    txn: &impl ConnectionTrait,
    instance: Uuid,
    competition: Uuid,
    changes: &[(Change, i64)],
) -> Result<(), DbErr> {
    // Several notifications when one would be too large (they arrive in order); a change too
    // large on its own travels without its data and receivers send a fresh snapshot.
    let mut batch: Vec<Numbered> = Vec::new();
    let mut size = 0;
    for (change, seq) in changes {
        let data = Some(change.data.clone()).filter(|d| d.to_string().len() < MAX_PAYLOAD - 200);
        let numbered =
            Numbered { channel: change.channel.key(), seq: *seq, snapshot: change.kind == ChangeKind::Snapshot, data };
        let len = serde_json::to_string(&numbered).map_or(0, |t| t.len());
        if !batch.is_empty() && size + len > MAX_PAYLOAD - 200 {
            send(txn, &Notice { instance, competition, changes: std::mem::take(&mut batch) }).await?;
            size = 0;
        }
        size += len;
        batch.push(numbered);
    }
    if !batch.is_empty() {
        send(txn, &Notice { instance, competition, changes: batch }).await?;
    }
    Ok(())
}

async fn send(txn: &impl ConnectionTrait, notice: &Notice) -> Result<(), DbErr> {
    let payload = serde_json::to_string(notice).unwrap_or_default();
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// Listens for other instances' writes until the process ends, reconnecting on errors.
pub fn spawn_listener(db: DatabaseConnection, engine: Engine, hub: Hub) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = listen(&db, &engine, &hub).await {
                tracing::warn!(%error, "live relay: listening failed; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen(db: &DatabaseConnection, engine: &Engine, hub: &Hub) -> Result<(), sea_orm::sqlx::Error> {
    let pool = db.get_postgres_connection_pool();
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        let notification = listener.recv().await?;
        let Ok(notice) = serde_json::from_str::<Notice>(notification.payload()) else { continue };
        if notice.instance == engine.instance() {
            continue;
        }
        // The cached model first, so snapshots and REST reads show the new state.
        if let Err(error) = engine.refresh(notice.competition).await {
            tracing::warn!(%error, "live relay: refreshing a competition failed");
            continue;
        }
        let Ok(model) = engine.competition(&notice.competition.to_string()).await else { continue };
        let changes: Vec<(Change, i64)> = notice
            .changes
            .into_iter()
            .filter_map(|n| {
                let channel = Channel::from_key(&n.channel)?;
                let (kind, data) = match n.data {
                    Some(data) if !n.snapshot => (ChangeKind::Delta, data),
                    Some(data) => (ChangeKind::Snapshot, data),
                    None => (ChangeKind::Snapshot, super::channel::snapshot(&model, &channel)?),
                };
                Some((Change { channel, kind, data }, n.seq))
            })
            .collect();
        hub.publish(&model, &changes);
    }
}
