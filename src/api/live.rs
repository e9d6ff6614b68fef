//! The websocket upgrade of the live protocol (docs/live-protocol.md).
use super::State;
use crate::auth::Sessions;
use crate::error::{ApiError, ApiResult, ErrorCode};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LiveQuery {
    token: Option<String>,
}

/// Upgrades to a websocket carrying the competition's live channels.
#[utoipa::path(get, path = "/api/v1/competitions/{code}/live", tag = "live",
    params(("token" = Option<String>, Query, description = "a bearer token, for clients that cannot send one in a first message")),
    responses((status = 101, description = "switching to the live protocol (docs/live-protocol.md)"), (status = 404, body = crate::error::Problem)))]
pub async fn live(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    sessions: web::Data<Sessions>,
    code: web::Path<String>,
    query: web::Query<LiveQuery>,
) -> ApiResult<HttpResponse> {
    let competition = state.engine.competition(&code).await?;
    let caller = match &query.token {
        Some(token) => Some(sessions.resolve(token).await?.ok_or_else(|| {
            ApiError::unauthorized(ErrorCode::InvalidToken, "the token is unknown, expired or revoked")
        })?),
        None => None,
    };
    let (response, session, stream) = actix_ws::handle(&req, body).map_err(|e| {
        ApiError::bad_request(ErrorCode::WebsocketRequired, format!("this endpoint speaks websocket: {e}"))
    })?;
    let serve =
        crate::live::socket::serve(state.hub.clone(), sessions.into_inner(), competition.id, caller, session, stream);
    actix_web::rt::spawn(serve);
    Ok(response)
}
