//! The OpenAPI document: every route with its request and response types.
use utoipa::OpenApi;

mod problems;
use problems::ProblemResponses;
pub use problems::WriteProblems;
pub mod views;

#[derive(OpenApi)]
#[openapi(
    info(title = "Podium", description = "Skills competition management and live scoring"),
    paths(
        crate::api::session::create_session, crate::api::session::delete_session, crate::api::session::get_me,
        crate::api::competitions::list_competitions, crate::api::competitions::create_competition,
        crate::api::competitions::get_competition, crate::api::competitions::update_competition,
        crate::api::competitions::delete_competition, crate::api::competitions::import_competition,
        crate::api::competitions::export_competition,
        crate::api::registration::list_delegations, crate::api::registration::create_delegation,
        crate::api::registration::update_delegation, crate::api::registration::delete_delegation,
        crate::api::registration::list_skills, crate::api::registration::get_skill, crate::api::registration::create_skill,
        crate::api::registration::update_skill, crate::api::registration::delete_skill,
        crate::api::registration::list_entries, crate::api::registration::create_entry, crate::api::registration::update_entry,
        crate::api::registration::delete_entry, crate::api::registration::import_entries_csv,
        crate::api::registration::list_judges, crate::api::registration::create_judge, crate::api::registration::update_judge,
        crate::api::registration::delete_judge, crate::api::registration::import_judges_csv,
        crate::api::registration::issue_judge_code,
        crate::api::marks::record_marks, crate::api::marks::list_marks, crate::api::marks::void_mark, crate::api::marks::list_audit,
        crate::api::judging::set_entry_status, crate::api::judging::list_discrepancies, crate::api::judging::override_discrepancy,
        crate::api::judging::lock_skill, crate::api::judging::unlock_skill, crate::api::judging::publish_skill,
        crate::api::results::get_results, crate::api::results::get_progress, crate::api::results::get_medals,
        crate::api::results::get_awards, crate::api::oversight::get_readiness, crate::api::oversight::get_skill_readiness,
        crate::api::oversight::get_grid, crate::api::live::live,
        crate::api::ceremony::get_ceremony, crate::api::ceremony::put_ceremony, crate::api::ceremony::next_step,
        crate::api::ceremony::back_step, crate::api::ceremony::rehearsal,
        crate::api::fleet::report_heartbeat, crate::api::fleet::list_tablets,
        crate::api::spreadsheet::import_scheme, crate::api::spreadsheet::import_delegations_csv,
        crate::api::metrics::get_metrics,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth, &ProblemResponses)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
