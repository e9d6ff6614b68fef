//! HTTPS for the venue LAN: a certificate from files, or a self-signed one made for this
//! machine's addresses under a venue CA that tablets install once (`/ca.pem`, `/ca.crt`).
//! One port serves both: a connection that starts with a TLS handshake gets HTTPS, any
//! other gets plain HTTP that redirects to it (and the CA, which a tablet needs before it
//! trusts the HTTPS).
use crate::config::TlsSource;
use actix_http::error::DispatchError;
use actix_http::{HttpService, Protocol};
use actix_service::{
    IntoServiceFactory, Service, ServiceFactory, ServiceFactoryExt, fn_factory, fn_service, map_config,
};
use actix_web::dev::AppConfig;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, web};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// What serving HTTPS needs, ready.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// The venue CA (self-signed mode), served for tablets to install.
    pub ca: Option<VenueCa>,
    /// SHA-256 of the certificate tablets must trust (the CA, else the server's), `AB:CD:…`.
    pub fingerprint: String,
    /// The names and addresses the server certificate is valid for.
    pub names: Vec<String>,
}

#[derive(Clone)]
pub struct VenueCa {
    pub pem: String,
    pub der: Vec<u8>,
}

/// Server certificates are made anew at each start; browsers refuse longer than 398 days.
const SERVER_DAYS: i64 = 397;
const CA_YEARS: i64 = 10;

pub fn prepare(source: &TlsSource) -> Result<Tls, String> {
    match source {
        TlsSource::Files { cert, key } => from_files(cert, key),
        TlsSource::SelfSigned { dir, names } => self_signed(dir, names),
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| format!("the certificate and key do not make a TLS configuration: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn from_files(cert: &Path, key: &Path) -> Result<Tls, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read certificates from {}: {e}", cert.display()))?;
    let first = chain.first().ok_or_else(|| format!("{} holds no certificate", cert.display()))?;
    let fingerprint = fingerprint(first);
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key from {}: {e}", key.display()))?;
    Ok(Tls { config: server_config(chain, key)?, ca: None, fingerprint, names: Vec::new() })
}

/// The venue CA's parameters; its name derives from its key, so a CA kept on disk is
/// rebuilt exactly from its key alone.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let id = fingerprint(key.public_key_raw()).replace(':', "");
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::OrganizationName, "Podium");
    params.distinguished_name.push(DnType::CommonName, format!("Podium venue CA {}", &id[..8]));
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let now = time_now();
    params.not_before = now - rcgen_days(1);
    params.not_after = now + rcgen_days(365 * CA_YEARS);
    params
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn rcgen_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}

/// The CA in `dir` (made on first use and kept: tablets trust it once), and a server
/// certificate it signs for `names` and every address of this machine.
fn self_signed(dir: &Path, extra: &[String]) -> Result<Tls, String> {
    let ca_key_path = dir.join("ca-key.pem");
    let ca_cert_path = dir.join("ca.pem");
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("{what} in {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(|e| fail("cannot create the TLS folder", &e))?;
    let (ca_key, ca_pem) = match std::fs::read_to_string(&ca_key_path) {
        Ok(text) => {
            let key = KeyPair::from_pem(&text).map_err(|e| fail("the venue CA key is unreadable", &e))?;
            let pem =
                std::fs::read_to_string(&ca_cert_path).map_err(|e| fail("the venue CA certificate is missing", &e))?;
            (key, pem)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = KeyPair::generate().map_err(|e| fail("cannot make a key", &e))?;
            let cert = ca_params(&key).self_signed(&key).map_err(|e| fail("cannot make the venue CA", &e))?;
            write_private(&ca_key_path, &key.serialize_pem()).map_err(|e| fail("cannot store the venue CA key", &e))?;
            std::fs::write(&ca_cert_path, cert.pem()).map_err(|e| fail("cannot store the venue CA", &e))?;
            (key, cert.pem())
        }
        Err(e) => return Err(fail("cannot read the venue CA key", &e)),
    };
    let ca_der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .map_err(|e| fail("the venue CA certificate is unreadable", &e))?
        .to_vec();
    let issuer = Issuer::new(ca_params(&ca_key), &ca_key);

    let names = server_names(extra);
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "Podium");
    for name in &names {
        params.subject_alt_names.push(match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => {
                SanType::DnsName(name.clone().try_into().map_err(|e| format!("'{name}' is not a host name: {e}"))?)
            }
        });
    }
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = time_now() - rcgen_days(1);
    params.not_after = time_now() + rcgen_days(SERVER_DAYS);
    let key = KeyPair::generate().map_err(|e| fail("cannot make a key", &e))?;
    let cert = params.signed_by(&key, &issuer).map_err(|e| fail("cannot make the server certificate", &e))?;
    let chain = vec![cert.der().clone(), CertificateDer::from(ca_der.clone())];
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| fail("cannot use the server key", &e))?;
    Ok(Tls {
        config: server_config(chain, key)?,
        fingerprint: fingerprint(&ca_der),
        ca: Some(VenueCa { pem: ca_pem, der: ca_der }),
        names,
    })
}

/// `localhost`, the host name, every address of this machine, and the names asked for.
fn server_names(extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() {
            names.push(host.to_owned());
        }
    }
    for interface in if_addrs::get_if_addrs().unwrap_or_default() {
        let ip = interface.ip();
        if !(ip.is_ipv6() && matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local())) {
            names.push(ip.to_string());
        }
    }
    names.extend(extra.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// Writes a secret readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// A live or HTTP connection after its TLS handshake.
pub type Stream = tokio_rustls::server::TlsStream<TcpStream>;

/// A first byte of 0x16 opens a TLS handshake; anything else is plain HTTP.
const HANDSHAKE: u8 = 0x16;
/// A connection must start (and finish its handshake) within this.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// `/ca.pem` and `/ca.crt`: the venue CA, for tablets to install (self-signed mode only).
pub fn ca_routes(config: &mut web::ServiceConfig, ca: Option<VenueCa>) {
    let Some(ca) = ca else { return };
    let (pem, der) = (ca.pem.clone(), ca.der.clone());
    config
        .route(
            "/ca.pem",
            web::get().to(move || {
                let pem = pem.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/x-pem-file")
                        .insert_header(("Content-Disposition", "attachment; filename=\"podium-venue-ca.pem\""))
                        .body(pem)
                }
            }),
        )
        .route(
            "/ca.crt",
            web::get().to(move || {
                let der = der.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/x-x509-ca-cert")
                        .insert_header(("Content-Disposition", "attachment; filename=\"podium-venue-ca.crt\""))
                        .body(der)
                }
            }),
        )
        .route("/ca", web::get().to(ca_page));
}

/// A page telling how to install the CA (linked from the redirect and the console).
async fn ca_page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(concat!(
        "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>",
        "<title>Podium venue certificate</title><body style='font:16px system-ui;max-width:40em;margin:2em auto'>",
        "<h1>Podium venue certificate</h1><p>Install it once on each tablet, then open Podium over https.</p>",
        "<ul><li><a href=/ca.crt>Android, iPad, Windows: podium-venue-ca.crt</a></li>",
        "<li><a href=/ca.pem>Linux, macOS: podium-venue-ca.pem</a></li></ul>",
        "<p>Compare its SHA-256 fingerprint with the one the server printed at start.</p>"
    ))
}

/// Plain HTTP that sends every request to HTTPS on `https_port` (or the port it came on),
/// except the CA a tablet needs before it can trust the HTTPS.
fn redirect_app(
    ca: Option<VenueCa>,
    https_port: Option<u16>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new().configure(|config| ca_routes(config, ca)).default_service(web::to(move |req: HttpRequest| async move {
        let info = req.connection_info();
        let host = info.host();
        // The host without its port; an IPv6 literal keeps its brackets.
        let name = match host.rfind(']') {
            Some(end) => &host[..=end],
            None => host.split(':').next().unwrap_or(host),
        };
        let authority = match https_port {
            Some(443) => name.to_owned(),
            Some(port) => format!("{name}:{port}"),
            None => host.to_owned(),
        };
        let target = format!("https://{authority}{}", req.uri().path_and_query().map_or("/", |p| p.as_str()));
        HttpResponse::PermanentRedirect().insert_header((header::LOCATION, target)).finish()
    }))
}

/// The plain HTTP listener of `--redirect-bind`.
pub fn redirect(
    ca: Option<VenueCa>,
    https_port: u16,
) -> impl ServiceFactory<TcpStream, Config = (), Response = (), Error = DispatchError, InitError = ()> {
    let app = redirect_app(ca, Some(https_port)).into_factory().map_err(|err: actix_web::Error| err.error_response());
    HttpService::build().client_request_timeout(START_TIMEOUT).finish(map_config(app, |_| AppConfig::default())).tcp()
}

/// HTTPS and, on the same port, plain HTTP that redirects to it.
pub fn one_port<S>(
    https: S,
    acceptor: TlsAcceptor,
    ca: Option<VenueCa>,
) -> impl ServiceFactory<TcpStream, Config = (), Response = (), Error = (), InitError = ()>
where
    S: ServiceFactory<(Stream, Protocol, Option<SocketAddr>), Config = (), Response = (), InitError = ()> + 'static,
    S::Service: 'static,
{
    let app = redirect_app(ca, None).into_factory().map_err(|err: actix_web::Error| err.error_response());
    let http =
        HttpService::build().client_request_timeout(START_TIMEOUT).finish(map_config(app, |_| AppConfig::default()));
    let https = Rc::new(https);
    let http = Rc::new(http);
    fn_factory(move || {
        let (https, http, acceptor) = (https.clone(), http.clone(), acceptor.clone());
        async move {
            let https = Rc::new(https.new_service(()).await?);
            let http = Rc::new(http.new_service(()).await?);
            Ok(fn_service(move |tcp: TcpStream| {
                let (https, http, acceptor) = (https.clone(), http.clone(), acceptor.clone());
                async move {
                    let peer = tcp.peer_addr().ok();
                    let _ = tcp.set_nodelay(true);
                    let mut first = [0u8; 1];
                    if !matches!(tokio::time::timeout(START_TIMEOUT, tcp.peek(&mut first)).await, Ok(Ok(1))) {
                        return Ok(());
                    }
                    if first[0] == HANDSHAKE {
                        if let Ok(Ok(stream)) = tokio::time::timeout(START_TIMEOUT, acceptor.accept(tcp)).await {
                            let _ = https.call((stream, Protocol::Http1, peer)).await;
                        }
                    } else {
                        let _ = http.call((tcp, Protocol::Http1, peer)).await;
                    }
                    Ok(())
                }
            }))
        }
    })
}
