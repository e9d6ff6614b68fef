//! Data hygiene: CSV exports that spreadsheets cannot run, audit filters that match
//! literally, codes that are path segments, IANA time zones and plain mark values.
use crate::helpers::{TestApp, mark, small_package};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn error_codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| (e["pointer"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn csv(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn csv_exports_defuse_formulas_and_ranks_are_numbers_with_a_tied_column(app: TestApp) {
    let mut package = small_package();
    package["delegations"][0]["name"] = json!("=1+1");
    package["delegations"][1]["name"] = json!("@SUM(A1)");
    package["judges"]
        .as_array_mut()
        .unwrap()
        .push(json!({"code": "JE", "name": "Judge E", "delegation": "BBB", "skills": ["S2"], "role": "judge"}));
    // S2-AAA and S2-BBB tie for gold.
    package["marks"] = json!([
        {"id": uuid::Uuid::new_v4(), "judge": "JE", "entry": "S2-AAA", "aspect": "M1", "value": "4.50"},
        {"id": uuid::Uuid::new_v4(), "judge": "JD", "entry": "S2-BBB", "aspect": "M1", "value": "4.50"},
    ]);
    package["published"] = json!(["S2"]);
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let medals = csv(&app, "/api/v1/competitions/SMALL/medals?format=csv&all=true").await;
    assert_eq!(
        medals[0],
        ["rank", "delegation", "name", "gold", "silver", "bronze", "excellence", "total", "points", "tied"]
    );
    let rows: Vec<(&str, &str, &str, &str)> =
        medals[1..].iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[9].as_str())).collect();
    assert_eq!(
        rows,
        [("1", "AAA", "'=1+1", "true"), ("1", "BBB", "'@SUM(A1)", "true"), ("3", "CCC", "Carpathia", "false")]
    );
    // The JSON keeps the names as they are.
    let (_, json) = app.get("/api/v1/competitions/SMALL/medals", None).await;
    assert_eq!(json["rows"][0]["name"], "=1+1");

    let results = csv(&app, "/api/v1/competitions/SMALL/skills/S2/results?format=csv").await;
    assert_eq!(results[0][0], "rank");
    assert_eq!(results[0].last().map(String::as_str), Some("tied"));
    let ranks: Vec<(&str, &str)> = results[1..].iter().map(|r| (r[0].as_str(), r[8].as_str())).collect();
    assert_eq!(ranks, [("1", "true"), ("1", "true")]);
}

async fn audit_filters_match_percent_underscore_and_backslash_literally(app: TestApp) {
    app.small().await;
    for code in ["X_1", "XA1"] {
        let (status, body) =
            app.admin_post("/api/v1/competitions/SMALL/delegations", &json!({"code": code, "name": code})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let subjects = |body: Value| -> Vec<String> {
        body["events"].as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap().to_owned()).collect()
    };
    let audit = "/api/v1/competitions/SMALL/audit";
    assert_eq!(subjects(app.admin_get(&format!("{audit}?subject=X_1")).await), ["X_1"]);
    assert_eq!(subjects(app.admin_get(&format!("{audit}?subject=X_")).await), ["X_1"]);
    // Unescaped, each of these would match every event (or, `\` on PostgreSQL, fail).
    let none = Vec::<String>::new();
    for pattern in ["%25", "%5C", "X%25", "%5C%25", "X__"] {
        assert_eq!(subjects(app.admin_get(&format!("{audit}?subject={pattern}")).await), none, "{pattern}");
    }
    for pattern in ["%25", "_", "%5C", "delegation_"] {
        assert_eq!(subjects(app.admin_get(&format!("{audit}?action={pattern}")).await), none, "{pattern}");
    }
    assert_eq!(subjects(app.admin_get(&format!("{audit}?action=delegation.")).await), ["X_1", "XA1"]);
}

async fn codes_made_of_dots_are_refused(app: TestApp) {
    for code in [".", "..", "..."] {
        let (status, body) =
            app.admin_post("/api/v1/competitions", &json!({"code": code, "name": "Dots", "timezone": "UTC"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error_codes(&body), [("/code".to_owned(), "invalid_code".to_owned())]);
    }
    app.small().await;
    let (status, body) =
        app.admin_post("/api/v1/competitions/SMALL/delegations", &json!({"code": "..", "name": "Dots"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_codes(&body), [("/code".to_owned(), "invalid_code".to_owned())]);
    let (status, body) =
        app.admin_post("/api/v1/competitions/SMALL/delegations", &json!({"code": "A.B", "name": "Dotted"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn time_zones_are_iana_names(app: TestApp) {
    let (status, body) =
        app.admin_post("/api/v1/competitions", &json!({"code": "TZ", "name": "Zones", "timezone": "Beijing"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_codes(&body), [("/timezone".to_owned(), "invalid_timezone".to_owned())]);
    let (status, body) = app
        .admin_post("/api/v1/competitions", &json!({"code": "TZ", "name": "Zones", "timezone": "Asia/Shanghai"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, c) = app.get("/api/v1/competitions/TZ", None).await;
    assert_eq!(c["timezone"], "Asia/Shanghai");
    // A package is held to the same rule.
    let mut package = small_package();
    package["competition"]["timezone"] = json!("GMT+8");
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_codes(&body), [("/competition/timezone".to_owned(), "invalid_timezone".to_owned())]);
}

async fn mark_values_are_plain_decimals(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let refused = ["  5 ", "+5", "1e-2", "5.", ".5", " 5", "5,5"];
    let batch: Vec<Value> = refused.iter().map(|v| mark("S1-BBB", "M1", json!(v))).collect();
    let (status, body) = app.marks(&ja, &batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let expected: Vec<(String, String)> =
        (0..refused.len()).map(|i| (format!("/marks/{i}/value"), "invalid_value".to_owned())).collect();
    assert_eq!(error_codes(&body), expected);
    // A number in exponent form is refused too (JSON keeps the number as written).
    let id = uuid::Uuid::new_v4();
    let raw = format!(r#"{{"marks": [{{"id": "{id}", "entry": "S1-BBB", "aspect": "M1", "value": 1e1}}]}}"#);
    let response = app
        .client
        .post(app.url("/api/v1/competitions/SMALL/marks"))
        .bearer_auth(&ja)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::into_json(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_codes(&body), [("/marks/0/value".to_owned(), "invalid_value".to_owned())]);
    // A negative value reads, and is out of range.
    let (_, body) = app.marks(&ja, &[mark("S1-BBB", "M1", json!("-1"))]).await;
    assert_eq!(error_codes(&body), [("/marks/0/value".to_owned(), "out_of_range".to_owned())]);
    assert!(app.stored_marks().await.is_empty());
    // Plain strings and numbers are fine (each a correction of the one before).
    for (i, value) in [json!("5"), json!("5.25"), json!(5.25), json!(5), json!("05.5")].into_iter().enumerate() {
        let mut m = mark("S1-BBB", "M1", value);
        if i > 0 {
            m["reason"] = json!("retyped");
        }
        let (status, body) = app.marks(&ja, &[m]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let stored: Vec<Value> = app.stored_marks().await.iter().map(|m| m["value"].clone()).collect();
    assert_eq!(stored, [json!("5.00"), json!("5.25"), json!("5.25"), json!("5.00"), json!("5.50")]);
    // A package's marks obey the same rule.
    let mut package = small_package();
    package["competition"]["code"] = json!("SMALL2");
    package["marks"] = json!([
        {"id": uuid::Uuid::new_v4(), "judge": "JA", "entry": "S1-BBB", "aspect": "M1", "value": "+5"},
        {"id": uuid::Uuid::new_v4(), "judge": "JA", "entry": "S1-CCC", "aspect": "M1", "value": "5"},
    ]);
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_codes(&body), [("/marks/0/value".to_owned(), "invalid_value".to_owned())]);
}

on_both_databases!(
    csv_exports_defuse_formulas_and_ranks_are_numbers_with_a_tied_column,
    audit_filters_match_percent_underscore_and_backslash_literally,
    codes_made_of_dots_are_refused,
    time_zones_are_iana_names,
    mark_values_are_plain_decimals,
);
