//! PostgreSQL's LISTEN/NOTIFY, the relay between instances: a write's transaction notifies
//! (delivered on commit), and every instance listens.
use super::db::{Db, Tx};
use super::error::StoreError;
use sea_orm::{ConnectionTrait, Statement};

/// The one channel every instance listens on.
pub const CHANNEL: &str = "podium_live";

/// Sends a notification when the transaction commits.
pub async fn notify(tx: &Tx, payload: String) -> Result<(), StoreError> {
    let db = tx.conn();
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// Sends a notification now, outside any write (a log-out).
pub async fn notify_now(db: &Db, payload: String) -> Result<(), StoreError> {
    let tx = db.begin().await?;
    notify(&tx, payload).await?;
    tx.commit().await
}

/// A connection listening on [`CHANNEL`].
pub struct Listener(sea_orm::sqlx::postgres::PgListener);

impl Listener {
    pub async fn connect(db: &Db) -> Result<Listener, StoreError> {
        let pool = db.pool.get_postgres_connection_pool();
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Listener(listener))
    }

    /// The next notification's payload.
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        Ok(self.0.recv().await?.payload().to_owned())
    }
}
