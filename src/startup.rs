//! Builds the actix application: state, routes, middleware, problem+json for actix's
//! own errors, the OpenAPI document and the embedded frontend.
use crate::api::AppState;
use crate::api::live::LiveState;
use crate::api::openapi::ApiDoc;
use crate::auth::Sessions;
use crate::auth::limiter::LoginLimiter;
use crate::config::Settings;
use crate::error::{ApiError, ErrorCode, problem};
use crate::live::{Hub, LiveConfig};
use crate::service::Engine;
use crate::store::Db;
use crate::telemetry::Metrics;
use actix_codec::Framed;
use actix_http::{Request, h1};
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{AppConfig, Server, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpRequest, HttpResponse, web};
use std::net::TcpListener;
use std::time::Duration;
use tokio::net::TcpStream;
use utoipa::OpenApi;

/// Largest JSON body accepted: a whole competition package.
pub const MAX_JSON_BYTES: usize = 32 * 1024 * 1024;
/// On SIGTERM, requests in flight get this long to finish before the server stops anyway.
const SHUTDOWN_TIMEOUT_SECS: u64 = 10;
/// The close code live sockets get when the server stops ("going away").
const CLOSE_GOING_AWAY: u16 = 1001;

mod nul;
mod tls;

pub struct Application {
    port: u16,
    server: Server,
    tls: Option<TlsInfo>,
    metrics_port: Option<u16>,
    hub: Hub,
    metrics: Metrics,
}

/// What a venue needs to know of the HTTPS the server speaks.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// SHA-256 of the certificate tablets trust (the venue CA when self-signed).
    pub fingerprint: String,
    /// Whether the venue CA is served at `/ca.pem` and `/ca.crt`.
    pub serves_ca: bool,
    /// The names and addresses of a self-signed certificate.
    pub names: Vec<String>,
}

impl Application {
    pub async fn build(settings: &Settings, db: Db) -> std::io::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let tls = settings.tls.as_ref().map(tls::prepare).transpose().map_err(std::io::Error::other)?;
        let ca = tls.as_ref().and_then(|t| t.ca.clone());
        let hub = Hub::start(LiveConfig {
            interval: Duration::from_secs_f64(1.0 / settings.live_rate.clamp(0.1, 1000.0)),
            max_sockets: settings.max_sockets,
            max_sockets_per_address: settings.max_sockets_per_address,
            ..LiveConfig::default()
        });
        let metrics = Metrics::new();
        let engine = Engine::start(db.clone(), hub.clone(), metrics.clone());
        if let Some(schedule) = &settings.backup {
            crate::service::backup::spawn_schedule(db.clone(), schedule.clone());
        }
        let sessions = web::Data::new(Sessions::new(db.clone()));
        if db.is_postgres() {
            let listening = sessions.clone().into_inner();
            crate::service::relay::start_listener(db.clone(), engine.clone(), hub.clone(), listening)
                .await
                .map_err(std::io::Error::other)?;
        }
        let live = LiveState { engine: engine.clone(), hub: hub.clone(), sessions: sessions.clone().into_inner() };
        let state = web::Data::new(AppState {
            db,
            engine,
            hub: hub.clone(),
            login_limiter: LoginLimiter::default(),
            metrics: metrics.clone(),
        });
        let metrics_state = state.clone();
        let openapi = ApiDoc::openapi();
        let app = move || {
            App::new()
                .app_data(state.clone())
                .app_data(sessions.clone())
                .app_data(json_config())
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|e, _| ApiError::bad_request(ErrorCode::InvalidPath, e.to_string()).into()),
                )
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|e, _| ApiError::bad_request(ErrorCode::InvalidQuery, e.to_string()).into()),
                )
                .app_data(web::PayloadConfig::new(MAX_JSON_BYTES))
                .wrap(actix_web::middleware::from_fn(nul::refuse))
                .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "no-referrer")),
                )
                .wrap(tracing_actix_web::TracingLogger::<RedactedSpan>::new())
                .wrap(actix_web::middleware::from_fn(crate::api::metrics::count_requests))
                .route("/healthz", web::get().to(healthz))
                // A resource (not App::route, whose GET guard would send other methods to the
                // 404 default): other methods answer 405, as the OpenAPI document says.
                .service(web::resource("/metrics").route(web::get().to(crate::api::metrics::get_metrics)))
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
                .configure(|config| tls::ca_routes(config, ca.clone()))
                .service(web::scope("/api/v1").configure(crate::api::routes).default_service(web::to(api_not_found)))
                .configure(crate::frontend::routes)
                .default_service(web::to(api_not_found))
        };
        // actix-web's HttpServer, with one addition: upgrades (live websockets) are taken over
        // before the request dispatcher, so an idle live socket holds no HTTP buffers.
        let builder = Server::build();
        let builder = match &tls {
            None => builder.listen("podium", listener, move || {
                let live = live.clone();
                let upgrade = fn_service(move |(req, framed): (Request, Framed<TcpStream, h1::Codec>)| {
                    crate::api::live::upgrade(live.clone(), req, framed)
                });
                let app = app().into_factory().map_err(|err: actix_web::Error| err.error_response());
                http_service().upgrade(upgrade).finish(map_config(app, |_| AppConfig::default())).tcp()
            })?,
            Some(venue) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(venue.config.clone());
                let ca = venue.ca.clone();
                let builder = builder.listen("podium", listener, move || {
                    let live = live.clone();
                    let upgrade = fn_service(move |(req, framed): (Request, Framed<tls::Stream, h1::Codec>)| {
                        crate::api::live::upgrade(live.clone(), req, framed)
                    });
                    let app = app().into_factory().map_err(|err: actix_web::Error| err.error_response());
                    let https = http_service().upgrade(upgrade).finish(map_config(app, |_| AppConfig::default()));
                    tls::one_port(https, acceptor.clone(), ca.clone())
                })?;
                match &settings.redirect_bind {
                    Some(address) => {
                        let ca = venue.ca.clone();
                        builder
                            .listen("redirect", TcpListener::bind(address)?, move || tls::redirect(ca.clone(), port))?
                    }
                    None => builder,
                }
            }
        };
        // `/metrics` without a token, on an address only monitoring reaches.
        let (builder, metrics_port) = match &settings.metrics_bind {
            Some(address) => {
                let listener = TcpListener::bind(address)?;
                let metrics_port = listener.local_addr()?.port();
                let builder = builder.listen("metrics", listener, move || {
                    let app = App::new()
                        .app_data(metrics_state.clone())
                        .configure(crate::api::metrics::routes)
                        .default_service(web::to(api_not_found))
                        .into_factory()
                        .map_err(|err: actix_web::Error| err.error_response());
                    http_service().finish(map_config(app, |_| AppConfig::default())).tcp()
                })?;
                (builder, Some(metrics_port))
            }
            None => (builder, None),
        };
        // Signals are handled in `run_until_stopped`, which also closes the live sockets.
        let server = builder.shutdown_timeout(SHUTDOWN_TIMEOUT_SECS).disable_signals().run();
        let tls = tls.map(|t| TlsInfo { fingerprint: t.fingerprint, serves_ca: t.ca.is_some(), names: t.names });
        Ok(Application { port, server, tls, metrics_port, hub, metrics })
    }

    /// The port of `--metrics-bind`, when given.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `Some` when the server speaks HTTPS.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, requests
    /// in flight (marks being stored) finish within a timeout, every live socket gets close
    /// code 1001, and this returns `Ok` once all is done.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application { server, hub, metrics, .. } = self;
        let handle = server.handle();
        let mut stop = Box::pin(stop_signal()?);
        let watcher = tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = upkeep.tick() => metrics.upkeep(),
                    () = &mut stop => break,
                }
            }
            tracing::info!("stopping: finishing requests in flight and closing live sockets");
            // Live sockets first: they run outside the HTTP connections the server waits
            // for, so they are closed (1001) and drained before the workers stop.
            hub.shutdown(CLOSE_GOING_AWAY, "the server is stopping");
            hub.closed(Duration::from_secs(SHUTDOWN_TIMEOUT_SECS)).await;
            handle.stop(true).await;
        });
        let result = server.await;
        watcher.abort();
        if result.is_ok() {
            tracing::info!("stopped");
        }
        result
    }
}

/// Resolves on the first SIGTERM or SIGINT (Ctrl-C).
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// actix-http's service with the timeouts of actix-web's HttpServer.
fn http_service<T, S>() -> actix_http::HttpServiceBuilder<T, S>
where
    S: actix_service::ServiceFactory<Request, Config = ()>,
    S::Error: Into<actix_http::Response<BoxBody>> + 'static,
    S::InitError: std::fmt::Debug,
    <S::Service as actix_service::Service<Request>>::Future: 'static,
{
    actix_http::HttpServiceBuilder::default()
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .h1_allow_half_closed(true)
        // Live frames and answers are small and latency-bound: Nagle's algorithm would hold a
        // frame while the one before it is unacknowledged (up to the peer's delayed ACK).
        .tcp_nodelay(true)
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_JSON_BYTES).error_handler(|error, _req| {
        use actix_web::error::JsonPayloadError;
        let (status, code) = match &error {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            JsonPayloadError::ContentType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType),
            JsonPayloadError::Deserialize(e) if e.is_data() => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidBody)
            }
            _ => (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson),
        };
        let response = problem(status, code, &error.to_string(), Vec::new());
        actix_web::error::InternalError::from_response(error, response).into()
    })
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok" })),
        Err(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseUnavailable,
            "the database does not answer",
            Vec::new(),
        ),
    }
}

async fn api_not_found(req: HttpRequest) -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        &format!("no route {} {}", req.method(), req.path()),
        Vec::new(),
    )
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
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        s if s.is_server_error() => ErrorCode::InternalError,
        _ => ErrorCode::BadRequest,
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
