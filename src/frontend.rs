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
    cfg.route("/", page("index.html"))
        .route("/board/{code}", page("board/index.html"))
        .route("/judge", page("judge/index.html"))
        // The tablet's service worker, from the root so that its scope may cover `/judge` (a
        // worker under /static/ could only control pages under /static/).
        .route("/judge-sw.js", page("judge/sw.js"))
        .route("/admin", page("admin/index.html"))
        .route("/print/{code}/{kind}", page("print/index.html"))
        // The ceremony's hall screens (public), its presenter, and transparent video overlays
        // (OBS, vMix browser sources).
        .route("/ceremony/{code}", page("ceremony/hall.html"))
        .route("/ceremony/{code}/present", page("ceremony/present.html"))
        .route("/overlay/{code}", page("ceremony/overlay.html"))
        .route("/static/{path:.*}", web::get().to(asset));
}

/// A route that serves one embedded file, whatever the path's parameters.
fn page(file: &'static str) -> actix_web::Route {
    web::get().to(move |req: HttpRequest| async move { serve(&req, file) })
}

/// Serves one embedded file. Every answer is revalidated (`no-cache` with an ETag from the
/// file's hash), so after an upgrade a browser never mixes old and new modules, while an
/// unchanged file costs a 304.
fn serve(req: &HttpRequest, path: &str) -> HttpResponse {
    let Some(file) = Assets::get(path) else {
        return crate::error::problem(
            actix_web::http::StatusCode::NOT_FOUND,
            crate::error::ErrorCode::NotFound,
            &format!("no page {path}"),
            Vec::new(),
        );
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Frame-Options", "DENY"));
    if fresh {
        return response.finish();
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    response.content_type(mime.as_ref()).body(file.data.into_owned())
}

async fn asset(req: HttpRequest) -> HttpResponse {
    let path = req.match_info().get("path").unwrap_or_default().to_owned();
    if path.contains("..") {
        return crate::error::problem(
            actix_web::http::StatusCode::NOT_FOUND,
            crate::error::ErrorCode::NotFound,
            "no such file",
            Vec::new(),
        );
    }
    serve(&req, &path)
}
