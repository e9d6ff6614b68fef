//! Who is calling: the bearer token resolved to a session, cached briefly in memory so
//! the mark path does not read the session table on every request.
use super::secret::sha256_hex;
use crate::domain::kinds::Role;
use crate::error::ApiError;
use crate::startup::AppState;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{DateTime, Utc};
use entity::{judge, session};
use futures_util::future::LocalBoxFuture;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A judge behind a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgeRef {
    pub id: Uuid,
    pub competition_id: Uuid,
    pub code: String,
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub session_id: Uuid,
    pub role: Role,
    pub username: Option<String>,
    pub judge: Option<JudgeRef>,
    pub expires_at: DateTime<Utc>,
}

impl Caller {
    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        match (&self.judge, &self.username) {
            (Some(judge), _) => format!("judge:{}", judge.code),
            (None, Some(username)) => format!("account:{username}"),
            _ => format!("session:{}", self.session_id),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The caller, if a valid token was given; anonymous otherwise.
pub struct MaybeCaller(pub Option<Caller>);

/// How long a resolved session is trusted before the database is asked again; a
/// revocation on this instance takes effect at once, on another within this time.
const CACHE_TTL: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct SessionCache {
    entries: RwLock<HashMap<String, (Caller, Instant)>>,
}

impl SessionCache {
    pub async fn resolve(&self, db: &DatabaseConnection, token: &str) -> Result<Option<Caller>, ApiError> {
        let hash = sha256_hex(token);
        let now = Utc::now();
        if let Ok(entries) = self.entries.read()
            && let Some((caller, at)) = entries.get(&hash)
            && at.elapsed() < CACHE_TTL
        {
            return Ok((caller.expires_at > now).then(|| caller.clone()));
        }
        let Some(row) = session::Entity::find().filter(session::Column::TokenHash.eq(&hash)).one(db).await? else {
            return Ok(None);
        };
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Ok(None);
        }
        let role = Role::parse(&row.role).unwrap_or(Role::Judge);
        let judge = match row.judge_id {
            Some(id) => judge::Entity::find_by_id(id).one(db).await?.map(|j| JudgeRef {
                id: j.id,
                competition_id: j.competition_id,
                code: j.code,
            }),
            None => None,
        };
        let username = match row.account_id {
            Some(id) => entity::account::Entity::find_by_id(id).one(db).await?.map(|a| a.username),
            None => None,
        };
        let caller = Caller { session_id: row.id, role, username, judge, expires_at: row.expires_at };
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() > 50_000 {
                entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            }
            entries.insert(hash, (caller.clone(), Instant::now()));
        }
        Ok(Some(caller))
    }

    /// Forgets a session at once (log-out, a lost tablet).
    pub fn forget_session(&self, session_id: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (caller, _)| caller.session_id != session_id);
        }
    }

    /// Forgets every cached session of a judge (their code was reissued or they were removed).
    pub fn forget_judge(&self, judge_id: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (caller, _)| caller.judge.as_ref().is_none_or(|j| j.id != judge_id));
        }
    }
}

pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Ok(MaybeCaller(None));
            };
            match state.sessions.resolve(&state.db, &token).await? {
                Some(caller) => Ok(MaybeCaller(Some(caller))),
                None => Err(ApiError::Unauthorized {
                    code: "invalid_token",
                    detail: "the token is unknown, expired or revoked; log in again".into(),
                }),
            }
        })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeCaller::from_request(req, payload);
        Box::pin(async move {
            maybe.await?.0.ok_or(ApiError::Unauthorized {
                code: "unauthorized",
                detail: "log in first: send `Authorization: Bearer TOKEN`".into(),
            })
        })
    }
}
