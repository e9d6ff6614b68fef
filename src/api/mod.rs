//! Thin HTTP handlers, one module per resource: extract, authorize, call, respond.
pub mod competitions;
pub mod judging;
pub mod marks;
pub mod registration;
pub mod results;
pub mod session;

use crate::error::{ApiError, ApiResult};
use crate::service::model::Competition;
use crate::startup::AppState;
use actix_web::web;
use std::sync::Arc;

pub type State = web::Data<AppState>;

pub async fn competition(state: &AppState, code: &str) -> ApiResult<Arc<Competition>> {
    state.engine.competition(code).await
}

pub fn found(index: Option<usize>, kind: &str, key: &str) -> ApiResult<usize> {
    index.ok_or_else(|| ApiError::not_found(format!("no {kind} '{key}'")))
}

/// Every API route; the OpenAPI document lists the same handlers.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, post, put, resource};
    // The mark path first: routes are matched in order.
    cfg.service(
        resource("/competitions/{code}/marks").route(post().to(marks::record_marks)).route(get().to(marks::list_marks)),
    )
    .service(resource("/session").route(post().to(session::create_session)).route(delete().to(session::delete_session)))
    .service(resource("/session/me").route(get().to(session::get_me)))
    .service(
        resource("/competitions")
            .route(get().to(competitions::list_competitions))
            .route(post().to(competitions::create_competition)),
    )
    .service(resource("/competitions/import").route(post().to(competitions::import_competition)))
    .service(
        resource("/competitions/{code}")
            .route(get().to(competitions::get_competition))
            .route(put().to(competitions::update_competition))
            .route(delete().to(competitions::delete_competition)),
    )
    .service(resource("/competitions/{code}/export").route(get().to(competitions::export_competition)))
    .service(
        resource("/competitions/{code}/delegations")
            .route(get().to(registration::list_delegations))
            .route(post().to(registration::create_delegation)),
    )
    .service(
        resource("/competitions/{code}/delegations/{delegation}")
            .route(put().to(registration::update_delegation))
            .route(delete().to(registration::delete_delegation)),
    )
    .service(
        resource("/competitions/{code}/skills")
            .route(get().to(registration::list_skills))
            .route(post().to(registration::create_skill)),
    )
    .service(
        resource("/competitions/{code}/skills/{skill}")
            .route(get().to(registration::get_skill))
            .route(put().to(registration::update_skill))
            .route(delete().to(registration::delete_skill)),
    )
    .service(
        resource("/competitions/{code}/entries")
            .route(get().to(registration::list_entries))
            .route(post().to(registration::create_entry)),
    )
    .service(resource("/competitions/{code}/entries.csv").route(post().to(registration::import_entries_csv)))
    .service(
        resource("/competitions/{code}/entries/{entry}")
            .route(put().to(registration::update_entry))
            .route(delete().to(registration::delete_entry)),
    )
    .service(resource("/competitions/{code}/entries/{entry}/status").route(post().to(judging::set_entry_status)))
    .service(
        resource("/competitions/{code}/judges")
            .route(get().to(registration::list_judges))
            .route(post().to(registration::create_judge)),
    )
    .service(resource("/competitions/{code}/judges.csv").route(post().to(registration::import_judges_csv)))
    .service(
        resource("/competitions/{code}/judges/{judge}")
            .route(put().to(registration::update_judge))
            .route(delete().to(registration::delete_judge)),
    )
    .service(resource("/competitions/{code}/judges/{judge}/code").route(post().to(registration::issue_judge_code)))
    .service(resource("/competitions/{code}/marks/{id}/void").route(post().to(marks::void_mark)))
    .service(resource("/competitions/{code}/audit").route(get().to(marks::list_audit)))
    .service(resource("/competitions/{code}/skills/{skill}/results").route(get().to(results::get_results)))
    .service(resource("/competitions/{code}/skills/{skill}/discrepancies").route(get().to(judging::list_discrepancies)))
    .service(
        resource("/competitions/{code}/skills/{skill}/discrepancies/override")
            .route(post().to(judging::override_discrepancy)),
    )
    .service(resource("/competitions/{code}/skills/{skill}/lock").route(post().to(judging::lock_skill)))
    .service(resource("/competitions/{code}/skills/{skill}/unlock").route(post().to(judging::unlock_skill)))
    .service(resource("/competitions/{code}/skills/{skill}/publish").route(post().to(judging::publish_skill)))
    .service(resource("/competitions/{code}/progress").route(get().to(results::get_progress)))
    .service(resource("/competitions/{code}/medals").route(get().to(results::get_medals)))
    .service(resource("/competitions/{code}/awards").route(get().to(results::get_awards)))
    .service(resource("/competitions/{code}/live").route(get().to(crate::live::socket::live)));
}
