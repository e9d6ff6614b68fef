//! Builds the actix application: state, routes, middleware, problem+json for actix's
//! own errors, the OpenAPI document and the embedded frontend.
use crate::auth::SessionCache;
use crate::auth::limiter::LoginLimiter;
use crate::config::Settings;
use crate::error::problem;
use crate::live::Hub;
use crate::service::Engine;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use sea_orm::DatabaseConnection;
use std::net::TcpListener;
use utoipa::OpenApi;

/// Largest JSON body accepted: a whole competition package.
pub const MAX_JSON_BYTES: usize = 32 * 1024 * 1024;

pub struct AppState {
    pub db: DatabaseConnection,
    pub engine: Engine,
    pub hub: Hub,
    pub sessions: SessionCache,
    pub login_limiter: LoginLimiter,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(settings: &Settings, db: DatabaseConnection) -> std::io::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let hub = Hub::default();
        let engine = Engine::start(db.clone(), hub.clone());
        if crate::service::engine::is_postgres(&db) {
            crate::live::relay::spawn_listener(db.clone(), engine.clone(), hub.clone());
        }
        let state = web::Data::new(AppState {
            db,
            engine,
            hub,
            sessions: SessionCache::default(),
            login_limiter: LoginLimiter::default(),
        });
        let openapi = ApiDoc::openapi();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(json_config())
                .app_data(
                    web::PathConfig::default().error_handler(|e, _| {
                        crate::error::ApiError::bad_request("invalid_path", e.to_string()).into()
                    }),
                )
                .app_data(
                    web::QueryConfig::default().error_handler(|e, _| {
                        crate::error::ApiError::bad_request("invalid_query", e.to_string()).into()
                    }),
                )
                .app_data(web::PayloadConfig::new(MAX_JSON_BYTES))
                .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "no-referrer")),
                )
                .wrap(tracing_actix_web::TracingLogger::<RedactedSpan>::new())
                .route("/healthz", web::get().to(healthz))
                .route(
                    "/api/openapi.json",
                    web::get().to({
                        let openapi = openapi.clone();
                        move || {
                            let openapi = openapi.clone();
                            async move { HttpResponse::Ok().json(openapi) }
                        }
                    }),
                )
                .service(
                    utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi-ui.json", openapi.clone()),
                )
                .service(web::scope("/api/v1").configure(crate::api::routes).default_service(web::to(api_not_found)))
                .configure(crate::frontend::routes)
                .default_service(web::to(api_not_found))
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_JSON_BYTES).error_handler(|error, _req| {
        use actix_web::error::JsonPayloadError;
        let (status, code) = match &error {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            JsonPayloadError::ContentType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            JsonPayloadError::Deserialize(e) if e.is_data() => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            _ => (StatusCode::BAD_REQUEST, "malformed_json"),
        };
        let response = problem(status, code, &error.to_string(), Vec::new());
        actix_web::error::InternalError::from_response(error, response).into()
    })
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(_) => {
            problem(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", "the database does not answer", Vec::new())
        }
    }
}

async fn api_not_found(req: HttpRequest) -> HttpResponse {
    problem(StatusCode::NOT_FOUND, "not_found", &format!("no route {} {}", req.method(), req.path()), Vec::new())
}

/// Rewrites actix's own plain-text errors (wrong method, payload too large, …) into
/// problem+json, leaving responses that are problems already untouched.
fn problem_for_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    let status = res.status();
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    };
    let detail = res
        .response()
        .error()
        .map(|e| e.to_string())
        .filter(|d| !d.is_empty() && status.is_client_error())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let (req, old) = res.into_parts();
    let mut new = problem(status, code, &detail, Vec::new());
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    new.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    let res: ServiceResponse<EitherBody<B, BoxBody>> = ServiceResponse::new(req, new).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

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
        crate::api::results::get_awards, crate::live::socket::live,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth)
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

/// Request spans with the path but never the query string: `?token=` must not be logged.
pub struct RedactedSpan;

impl tracing_actix_web::RootSpanBuilder for RedactedSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        tracing::info_span!("request", method = %request.method(), path = %request.path())
    }

    fn on_request_end<B: MessageBody>(span: tracing::Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
