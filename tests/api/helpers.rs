//! `spawn_app`: a fresh database (SQLite file or PostgreSQL database) and the real server
//! on a random port, with typed request helpers.
use podium::config::Settings;
use podium::startup::Application;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const ADMIN_PASSWORD: &str = "test-admin-password";

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub client: Client,
    pub admin_token: String,
    /// The venue CA the server's HTTPS certificate chains to (self-signed HTTPS only).
    pub ca_pem: Option<Vec<u8>>,
    _scratch: Option<Scratch>,
}

/// What a test's database lives in, removed when the test is done with it (each variant is
/// held for its `Drop` alone).
#[allow(dead_code)]
pub enum Scratch {
    Dir(tempdir::TempDir),
    Postgres(PgDatabase),
}

/// A PostgreSQL database of one test, dropped with this guard; connections still open to it
/// (a server the test left running) are ended.
pub struct PgDatabase {
    pub url: String,
    name: String,
    admin_url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Dropped inside the test's runtime, which cannot be blocked on: a thread and a
        // runtime of its own.
        let dropped = std::thread::spawn(move || {
            use sea_orm::ConnectionTrait;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let admin = sea_orm::Database::connect(&admin_url).await?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("the test database {} was left behind: {error}", self.name);
        }
    }
}

mod tempdir {
    /// A temporary folder removed on drop (tests only; no extra crate needed).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh PostgreSQL database, dropped with the guard, or `None` (with a message) when
/// PostgreSQL is not running. Under `CI=true` a missing PostgreSQL fails the test instead.
pub async fn fresh_postgres() -> Option<PgDatabase> {
    use sea_orm::ConnectionTrait;
    let admin_url = std::env::var("PODIUM_TEST_PG").unwrap_or_else(|_| PG_ADMIN_URL.to_owned());
    let admin = match sea_orm::Database::connect(&admin_url).await {
        Ok(db) => db,
        Err(error) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL is required under CI=true but {admin_url} is unreachable: {error}");
            }
            eprintln!("SKIPPED: PostgreSQL is not reachable at {admin_url} ({error}); start it to run this test");
            return None;
        }
    };
    let name = format!("podium_test_{}", uuid::Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create the test database");
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
    Some(PgDatabase { url: format!("{base}/{name}"), name, admin_url })
}

pub fn fresh_sqlite() -> (String, tempdir::TempDir) {
    let dir: PathBuf = std::env::temp_dir().join(format!("podium-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("podium.db").display());
    (url, tempdir::TempDir(dir))
}

pub async fn database_url(backend: Backend) -> Option<(String, Scratch)> {
    match backend {
        Backend::Sqlite => {
            let (url, dir) = fresh_sqlite();
            Some((url, Scratch::Dir(dir)))
        }
        Backend::Postgres => fresh_postgres().await.map(|db| (db.url.clone(), Scratch::Postgres(db))),
    }
}

/// Starts the server on a fresh database; `None` when the backend is unavailable (skipped).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let (url, scratch) = database_url(backend).await?;
    Some(spawn_on(url, Some(scratch)).await)
}

pub async fn spawn_on(url: String, scratch: Option<Scratch>) -> TestApp {
    spawn_with(url, scratch, |_| {}).await
}

/// Starts the server with settings of a test's own (caps, the live rate).
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let (url, scratch) = database_url(backend).await?;
    Some(spawn_with(url, Some(scratch), configure).await)
}

pub async fn spawn_with(url: String, scratch: Option<Scratch>, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db = podium::store::Db::connect(&url).await.expect("connect and migrate");
    podium::service::setup::ensure_admin(&db, Some(ADMIN_PASSWORD)).await.expect("admin account");
    // Every change is its own frame (no coalescing) unless a test asks for another rate.
    let mut settings = Settings {
        database_url: url.clone(),
        bind: "127.0.0.1:0".into(),
        demo: false,
        live_rate: 1000.0,
        ..Settings::default()
    };
    configure(&mut settings);
    let app = Application::build(&settings, db).await.expect("build the app");
    // Over HTTPS the client trusts the venue CA, as a tablet that installed it does.
    let (base, client, ca_pem) = match &settings.tls {
        Some(podium::config::TlsSource::SelfSigned { dir, .. }) => {
            let pem = std::fs::read(dir.join("ca.pem")).expect("the venue CA");
            let ca = reqwest::Certificate::from_pem(&pem).expect("a PEM certificate");
            let client = Client::builder().tls_built_in_root_certs(false).add_root_certificate(ca).build();
            (format!("https://localhost:{}", app.port()), client.expect("https client"), Some(pem))
        }
        _ => (format!("http://127.0.0.1:{}", app.port()), Client::builder().build().expect("http client"), None),
    };
    tokio::spawn(app.run_until_stopped());
    let mut test = TestApp { base, database_url: url, client, admin_token: String::new(), ca_pem, _scratch: scratch };
    test.admin_token = test.login("admin", ADMIN_PASSWORD).await;
    test
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        into_json(self.request(Method::GET, path, token, None).await).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        into_json(self.request(Method::POST, path, token, Some(body)).await).await
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let (status, body) = self.get(path, Some(&self.admin_token)).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post(path, Some(&self.admin_token), body).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) =
            self.post("/api/v1/session", None, &json!({"username": username, "password": password})).await;
        assert_eq!(status, StatusCode::CREATED, "log-in: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Issues a judge's one-time code and logs in with it.
    pub async fn judge_token(&self, competition: &str, judge: &str) -> String {
        let (status, body) =
            self.admin_post(&format!("/api/v1/competitions/{competition}/judges/{judge}/code"), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = self.post("/api/v1/session", None, &json!({"code": body["code"]})).await;
        assert_eq!(status, StatusCode::CREATED, "judge log-in: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn import(&self, package: &Value) -> (StatusCode, Value) {
        self.admin_post("/api/v1/competitions/import", package).await
    }
}

pub async fn into_json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.expect("body");
    let value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// Every `X.json` that has an `X.expected.json` beside it.
pub fn fixture_pairs() -> Vec<(String, Value, Value)> {
    let mut pairs = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(fixtures_dir()).expect("fixtures").filter_map(|e| e.ok()).collect();
    names.sort_by_key(|e| e.file_name());
    for entry in names {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".json")
            && !stem.ends_with(".expected")
            && fixtures_dir().join(format!("{stem}.expected.json")).exists()
        {
            pairs.push((stem.to_owned(), fixture(&name), fixture(&format!("{stem}.expected.json"))));
        }
    }
    pairs
}

/// Generates one test per backend for each listed `async fn(TestApp)`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )+
        }
    };
}

/// A small competition `SMALL`: delegations AAA, BBB, CCC; skill S1 (measurement M1 max
/// 10, judgement J1 max 6 panel 3, binary B1 max 2) and S2 (measurement M1 max 5);
/// an entry of each delegation in S1 and S2; judges JA (AAA), JB (BBB), JC (CCC, chief)
/// assigned to S1, and JD (AAA) assigned to S2.
pub fn small_package() -> Value {
    json!({
        "format": "podium.competition/1",
        "competition": {"code": "SMALL", "name": "Small test competition", "timezone": "UTC", "medal_order": "olympic"},
        "delegations": [{"code": "AAA", "name": "Aland"}, {"code": "BBB", "name": "Borduria"}, {"code": "CCC", "name": "Carpathia"}],
        "skills": [
            {"code": "S1", "name": "Skill one", "team_size": 1, "criteria": [
                {"code": "A", "name": "A", "aspects": [
                    {"code": "M1", "kind": "measurement", "max": "10"},
                    {"code": "J1", "kind": "judgement", "max": "6", "panel": 3},
                    {"code": "B1", "kind": "measurement", "max": "2", "mode": "binary"}]}]},
            {"code": "S2", "name": "Skill two", "team_size": 1, "criteria": [
                {"code": "A", "name": "A", "aspects": [{"code": "M1", "kind": "measurement", "max": "5"}]}]}
        ],
        "entries": [
            {"code": "S1-AAA", "skill": "S1", "delegation": "AAA", "members": ["Ann"]},
            {"code": "S1-BBB", "skill": "S1", "delegation": "BBB", "members": ["Bob"]},
            {"code": "S1-CCC", "skill": "S1", "delegation": "CCC", "members": ["Cem"]},
            {"code": "S2-AAA", "skill": "S2", "delegation": "AAA", "members": ["Ada"]},
            {"code": "S2-BBB", "skill": "S2", "delegation": "BBB", "members": ["Ben"]}
        ],
        "judges": [
            {"code": "JA", "name": "Judge A", "delegation": "AAA", "skills": ["S1"], "role": "judge"},
            {"code": "JB", "name": "Judge B", "delegation": "BBB", "skills": ["S1"], "role": "judge"},
            {"code": "JC", "name": "Judge C", "delegation": "CCC", "skills": ["S1"], "role": "chief"},
            {"code": "JD", "name": "Judge D", "delegation": "AAA", "skills": ["S2"], "role": "judge"}
        ],
        "marks": []
    })
}

pub fn mark(entry: &str, aspect: &str, value: Value) -> Value {
    json!({"id": uuid::Uuid::new_v4(), "entry": entry, "aspect": aspect, "value": value})
}

impl TestApp {
    pub async fn small(&self) {
        let (status, body) = self.import(&small_package()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    pub async fn marks(&self, token: &str, marks: &[Value]) -> (StatusCode, Value) {
        self.post("/api/v1/competitions/SMALL/marks", Some(token), &json!({ "marks": marks })).await
    }

    pub async fn stored_marks(&self) -> Vec<Value> {
        self.admin_get("/api/v1/competitions/SMALL/marks").await.as_array().cloned().unwrap_or_default()
    }
}
