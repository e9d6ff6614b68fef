//! `/metrics` in the Prometheus text format (organizers on the main port; anyone on the
//! `--metrics-bind` port), and the middleware that counts and times HTTP requests.
use super::State;
use crate::error::ApiResult;
use crate::model::{Caller, policy};
use crate::telemetry::Observed;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Metrics in the Prometheus text format (organizers; `--metrics-bind` serves them without a
/// token on an address of its own).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_metrics(state: State, caller: Caller) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    Ok(render(&state))
}

/// The same on the metrics address, which only the monitoring network reaches.
pub async fn get_metrics_unauthenticated(state: State) -> HttpResponse {
    render(&state)
}

fn render(state: &State) -> HttpResponse {
    let live = state.hub.stats();
    let pool = state.db.pool_use();
    let observed = Observed {
        live_connections: live.sockets.load(Ordering::Relaxed) as u64,
        live_subscriptions: live.subscriptions.load(Ordering::Relaxed) as u64,
        live_frames: live.frames.load(Ordering::Relaxed),
        live_deliveries: live.deliveries.load(Ordering::Relaxed),
        live_dropped: live.dropped.load(Ordering::Relaxed),
        live_coalesced: live.coalesced.load(Ordering::Relaxed),
        live_snapshots: live.snapshots.load(Ordering::Relaxed),
        engine_queue: state.engine.queue_depth() as u64,
        db_pool_connections: u64::from(pool.open),
        db_pool_idle: pool.idle as u64,
        db_pool_max: u64::from(pool.max),
    };
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(state.metrics.render(&observed))
}

/// Counts and times every request by method, route pattern (never the raw path, so the
/// series stay few) and final status.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let state = req.app_data::<State>().cloned();
    let response = next.call(req).await;
    if let Some(state) = state {
        let (route, status) = match &response {
            Ok(res) => (res.request().match_pattern(), res.status()),
            Err(error) => (None, error.as_response_error().status_code()),
        };
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.http_request(method.as_str(), &route, status.as_u16(), started.elapsed());
    }
    response
}

/// The routes of the `--metrics-bind` address.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(get_metrics_unauthenticated));
}
