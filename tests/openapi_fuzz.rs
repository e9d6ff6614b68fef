//! The OpenAPI document tells the truth: schemathesis 4.x fuzzes every documented operation
//! of a real server (SQLite, a small imported competition, an organizer's token) with
//! `--checks all`, and the run must end with no failure: no 5xx, no response outside its
//! documented schema, status code or content type.
//!
//! schemathesis comes from a Python venv (`.ci/run` creates it): `PODIUM_SCHEMATHESIS` names
//! the executable, else `target/schemathesis-venv/bin/schemathesis` or `schemathesis` on the
//! PATH is used. Without it the test is skipped with a message, except under `CI=true`,
//! where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::{Backend, TestApp, spawn_app};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Test cases per operation and phase: the whole run stays within ~3 minutes on 2 busy cores.
const MAX_EXAMPLES: u32 = 100;

/// Deletions of what the pinned path parameters name: run after the main run, so that the
/// other operations find those items.
const DELETIONS: [&str; 4] = ["delete_delegation", "delete_skill", "delete_entry", "delete_judge"];

/// Operations that end the organizer's session or remove the competition the other
/// operations are fuzzed on: they get a run of their own, last.
const DESTRUCTIVE: [&str; 2] = ["delete_session", "delete_competition"];

fn schemathesis() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PODIUM_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/schemathesis-venv/bin/schemathesis");
    if venv.is_file() {
        return Some(venv);
    }
    let on_path = Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    on_path.then(|| PathBuf::from("schemathesis"))
}

/// The figures of a run, read from its JUnit report.
#[derive(Debug, Default)]
struct Figures {
    operations: usize,
    failures: usize,
    errors: usize,
}

fn junit_figures(path: &Path) -> Figures {
    let xml = std::fs::read_to_string(path).expect("the JUnit report");
    let attribute = |tag: &str, name: &str| -> usize {
        let Some(start) = xml.find(&format!("<{tag} ")) else { return 0 };
        let rest = &xml[start..];
        let rest = &rest[..rest.find('>').unwrap_or(rest.len())];
        rest.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Figures {
        operations: attribute("testsuite", "tests"),
        failures: attribute("testsuite", "failures"),
        errors: attribute("testsuite", "errors"),
    }
}

/// One schemathesis run: its phases, whether path parameters are pinned to the imported
/// competition, and which operations it covers.
struct Run {
    name: &'static str,
    phases: &'static str,
    pinned: bool,
    filter: Vec<String>,
    /// Concurrent workers: 1 for the short runs, where two workers gain nothing and once
    /// raced in schemathesis' own lazy imports (an `ImportError` inside schemathesis).
    workers: u8,
}

/// Path parameters pinned to what exists, so that operations reach past the 404.
const PINNED: &str = r#"
[parameters]
"path.code" = "SMALL"
"path.skill" = "S1"
"path.entry" = "S1-AAA"
"path.judge" = "JA"
"path.delegation" = "CCC"
"#;

/// `positive_data_acceptance` (a request the schema allows must succeed) is narrowed on
/// writes: a body can match its schema and still break a rule the schema cannot state (a
/// code naming a skill that does not exist, a date range ending before it starts, a second
/// item with the same code, a locked skill), and those answer 422 or 409 by design. The
/// check still holds them to never answering 400 or 415 to a well-formed body. On the live
/// route a plain GET, which is all schemathesis sends, is told to upgrade (400) by design;
/// the upgrade itself is tested in tests/api/live.rs. A scheme import's body is any string
/// to the schema, but one that is no readable CSV or XLSX file is 400 by design.
///
/// `negative_data_rejection` accepts a 200 from the scheme import, whose body is a file of a
/// text type: a "wrongly typed" body (`{}`) arrives as the text `{}`, which the preview reads
/// and reports on (200 with its errors).
///
/// One check is excluded, from the stateful run (the only one where it applies):
/// `ensure_resource_availability` takes any 404 after a create for a lost resource, but the
/// ceremony routes answer 404 `no_ceremony` for a competition just created that has no
/// ceremony planned yet. (A per-operation `enabled = false` is overridden by `--checks all`.)
const NARROWED: &str = r#"
[[operations]]
include-operation-id = "import_scheme"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "503"]

[[operations]]
include-method = ["POST", "PUT"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "503"]

[[operations]]
include-path-regex = "/scheme/import$"
checks.negative_data_rejection.expected-statuses = ["200", "400", "401", "403", "404", "409", "415", "422"]

[[operations]]
include-operation-id = "live"
checks.positive_data_acceptance.expected-statuses = ["101", "400", "401", "404", "503"]
"#;

/// Runs schemathesis once; returns its exit status, its output and the report's figures.
fn run(tool: &Path, app: &TestApp, token: &str, dir: &Path, run: &Run) -> (bool, String, Figures) {
    let config = dir.join(format!("{}.toml", run.name));
    let text = if run.pinned { format!("{PINNED}{NARROWED}") } else { NARROWED.to_owned() };
    std::fs::write(&config, text).expect("write the config");
    let junit = dir.join(format!("{}.xml", run.name));
    // Run in the report folder: schemathesis keeps a cache (`.schemathesis/`) where it runs.
    let output = Command::new(tool)
        .current_dir(dir)
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(app.url("/api/openapi.json"))
        .args(["--checks", "all"])
        .args(["--phases", run.phases])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .args(["--seed", "1"])
        .args(["--workers", &run.workers.to_string()])
        .args(["--no-color", "--suppress-health-check", "all"])
        .args(["--generation-database", "none"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--report", "junit", "--report-junit-path"])
        .arg(&junit)
        .args(&run.filter)
        .output()
        .expect("run schemathesis");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text, junit_figures(&junit))
}

/// The lines of schemathesis' summary: each phase with its time, and the test cases run.
fn summary(output: &str) -> String {
    output
        .lines()
        .filter(|l| l.contains("(in ") || l.contains("generated") || l.trim_start().starts_with("Operations:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_in_the_openapi_document() {
    let Some(tool) = schemathesis() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("schemathesis is required under CI=true: .ci/run installs it into target/schemathesis-venv");
        }
        eprintln!(
            "SKIPPED: schemathesis not found; `python3 -m venv target/schemathesis-venv && target/schemathesis-venv/bin/pip install 'schemathesis>=4,<5'` to run this test"
        );
        return;
    };
    // SQLite unless `PODIUM_FUZZ_BACKEND=postgres`: one database keeps the run short.
    let backend = match std::env::var("PODIUM_FUZZ_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let Some(app) = spawn_app(backend).await else { return };
    let (status, body) = app.import(&helpers::small_package()).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    // A judge's code issued beforehand, so that marks and codes have something to act on.
    let (status, body) = app.admin_post("/api/v1/competitions/SMALL/judges/JB/code", &json!({})).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");

    // `PODIUM_FUZZ_REPORT=DIR` keeps the reports (and the document) in DIR.
    let keep = std::env::var_os("PODIUM_FUZZ_REPORT").map(PathBuf::from);
    let dir = keep
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("podium-fuzz-{}", uuid::Uuid::new_v4().simple())));
    std::fs::create_dir_all(&dir).expect("report dir");
    let document = app.client.get(app.url("/api/openapi.json")).send().await.expect("the document");
    std::fs::write(dir.join("openapi.json"), document.bytes().await.expect("its body")).expect("write the document");
    let filter = |flag: &str, ids: &[&str]| -> Vec<String> {
        ids.iter().flat_map(|id| [flag.to_owned(), (*id).to_owned()]).collect()
    };
    let runs = [
        // Every other operation on the imported competition.
        Run {
            name: "main",
            phases: "examples,coverage,fuzzing",
            pinned: true,
            filter: filter("--exclude-operation-id", &[DELETIONS.as_slice(), DESTRUCTIVE.as_slice()].concat()),
            workers: 2,
        },
        // Sequences that follow the links between operations (create a competition, then act
        // on it): unpinned, so that a link's values are the ones used.
        Run {
            name: "stateful",
            phases: "stateful",
            pinned: false,
            filter: [
                filter("--exclude-operation-id", &["delete_session"]),
                vec!["--exclude-checks".to_owned(), "ensure_resource_availability".to_owned()],
            ]
            .concat(),
            workers: 2,
        },
        Run {
            name: "deletions",
            phases: "examples,coverage,fuzzing",
            pinned: true,
            filter: filter("--include-operation-id", &DELETIONS),
            workers: 1,
        },
        // Log-out and deletion of the competition, last.
        Run {
            name: "destructive",
            phases: "examples,coverage,fuzzing",
            pinned: true,
            filter: filter("--include-operation-id", &DESTRUCTIVE),
            workers: 1,
        },
    ];
    let results = tokio::task::spawn_blocking(move || {
        let results: Vec<_> = runs
            .iter()
            .map(|r| {
                let token = tokio::runtime::Handle::current().block_on(app.login_fresh());
                (r.name, run(&tool, &app, &token, &dir, r))
            })
            .collect();
        if keep.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        results
    })
    .await
    .expect("the schemathesis runs");
    for (name, (_, output, figures)) in &results {
        eprintln!("schemathesis {name} run: {figures:?}; {}", summary(output));
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|(_, (ok, _, figures))| !*ok || figures.failures > 0 || figures.errors > 0 || figures.operations == 0)
        .map(|(name, (_, output, _))| format!("schemathesis {name} run failed:\n{output}"))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

impl TestApp {
    async fn login_fresh(&self) -> String {
        self.login("admin", helpers::ADMIN_PASSWORD).await
    }
}

/// What the document promises, checked without schemathesis: roles and codes in their wire
/// spelling, problem documents for every error, every path parameter declared, no response
/// without a schema where a body comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_states_wire_spellings_problems_and_parameters() {
    let app = spawn_app(Backend::Sqlite).await.expect("SQLite is always there");
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Role"]["enum"], json!(["admin", "chief", "judge"]));
    let codes = schemas["ErrorCode"]["enum"].as_array().expect("error codes");
    assert!(codes.contains(&json!("marks_missing")) && codes.contains(&json!("invalid_token")), "{codes:?}");
    assert!(schemas["Problem"]["properties"]["missing"].is_object(), "{}", schemas["Problem"]);
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            operations += 1;
            let at = format!("{method} {path}");
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            for name in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
                assert!(declared.contains(&name), "{at} does not declare {{{name}}}");
            }
            let responses = operation["responses"].as_object().expect("responses");
            for (status, response) in responses {
                let content = response["content"].as_object();
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(problem, "#/components/schemas/Problem", "{at} {status}");
                } else if let Some(content) = content {
                    for (kind, media) in content {
                        let schema = &media["schema"];
                        let bare = schema["type"] == "object" && schema.get("properties").is_none();
                        assert!(!schema.is_null() && !bare, "{at} {status} {kind}: {schema}");
                    }
                }
            }
            if operation["security"].to_string().contains("bearer") {
                assert!(responses.contains_key("401"), "{at} lacks its 401");
            }
        }
    }
    assert!(operations >= 48, "{operations} operations");
}

/// Server bugs schemathesis found stay fixed, on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_lock_body_or_an_audit_limit_out_of_range_is_refused() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app(backend).await else { continue };
        let (status, body) = app.import(&helpers::small_package()).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        // S2 complete: S2-AAA withdrawn (JD may not mark their own delegation), S2-BBB marked.
        let withdraw = json!({"status": "withdrawn", "reason": "ill"});
        let (status, body) = app.admin_post("/api/v1/competitions/SMALL/entries/S2-AAA/status", &withdraw).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        let mark = json!({"id": uuid::Uuid::new_v4(), "entry": "S2-BBB", "aspect": "M1", "value": "2", "judge": "JD"});
        let (status, body) = app.marks(&app.admin_token, &[mark]).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        let lock = "/api/v1/competitions/SMALL/skills/S2/lock";
        let send = |body: &'static str| {
            app.client
                .post(app.url(lock))
                .bearer_auth(&app.admin_token)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
        };
        // Not read as `{}` (which locks): refused, and the skill stays open.
        let response = send("{\"accept_missing\": \"yes\"}").await.expect("sent");
        assert_eq!(response.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let response = send("{not json").await.expect("sent");
        assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST);
        let skill = app.admin_get("/api/v1/competitions/SMALL/skills/S2").await;
        assert_eq!(skill["state"], "marking", "{skill}");
        let response = send("").await.expect("sent");
        assert_eq!(response.status(), reqwest::StatusCode::OK);

        for limit in ["0", "5001", "4294967296"] {
            let (status, body) =
                app.get(&format!("/api/v1/competitions/SMALL/audit?limit={limit}"), Some(&app.admin_token)).await;
            assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "limit={limit}: {body}");
        }
        let events = app.admin_get("/api/v1/competitions/SMALL/audit?limit=1").await;
        assert_eq!(events["events"].as_array().map(Vec::len), Some(1), "{events}");
    }
}

/// PostgreSQL cannot store a NUL in text: every way one can arrive is refused the same on
/// both databases, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_character_is_refused_alike_on_both_databases() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app(backend).await else { continue };
        app.small().await;
        let mark = json!({"id": uuid::Uuid::new_v4(), "entry": "S1-AAA", "aspect": "M1", "value": "5", "judge": "JB", "reason": "r\u{0}"});
        for (path, body, pointer) in [
            ("/api/v1/competitions/SMALL/delegations", json!({"code": "NUL", "name": "a\u{0}b"}), "/name"),
            ("/api/v1/competitions/SMALL/marks", json!({ "marks": [mark] }), "/marks/0/reason"),
            ("/api/v1/session", json!({"username": "a\u{0}", "password": "b"}), "/username"),
        ] {
            let (status, body) = app.admin_post(path, &body).await;
            assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {path}: {body}");
            assert_eq!(body["errors"][0]["pointer"], pointer, "{body}");
        }
        let csv = app
            .client
            .post(app.url("/api/v1/competitions/SMALL/entries.csv"))
            .bearer_auth(&app.admin_token)
            .header("Content-Type", "text/csv")
            .body("code,skill,delegation,members\nE9,S1,AAA,A\0B\n")
            .send()
            .await
            .expect("sent");
        assert_eq!(csv.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} CSV");
        let (status, _) = app.get("/api/v1/competitions/SM%00ALL", None).await;
        assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{backend:?}");
        let (status, body) = app.get("/api/v1/competitions/SMALL/audit?actor=a%00", Some(&app.admin_token)).await;
        assert_eq!((status, &body["events"]), (reqwest::StatusCode::OK, &json!([])), "{backend:?}");
        // Text that spells a backslash and `u0000` is no NUL.
        let (status, body) =
            app.admin_post("/api/v1/competitions/SMALL/delegations", &json!({"code": "BSL", "name": "a\\u0000"})).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{backend:?}: {body}");
    }
}
