//! The websocket upgrade of the live protocol (docs/live-protocol.md). Upgrades are taken
//! over from actix-http before its request dispatcher, so a live socket keeps no HTTP
//! buffers: the connection's own code reads it, and its shard writes to it.
use crate::auth::Sessions;
use crate::error::{ErrorCode, Problem};
use crate::live::Hub;
use crate::live::IntoSocket;
use crate::service::Engine;
use actix_codec::Framed;
use actix_http::{Request, h1};
use bytes::BytesMut;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// What the upgrade needs of the server.
#[derive(Clone)]
pub struct LiveState {
    pub engine: Engine,
    pub hub: Hub,
    pub sessions: Arc<Sessions>,
}

#[derive(Deserialize)]
struct LiveQuery {
    token: Option<String>,
}

/// Upgrades to a websocket carrying the competition's live channels. (Upgrade requests are
/// served by [`upgrade`]; a plain GET lands here and is told to upgrade.)
#[utoipa::path(get, path = "/api/v1/competitions/{code}/live", tag = "live",
    params(("token" = Option<String>, Query, description = "a bearer token, for clients that cannot send one in a first message")),
    responses((status = 101, description = "switching to the live protocol (docs/live-protocol.md)"),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn live() -> crate::error::ApiResult<actix_web::HttpResponse> {
    // Reached only without the upgrade headers: upgrades never get this far.
    Err(crate::error::ApiError::bad_request(
        ErrorCode::WebsocketRequired,
        "this endpoint speaks websocket: send an upgrade",
    ))
}

/// Serves one `Connection: Upgrade` request: a live websocket, or a problem response.
///
/// The returned future lives as long as the socket, inside actix-http's connection task, so it
/// is boxed and holds only what the socket needs: the request and the HTTP codec (with its
/// 8 KB write buffer) are dropped before it starts, and the checks that await the database run
/// in a future of their own that is gone when the socket starts.
pub fn upgrade<Io: IntoSocket>(
    state: LiveState,
    req: Request,
    framed: Framed<Io, h1::Codec>,
) -> LocalBoxFuture<'static, Result<(), actix_web::Error>> {
    let actix_codec::FramedParts { io, read_buf, .. } = framed.into_parts();
    // Only what the client sent after the request; the buffer itself is not kept.
    let leftover = BytesMut::from(&read_buf[..]);
    drop(read_buf);
    let request = Upgrade::of(&req);
    drop(req);
    Box::pin(async move {
        let mut io = io;
        match Box::pin(accept(&state, request)).await {
            Ok(Accepted { competition, caller, key, peer }) => {
                let Some(permit) = peer.and_then(|a| state.hub.permit(a.ip())) else {
                    let detail = "the server holds as many live connections as it may; try again shortly";
                    return respond(&mut io, 503, ErrorCode::Unavailable, detail).await;
                };
                let accept = actix_http::ws::hash_key(key.as_bytes());
                let head = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: {}\r\n\r\n",
                    String::from_utf8_lossy(&accept)
                );
                if io.write_all(head.as_bytes()).await.is_err() {
                    return Ok(());
                }
                let socket = io.into_socket();
                let LiveState { hub, sessions, .. } = state;
                // A task of its own, on this thread (its shard's): the HTTP connection's
                // task ends here, and with it the dispatcher and this future, which would
                // otherwise stay allocated beside every idle socket (4 KB of its 8).
                actix_web::rt::spawn(crate::live::serve(hub, sessions, socket, leftover, competition, caller, permit));
                Ok(())
            }
            Err((status, code, detail)) => respond(&mut io, status, code, &detail).await,
        }
    })
}

/// What the checks need of the upgrade request.
struct Upgrade {
    path: String,
    query: String,
    handshake: Result<String, String>,
    peer: Option<std::net::SocketAddr>,
}

impl Upgrade {
    fn of(req: &Request) -> Self {
        let handshake = actix_http::ws::verify_handshake(req.head()).map_err(|e| e.to_string()).and_then(|()| {
            req.head()
                .headers
                .get(actix_http::header::SEC_WEBSOCKET_KEY)
                .and_then(|k| k.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| "no Sec-WebSocket-Key".to_owned())
        });
        Upgrade {
            path: req.path().to_owned(),
            query: req.uri().query().unwrap_or("").to_owned(),
            handshake,
            peer: req.peer_addr(),
        }
    }
}

struct Accepted {
    competition: uuid::Uuid,
    caller: Option<crate::model::Caller>,
    key: String,
    peer: Option<std::net::SocketAddr>,
}

type Refused = (u16, ErrorCode, String);

/// Checks the request: its route, the websocket handshake, the competition and the token.
async fn accept(state: &LiveState, request: Upgrade) -> Result<Accepted, Refused> {
    let Upgrade { path, query, handshake, peer } = request;
    let code = path
        .strip_prefix("/api/v1/competitions/")
        .and_then(|rest| rest.strip_suffix("/live"))
        .filter(|code| !code.is_empty() && !code.contains('/'))
        .ok_or_else(|| (404, ErrorCode::NotFound, format!("no live endpoint at {path}")))?;
    let key =
        handshake.map_err(|e| (400, ErrorCode::WebsocketRequired, format!("this endpoint speaks websocket: {e}")))?;
    let competition = state
        .engine
        .competition(code)
        .await
        .map_err(|_| (404, ErrorCode::NotFound, format!("no competition '{code}'")))?;
    let query: LiveQuery =
        serde_urlencoded::from_str(&query).map_err(|e| (400, ErrorCode::InvalidQuery, e.to_string()))?;
    let caller = match &query.token {
        Some(token) => match state.sessions.resolve(token).await {
            Ok(Some(caller)) => Some(caller),
            _ => return Err((401, ErrorCode::InvalidToken, "the token is unknown, expired or revoked".into())),
        },
        None => None,
    };
    Ok(Accepted { competition: competition.id, caller, key, peer })
}

/// Answers with a problem document and closes the connection.
async fn respond(io: &mut impl IntoSocket, status: u16, code: ErrorCode, detail: &str) -> Result<(), actix_web::Error> {
    let reason = actix_http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    let problem = Problem {
        kind: format!("urn:podium:problem:{code}"),
        title: reason.to_owned(),
        status,
        detail: detail.to_owned(),
        code,
        errors: Vec::new(),
        extra: None,
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let retry = if status == 503 { "retry-after: 1\r\n" } else { "" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n{retry}connection: close\r\n\r\n",
        body.len()
    );
    let _ = io.write_all(head.as_bytes()).await;
    let _ = io.write_all(&body).await;
    let _ = io.shutdown().await;
    Ok(())
}
