//! Registration by hand and from CSV, with validation that names every bad field.
use crate::helpers::{TestApp, mark};
use crate::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn a_competition_is_set_up_by_hand(app: TestApp) {
    let (status, body) = app.admin_post("/api/v1/competitions", &json!({"code": "WSC2026", "name": "WorldSkills 2026", "timezone": "Asia/Shanghai", "starts_on": "2026-09-22", "ends_on": "2026-09-27", "medal_order": "points"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (code, name) in [("CHN", "China"), ("RUS", "Russia"), ("KAZ", "Kazakhstan")] {
        let (status, body) = app
            .admin_post(
                "/api/v1/competitions/WSC2026/delegations",
                &json!({"code": code, "name": name, "names": {"zh": "中国"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, _) =
        app.admin_post("/api/v1/competitions/WSC2026/delegations", &json!({"code": "CHN", "name": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A scheme with two offences is refused naming both.
    let bad = json!({"code": "WD", "name": "Web Development", "criteria": [{"code": "A", "aspects": [
        {"code": "A1", "kind": "measurement", "max": 0}, {"code": "A1", "kind": "judgement", "max": 5}]}]});
    let (status, body) = app.admin_post("/api/v1/competitions/WSC2026/skills", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let pointers: Vec<_> =
        body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_owned()).collect();
    assert_eq!(pointers, ["/criteria/0/aspects/0/max", "/criteria/0/aspects/1/code"], "{body}");
    let skill = json!({"code": "WD", "name": "Web Development", "team_size": 2, "standardise": "robust700", "criteria": [{"code": "A", "name": "Design", "aspects": [
        {"code": "A1", "kind": "measurement", "max": "12.5"}, {"code": "A2", "kind": "judgement", "max": 7.5, "panel": 3}]}]});
    let (status, body) = app.admin_post("/api/v1/competitions/WSC2026/skills", &skill).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["criteria"][0]["aspects"][0]["max"], "12.50");
    // Entries must fit the team size.
    let (status, body) = app
        .admin_post(
            "/api/v1/competitions/WSC2026/entries",
            &json!({"code": "WD-CHN", "skill": "WD", "delegation": "CHN", "members": ["Li Wei"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["code"], "team_size");
    // CSV: all or nothing, every bad row named.
    let csv = "code,skill,delegation,members\nWD-CHN,WD,CHN,Li Wei;Zhang Min\nWD-RUS,WD,RUS,Ivan Petrov;Olga Ivanova\nWD-XXX,WD,XXX,A;B\n";
    let response = app
        .client
        .post(app.url("/api/v1/competitions/WSC2026/entries.csv"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    // Rows are numbered as a spreadsheet shows them: the header is row 1.
    assert_eq!(body["errors"][0]["pointer"], "/rows/4/delegation");
    assert_eq!(
        (body["errors"][0]["row"].as_u64(), body["errors"][0]["column"].as_str()),
        (Some(4), Some("delegation"))
    );
    let (_, entries) = app.get("/api/v1/competitions/WSC2026/entries", None).await;
    assert_eq!(entries, json!([]), "a rejected CSV stored nothing");
    let response = app
        .client
        .post(app.url("/api/v1/competitions/WSC2026/entries.csv"))
        .bearer_auth(&app.admin_token)
        .body(csv.replace("WD-XXX,WD,XXX,A;B\n", "WD-KAZ,WD,KAZ,Dana Abenova;Bakyt Osmonov\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let judges = "code,name,delegation,skills,role\nJ1,Anna,RUS,WD,chief\nJ2,Chen,CHN,WD,judge\n";
    let response = app
        .client
        .post(app.url("/api/v1/competitions/WSC2026/judges.csv"))
        .bearer_auth(&app.admin_token)
        .body(judges)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, list) = app.get("/api/v1/competitions/WSC2026/judges", Some(&app.admin_token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    // Once marked, the scheme is frozen and the entry cannot be deleted.
    let j2 = app.judge_token("WSC2026", "J2").await;
    let (status, body) = app
        .post("/api/v1/competitions/WSC2026/marks", Some(&j2), &json!({"marks": [mark("WD-RUS", "A1", json!(10))]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut changed = skill.clone();
    changed["criteria"][0]["aspects"][0]["max"] = json!(20);
    let response = app
        .request(Method::PUT, "/api/v1/competitions/WSC2026/skills/WD", Some(&app.admin_token), Some(&changed))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let response =
        app.request(Method::DELETE, "/api/v1/competitions/WSC2026/entries/WD-RUS", Some(&app.admin_token), None).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    // Settings other than the scheme may still change.
    let mut renamed = skill.clone();
    renamed["name"] = json!("Web Technologies");
    let response = app
        .request(Method::PUT, "/api/v1/competitions/WSC2026/skills/WD", Some(&app.admin_token), Some(&renamed))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response =
        app.request(Method::DELETE, "/api/v1/competitions/WSC2026/entries/WD-KAZ", Some(&app.admin_token), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

on_both_databases!(a_competition_is_set_up_by_hand);
