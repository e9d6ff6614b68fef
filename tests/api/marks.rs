//! Marks over HTTP: atomic, idempotent by client UUID, policy-enforced and audited.
use crate::helpers::{TestApp, mark};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn error_codes(body: &Value) -> Vec<(u64, String)> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| (e["index"].as_u64().unwrap_or(999), e["code"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn a_resent_batch_is_stored_once(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let batch =
        vec![mark("S1-BBB", "M1", json!("7.25")), mark("S1-BBB", "J1", json!(2)), mark("S1-CCC", "B1", json!(2))];
    let (status, body) = app.marks(&ja, &batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"accepted": 3, "duplicates": 0}));
    let (status, body) = app.marks(&ja, &batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"accepted": 0, "duplicates": 3}));
    // The same id with another body is a conflict, and nothing of that batch is stored.
    let mut changed = batch[0].clone();
    changed["value"] = json!("7.50");
    let (status, body) = app.marks(&ja, &[mark("S1-CCC", "M1", json!(1)), changed]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "mark_id_conflict");
    let stored = app.stored_marks().await;
    assert_eq!(stored.len(), 3);
    // "2", 2 and "2.00" are the same judgement score: the same body.
    let mut same = batch[1].clone();
    same["value"] = json!("2.00");
    assert_eq!(app.marks(&ja, &[same]).await.1, json!({"accepted": 0, "duplicates": 1}));
    // The skill left `setup` with its first mark.
    let (_, skill) = app.get("/api/v1/competitions/SMALL/skills/S1", None).await;
    assert_eq!(skill["state"], "marking");
}

async fn a_batch_with_one_bad_mark_stores_nothing_and_names_every_bad_mark(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let batch = vec![
        mark("S1-BBB", "M1", json!("5")),     // fine
        mark("S1-AAA", "M1", json!("5")),     // own delegation
        mark("S1-CCC", "M1", json!("10.01")), // above max
        mark("S1-CCC", "J1", json!("1.5")),   // not an integer score
        mark("S1-CCC", "J1", json!(4)),       // beyond 0..3
        mark("S1-BBB", "B1", json!(1)),       // binary: 0 or max
        mark("S2-BBB", "M1", json!(1)),       // not assigned to S2
        mark("S1-XXX", "M1", json!(1)),       // unknown entry
        mark("S1-BBB", "Q9", json!(1)),       // unknown aspect
        mark("S1-BBB", "M1", json!("1.234")), // too precise
    ];
    let (status, body) = app.marks(&ja, &batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let codes = error_codes(&body);
    let expected = [
        (1, "own_delegation"),
        (2, "out_of_range"),
        (3, "invalid_score"),
        (4, "invalid_score"),
        (5, "out_of_range"),
        (6, "judge_not_assigned"),
        (7, "unknown_entry"),
        (8, "unknown_aspect"),
        (9, "invalid_value"),
    ];
    assert_eq!(codes, expected.map(|(i, c)| (i, c.to_owned())).to_vec(), "{body}");
    assert!(body["errors"][1]["id"].is_string() && body["errors"][1]["pointer"].is_string());
    assert!(app.stored_marks().await.is_empty(), "an atomic batch stored nothing");
    // A malformed batch (no id) is named by index too.
    let (status, body) = app.marks(&ja, &[json!({"entry": "S1-BBB", "aspect": "M1", "value": 1})]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_codes(&body), vec![(0, "required".to_owned())]);
}

async fn organizers_name_the_judge_under_the_same_policy(app: TestApp) {
    app.small().await;
    let admin = app.admin_token.clone();
    let (status, body) = app.marks(&admin, &[mark("S1-BBB", "M1", json!(3))]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_codes(&body), vec![(0, "judge_required".to_owned())]);
    let mut own = mark("S1-AAA", "M1", json!(3));
    own["judge"] = json!("JA");
    let (status, body) = app.marks(&admin, &[own]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_codes(&body), vec![(0, "own_delegation".to_owned())]);
    let mut fine = mark("S1-BBB", "M1", json!(3));
    fine["judge"] = json!("JA");
    assert_eq!(app.marks(&admin, &[fine]).await.0, StatusCode::OK);
    let stored = app.stored_marks().await;
    assert_eq!(stored[0]["judge"], "JA");
    assert_eq!(stored[0]["entered_by"], "account:admin");
    // A judge cannot mark as somebody else.
    let jb = app.judge_token("SMALL", "JB").await;
    let mut other = mark("S1-CCC", "M1", json!(3));
    other["judge"] = json!("JA");
    let (status, body) = app.marks(&jb, &[other]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_codes(&body), vec![(0, "judge_mismatch".to_owned())]);
}

async fn corrections_supersede_with_a_reason_and_are_audited(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let first = mark("S1-BBB", "J1", json!(1));
    assert_eq!(app.marks(&ja, std::slice::from_ref(&first)).await.0, StatusCode::OK);
    let (status, body) = app.marks(&ja, &[mark("S1-BBB", "J1", json!(2))]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a correction needs a reason");
    assert_eq!(error_codes(&body), vec![(0, "reason_required".to_owned())]);
    let mut correction = mark("S1-BBB", "J1", json!(2));
    correction["reason"] = json!("misread the scale");
    assert_eq!(app.marks(&ja, std::slice::from_ref(&correction)).await.0, StatusCode::OK);
    let stored = app.stored_marks().await;
    assert_eq!(stored.len(), 2, "nothing is overwritten");
    assert_eq!(stored[1]["supersedes"], first["id"]);
    // Another judge's score on the same judged aspect is not a correction.
    let jb = app.judge_token("SMALL", "JB").await;
    assert_eq!(app.marks(&jb, &[mark("S1-CCC", "J1", json!(2))]).await.0, StatusCode::OK);
    // The audit log has who, what, before and after, and the reason.
    let audit = app.admin_get("/api/v1/competitions/SMALL/audit?action=mark.").await;
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{audit}");
    assert_eq!(events[0]["action"], "mark.recorded");
    assert_eq!(events[0]["actor"], "judge:JA");
    assert_eq!(events[1]["action"], "mark.corrected");
    assert_eq!(events[1]["before"]["value"], "1.00");
    assert_eq!(events[1]["after"]["value"], "2.00");
    assert_eq!(events[1]["reason"], "misread the scale");
    let filtered = app.admin_get("/api/v1/competitions/SMALL/audit?actor=judge:JB").await;
    assert_eq!(filtered["events"].as_array().unwrap().len(), 1);
    // Judges do not read the audit log.
    assert_eq!(app.get("/api/v1/competitions/SMALL/audit", Some(&ja)).await.0, StatusCode::FORBIDDEN);
    // A voided mark counts as never entered: the earlier score counts again.
    let (status, body) = app
        .post(
            &format!("/api/v1/competitions/SMALL/marks/{}/void", correction["id"].as_str().unwrap()),
            Some(&ja),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a judge cannot void: {body}");
    let (status, body) = app
        .admin_post(
            &format!("/api/v1/competitions/SMALL/marks/{}/void", correction["id"].as_str().unwrap()),
            &json!({"reason": "entered against the wrong entry"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = app.admin_get("/api/v1/competitions/SMALL/skills/S1/results").await;
    let bbb = results["results"].as_array().unwrap().iter().find(|r| r["entry"] == "S1-BBB").unwrap().clone();
    assert_eq!(bbb["raw"], "2.00", "J1 back to the score 1 of 3: 6 × 1 / 3: {results}");
}

async fn concurrent_judges_never_lose_each_others_marks(app: TestApp) {
    app.small().await;
    let tokens = [
        app.judge_token("SMALL", "JA").await,
        app.judge_token("SMALL", "JB").await,
        app.judge_token("SMALL", "JC").await,
    ];
    let targets = [("S1-BBB", "S1-CCC"), ("S1-AAA", "S1-CCC"), ("S1-AAA", "S1-BBB")];
    let mut tasks = Vec::new();
    for (token, (e1, e2)) in tokens.iter().cloned().zip(targets) {
        let client = app.client.clone();
        let url = app.url("/api/v1/competitions/SMALL/marks");
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for round in 0..20 {
                let entry = if round % 2 == 0 { e1 } else { e2 };
                let mut m = mark(entry, "M1", json!(format!("{}.{:02}", round % 10, round)));
                m["reason"] = json!("re-measured");
                ids.push(m["id"].as_str().unwrap().to_owned());
                let response = client.post(&url).bearer_auth(&token).json(&json!({"marks": [m]})).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let stored: Vec<String> = app.stored_marks().await.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(stored.len(), 60);
    for id in all {
        assert!(stored.contains(&id), "mark {id} was lost");
    }
}

on_both_databases!(
    a_resent_batch_is_stored_once,
    a_batch_with_one_bad_mark_stores_nothing_and_names_every_bad_mark,
    organizers_name_the_judge_under_the_same_policy,
    corrections_supersede_with_a_reason_and_are_audited,
    concurrent_judges_never_lose_each_others_marks,
);
