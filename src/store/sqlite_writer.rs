//! Group commits of marks on SQLite, in one hand-off to one thread.
//!
//! Through sqlx, every statement of a transaction is a round trip to the connection's own
//! thread: a group of marks (begin, guards, marks, audit, live seqs, commit) took six, a
//! dozen context switches a commit. Here the statements are built first, with the same
//! sea-query builders the transaction path uses, and the whole transaction runs on one
//! blocking thread, on a connection of its own with its statements kept prepared.
//!
//! Values are bound as sqlx binds them on SQLite (ids as 16-byte blobs, times as RFC 3339
//! text, JSON as text), so either path reads what the other wrote.
use super::error::StoreError;
use super::sqlite_marks::uuid;
use super::{audit, live_seq, write};
use crate::model::decision::{AuditRecord, Guard, Write};
use entity::{live_seq as live_seq_row, mark, skill};
use rusqlite::types::Value as Bound;
use rustc_hash::FxHashMap;
use sea_orm::sea_query::{Query, Value};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{DbBackend, DbErr, QueryTrait, Statement};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use uuid::Uuid;

/// Prepared statements kept: the few shapes of a group commit (a group of n marks is one
/// statement of n rows, so each common n is one shape).
const PREPARED: usize = 64;

/// A connection that stores groups of marks; cheap to clone.
#[derive(Clone)]
pub struct SqliteWriter {
    conn: Arc<Mutex<rusqlite::Connection>>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteWriter")
    }
}

/// What a stored group gave: each new mark's `seq`, each live channel's new seq.
#[derive(Debug)]
pub struct Stored {
    pub seqs: FxHashMap<Uuid, i64>,
    pub live: HashMap<String, i64>,
}

/// What a statement's rows are read into.
enum Rows {
    None,
    Versions,
    MarkSeqs,
    LiveSeqs,
}

impl SqliteWriter {
    /// A connection to the file of `url` with the durability settings of [`super::db`]
    /// (its journal is already WAL: the pool set it). `None` for an in-memory database,
    /// which a second connection would not share, and for a read-only one.
    pub fn open(url: &str) -> Result<Option<SqliteWriter>, StoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(StoreError::from)?;
        let path = options.get_filename();
        let name = path.to_string_lossy();
        let params: Vec<(String, String)> =
            url.split_once('?').and_then(|(_, query)| serde_urlencoded::from_str(query).ok()).unwrap_or_default();
        let mode = params.iter().find(|(key, _)| key == "mode").map(|(_, value)| value.as_str());
        if name.is_empty()
            || name.starts_with(':')
            || name.starts_with("file:")
            || matches!(mode, Some("memory" | "ro"))
        {
            return Ok(None);
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(failed)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(failed)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(failed)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(failed)?;
        // A group's multi-row insert touches more pages than SQLite's statement journal keeps
        // in memory (64 KiB): it would spill to a temporary file, created, written and
        // deleted in every commit. In memory it is bounded by one statement's pages.
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(failed)?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        Ok(Some(SqliteWriter { conn: Arc::new(Mutex::new(conn)) }))
    }

    /// The writes this path stores; a decision with any other goes through a transaction.
    pub fn takes(writes: &[Write]) -> bool {
        writes.iter().all(|w| matches!(w, Write::Marks(_) | Write::SkillState { .. }))
    }

    /// Stores a decision's guards, writes (see [`SqliteWriter::takes`]), audit records and
    /// live channels' seqs in one transaction.
    pub async fn store(
        &self,
        competition: Uuid,
        guards: &[Guard],
        writes: &[Write],
        audit_records: &[AuditRecord],
        channels: &[String],
    ) -> Result<Stored, StoreError> {
        let mut plan: Vec<(Statement, Rows)> = Vec::new();
        if !guards.is_empty() {
            let mut bump = write::bump_versions(write::guarded_ids(guards)).into_query();
            bump.returning(Query::returning().columns([skill::Column::Id, skill::Column::Version]));
            plan.push((DbBackend::Sqlite.build(&bump), Rows::Versions));
        }
        for w in writes {
            match w {
                Write::Marks(marks) => {
                    for chunk in marks.chunks(write::MARKS_PER_STATEMENT) {
                        let mut insert = write::insert_marks(competition, chunk).into_query();
                        insert.returning(Query::returning().columns([mark::Column::Id, mark::Column::Seq]));
                        plan.push((DbBackend::Sqlite.build(&insert), Rows::MarkSeqs));
                    }
                }
                Write::SkillState { skill, state, accepted_gaps } => {
                    plan.push((
                        write::set_state(*skill, *state, accepted_gaps.as_ref()).build(DbBackend::Sqlite),
                        Rows::None,
                    ));
                }
                _ => return Err(StoreError::Db(DbErr::Custom("not a write of marks".into()))),
            }
        }
        for insert in audit::insert_statements(Some(competition), audit_records, chrono::Utc::now()) {
            plan.push((insert.build(DbBackend::Sqlite), Rows::None));
        }
        if let Some(mut advance) = live_seq::advance_statement(competition, channels).map(QueryTrait::into_query) {
            advance.returning(Query::returning().columns([live_seq_row::Column::Channel, live_seq_row::Column::Seq]));
            plan.push((DbBackend::Sqlite.build(&advance), Rows::LiveSeqs));
        }
        let guards = guards.to_vec();
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            run(&mut conn, &plan, &guards)
        })
        .await
        .map_err(|e| StoreError::Db(DbErr::Custom(format!("storing the marks stopped: {e}"))))?
    }
}

/// Runs the plan in one `IMMEDIATE` transaction; anything short of the commit rolls back.
fn run(conn: &mut rusqlite::Connection, plan: &[(Statement, Rows)], guards: &[Guard]) -> Result<Stored, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(failed)?;
    let mut stored = Stored { seqs: FxHashMap::default(), live: HashMap::new() };
    for (statement, rows) in plan {
        let mut prepared = tx.prepare_cached(&statement.sql).map_err(failed)?;
        let values = statement.values.as_ref().map(|v| v.0.as_slice()).unwrap_or_default();
        let params = values.iter().map(bind).collect::<Result<Vec<_>, _>>()?;
        let params = rusqlite::params_from_iter(params);
        match rows {
            Rows::None => {
                prepared.execute(params).map_err(failed)?;
            }
            Rows::Versions => {
                let versions = prepared
                    .query_map(params, |row| Ok((uuid(row, 0)?, row.get::<_, i64>(1)?)))
                    .map_err(failed)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(failed)?;
                write::check_guards(guards, &versions)?;
            }
            Rows::MarkSeqs => {
                let mut found = prepared.query(params).map_err(failed)?;
                while let Some(row) = found.next().map_err(failed)? {
                    stored.seqs.insert(uuid(row, 0).map_err(failed)?, row.get(1).map_err(failed)?);
                }
            }
            Rows::LiveSeqs => {
                let mut found = prepared.query(params).map_err(failed)?;
                while let Some(row) = found.next().map_err(failed)? {
                    stored.live.insert(row.get(0).map_err(failed)?, row.get(1).map_err(failed)?);
                }
            }
        }
    }
    tx.commit().map_err(failed)?;
    Ok(stored)
}

/// A value bound as sqlx binds it on SQLite (sea-query-sqlx's `IntoArguments`).
fn bind(value: &Value) -> Result<Bound, StoreError> {
    fn int(v: Option<impl Into<i64>>) -> Bound {
        v.map_or(Bound::Null, |v| Bound::Integer(v.into()))
    }
    Ok(match value {
        Value::Bool(v) => int(*v),
        Value::TinyInt(v) => int(*v),
        Value::SmallInt(v) => int(*v),
        Value::Int(v) => int(*v),
        Value::BigInt(v) => int(*v),
        Value::TinyUnsigned(v) => int(*v),
        Value::SmallUnsigned(v) => int(*v),
        Value::Unsigned(v) => int(*v),
        Value::Float(v) => v.map_or(Bound::Null, |v| Bound::Real(v.into())),
        Value::Double(v) => v.map_or(Bound::Null, Bound::Real),
        Value::String(v) => v.clone().map_or(Bound::Null, Bound::Text),
        Value::Char(v) => v.map_or(Bound::Null, |c| Bound::Text(c.to_string())),
        Value::Bytes(v) => v.clone().map_or(Bound::Null, Bound::Blob),
        Value::Uuid(v) => v.map_or(Bound::Null, |u| Bound::Blob(u.as_bytes().to_vec())),
        Value::ChronoDateTimeUtc(v) => {
            v.map_or(Bound::Null, |t| Bound::Text(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)))
        }
        Value::Json(v) => v.as_ref().map_or(Bound::Null, |j| Bound::Text(j.to_string())),
        other => return Err(StoreError::Db(DbErr::Custom(format!("no SQLite binding here for {other:?}")))),
    })
}

/// A taken mark id means another writer stored it first (as on the transaction path).
fn failed(error: rusqlite::Error) -> StoreError {
    use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    match &error {
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.extended_code, SQLITE_CONSTRAINT_PRIMARYKEY | SQLITE_CONSTRAINT_UNIQUE) =>
        {
            StoreError::Conflict(error.to_string())
        }
        _ => StoreError::Db(DbErr::Custom(format!("storing the marks failed: {error}"))),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::kinds::SkillState;
    use crate::store::Tx;
    use crate::store::scratch::{Scratch, mini_records};

    /// The mini fixture stored but for its last two marks (`held`, of one skill), with the
    /// database's mark writer and the skill's version.
    struct Fixture {
        scratch: Scratch,
        writer: SqliteWriter,
        competition: Uuid,
        skill: Uuid,
        version: i64,
        held: Vec<crate::model::record::MarkRecord>,
    }

    async fn fixture() -> Fixture {
        let scratch = Scratch::new().await;
        let mut records = mini_records();
        let mut held = records.marks.split_off(records.marks.len() - 2);
        // Every column filled, and text beyond ASCII.
        held[1].reason = Some("re-measured, 再次测量".into());
        held[1].supersedes = Some(held[0].id);
        // The same cell, so that their rows differ only where the stores differ.
        (held[1].entry_id, held[1].aspect_id, held[1].judge_id) =
            (held[0].entry_id, held[0].aspect_id, held[0].judge_id);
        held[1].created_at = held[0].created_at;
        assert_eq!(held[0].skill_id, held[1].skill_id, "the held marks are of one skill");
        let skill = held[0].skill_id;
        let version = records.skills.iter().find(|s| s.id == skill).expect("their skill").version;
        let competition = records.competition.id;
        scratch.insert(records).await;
        let writer = scratch.db.mark_writer().expect("a file database has a mark writer").clone();
        Fixture { scratch, writer, competition, skill, version, held }
    }

    fn audit_of(mark: &crate::model::record::MarkRecord) -> AuditRecord {
        AuditRecord {
            skill_id: Some(mark.skill_id),
            actor: "judge".into(),
            action: "mark.record",
            subject: mark.id.to_string(),
            before: None,
            after: Some(serde_json::json!({"value": "1.50", "note": "é"})),
            reason: mark.reason.clone(),
        }
    }

    /// Each column of the rows `sql` selects, with its SQLite type.
    fn quoted(url: &str, sql: &str) -> Vec<Vec<String>> {
        let path = SqliteConnectOptions::from_str(url).expect("url").get_filename().to_path_buf();
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut statement = conn.prepare(sql).expect("prepare");
        let columns = statement.column_count();
        statement
            .query_map([], |row| {
                (0..columns).map(|i| Ok(format!("{:?}", row.get::<_, Bound>(i)?))).collect::<Result<Vec<_>, _>>()
            })
            .expect("query")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows")
    }

    #[tokio::test]
    async fn a_group_is_stored_as_the_transaction_path_stores_it() {
        let Fixture { scratch, writer, competition: id, skill, version, held } = fixture().await;
        let (url, db) = (&scratch.url, &scratch.db);
        let channel = "skill:S1".to_owned();

        // The first mark through sea-orm's transaction, the second through the writer, each
        // with its audit record and an advance of the same channel.
        let tx: Tx = db.begin().await.expect("begin");
        let mut first = vec![held[0].clone()];
        let seqs = crate::store::write::apply(&tx, id, &[Write::Marks(first.clone())]).await.expect("apply");
        crate::store::write::audit(&tx, id, &[audit_of(&held[0])]).await.expect("audit");
        crate::store::live_seq::advance(&tx, id, std::slice::from_ref(&channel)).await.expect("advance");
        tx.commit().await.expect("commit");
        first[0].seq = seqs[&held[0].id];

        let writes = [
            Write::Marks(vec![held[1].clone()]),
            Write::SkillState { skill, state: SkillState::Marking, accepted_gaps: None },
        ];
        assert!(SqliteWriter::takes(&writes));
        let guards = [Guard { skill, version }];
        let stored = writer
            .store(id, &guards, &writes, &[audit_of(&held[1])], std::slice::from_ref(&channel))
            .await
            .expect("store");
        assert_eq!(stored.live.get(&channel), Some(&2), "the channel advanced once more");
        let second_seq = stored.seqs[&held[1].id];
        assert!(second_seq > first[0].seq);

        // What sqlx reads back is what was stored, by either path.
        let mut marks = Vec::new();
        crate::store::competition::stream_marks(&db.pool, id, |m| marks.push(m)).await.expect("stream");
        let tail: Vec<_> = marks[marks.len() - 2..].to_vec();
        let mut second = held[1].clone();
        second.seq = second_seq;
        assert_eq!(tail, vec![first[0].clone(), second]);
        assert_eq!(crate::store::live_seq::all(db, id).await.expect("seqs").get(&channel), Some(&2));

        // Byte for byte the same column types and encodings (times, ids, JSON, text).
        let columns = "quote(competition_id), quote(skill_id), quote(entry_id), quote(aspect_id), \
                       quote(judge_id), quote(entered_by), quote(created_at), \
                       typeof(id), typeof(value_centi), quote(skill_version)";
        let rows = quoted(
            url,
            &format!("SELECT {columns} FROM mark WHERE seq IN ({}, {second_seq}) ORDER BY seq", first[0].seq),
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], rows[1]);
        let audit = quoted(
            url,
            "SELECT quote(competition_id), quote(skill_id), typeof(at), length(at), quote(actor), quote(action), \
             typeof(before), quote(after) FROM audit_event ORDER BY id DESC LIMIT 2",
        );
        assert_eq!(audit[0], audit[1]);
        // The guard bumped the version; the state was written.
        let skill_row =
            quoted(url, &format!("SELECT quote(version), quote(state) FROM skill WHERE id = X'{}'", skill.simple()));
        assert_eq!(
            skill_row,
            vec![vec![
                format!("{:?}", Bound::Text((version + 1).to_string())),
                format!("{:?}", Bound::Text("'marking'".into()))
            ]]
        );
    }

    #[tokio::test]
    async fn a_moved_version_stores_nothing() {
        let Fixture { scratch, writer, competition: id, skill, version, held } = fixture().await;
        let (url, db) = (&scratch.url, &scratch.db);
        let count = || quoted(url, "SELECT count(*) FROM mark");
        let before = count();
        let stale = [Guard { skill, version: version - 1 }];
        let result = writer.store(id, &stale, &[Write::Marks(held.clone())], &[], &["skill:S1".to_owned()]).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "a moved version is another writer's: {result:?}");
        let after = count();
        assert_eq!(after, before, "nothing of the group was stored");
        assert!(crate::store::live_seq::all(db, id).await.expect("seqs").is_empty());
        // And the connection is usable again.
        let guards = [Guard { skill, version }];
        writer.store(id, &guards, &[Write::Marks(held)], &[], &[]).await.expect("store");
    }

    #[tokio::test]
    async fn the_writer_syncs_every_commit_checks_keys_and_journals_statements_in_memory() {
        let scratch = Scratch::new().await;
        let writer = scratch.db.mark_writer().expect("a mark writer").clone();
        let conn = writer.conn.lock().expect("the writer's connection");
        let pragma = |name: &str| conn.pragma_query_value(None, name, |row| row.get::<_, i64>(0)).expect("pragma");
        // synchronous FULL is 2, temp_store MEMORY is 2.
        assert_eq!((pragma("synchronous"), pragma("foreign_keys"), pragma("temp_store")), (2, 1, 2));
    }

    #[test]
    fn only_file_databases_that_can_be_written_get_a_writer() {
        for url in ["sqlite::memory:", "sqlite://x.db?mode=memory", "sqlite:///tmp/x.db?mode=ro"] {
            assert!(SqliteWriter::open(url).expect("parsed").is_none(), "{url}");
        }
        assert!(!SqliteWriter::takes(&[Write::DeleteCompetition(Uuid::nil())]));
    }
}
