//! Every fixture pair in tests/fixtures: imported over HTTP (and with `podium import`),
//! it yields exactly its expected results and medal tables; its export imports again to
//! the same competition.
use crate::helpers::{Backend, TestApp, database_url, fixture, fixture_pairs, spawn_on};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn pick(row: &Value, keys: &[&str]) -> Value {
    Value::Object(keys.iter().map(|k| ((*k).to_owned(), row[*k].clone())).collect())
}

/// Checks a competition's results and medal tables against an expected document.
pub async fn assert_matches_expected(app: &TestApp, code: &str, expected: &Value, label: &str) {
    for (skill, rows) in expected["skills"].as_object().expect("skills") {
        let body = app.admin_get(&format!("/api/v1/competitions/{code}/skills/{skill}/results")).await;
        let got: Vec<Value> = body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| pick(r, &["entry", "raw", "scaled", "rank", "medal"]))
            .collect();
        let want: Vec<Value> = rows
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| pick(r, &["entry", "raw", "scaled", "rank", "medal"]))
            .collect();
        assert_eq!(got, want, "{label}: results of skill {skill}");
    }
    for (order, rows) in expected["medals"].as_object().expect("medals") {
        let body = app.admin_get(&format!("/api/v1/competitions/{code}/medals?order={order}")).await;
        let keys = ["delegation", "gold", "silver", "bronze", "excellence", "rank", "shared"];
        let got: Vec<Value> = body["rows"].as_array().expect("rows").iter().map(|r| pick(r, &keys)).collect();
        let want: Vec<Value> = rows.as_array().expect("rows").iter().map(|r| pick(r, &keys)).collect();
        assert_eq!(got, want, "{label}: medal table in {order} order");
    }
}

async fn every_fixture_yields_its_expected_results(app: TestApp) {
    let pairs = fixture_pairs();
    assert!(!pairs.is_empty(), "tests/fixtures has no X.json / X.expected.json pair");
    for (name, package, expected) in pairs {
        let (status, body) = app.import(&package).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        let code = package["competition"]["code"].as_str().expect("code");
        assert_matches_expected(&app, code, &expected, &name).await;
    }
}

async fn an_export_imports_again_to_the_same_competition(app: TestApp) {
    let package = fixture("mini.json");
    let code = package["competition"]["code"].as_str().expect("code").to_owned();
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A correction with a reason and a voided mark must survive the round trip too.
    let judge = app.judge_token(&code, "J-AI-RUS").await;
    let id = uuid::Uuid::new_v4();
    let (status, body) = app
        .post(
            &format!("/api/v1/competitions/{code}/marks"),
            Some(&judge),
            &json!({"marks": [{"id": id, "entry": "AI-CHN", "aspect": "A1", "value": "7.25", "reason": "recount"}]}),
        )
        .await;
    // AI is published in the fixture, so unlock first, then mark, then void.
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        let (s, b) = app
            .admin_post(&format!("/api/v1/competitions/{code}/skills/AI/unlock"), &json!({"reason": "review"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = app
            .post(
                &format!("/api/v1/competitions/{code}/marks"),
                Some(&judge),
                &json!({"marks": [{"id": id, "entry": "AI-CHN", "aspect": "A1", "value": "7.25", "reason": "recount"}]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    } else {
        panic!("a published skill accepted a mark: {status} {body}");
    }
    let (s, b) = app
        .admin_post(&format!("/api/v1/competitions/{code}/marks/{id}/void"), &json!({"reason": "wrong entry"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let export = app.admin_get(&format!("/api/v1/competitions/{code}/export")).await;
    let mut copy = export.clone();
    copy["competition"]["code"] = json!("COPY");
    let (status, body) = app.import(&copy).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let again = app.admin_get("/api/v1/competitions/COPY/export").await;
    let mut again_cmp = again.clone();
    again_cmp["competition"]["code"] = json!(code);
    assert_eq!(again_cmp, export, "export → import → export changes nothing");
    for skill in ["IR", "NE", "AI", "CNC"] {
        let a = app.admin_get(&format!("/api/v1/competitions/{code}/skills/{skill}/results")).await;
        let b = app.admin_get(&format!("/api/v1/competitions/COPY/skills/{skill}/results")).await;
        assert_eq!(a["results"], b["results"], "results of {skill}");
        assert_eq!(a["state"], b["state"]);
    }
    let marks = export["marks"].as_array().expect("marks");
    assert_eq!(marks.len(), package["marks"].as_array().expect("marks").len() + 1);
    assert!(marks.iter().all(|m| m["id"].is_string()), "every exported mark has its id");
    assert!(marks.iter().any(|m| m["id"] == json!(id.to_string()) && m["void"] == json!(true)));
}

async fn podium_import_loads_a_fixture_from_the_command_line(app: TestApp) {
    // A second, empty database of the same backend, filled by the CLI.
    let backend = if app.database_url.starts_with("sqlite") { Backend::Sqlite } else { Backend::Postgres };
    let Some((url, dir)) = database_url(backend).await else { return };
    let file = crate::helpers::fixtures_dir().join("mini.json");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["--db", &url, "import"])
        .arg(&file)
        .output()
        .expect("run podium import");
    assert!(output.status.success(), "podium import failed: {}", String::from_utf8_lossy(&output.stderr));
    let cli_app = spawn_on(url.clone(), Some(dir)).await;
    assert_matches_expected(&cli_app, "MINI2025", &fixture("mini.expected.json"), "podium import").await;
    // Importing it again is refused: the code exists.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["--db", &url, "import"])
        .arg(&file)
        .output()
        .expect("run podium import");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

on_both_databases!(
    every_fixture_yields_its_expected_results,
    an_export_imports_again_to_the_same_competition,
    podium_import_loads_a_fixture_from_the_command_line,
);
