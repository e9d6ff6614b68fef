//! Organizer accounts and sessions.
use chrono::{DateTime, Utc};
use entity::{account, session};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

pub async fn find_by_username(db: &impl ConnectionTrait, username: &str) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find().filter(account::Column::Username.eq(username)).one(db).await
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    account::Entity::find().count(db).await
}

pub async fn insert(db: &impl ConnectionTrait, username: &str, password_hash: String) -> Result<account::Model, DbErr> {
    account::Entity::insert(account::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username.to_owned()),
        password_hash: Set(password_hash),
        role: Set("admin".into()),
        created_at: Set(Utc::now()),
    })
    .exec_with_returning(db)
    .await
}

pub async fn update_password(db: &impl ConnectionTrait, id: Uuid, password_hash: String) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, sea_orm::sea_query::Expr::value(password_hash))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub struct NewSession {
    pub token_hash: String,
    pub role: String,
    pub account_id: Option<Uuid>,
    pub judge_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_session(db: &impl ConnectionTrait, new: NewSession) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    session::Entity::insert(session::ActiveModel {
        id: Set(id),
        token_hash: Set(new.token_hash),
        role: Set(new.role),
        account_id: Set(new.account_id),
        judge_id: Set(new.judge_id),
        created_at: Set(Utc::now()),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

pub async fn revoke_session(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(session::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every session of a judge (a lost tablet, a reissued code).
pub async fn revoke_judge_sessions(db: &impl ConnectionTrait, judge_id: Uuid) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(session::Column::JudgeId.eq(judge_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
