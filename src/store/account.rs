//! Organizer accounts and log-in sessions.
use super::db::Db;
use super::error::StoreError;
use crate::domain::kinds::Role;
use crate::model::caller::{Caller, JudgeRef};
use crate::model::record::SessionRecord;
use chrono::{DateTime, Utc};
use entity::{account, judge, session};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// An organizer account.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

fn account(a: account::Model) -> Account {
    Account { id: a.id, username: a.username, password_hash: a.password_hash, role: a.role, created_at: a.created_at }
}

pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<Account>, StoreError> {
    Ok(account::Entity::find().filter(account::Column::Username.eq(username)).one(&db.pool).await?.map(account))
}

pub async fn all(db: &Db) -> Result<Vec<Account>, StoreError> {
    Ok(account::Entity::find()
        .order_by_asc(account::Column::Username)
        .all(&db.pool)
        .await?
        .into_iter()
        .map(account)
        .collect())
}

pub async fn count(db: &Db) -> Result<u64, StoreError> {
    Ok(account::Entity::find().count(&db.pool).await?)
}

pub async fn insert(db: &Db, username: &str, password_hash: String) -> Result<(), StoreError> {
    account::Entity::insert(account::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash),
        role: Set(Role::Admin),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(&db.pool)
    .await
    .map_err(StoreError::from_constraint)?;
    Ok(())
}

pub async fn update_password(db: &Db, id: Uuid, password_hash: String) -> Result<(), StoreError> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(password_hash))
        .filter(account::Column::Id.eq(id))
        .exec(&db.pool)
        .await?;
    Ok(())
}

pub(super) async fn insert_session(db: &impl ConnectionTrait, s: &SessionRecord) -> Result<(), StoreError> {
    session::Entity::insert(session::ActiveModel {
        id: Set(s.id),
        token_hash: Set(s.token_hash.clone()),
        role: Set(s.role),
        account_id: Set(s.account_id),
        judge_id: Set(s.judge_id),
        created_at: Set(s.created_at),
        expires_at: Set(s.expires_at),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A new organizer session.
pub async fn create_session(db: &Db, s: &SessionRecord) -> Result<(), StoreError> {
    insert_session(&db.pool, s).await
}

/// The caller behind a token's hash, if the session exists, is not revoked and has not expired.
pub async fn find_caller(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Caller>, StoreError> {
    let Some(row) = session::Entity::find().filter(session::Column::TokenHash.eq(token_hash)).one(&db.pool).await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(None);
    }
    let judge = match row.judge_id {
        Some(id) => judge::Entity::find_by_id(id).one(&db.pool).await?.map(|j| JudgeRef {
            id: j.id,
            competition_id: j.competition_id,
            code: j.code,
        }),
        None => None,
    };
    let username = match row.account_id {
        Some(id) => account::Entity::find_by_id(id).one(&db.pool).await?.map(|a| a.username),
        None => None,
    };
    Ok(Some(Caller { session_id: row.id, role: row.role, username, judge, expires_at: row.expires_at }))
}

pub async fn revoke_session(db: &Db, id: Uuid) -> Result<(), StoreError> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(session::Column::Id.eq(id))
        .exec(&db.pool)
        .await?;
    Ok(())
}
