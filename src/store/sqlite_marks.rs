//! The cold load's marks on SQLite, read on the thread that keeps them.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every row over to the
//! reading task, its values copied (`sqlite3_value_dup`: a `malloc` per column) on the
//! driver's thread and freed on the reader's. On two cores the two threads run at once and
//! contend for the allocator's arena lock on nearly every one of those calls: 90,000 marks
//! took 0.8 s there, against 0.36 s with the whole server on one core. Here the
//! connection's handle is locked out of the driver's thread (sqlx's documented
//! `lock_handle`), and one blocking thread steps through the rows and reads each column in
//! place, with no copy, hand-off or cross-thread free.
//!
//! rusqlite is only the safe face of that handle: its `libsqlite3-sys` is sqlx's, so both
//! must move together (sqlx 0.9 and rusqlite 0.39 share `libsqlite3-sys` 0.37).
use super::convert::{MARK_COLUMNS, MarkColumns, mark_record_of};
use super::error::StoreError;
use crate::model::record::MarkRecord;
use entity::mark;
use sea_orm::sqlx::SqlitePool;
use sea_orm::{ColumnTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use uuid::Uuid;

/// Every mark of a competition in storage order, each given to `each` with `state`, on a
/// blocking thread holding one of `pool`'s connections; returns `state`.
pub async fn read<S: Send + 'static>(
    pool: &SqlitePool,
    competition: Uuid,
    state: S,
    each: fn(&mut S, MarkRecord),
) -> Result<S, StoreError> {
    let sql = mark::Entity::find()
        .select_only()
        .columns(MARK_COLUMNS)
        .filter(mark::Column::CompetitionId.eq(competition))
        .order_by_asc(mark::Column::Seq)
        .build(DbBackend::Sqlite)
        .sql;
    let mut conn = pool.acquire().await?;
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut state = state;
        let mut handle = runtime.block_on(conn.lock_handle())?;
        // SAFETY: the handle is a live connection that sqlx's worker thread leaves alone
        // while `handle` (the lock) lives; `db` borrows it (rusqlite never closes a handle
        // made by `from_handle`) and is dropped first, its statement finalized.
        let db = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }.map_err(failed)?;
        {
            let mut statement = db.prepare(&sql).map_err(failed)?;
            let mut rows = statement.query([competition.as_bytes().as_slice()]).map_err(failed)?;
            while let Some(row) = rows.next().map_err(failed)? {
                each(&mut state, mark_record_of(columns(row).map_err(failed)?));
            }
        }
        drop(db);
        drop(handle);
        Ok(state)
    })
    .await
    .map_err(|e| StoreError::Db(DbErr::Custom(format!("reading the marks stopped: {e}"))))?
}

/// A row's columns, in the order of [`MARK_COLUMNS`], decoded as sqlx stores them: ids as
/// 16-byte blobs, the time as RFC 3339 text.
fn columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<MarkColumns> {
    Ok((
        row.get(0)?,
        uuid(row, 1)?,
        uuid(row, 2)?,
        uuid(row, 3)?,
        uuid(row, 4)?,
        uuid(row, 5)?,
        row.get(6)?,
        row.get(7)?,
        match row.get_ref(8)? {
            rusqlite::types::ValueRef::Null => None,
            _ => Some(uuid(row, 8)?),
        },
        row.get(9)?,
        time(row, 10)?,
        row.get(11)?,
    ))
}

/// A 16-byte blob as sqlx stores an id.
pub(super) fn uuid(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Uuid> {
    let bytes = row.get_ref(i)?.as_blob()?;
    Uuid::from_slice(bytes)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, e.into()))
}

fn time(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    let text = row.get_ref(i)?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into()))
}

fn failed(error: rusqlite::Error) -> StoreError {
    StoreError::Db(DbErr::Custom(format!("reading the marks failed: {error}")))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::scratch::{Scratch, mini_records};

    #[tokio::test]
    async fn the_marks_read_on_one_thread_are_the_marks_sqlx_streams() {
        let scratch = Scratch::new().await;
        let db = &scratch.db;
        let mut records = mini_records();
        // Every column, the optional ones filled too.
        let first = records.marks[0].id;
        records.marks[1].reason = Some("re-measured, 再次测量".into());
        records.marks[1].supersedes = Some(first);
        let (id, count) = (records.competition.id, records.marks.len());
        scratch.insert(records).await;

        let mut streamed = Vec::new();
        super::super::competition::stream_marks(&db.pool, id, |m| streamed.push(m)).await.expect("stream");
        let read = read(db.pool.get_sqlite_connection_pool(), id, Vec::new(), Vec::push).await.expect("read");
        assert_eq!(read.len(), count);
        assert_eq!(read[1].supersedes, Some(first));
        assert_eq!(read, streamed);
    }
}
