//! Thin HTTP handlers, one module per resource: extract, authorize, call, respond. Writes
//! are commands for the engine; reads render the current model.
pub mod ceremony;
pub mod competitions;
mod csvfile;
pub mod fleet;
pub mod judging;
pub mod live;
pub mod marks;
pub mod openapi;
pub mod oversight;
pub mod registration;
pub mod results;
pub mod session;
mod sheetfile;
pub mod spreadsheet;

use crate::auth::limiter::LoginLimiter;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::live::Hub;
use crate::model::{Caller, Command, Competition};
use crate::service::{Done, Engine};
use crate::store::Db;
use actix_web::web;
use std::sync::Arc;

/// What every handler may use (the sessions are app data of their own, for the extractors).
pub struct AppState {
    pub db: Db,
    pub engine: Engine,
    pub hub: Hub,
    pub login_limiter: LoginLimiter,
}

pub type State = web::Data<AppState>;

pub async fn competition(state: &AppState, key: &str) -> ApiResult<Arc<Competition>> {
    state.engine.competition(key).await
}

/// An index, or 404 with a code saying what was not found.
pub fn found<I>(index: Option<I>, code: ErrorCode, kind: &str, key: &str) -> ApiResult<I> {
    index.ok_or_else(|| ApiError::unknown(code, format!("no {kind} '{key}'")))
}

/// Performs a write and returns the model after it.
pub async fn write(state: &AppState, c: &Competition, caller: Caller, command: Command) -> ApiResult<Arc<Competition>> {
    let Done { model, .. } = state.engine.execute(c.id, caller, command).await?;
    model.ok_or_else(|| ApiError::not_found("the competition no longer exists"))
}

/// Every API route; the OpenAPI document lists the same handlers.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, post, put, resource};
    let c = |path: &str| format!("/competitions/{{code}}{path}");
    // The mark path first: routes are matched in order.
    cfg.service(resource(c("/marks")).route(post().to(marks::record_marks)).route(get().to(marks::list_marks)))
        .service(
            resource("/session").route(post().to(session::create_session)).route(delete().to(session::delete_session)),
        )
        .service(resource("/session/me").route(get().to(session::get_me)))
        .service(
            resource("/competitions")
                .route(get().to(competitions::list_competitions))
                .route(post().to(competitions::create_competition)),
        )
        .service(resource("/competitions/import").route(post().to(competitions::import_competition)))
        .service(
            resource(c(""))
                .route(get().to(competitions::get_competition))
                .route(put().to(competitions::update_competition))
                .route(delete().to(competitions::delete_competition)),
        )
        .service(resource(c("/export")).route(get().to(competitions::export_competition)))
        .service(
            resource(c("/delegations"))
                .route(get().to(registration::list_delegations))
                .route(post().to(registration::create_delegation)),
        )
        .service(resource(c("/delegations.csv")).route(post().to(spreadsheet::import_delegations_csv)))
        .service(
            resource(c("/delegations/{delegation}"))
                .route(put().to(registration::update_delegation))
                .route(delete().to(registration::delete_delegation)),
        )
        .service(
            resource(c("/skills"))
                .route(get().to(registration::list_skills))
                .route(post().to(registration::create_skill)),
        )
        .service(
            resource(c("/skills/{skill}"))
                .route(get().to(registration::get_skill))
                .route(put().to(registration::update_skill))
                .route(delete().to(registration::delete_skill)),
        )
        .service(
            resource(c("/entries"))
                .route(get().to(registration::list_entries))
                .route(post().to(registration::create_entry)),
        )
        .service(resource(c("/entries.csv")).route(post().to(registration::import_entries_csv)))
        .service(
            resource(c("/entries/{entry}"))
                .route(put().to(registration::update_entry))
                .route(delete().to(registration::delete_entry)),
        )
        .service(resource(c("/entries/{entry}/status")).route(post().to(judging::set_entry_status)))
        .service(
            resource(c("/judges"))
                .route(get().to(registration::list_judges))
                .route(post().to(registration::create_judge)),
        )
        .service(resource(c("/judges.csv")).route(post().to(registration::import_judges_csv)))
        .service(
            resource(c("/judges/{judge}"))
                .route(put().to(registration::update_judge))
                .route(delete().to(registration::delete_judge)),
        )
        .service(resource(c("/judges/{judge}/code")).route(post().to(registration::issue_judge_code)))
        .service(resource(c("/marks/{id}/void")).route(post().to(marks::void_mark)))
        .service(resource(c("/audit")).route(get().to(marks::list_audit)))
        .service(resource(c("/skills/{skill}/scheme/import")).route(post().to(spreadsheet::import_scheme)))
        .service(resource(c("/skills/{skill}/results")).route(get().to(results::get_results)))
        .service(resource(c("/skills/{skill}/discrepancies")).route(get().to(judging::list_discrepancies)))
        .service(resource(c("/skills/{skill}/discrepancies/override")).route(post().to(judging::override_discrepancy)))
        .service(resource(c("/skills/{skill}/lock")).route(post().to(judging::lock_skill)))
        .service(resource(c("/skills/{skill}/unlock")).route(post().to(judging::unlock_skill)))
        .service(resource(c("/skills/{skill}/publish")).route(post().to(judging::publish_skill)))
        .service(resource(c("/readiness")).route(get().to(oversight::get_readiness)))
        .service(resource(c("/skills/{skill}/readiness")).route(get().to(oversight::get_skill_readiness)))
        .service(resource(c("/skills/{skill}/grid")).route(get().to(oversight::get_grid)))
        .service(resource(c("/progress")).route(get().to(results::get_progress)))
        .service(resource(c("/medals")).route(get().to(results::get_medals)))
        .service(resource(c("/awards")).route(get().to(results::get_awards)))
        .service(resource(c("/live")).route(get().to(live::live)))
        .service(
            resource(c("/ceremony")).route(get().to(ceremony::get_ceremony)).route(put().to(ceremony::put_ceremony)),
        )
        .service(resource(c("/ceremony/next")).route(post().to(ceremony::next_step)))
        .service(resource(c("/ceremony/back")).route(post().to(ceremony::back_step)))
        .service(resource(c("/ceremony/rehearsal")).route(post().to(ceremony::rehearsal)))
        .service(resource(c("/tablets")).route(get().to(fleet::list_tablets)))
        .service(resource(c("/tablets/heartbeat")).route(post().to(fleet::report_heartbeat)));
}
