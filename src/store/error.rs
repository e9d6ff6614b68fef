//! What can go wrong in the store, told apart the way the engine needs: a lost race with
//! another instance (decide again), a refusal the caller must hear, or a failure.
use crate::error::{ApiError, ErrorCode, Rejection};
use sea_orm::{DbErr, RuntimeErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another instance wrote first (a version moved, a mark id or a one-time code was
    /// taken, a deadlock was broken): nothing was stored; decide again on fresh data.
    #[error("another writer changed the data first: {0}")]
    Conflict(String),
    /// The write breaks a rule only the database sees (a code taken, rows still in use).
    #[error(transparent)]
    Rejected(Rejection),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl StoreError {
    /// A unique or foreign-key violation as the caller's error; anything else as it is.
    pub(super) fn from_constraint(error: DbErr) -> StoreError {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => StoreError::Rejected(Rejection::conflict(
                ErrorCode::AlreadyExists,
                format!("already exists ({detail})"),
            )),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StoreError::Rejected(Rejection::conflict(
                ErrorCode::InUse,
                "other records refer to it; remove those first",
            )),
            _ => StoreError::raced(error),
        }
    }

    /// PostgreSQL's serialization failures and broken deadlocks mean "try again".
    pub(super) fn raced(error: DbErr) -> StoreError {
        let code = match &error {
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
            }
            _ => None,
        };
        match code.as_deref() {
            Some("40001" | "40P01") => StoreError::Conflict(error.to_string()),
            _ => StoreError::Db(error),
        }
    }
}

/// sqlx used directly (its listener, a pooled connection): a failure of the connection.
impl From<sea_orm::sqlx::Error> for StoreError {
    fn from(error: sea_orm::sqlx::Error) -> StoreError {
        StoreError::Db(DbErr::Conn(RuntimeErr::SqlxError(error.into())))
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Rejected(rejection) => ApiError::Rejected(rejection),
            StoreError::Conflict(detail) => ApiError::Unavailable { detail, retry_after: 1 },
            StoreError::Db(error) => ApiError::internal(error),
        }
    }
}
