//! Connecting to SQLite or PostgreSQL with the durability settings of DESIGN §5, running
//! the migrations, and write transactions.
use super::error::StoreError;
use super::sqlite_writer::SqliteWriter;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionOptions,
    TransactionTrait,
};
use std::time::Duration;

/// A handle on the database: cheap to clone (a connection pool). On SQLite, write
/// transactions have a connection of their own (`writer`): SQLite lets one writer in at a
/// time anyway, and one connection keeps its page cache warm across transactions, where
/// the pool's next connection would first find its cache stale (another connection wrote)
/// and read the pages again.
#[derive(Clone, Debug)]
pub struct Db {
    pub(super) pool: DatabaseConnection,
    writer: Option<DatabaseConnection>,
    /// SQLite on a file: groups of marks are stored through this one (see its module).
    marks: Option<SqliteWriter>,
}

impl Db {
    /// Connects and runs the migrations.
    pub async fn connect(url: &str) -> Result<Db, DbErr> {
        if !url.starts_with("sqlite:") {
            // Ping only a connection idle long enough that the server or the network may
            // have dropped it; a busy one goes straight to its transaction.
            let mut options = base_options(url);
            options.max_connections(16).test_before_acquire_if_idle_for(Duration::from_secs(30));
            let db = Database::connect(options).await?;
            Migrator::up(&db, None).await?;
            return Ok(Db { pool: db, writer: None, marks: None });
        }
        let db = Database::connect(sqlite_options(url, 8)).await?;
        Migrator::up(&db, None).await?;
        let writer = Database::connect(sqlite_options(url, 1)).await?;
        let marks = SqliteWriter::open(url).map_err(|e| DbErr::Custom(e.to_string()))?;
        Ok(Db { pool: db, writer: Some(writer), marks })
    }

    /// Whether this is PostgreSQL (several instances may share it).
    pub fn is_postgres(&self) -> bool {
        self.pool.get_database_backend() == DbBackend::Postgres
    }

    /// The writer of groups of marks, on SQLite with a file.
    pub fn mark_writer(&self) -> Option<&SqliteWriter> {
        self.marks.as_ref()
    }

    /// Whether this is SQLite (one instance, one file).
    pub fn is_sqlite(&self) -> bool {
        self.pool.get_database_backend() == DbBackend::Sqlite
    }

    /// How the connection pool is used now.
    pub fn pool_use(&self) -> PoolUse {
        fn of<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> PoolUse {
            PoolUse { open: pool.size(), idle: pool.num_idle(), max: pool.options().get_max_connections() }
        }
        match self.pool.get_database_backend() {
            DbBackend::Postgres => of(self.pool.get_postgres_connection_pool()),
            DbBackend::Sqlite => of(self.pool.get_sqlite_connection_pool()),
            _ => PoolUse::default(),
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.pool.ping().await?)
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once (`IMMEDIATE`),
    /// so a transaction never fails half-way because another writer got there first.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let txn = match &self.writer {
            Some(writer) => {
                writer
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?
            }
            None => self.pool.begin().await?,
        };
        Ok(Tx(txn))
    }
}

fn base_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    options
}

/// A pool of `connections` on an SQLite file. WAL lets readers run beside the one writer;
/// `synchronous=FULL` makes every acknowledged commit survive `kill -9` and power loss. A
/// file beside the process cannot drop a connection: no ping on checkout (a round trip to
/// the connection's thread on every transaction).
fn sqlite_options(url: &str, connections: u32) -> ConnectOptions {
    let mut options = base_options(url);
    options.max_connections(connections).min_connections(1).test_before_acquire(false);
    options.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Rows of a big read (an export's or a backup's marks) reach the reading task in
            // bursts rather than in a hand-off per row. The cold load reads on one thread
            // instead (`sqlite_marks`).
            .row_buffer_size(1024)
    });
    options
}

/// Connections of the pool: open, idle among them, and the most it opens.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolUse {
    pub open: u32,
    pub idle: usize,
    pub max: u32,
}

/// A write transaction; dropped without `commit`, it rolls back.
pub struct Tx(pub(super) DatabaseTransaction);

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.0.rollback().await?)
    }

    pub(super) fn conn(&self) -> &DatabaseTransaction {
        &self.0
    }
}
