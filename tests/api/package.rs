//! Packages that break the rules are rejected whole, with every offence named, and
//! nothing of them is stored.
use crate::helpers::{TestApp, fixture};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn pointers(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| {
            (e["pointer"].as_str().unwrap_or_default().to_owned(), e["code"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

async fn assert_rejected(app: &TestApp, package: &Value, expected: &[(&str, &str)]) {
    let (status, body) = app.import(package).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    let got = pointers(&body);
    for (pointer, code) in expected {
        assert!(got.iter().any(|(p, c)| p == pointer && c == code), "expected offence {pointer} [{code}] in {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "exactly the offences: {got:?}");
    // Nothing of it was stored.
    let (status, list) = app.get("/api/v1/competitions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]), "a rejected package stored something");
}

fn mark_index(package: &Value, judge: &str, entry: &str, aspect: &str) -> usize {
    package["marks"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["judge"] == judge && m["entry"] == entry && m["aspect"] == aspect)
        .unwrap_or_else(|| panic!("no mark {judge} {entry} {aspect} in the fixture"))
}

async fn a_judge_marking_their_own_delegation_is_rejected_whole(app: TestApp) {
    let mut package = fixture("mini.json");
    let marks = package["marks"].as_array_mut().unwrap();
    // J-IR-CHN is of CHN; IR-CHN is CHN's entry. Two such marks, both named.
    marks[0]["judge"] = json!("J-IR-CHN");
    let entry = marks[1]["entry"].clone();
    assert_eq!(entry, "IR-CHN");
    marks[1]["judge"] = json!("J-IR-CHN");
    assert_rejected(&app, &package, &[("/marks/0/judge", "own_delegation"), ("/marks/1/judge", "own_delegation")])
        .await;
}

async fn out_of_range_values_are_rejected_whole(app: TestApp) {
    let mut package = fixture("mini.json");
    let a1 = mark_index(&package, "J-IR-RUS", "IR-CHN", "A1"); // measurement, max 9.0
    let judged = package["marks"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m["aspect"] == "B1" && m["entry"] == "IR-RUS")
        .unwrap();
    let judged2 = package["marks"]
        .as_array()
        .unwrap()
        .iter()
        .rposition(|m| m["aspect"] == "C1" && m["entry"] == "IR-KGZ")
        .unwrap();
    let a2 = mark_index(&package, "J-IR-RUS", "IR-CHN", "A2");
    let marks = package["marks"].as_array_mut().unwrap();
    marks[a1]["value"] = json!(9.5);
    marks[judged]["value"] = json!(4);
    marks[judged2]["value"] = json!("1.5");
    marks[a2]["value"] = json!("-1");
    package["skills"][2]["criteria"][0]["aspects"][0]["max"] = json!(0);
    package["skills"][3]["criteria"][0]["aspects"][0]["max"] = json!("7.555");
    assert_rejected(
        &app,
        &package,
        &[
            (&format!("/marks/{a1}/value"), "out_of_range"),
            (&format!("/marks/{judged}/value"), "invalid_score"),
            (&format!("/marks/{judged2}/value"), "invalid_score"),
            (&format!("/marks/{a2}/value"), "out_of_range"),
            ("/skills/2/criteria/0/aspects/0/max", "out_of_range"),
            ("/skills/3/criteria/0/aspects/0/max", "too_precise"),
        ],
    )
    .await;
}

async fn unknown_codes_are_rejected_whole(app: TestApp) {
    let mut package = fixture("mini.json");
    package["marks"][3]["entry"] = json!("IR-XXX");
    package["marks"][4]["aspect"] = json!("Z9");
    package["marks"][5]["judge"] = json!("J-NOBODY");
    package["entries"][2]["delegation"] = json!("ZZZ");
    package["judges"][1]["skills"] = json!(["IR", "WELD"]);
    package["published"] = json!(["IR", "NE", "AI", "CNC", "NOPE"]);
    assert_rejected(
        &app,
        &package,
        &[
            ("/entries/2/delegation", "unknown_code"),
            ("/judges/1/skills/1", "unknown_code"),
            ("/published/4", "unknown_code"),
            ("/marks/3/entry", "unknown_code"),
            ("/marks/4/aspect", "unknown_code"),
            ("/marks/5/judge", "unknown_code"),
        ],
    )
    .await;
}

async fn publishing_a_skill_with_an_open_discrepancy_is_rejected(app: TestApp) {
    let mut package = fixture("mini.json");
    // Three B1 scores of one IR entry spread 0..3: a discrepancy, and IR is in published[].
    let marks = package["marks"].as_array_mut().unwrap();
    let b1: Vec<usize> = marks
        .iter()
        .enumerate()
        .filter(|(_, m)| m["entry"] == "IR-RUS" && m["aspect"] == "B1")
        .map(|(i, _)| i)
        .collect();
    assert!(b1.len() >= 2);
    marks[b1[0]]["value"] = json!(0);
    marks[b1[1]]["value"] = json!(3);
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(pointers(&body).contains(&("/published/0".into(), "open_discrepancies".into())), "{body}");
    // An override accepts the panel: then the package goes in.
    package["overrides"] =
        json!([{"judge": "J-IR-CHN", "entry": "IR-RUS", "aspect": "B1", "reason": "scores verified"}]);
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn importing_an_existing_code_is_a_conflict(app: TestApp) {
    let package = fixture("mini.json");
    assert_eq!(app.import(&package).await.0, StatusCode::CREATED);
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "competition_exists");
}

on_both_databases!(
    a_judge_marking_their_own_delegation_is_rejected_whole,
    out_of_range_values_are_rejected_whole,
    unknown_codes_are_rejected_whole,
    publishing_a_skill_with_an_open_discrepancy_is_rejected,
    importing_an_existing_code_is_a_conflict,
);
