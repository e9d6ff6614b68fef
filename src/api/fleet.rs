//! The tablet fleet: judges' tablets report a heartbeat; organizers and chief judges list
//! every tablet with its state, unsent marks, last sync and battery.
//!
//! Heartbeats are telemetry, not competition state: they go straight to the store (a row per
//! judge and tablet, shared by every instance on the same database) rather than through the
//! engine, so a tablet's heartbeat never waits behind marks. Who may report and who may
//! watch is the policy's.
use super::{State, competition};
use crate::domain::Offences;
use crate::domain::tablet::HeartbeatInput;
use crate::error::ApiResult;
use crate::model::fleet::{self, FleetView, TabletView};
use crate::model::{Caller, policy};
use crate::store;
use actix_web::web;
use chrono::Utc;

/// A tablet reports its app version, unsent marks, last sync and battery (judges, for
/// themselves only).
#[utoipa::path(post, path = "/api/v1/competitions/{code}/tablets/heartbeat", tag = "fleet", request_body = HeartbeatInput,
    responses(
        (status = 200, description = "The tablet as the console now sees it", body = TabletView),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a judge of this competition, or reporting for another judge", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn report_heartbeat(
    state: State,
    caller: Caller,
    code: web::Path<String>,
    body: web::Json<HeartbeatInput>,
) -> ApiResult<web::Json<TabletView>> {
    let c = competition(&state, &code).await?;
    let j = policy::tablet_reporter(&caller, &c, body.judge.as_deref())?;
    let now = Utc::now();
    let mut offences = Offences::default();
    let heartbeat = body.validate(now, &mut offences);
    let heartbeat = offences.into_result(heartbeat, "the heartbeat was not stored")?;
    let judge_id = c.judges[j].id;
    let previous = store::tablet::find(&state.db, judge_id, heartbeat.tablet.as_str()).await?;
    let record = fleet::record((c.id, judge_id), previous.as_ref(), heartbeat, now);
    store::tablet::upsert(&state.db, &record).await?;
    Ok(web::Json(fleet::tablet_view(&record, now)))
}

/// Every judge's tablets: online or stale (no heartbeat for 2 minutes), unsent marks and
/// since when, last sync, battery, app version (organizers; a chief judge sees the judges
/// of their skills).
#[utoipa::path(get, path = "/api/v1/competitions/{code}/tablets", tag = "fleet",
    responses(
        (status = 200, body = FleetView),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_tablets(state: State, caller: Caller, code: web::Path<String>) -> ApiResult<web::Json<FleetView>> {
    let c = competition(&state, &code).await?;
    let judges = policy::fleet_judges(&caller, &c)?;
    let tablets = store::tablet::all_of_competition(&state.db, c.id).await?;
    Ok(web::Json(fleet::fleet(&c, &judges, &tablets, env!("CARGO_PKG_VERSION"), Utc::now())))
}

#[cfg(test)]
mod tests {
    /// The tablet reports its app version; the console flags tablets whose version differs
    /// from the server's, so a release must bump both together.
    #[test]
    fn the_tablet_app_version_is_the_server_version() {
        let source = include_str!("../../frontend/judge/heartbeat.js");
        let wanted = format!("export const APP_VERSION = '{}';", env!("CARGO_PKG_VERSION"));
        assert!(source.contains(&wanted), "frontend/judge/heartbeat.js must say {wanted}");
    }
}
