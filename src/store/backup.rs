//! Backups: every table but sessions and tablet heartbeats, read in one snapshot and written as a versioned,
//! self-checking JSON-lines file; and restoring such a file into an empty database of
//! either kind, in one transaction.
//!
//! The file is a header line (`format`, `version`, the migrations the schema had, the row
//! count of each table), one line per row (`{"table": …, "row": …}`, tables parents first,
//! rows in primary-key order), and a footer line with the counts again and the SHA-256 of
//! every byte before it. A truncated file has no footer (or a wrong one); a changed byte
//! breaks the hash; either is refused before anything is stored.
//!
//! Rows travel as the entities' own serde form, so a value means the same on SQLite and
//! PostgreSQL (UUIDs, timestamps, JSON), and primary keys — mark `seq`, audit ids — are
//! kept, so marks keep their order.
use super::db::Db;
use entity as e;
use futures_util::future::BoxFuture;
use sea_orm::{
    AccessMode, ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    IsolationLevel, Iterable, PaginatorTrait, PrimaryKeyToColumn, PrimaryKeyTrait, QueryOrder, Statement,
    TransactionTrait,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// The `format` of a backup file's header.
pub const FORMAT: &str = "podium.backup";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("not a usable backup: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Incompatible(String),
    #[error("the target database is not empty ({0}); restore only into a new, empty database")]
    NotEmpty(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

/// The first line of a backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// `sqlite` or `postgres`: where it was taken.
    pub source: String,
    /// The migrations applied to the source database: the schema of the rows.
    pub migrations: Vec<String>,
    /// Rows per table, in the order they follow.
    pub tables: BTreeMap<String, u64>,
}

/// The last line of a backup.
#[derive(Debug, Serialize, Deserialize)]
struct Footer {
    end: FooterBody,
}

#[derive(Debug, Serialize, Deserialize)]
struct FooterBody {
    tables: BTreeMap<String, u64>,
    /// Hex SHA-256 of every byte before the footer line.
    sha256: String,
}

#[derive(Serialize)]
struct RowOut<'a, M> {
    table: &'a str,
    row: &'a M,
}

#[derive(Deserialize)]
struct RowIn {
    table: String,
    row: Value,
}

/// What a backup holds (or a restore stored).
#[derive(Debug, Clone)]
pub struct Summary {
    pub tables: BTreeMap<String, u64>,
    pub bytes: usize,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.tables.values().sum()
    }
}

/// One table's copying, written once for every entity.
trait Table: Send + Sync {
    fn name(&self) -> &'static str;
    fn count<'a>(&'a self, c: &'a DatabaseTransaction) -> BoxFuture<'a, Result<u64, DbErr>>;
    /// Appends the table's rows, one JSON line each, in primary-key order.
    fn dump<'a>(&'a self, c: &'a DatabaseTransaction, out: &'a mut Vec<u8>) -> BoxFuture<'a, Result<u64, DbErr>>;
    fn load<'a>(&'a self, c: &'a DatabaseTransaction, rows: Vec<Value>) -> BoxFuture<'a, Result<(), BackupError>>;
    /// PostgreSQL: moves an auto-increment key's sequence past the restored keys.
    fn after_load<'a>(&'a self, c: &'a DatabaseTransaction) -> BoxFuture<'a, Result<(), DbErr>>;
}

struct Rows<E>(PhantomData<E>);

impl<E> Table for Rows<E>
where
    E: EntityTrait + Sync,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel> + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    fn name(&self) -> &'static str {
        E::default().table_name()
    }

    fn count<'a>(&'a self, c: &'a DatabaseTransaction) -> BoxFuture<'a, Result<u64, DbErr>> {
        Box::pin(async move { E::find().count(c).await })
    }

    fn dump<'a>(&'a self, c: &'a DatabaseTransaction, out: &'a mut Vec<u8>) -> BoxFuture<'a, Result<u64, DbErr>> {
        Box::pin(async move {
            let mut query = E::find();
            for key in E::PrimaryKey::iter() {
                query = query.order_by_asc(key.into_column());
            }
            let table = self.name();
            let mut n = 0;
            for row in query.all(c).await? {
                serde_json::to_writer(&mut *out, &RowOut { table, row: &row })
                    .map_err(|error| DbErr::Custom(format!("{table}: {error}")))?;
                out.push(b'\n');
                n += 1;
            }
            Ok(n)
        })
    }

    fn load<'a>(&'a self, c: &'a DatabaseTransaction, rows: Vec<Value>) -> BoxFuture<'a, Result<(), BackupError>> {
        Box::pin(async move {
            let table = self.name();
            // Both databases cap the parameters of one statement (SQLite 32766, PostgreSQL
            // 65535): stay well below either.
            let per_insert = (8000 / E::Column::iter().count().max(1)).max(1);
            let mut models = Vec::with_capacity(per_insert);
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                models.clear();
                for row in rows.by_ref().take(per_insert) {
                    let model: E::Model = serde_json::from_value(row).map_err(|error| {
                        BackupError::Incompatible(format!("a row of {table} does not fit: {error}"))
                    })?;
                    models.push(model.into_active_model());
                }
                E::insert_many(models.drain(..)).exec_without_returning(c).await?;
            }
            Ok(())
        })
    }

    fn after_load<'a>(&'a self, c: &'a DatabaseTransaction) -> BoxFuture<'a, Result<(), DbErr>> {
        Box::pin(async move {
            if c.get_database_backend() != DbBackend::Postgres || !E::PrimaryKey::auto_increment() {
                return Ok(());
            }
            let table = self.name();
            let columns: Vec<&str> =
                E::PrimaryKey::iter().map(|key| sea_orm::IdenStatic::as_str(&key.into_column())).collect();
            for column in columns {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), \
                     (SELECT COALESCE(MAX(\"{column}\"), 0) + 1 FROM \"{table}\"), false)"
                );
                c.execute_unprepared(&sql).await?;
            }
            Ok(())
        })
    }
}

fn rows<E>() -> Box<dyn Table>
where
    Rows<E>: Table + 'static,
{
    Box::new(Rows::<E>(PhantomData))
}

/// Every table that a backup holds, parents before children (the order of a restore).
/// Sessions are left out on purpose: a restored server starts with everyone logged out.
fn tables() -> Vec<Box<dyn Table>> {
    vec![
        rows::<e::account::Entity>(),
        rows::<e::competition::Entity>(),
        rows::<e::delegation::Entity>(),
        rows::<e::skill::Entity>(),
        rows::<e::criterion::Entity>(),
        rows::<e::aspect::Entity>(),
        rows::<e::entry::Entity>(),
        rows::<e::entry_member::Entity>(),
        rows::<e::judge::Entity>(),
        rows::<e::judge_skill::Entity>(),
        rows::<e::mark::Entity>(),
        rows::<e::mark_void::Entity>(),
        rows::<e::discrepancy_override::Entity>(),
        rows::<e::audit_event::Entity>(),
        rows::<e::live_seq::Entity>(),
        rows::<e::ceremony::Entity>(),
    ]
}

/// Tables a backup leaves out (log-in sessions; the tablets' heartbeats, which are telemetry
/// the tablets send again within seconds), and sea-orm's own bookkeeping.
pub const NOT_BACKED_UP: &[&str] = &["session", "tablet", "seaql_migrations"];

/// The names of the tables a backup holds.
pub fn table_names() -> Vec<&'static str> {
    tables().iter().map(|t| t.name()).collect()
}

fn backend_name(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

async fn migrations(c: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let backend = c.get_database_backend();
    let stmt = Statement::from_string(backend, "SELECT version FROM seaql_migrations ORDER BY version");
    c.query_all_raw(stmt).await?.iter().map(|row| row.try_get::<String>("", "version")).collect()
}

/// Writes a backup of the whole database to `out`, read in one snapshot: a read
/// transaction on SQLite (WAL lets writers go on meanwhile), `REPEATABLE READ, READ ONLY`
/// on PostgreSQL. Writers are never blocked.
pub async fn write(db: &Db, out: &mut Vec<u8>) -> Result<Summary, BackupError> {
    let backend = db.pool.get_database_backend();
    let txn = match backend {
        DbBackend::Postgres => {
            db.pool.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?
        }
        // A deferred transaction: its snapshot is taken by the first read and kept to the end.
        _ => db.pool.begin().await?,
    };
    let tables = tables();
    let mut counts = BTreeMap::new();
    for table in &tables {
        counts.insert(table.name().to_owned(), table.count(&txn).await?);
    }
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        created_at: chrono::Utc::now(),
        source: backend_name(backend).into(),
        migrations: migrations(&txn).await?,
        tables: counts.clone(),
    };
    let start = out.len();
    serde_json::to_writer(&mut *out, &header).map_err(|e| BackupError::Corrupt(e.to_string()))?;
    out.push(b'\n');
    for table in &tables {
        let n = table.dump(&txn, out).await?;
        if counts.get(table.name()) != Some(&n) {
            // Cannot happen within one snapshot; if it does, the file must not pretend otherwise.
            return Err(BackupError::Corrupt(format!("{} changed during the backup", table.name())));
        }
    }
    txn.commit().await?;
    let sha256 = hex::encode(Sha256::digest(&out[start..]));
    let footer = Footer { end: FooterBody { tables: counts.clone(), sha256 } };
    serde_json::to_writer(&mut *out, &footer).map_err(|e| BackupError::Corrupt(e.to_string()))?;
    out.push(b'\n');
    Ok(Summary { tables: counts, bytes: out.len() - start })
}

/// A checked backup: its header and its rows by table, in file order.
pub struct Verified {
    pub header: Header,
    rows: BTreeMap<String, Vec<Value>>,
}

/// Checks a backup file whole — footer present, hash, counts, known tables — without
/// touching any database.
pub fn verify(bytes: &[u8]) -> Result<Verified, BackupError> {
    let corrupt = |what: &str| BackupError::Corrupt(what.to_owned());
    let body = bytes.strip_suffix(b"\n").ok_or_else(|| corrupt("it does not end with a complete line (truncated?)"))?;
    let footer_at = body.iter().rposition(|b| *b == b'\n').map(|i| i + 1).ok_or_else(|| corrupt("no footer line"))?;
    let footer: Footer = serde_json::from_slice(&body[footer_at..])
        .map_err(|_| corrupt("the last line is not the footer (the file is truncated)"))?;
    let digest = hex::encode(Sha256::digest(&bytes[..footer_at]));
    if digest != footer.end.sha256 {
        return Err(corrupt("its SHA-256 does not match the footer (the file was changed or damaged)"));
    }
    let mut lines = bytes[..footer_at].split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let header: Header = lines
        .next()
        .and_then(|l| serde_json::from_slice(l).ok())
        .ok_or_else(|| corrupt("the first line is not a backup header"))?;
    if header.format != FORMAT {
        return Err(BackupError::Corrupt(format!("format '{}', expected '{FORMAT}'", header.format)));
    }
    if header.version != VERSION {
        return Err(BackupError::Incompatible(format!(
            "backup format version {} is not supported by this podium (it reads version {VERSION})",
            header.version
        )));
    }
    let known = table_names();
    let mut rows: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (n, line) in lines.enumerate() {
        let row: RowIn = serde_json::from_slice(line)
            .map_err(|e| BackupError::Corrupt(format!("line {} is not a row: {e}", n + 2)))?;
        if !known.contains(&row.table.as_str()) {
            return Err(BackupError::Incompatible(format!("unknown table '{}' (made by a newer podium?)", row.table)));
        }
        rows.entry(row.table).or_default().push(row.row);
    }
    let counted: BTreeMap<String, u64> =
        header.tables.keys().map(|t| (t.clone(), rows.get(t).map_or(0, |r| r.len() as u64))).collect();
    if counted != header.tables
        || header.tables != footer.end.tables
        || rows.keys().any(|t| !header.tables.contains_key(t))
    {
        return Err(corrupt("the row counts do not match the header and footer"));
    }
    Ok(Verified { header, rows })
}

/// Restores a verified backup into an empty database, all in one transaction: on any
/// error nothing is stored.
pub async fn restore(db: &Db, backup: Verified) -> Result<Summary, BackupError> {
    let Verified { header, mut rows } = backup;
    let txn = db.begin().await?.0;
    let here = migrations(&txn).await?;
    if let Some(newer) = header.migrations.iter().find(|m| !here.contains(m)) {
        return Err(BackupError::Incompatible(format!(
            "the backup's schema has migration {newer}, which this podium does not know: restore it with a newer podium"
        )));
    }
    let tables = tables();
    let mut used = Vec::new();
    for table in &tables {
        let n = table.count(&txn).await?;
        if n > 0 {
            used.push(format!("{} {}", n, table.name()));
        }
    }
    let sessions = e::session::Entity::find().count(&txn).await?;
    if sessions > 0 {
        used.push(format!("{sessions} session"));
    }
    if !used.is_empty() {
        return Err(BackupError::NotEmpty(used.join(", ")));
    }
    for table in &tables {
        table.load(&txn, rows.remove(table.name()).unwrap_or_default()).await?;
        table.after_load(&txn).await?;
    }
    txn.commit().await?;
    Ok(Summary { tables: header.tables, bytes: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut out = Vec::new();
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
            created_at: chrono::Utc::now(),
            source: "sqlite".into(),
            migrations: vec![],
            tables: BTreeMap::from([("live_seq".to_owned(), 1)]),
        };
        serde_json::to_writer(&mut out, &header).unwrap_or_default();
        out.extend_from_slice(b"\n{\"table\":\"live_seq\",\"row\":{\"competition_id\":\"00000000-0000-0000-0000-000000000001\",\"channel\":\"c\",\"seq\":3}}\n");
        let sha256 = hex::encode(Sha256::digest(&out));
        let footer = Footer { end: FooterBody { tables: header.tables, sha256 } };
        serde_json::to_writer(&mut out, &footer).unwrap_or_default();
        out.push(b'\n');
        out
    }

    #[test]
    fn a_whole_backup_verifies() {
        let verified = verify(&sample());
        assert!(verified.is_ok(), "{:?}", verified.err());
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = sample();
        for len in 0..bytes.len() {
            assert!(verify(&bytes[..len]).is_err(), "truncated to {len} bytes was accepted");
        }
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let bytes = sample();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(verify(&bad).is_err(), "a flipped byte at {i} was accepted");
        }
    }
}
