//! The browser frontend, embedded in the binary (no build step), with strict security
//! headers on every page.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "frontend/"]
struct Assets;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/board/{code}", web::get().to(board))
        .route("/judge", web::get().to(judge))
        .route("/admin", web::get().to(admin))
        .route("/static/{path:.*}", web::get().to(asset));
}

fn serve(path: &str) -> HttpResponse {
    match Assets::get(path) {
        Some(file) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            let cache = if path.ends_with(".html") { "no-cache" } else { "public, max-age=300" };
            HttpResponse::Ok()
                .content_type(mime.as_ref())
                .insert_header((header::CACHE_CONTROL, cache))
                .insert_header(("Content-Security-Policy", CSP))
                .insert_header(("X-Frame-Options", "DENY"))
                .body(file.data.into_owned())
        }
        None => crate::error::problem(
            actix_web::http::StatusCode::NOT_FOUND,
            "not_found",
            &format!("no page {path}"),
            Vec::new(),
        ),
    }
}

async fn index() -> HttpResponse {
    serve("index.html")
}

async fn board() -> HttpResponse {
    serve("board/index.html")
}

async fn judge() -> HttpResponse {
    serve("judge/index.html")
}

async fn admin() -> HttpResponse {
    serve("admin/index.html")
}

async fn asset(req: HttpRequest) -> HttpResponse {
    let path = req.match_info().get("path").unwrap_or_default();
    if path.contains("..") {
        return crate::error::problem(actix_web::http::StatusCode::NOT_FOUND, "not_found", "no such file", Vec::new());
    }
    serve(path)
}
