//! HTTPS for the venue (`--tls-self-signed`): the CA over plain HTTP, redirects to HTTPS on
//! the same port, the API over HTTPS, and the live protocol over `wss://` (the same tests as
//! over `ws://`).
use crate::helpers::{Scratch, TestApp, fresh_sqlite, spawn_with};
use crate::{live, live_limits};
use podium::config::TlsSource;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A client configuration that trusts the venue CA only.
pub fn client_config(ca_pem: &[u8]) -> Arc<rustls::ClientConfig> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.expect("a PEM certificate")).expect("a CA certificate");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// A server on SQLite speaking HTTPS with a venue CA kept beside its database (both are
/// removed with the app).
async fn spawn_https(live_rate: Option<f64>) -> Option<(TestApp, std::path::PathBuf)> {
    let (url, dir) = fresh_sqlite();
    let tls_dir = dir.0.join("tls");
    let source = TlsSource::SelfSigned { dir: tls_dir.clone(), names: vec!["podium.venue".into()] };
    let app = spawn_with(url, Some(Scratch::Dir(dir)), |s| {
        s.tls = Some(source);
        if let Some(rate) = live_rate {
            s.live_rate = rate;
        }
    })
    .await;
    Some((app, tls_dir))
}

fn port(app: &TestApp) -> u16 {
    app.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_venue_ca_comes_over_http_and_everything_else_redirects_to_https() {
    let Some((app, tls_dir)) = spawn_https(None).await else { return };
    let port = port(&app);
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // A tablet that does not trust the CA yet fetches it over plain HTTP, on the same port.
    let response = plain.get(format!("http://127.0.0.1:{port}/ca.pem")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pem = response.bytes().await.unwrap();
    assert_eq!(pem.as_ref(), std::fs::read(tls_dir.join("ca.pem")).unwrap().as_slice());
    let der = plain.get(format!("http://127.0.0.1:{port}/ca.crt")).send().await.unwrap().bytes().await.unwrap();
    let fingerprint: String = Sha256::digest(&der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
    let app_side = {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(&pem).unwrap().to_vec()
    };
    assert_eq!(der.as_ref(), app_side.as_slice(), "the DER and PEM forms are the same CA");
    assert_eq!(fingerprint.len(), 32 * 3 - 1);

    // Everything else redirects to HTTPS, keeping the path, the query and the method.
    let response = plain.get(format!("http://127.0.0.1:{port}/board/DEMO?skill=S1")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], format!("https://127.0.0.1:{port}/board/DEMO?skill=S1").as_str());
    let response = plain.post(format!("http://localhost:{port}/api/v1/session")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], format!("https://localhost:{port}/api/v1/session").as_str());

    // Over HTTPS, with the CA trusted, for the names and addresses of the certificate.
    let (status, health) = app.get("/healthz", None).await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
    let by_address = app.client.get(format!("https://127.0.0.1:{port}/healthz")).send().await.unwrap();
    assert_eq!(by_address.status(), StatusCode::OK);
    let (status, _) = app.get("/api/v1/competitions", Some(&app.admin_token)).await;
    assert_eq!(status, StatusCode::OK);

    // A client that does not trust the venue CA is refused by its own TLS check.
    let untrusting = reqwest::Client::builder().build().unwrap();
    assert!(untrusting.get(format!("https://127.0.0.1:{port}/healthz")).send().await.is_err());

    // The CA is kept: a restart signs its new certificate with the same CA.
    // It may also listen for plain HTTP elsewhere (port 80 at a venue) and redirect to HTTPS.
    let source = TlsSource::SelfSigned { dir: tls_dir.clone(), names: Vec::new() };
    let redirect_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = podium::config::Settings {
        bind: "127.0.0.1:0".into(),
        tls: Some(source),
        redirect_bind: Some(format!("127.0.0.1:{redirect_port}")),
        demo: false,
        ..Default::default()
    };
    let db = podium::store::Db::connect(&app.database_url).await.unwrap();
    let again = podium::startup::Application::build(&settings, db).await.unwrap();
    assert_eq!(again.tls().unwrap().fingerprint, fingerprint);
    let https_port = again.port();
    tokio::spawn(again.run_until_stopped());
    let response = plain.get(format!("http://127.0.0.1:{redirect_port}/judge?x=1")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], format!("https://127.0.0.1:{https_port}/judge?x=1").as_str());
    let response = plain.get(format!("http://127.0.0.1:{redirect_port}/ca.pem")).send().await.unwrap();
    assert_eq!(response.bytes().await.unwrap(), pem);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_over_wss_snapshot_delta_and_resume() {
    let Some((app, _)) = spawn_https(None).await else { return };
    live::snapshot_delta_and_resume_without_gaps(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_over_wss_a_client_too_far_behind_gets_a_fresh_snapshot() {
    let Some((app, _)) = spawn_https(None).await else { return };
    live::a_client_too_far_behind_gets_a_fresh_snapshot(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_over_wss_malformed_messages_floods_and_oversized_messages() {
    let Some((app, _)) = spawn_https(None).await else { return };
    live::malformed_messages_get_an_error_and_nothing_else_breaks(app).await;
    let Some((app, _)) = spawn_https(None).await else { return };
    live_limits::a_flooding_client_is_throttled_then_closed_and_an_oversized_message_closes_with_1009(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_over_wss_revocation_same_bytes_and_merged_deltas() {
    let Some((app, _)) = spawn_https(None).await else { return };
    live_limits::a_logged_out_organizers_socket_is_revoked_and_gets_no_private_delta(app).await;
    let Some((app, _)) = spawn_https(None).await else { return };
    live_limits::frames_are_the_same_bytes_for_every_subscriber(app).await;
    let Some((app, _)) = spawn_https(Some(10.0)).await else { return };
    live_limits::viewers_of_a_channel_faster_than_its_rate_converge_on_merged_deltas(app).await;
}
