//! Browser tests: starts the real server on a fresh SQLite database and a random port, then
//! runs the headless-Chromium suite `tests/e2e/run.mjs` against it (board, judge tablet,
//! organizer console). Needs `/usr/bin/chromium` and `npm install` in `tests/e2e`; without
//! them the test is skipped with a message, or fails under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use podium::config::Settings;
use podium::startup::Application;
use std::path::{Path, PathBuf};
use std::process::Command;

const ADMIN_PASSWORD: &str = "browser-test-admin-password";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `None` when everything the suite needs is there, else what is missing.
fn missing_prerequisite(root: &Path) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    if !Path::new(&chromium).exists() {
        return Some(format!("Chromium at {chromium} (apt-get install -y chromium fonts-noto-cjk)"));
    }
    if !root.join("tests/e2e/node_modules/playwright-core").exists() {
        return Some("tests/e2e/node_modules/playwright-core (cd tests/e2e && npm ci)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("Node.js (`node` on the PATH)".into());
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_in_a_real_browser() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if let Some(missing) = missing_prerequisite(&root) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the browser tests need {missing}, which is missing; under CI=true that is a failure");
        }
        eprintln!("SKIPPED: the browser tests need {missing}, which is missing");
        return;
    }

    let dir = TempDir(std::env::temp_dir().join(format!("podium-browser-{}", uuid::Uuid::new_v4().simple())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.0.join("podium.db").display());
    let db = podium::store::Db::connect(&url).await.expect("connect and migrate");
    podium::service::setup::ensure_admin(&db, Some(ADMIN_PASSWORD)).await.expect("admin account");
    let settings = Settings { database_url: url, bind: "127.0.0.1:0".into(), demo: false, ..Settings::default() };
    let app = Application::build(&settings, db).await.expect("build the app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    // node blocks; the server keeps serving on the runtime's other threads.
    let script = root.join("tests/e2e/run.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).arg(&base).arg(ADMIN_PASSWORD).current_dir(&root).output()
    })
    .await
    .expect("join the node runner")
    .expect("start node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }
    assert!(output.status.success(), "the browser suite failed ({}):\n{stdout}\n{stderr}", output.status);
}
