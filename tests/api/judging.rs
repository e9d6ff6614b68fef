//! Discrepancies, overrides, lock, unlock and publish, and who sees which results.
use crate::helpers::{TestApp, mark};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::json;

async fn a_discrepancy_blocks_locking_until_a_chief_resolves_it(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let jb = app.judge_token("SMALL", "JB").await;
    let jc = app.judge_token("SMALL", "JC").await;
    // S1-CCC's J1 panel: 0 and 3 → spread 3 > 1.
    assert_eq!(
        app.marks(&ja, &[mark("S1-CCC", "J1", json!(0)), mark("S1-CCC", "M1", json!(8))]).await.0,
        StatusCode::OK
    );
    assert_eq!(app.marks(&jb, &[mark("S1-CCC", "J1", json!(3))]).await.0, StatusCode::OK);
    let (status, d) = app.get("/api/v1/competitions/SMALL/skills/S1/discrepancies", Some(&jc)).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["open"], 1);
    assert_eq!(d["discrepancies"][0]["entry"], "S1-CCC");
    assert_eq!(d["discrepancies"][0]["aspect"], "J1");
    // A judge cannot lock; the chief cannot while the flag is open.
    assert_eq!(
        app.post("/api/v1/competitions/SMALL/skills/S1/lock", Some(&ja), &json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = app.post("/api/v1/competitions/SMALL/skills/S1/lock", Some(&jc), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "open_discrepancies");
    // Override needs a reason; then the skill locks.
    let path = "/api/v1/competitions/SMALL/skills/S1/discrepancies/override";
    assert_eq!(
        app.post(path, Some(&jc), &json!({"entry": "S1-CCC", "aspect": "J1"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (status, body) =
        app.post(path, Some(&jc), &json!({"entry": "S1-CCC", "aspect": "J1", "reason": "both scores confirmed"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Every entry marked; the three-judge panels cannot be filled here, so the gaps are
    // accepted (issue 9: an incomplete skill is locked only with its gaps accepted).
    assert_eq!(
        app.marks(&jc, &[mark("S1-AAA", "M1", json!(5)), mark("S1-BBB", "M1", json!(6))]).await.0,
        StatusCode::OK
    );
    let accept = json!({"accept_missing": true, "reason": "panels of two"});
    let (status, body) = app.post("/api/v1/competitions/SMALL/skills/S1/lock", Some(&jc), &accept).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A locked skill takes no marks, but a resent mark is still a duplicate.
    let (status, body) = app.marks(&ja, &[mark("S1-BBB", "M1", json!(1))]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "skill_locked");
    let audit = app.admin_get("/api/v1/competitions/SMALL/audit?action=discrepancy").await;
    assert_eq!(audit["events"][0]["reason"], "both scores confirmed");
}

async fn only_published_results_reach_the_public(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let jb = app.judge_token("SMALL", "JB").await;
    let jc = app.judge_token("SMALL", "JC").await;
    assert_eq!(
        app.marks(&ja, &[mark("S1-BBB", "M1", json!(9)), mark("S1-CCC", "M1", json!(7))]).await.0,
        StatusCode::OK
    );
    assert_eq!(app.marks(&jb, &[mark("S1-AAA", "M1", json!(8))]).await.0, StatusCode::OK);
    let results = "/api/v1/competitions/SMALL/skills/S1/results";
    for token in [None, Some(ja.as_str())] {
        let (status, body) = app.get(results, token).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.get("results").is_none(), "unpublished results leaked: {body}");
        assert_eq!(body["progress"]["marked"], 3);
        assert_eq!(body["progress"]["expected"], 15);
    }
    let (_, body) = app.get(results, Some(&jc)).await;
    assert_eq!(body["results"][0]["entry"], "S1-BBB", "the chief sees the ranking");
    assert_eq!(body["results"][0]["provisional"], true);
    // Publish needs a locked skill, and an organizer.
    let (status, body) = app.admin_post("/api/v1/competitions/SMALL/skills/S1/publish", &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_state")));
    let accept = json!({"accept_missing": true, "reason": "measurements only"});
    assert_eq!(app.post("/api/v1/competitions/SMALL/skills/S1/lock", Some(&jc), &accept).await.0, StatusCode::OK);
    assert_eq!(
        app.post("/api/v1/competitions/SMALL/skills/S1/publish", Some(&jc), &json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.admin_post("/api/v1/competitions/SMALL/skills/S1/publish", &json!({})).await.0, StatusCode::OK);
    let (_, body) = app.get(results, None).await;
    let ranking: Vec<_> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["entry"].clone(), r["rank"].clone(), r["medal"].clone()))
        .collect();
    assert_eq!(
        ranking,
        vec![
            (json!("S1-BBB"), json!(1), json!("gold")),
            (json!("S1-AAA"), json!(2), json!("silver")),
            (json!("S1-CCC"), json!(3), json!("bronze"))
        ]
    );
    let (_, medals) = app.get("/api/v1/competitions/SMALL/medals", None).await;
    assert_eq!(medals["rows"][0]["delegation"], "BBB");
    let csv = app
        .client
        .get(app.url("/api/v1/competitions/SMALL/medals?format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("rank,delegation,name,gold"), "{csv}");
    // Unlock needs a reason; the public then sees progress only again.
    let (status, _) = app.admin_post("/api/v1/competitions/SMALL/skills/S1/unlock", &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.admin_post("/api/v1/competitions/SMALL/skills/S1/unlock", &json!({"reason": "appeal"})).await.0,
        StatusCode::OK
    );
    let (_, body) = app.get(results, None).await;
    assert!(body.get("results").is_none());
    // Issue 9: results the public saw are "under review" once unlocked, not "marking".
    assert_eq!(body["state"], "under_review");
    let (_, medals) = app.get("/api/v1/competitions/SMALL/medals", None).await;
    assert_eq!(medals["rows"], json!([]));
}

async fn withdrawn_entries_leave_the_ranking(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    assert_eq!(
        app.marks(&ja, &[mark("S1-BBB", "M1", json!(9)), mark("S1-CCC", "M1", json!(7))]).await.0,
        StatusCode::OK
    );
    let path = "/api/v1/competitions/SMALL/entries/S1-BBB/status";
    assert_eq!(app.admin_post(path, &json!({"status": "withdrawn"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app.admin_post(path, &json!({"status": "withdrawn", "reason": "injury"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = app.admin_get("/api/v1/competitions/SMALL/skills/S1/results").await;
    let rows = results["results"].as_array().unwrap();
    assert_eq!(rows.last().unwrap()["entry"], "S1-BBB");
    assert_eq!(rows.last().unwrap()["rank"], json!(null));
    assert_eq!(rows.last().unwrap()["status"], "withdrawn");
    assert_eq!(rows[0]["entry"], "S1-CCC");
    assert_eq!(rows[0]["rank"], 1);
    // A withdrawn entry takes no new marks.
    let (status, body) = app.marks(&ja, &[mark("S1-BBB", "J1", json!(1))]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "entry_not_active");
}

on_both_databases!(
    a_discrepancy_blocks_locking_until_a_chief_resolves_it,
    only_published_results_reach_the_public,
    withdrawn_entries_leave_the_ranking,
);
