//! Listening to the other instances sharing a PostgreSQL database: each of their writes is
//! re-read into this instance's model, and its live changes reach this instance's viewers
//! with the same sequence numbers.
use super::Engine;
use crate::auth::Sessions;
use crate::live::{Hub, Revocation, relay};
use crate::store::notify::Listener;
use crate::store::{Db, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// Starts listening, and returns once this instance hears the other instances' writes: a
/// server that took requests before would miss what they write meanwhile. Listens until the
/// process ends, reconnecting after errors.
pub async fn start_listener(db: Db, engine: Engine, hub: Hub, sessions: Arc<Sessions>) -> Result<(), StoreError> {
    let mut listener = Some(Listener::connect(&db).await?);
    tokio::spawn(async move {
        loop {
            let connected = match listener.take() {
                Some(listener) => Ok(listener),
                None => Listener::connect(&db).await,
            };
            let stopped = match connected {
                Ok(listener) => listen(listener, &engine, &hub, &sessions).await,
                Err(error) => Err(error),
            };
            if let Err(error) = stopped {
                tracing::warn!(%error, "live relay: listening failed; retrying");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    Ok(())
}

async fn listen(mut listener: Listener, engine: &Engine, hub: &Hub, sessions: &Sessions) -> Result<(), StoreError> {
    loop {
        let payload = listener.recv().await?;
        let Some(notice) = relay::decode(&payload) else { continue };
        if notice.instance() == engine.instance() {
            continue;
        }
        let (competition, numbered) = match notice {
            relay::Notice::Changes { competition, changes, .. } => (competition, changes),
            relay::Notice::Revoked { revocation, .. } => {
                match revocation {
                    Revocation::Session(id) => sessions.forget_session(id),
                    Revocation::Judge(id) => sessions.forget_judge(id),
                }
                hub.revoke(revocation);
                continue;
            }
        };
        // The model first, so snapshots and REST reads show the new state.
        let model = match engine.refresh(competition).await {
            Ok(Some(model)) => model,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "live relay: refreshing a competition failed");
                continue;
            }
        };
        let changes = relay::changes(numbered, &model);
        // The refresh handed the hub the new model already, and with it every subscription was
        // checked against the policy again.
        hub.publish(model, changes, false);
    }
}
