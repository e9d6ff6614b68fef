//! Who is calling: a bearer token resolved to its session, cached briefly in memory so the
//! mark path does not read the session table on every request.
use super::secret::sha256_hex;
use crate::error::{ApiError, ErrorCode};
use crate::model::Caller;
use crate::store::{self, Db};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a resolved session is trusted before the database is asked again; a
/// revocation on this instance takes effect at once, on another within this time.
const CACHE_TTL: Duration = Duration::from_secs(30);

/// Resolves tokens to callers (the app data the extractors use).
pub struct Sessions {
    db: Db,
    cache: RwLock<HashMap<String, (Caller, Instant)>>,
}

impl Sessions {
    pub fn new(db: Db) -> Sessions {
        Sessions { db, cache: RwLock::new(HashMap::new()) }
    }

    /// The caller behind a token, or `None` for an unknown, expired or revoked one.
    pub async fn resolve(&self, token: &str) -> Result<Option<Caller>, ApiError> {
        let hash = sha256_hex(token);
        let now = Utc::now();
        if let Ok(cache) = self.cache.read()
            && let Some((caller, at)) = cache.get(&hash)
            && at.elapsed() < CACHE_TTL
        {
            return Ok((caller.expires_at > now).then(|| caller.clone()));
        }
        let Some(caller) = store::account::find_caller(&self.db, &hash, now).await? else {
            return Ok(None);
        };
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() > 50_000 {
                cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            }
            cache.insert(hash, (caller.clone(), Instant::now()));
        }
        Ok(Some(caller))
    }

    /// Forgets a session at once (log-out, a lost tablet).
    pub fn forget_session(&self, session_id: Uuid) {
        if let Ok(mut cache) = self.cache.write() {
            cache.retain(|_, (caller, _)| caller.session_id != session_id);
        }
    }

    /// Forgets every cached session of a judge (their code was reissued or they were removed).
    pub fn forget_judge(&self, judge_id: Uuid) {
        if let Ok(mut cache) = self.cache.write() {
            cache.retain(|_, (caller, _)| caller.judge.as_ref().is_none_or(|j| j.id != judge_id));
        }
    }
}

pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

/// The caller, if a valid token was given; anonymous otherwise.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let sessions = req.app_data::<web::Data<Sessions>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(sessions)) = (token, sessions) else {
                return Ok(MaybeCaller(None));
            };
            match sessions.resolve(&token).await? {
                Some(caller) => Ok(MaybeCaller(Some(caller))),
                None => Err(ApiError::unauthorized(
                    ErrorCode::InvalidToken,
                    "the token is unknown, expired or revoked; log in again",
                )),
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
            maybe.await?.0.ok_or_else(|| {
                ApiError::unauthorized(ErrorCode::Unauthorized, "log in first: send `Authorization: Bearer TOKEN`")
            })
        })
    }
}
