//! Competition-day integrity: readiness before marking, the marking grid, completeness
//! before sign-off, results under review, and shared measurements on the tablets.
use crate::helpers::{TestApp, mark};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn problems<'a>(readiness: &'a Value, skill: &str) -> Vec<&'a Value> {
    let skill = readiness["skills"].as_array().unwrap().iter().find(|s| s["skill"] == skill).expect("the skill");
    skill["problems"].as_array().unwrap().iter().collect()
}

async fn readiness_names_panels_eligible_judges_cannot_fill(app: TestApp) {
    app.small().await;
    let (status, body) = app
        .admin_post(
            "/api/v1/competitions/SMALL/judges",
            &json!({"code": "JX", "name": "Spare", "delegation": "BBB", "skills": [], "role": "judge"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let readiness = app.admin_get("/api/v1/competitions/SMALL/readiness").await;
    assert_eq!(readiness["judges_without_skill"], json!(["JX"]));
    // S1's J1 panel needs three judges; JA, JB and JC are each of one entry's delegation, so
    // only two are eligible for every entry.
    let s1 = problems(&readiness, "S1");
    let panel = s1.iter().find(|p| p["kind"] == "panel_unfillable").expect("panel_unfillable");
    assert_eq!(panel["aspect"], "J1");
    assert_eq!(panel["severity"], "error");
    assert_eq!((panel["eligible"].as_u64(), panel["needed"].as_u64()), (Some(2), Some(3)));
    assert_eq!(panel["entries"], json!(["S1-AAA", "S1-BBB", "S1-CCC"]));
    let total = s1.iter().find(|p| p["kind"] == "scheme_total").expect("scheme_total");
    assert_eq!((total["severity"].as_str(), total["total"].as_str()), (Some("warning"), Some("18.00")));
    // S2's only judge JD is of AAA: nobody may mark S2-AAA.
    let s2 = app.admin_get("/api/v1/competitions/SMALL/skills/S2/readiness").await;
    assert_eq!(s2["ready"], false);
    let none = s2["problems"].as_array().unwrap().iter().find(|p| p["kind"] == "no_eligible_judge").expect("no judge");
    assert_eq!(none["entries"], json!(["S2-AAA"]));
    // Readiness warns; setup is not blocked: a mark is still taken for S2-BBB.
    let jd = app.judge_token("SMALL", "JD").await;
    assert_eq!(app.marks(&jd, &[mark("S2-BBB", "M1", json!(3))]).await.0, StatusCode::OK);
    let ja = app.judge_token("SMALL", "JA").await;
    let (status, _) = app.get("/api/v1/competitions/SMALL/readiness", Some(&ja)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_grid_shows_who_still_owes_which_mark(app: TestApp) {
    app.small().await;
    let (ja, jb) = (app.judge_token("SMALL", "JA").await, app.judge_token("SMALL", "JB").await);
    assert_eq!(
        app.marks(&ja, &[mark("S1-CCC", "J1", json!(2)), mark("S1-CCC", "M1", json!(4))]).await.0,
        StatusCode::OK
    );
    assert_eq!(app.marks(&jb, &[mark("S1-CCC", "J1", json!(2))]).await.0, StatusCode::OK);
    let grid = app.admin_get("/api/v1/competitions/SMALL/skills/S1/grid").await;
    let ccc = grid["entries"].as_array().unwrap().iter().find(|e| e["entry"] == "S1-CCC").unwrap();
    let cells = ccc["cells"].as_array().unwrap();
    assert_eq!(cells[0], json!({"aspect": "M1", "have": 1, "needed": 1, "missing": false}));
    assert_eq!(cells[1]["have"], 2);
    assert_eq!(cells[1]["needed"], 3);
    assert_eq!(cells[1]["scored"], json!(["JA", "JB"]));
    // JC is of CCC: not eligible for S1-CCC, so nobody is pending, yet the panel is short.
    assert_eq!(cells[1]["pending"], json!([]));
    let bbb = grid["entries"].as_array().unwrap().iter().find(|e| e["entry"] == "S1-BBB").unwrap();
    assert_eq!(bbb["cells"][1]["pending"], json!(["JA", "JC"]));
    let judge = |code: &str| grid["judges"].as_array().unwrap().iter().find(|j| j["judge"] == code).unwrap().clone();
    assert_eq!(judge("JA")["marks"], 2);
    assert!(judge("JA")["last_activity"].is_string());
    assert_eq!(judge("JC")["last_activity"], Value::Null);
    let (status, _) = app.get("/api/v1/competitions/SMALL/skills/S1/grid", Some(&ja)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn locking_an_incomplete_skill_lists_every_gap_until_they_are_accepted(app: TestApp) {
    app.small().await;
    let (ja, jc) = (app.judge_token("SMALL", "JA").await, app.judge_token("SMALL", "JC").await);
    let lock = "/api/v1/competitions/SMALL/skills/S1/lock";
    assert_eq!(
        app.marks(&ja, &[mark("S1-BBB", "M1", json!(5)), mark("S1-CCC", "M1", json!(6))]).await.0,
        StatusCode::OK
    );
    let (status, body) = app.post(lock, Some(&jc), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("marks_missing")), "{body}");
    let missing = body["missing"].as_array().unwrap();
    // 3 entries × (M1, J1, B1) minus the two measurements given.
    assert_eq!(missing.len(), 7, "{body}");
    assert!(missing.contains(&json!({"entry": "S1-AAA", "aspect": "M1", "have": 0, "needed": 1})));
    assert!(missing.contains(&json!({"entry": "S1-BBB", "aspect": "J1", "have": 0, "needed": 3})));
    // S1-AAA has no mark at all: it cannot be accepted, only withdrawn.
    let accept = json!({"accept_missing": true, "reason": "the panel cannot be filled"});
    let (status, body) = app.post(lock, Some(&jc), &accept).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("entry_unmarked")), "{body}");
    assert_eq!(body["entries"], json!(["S1-AAA"]));
    let (status, body) = app.post(lock, Some(&jc), &json!({"accept_missing": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let status = "/api/v1/competitions/SMALL/entries/S1-AAA/status";
    assert_eq!(
        app.admin_post(status, &json!({"status": "withdrawn", "reason": "did not start"})).await.0,
        StatusCode::OK
    );
    let (code, body) = app.post(lock, Some(&jc), &accept).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let results = app.admin_get("/api/v1/competitions/SMALL/skills/S1/results").await;
    assert_eq!(results["accepted_gaps"]["reason"], "the panel cannot be filled");
    assert_eq!(results["accepted_gaps"]["missing"].as_array().map(Vec::len), Some(4));
    for row in results["results"].as_array().unwrap().iter().filter(|r| r["status"] == "active") {
        assert_eq!((row["provisional"].as_bool(), row["gaps_accepted"].as_bool()), (Some(false), Some(true)), "{row}");
    }
    let audit = app.admin_get("/api/v1/competitions/SMALL/audit?action=skill.locked").await;
    assert_eq!(audit["events"][0]["reason"], "the panel cannot be filled");
    // Registration changes that would alter the signed-off skill wait for an unlock.
    let entry = json!({"code": "S1-NEW", "skill": "S1", "delegation": "BBB", "members": ["Nat"]});
    let (status, body) = app.admin_post("/api/v1/competitions/SMALL/entries", &entry).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("skill_locked")), "{body}");
    let csv = app
        .client
        .post(app.url("/api/v1/competitions/SMALL/entries.csv"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body("code,skill,delegation,members\nS1-CSV,S1,BBB,Cas\n")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::CONFLICT);
    let judge = json!({"code": "JD", "name": "Judge D", "delegation": "AAA", "skills": ["S1", "S2"], "role": "judge"});
    let response = app
        .request(reqwest::Method::PUT, "/api/v1/competitions/SMALL/judges/JD", Some(&app.admin_token), Some(&judge))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let skill = app.admin_get("/api/v1/competitions/SMALL/skills/S1").await;
    let mut edited = skill.clone();
    edited["criteria"][0]["aspects"][0]["max"] = json!("12");
    let response = app
        .request(reqwest::Method::PUT, "/api/v1/competitions/SMALL/skills/S1", Some(&app.admin_token), Some(&edited))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

async fn an_unlocked_published_skill_is_under_review_everywhere(app: TestApp) {
    app.small().await;
    let jd = app.judge_token("SMALL", "JD").await;
    assert_eq!(app.marks(&jd, &[mark("S2-BBB", "M1", json!(4))]).await.0, StatusCode::OK);
    let accept = json!({"accept_missing": true, "reason": "S2-AAA has no eligible judge"});
    // S2-AAA cannot be marked by anyone here: withdraw it, then sign off.
    let status = "/api/v1/competitions/SMALL/entries/S2-AAA/status";
    assert_eq!(app.admin_post(status, &json!({"status": "withdrawn", "reason": "no judge"})).await.0, StatusCode::OK);
    assert_eq!(app.admin_post("/api/v1/competitions/SMALL/skills/S2/lock", &accept).await.0, StatusCode::OK);
    assert_eq!(app.admin_post("/api/v1/competitions/SMALL/skills/S2/publish", &json!({})).await.0, StatusCode::OK);
    let (status, body) =
        app.admin_post("/api/v1/competitions/SMALL/skills/S2/unlock", &json!({"reason": "appeal"})).await;
    assert_eq!((status, body["state"].as_str()), (StatusCode::OK, Some("under_review")), "{body}");
    let (_, public) = app.get("/api/v1/competitions/SMALL/skills/S2/results", None).await;
    assert_eq!((public["state"].as_str(), public["official"].as_bool()), (Some("under_review"), Some(false)));
    assert!(public.get("results").is_none(), "results under review are withdrawn from the public");
    let progress = app.admin_get("/api/v1/competitions/SMALL/progress").await;
    assert!(progress.as_array().unwrap().iter().any(|p| p["skill"] == "S2" && p["state"] == "under_review"));
    // Marks are taken again while under review; a new sign-off follows.
    assert_eq!(app.marks(&jd, &[json!({"id": uuid::Uuid::new_v4(), "entry": "S2-BBB", "aspect": "M1", "value": "4.5", "reason": "appeal"})]).await.0, StatusCode::OK);
    assert_eq!(app.admin_post("/api/v1/competitions/SMALL/skills/S2/lock", &json!({})).await.0, StatusCode::OK);
}

async fn a_judge_sees_another_judges_measurement_but_no_other_judgement(app: TestApp) {
    app.small().await;
    let (ja, jb) = (app.judge_token("SMALL", "JA").await, app.judge_token("SMALL", "JB").await);
    assert_eq!(
        app.marks(&ja, &[mark("S1-CCC", "M1", json!("7.25")), mark("S1-CCC", "J1", json!(3))]).await.0,
        StatusCode::OK
    );
    let (status, marks) = app.get("/api/v1/competitions/SMALL/marks?entry=S1-CCC", Some(&jb)).await;
    assert_eq!(status, StatusCode::OK, "{marks}");
    let marks = marks.as_array().unwrap();
    assert_eq!(marks.len(), 1, "only JA's measurement: {marks:?}");
    assert_eq!(
        (
            marks[0]["aspect"].as_str(),
            marks[0]["judge"].as_str(),
            marks[0]["value"].as_str(),
            marks[0]["own"].as_bool()
        ),
        (Some("M1"), Some("JA"), Some("7.25"), Some(false))
    );
    assert!(marks[0]["created_at"].is_string());
    // JB corrects it with a reason; JA then sees JB's value as the current one.
    let correction =
        json!({"id": uuid::Uuid::new_v4(), "entry": "S1-CCC", "aspect": "M1", "value": "7.5", "reason": "re-measured"});
    assert_eq!(app.marks(&jb, &[correction]).await.0, StatusCode::OK);
    let (_, seen) = app.get("/api/v1/competitions/SMALL/marks?entry=S1-CCC", Some(&ja)).await;
    let current: Vec<&Value> = seen.as_array().unwrap().iter().filter(|m| m["own"] == false).collect();
    assert_eq!(current.len(), 1);
    assert_eq!((current[0]["judge"].as_str(), current[0]["value"].as_str()), (Some("JB"), Some("7.50")));
    // The skill's chief sees every mark of it, judgements included.
    let jc = app.judge_token("SMALL", "JC").await;
    let (_, all) = app.get("/api/v1/competitions/SMALL/marks?entry=S1-CCC", Some(&jc)).await;
    assert!(all.as_array().unwrap().iter().any(|m| m["judge"] == "JA" && m["aspect"] == "J1"), "{all}");
    // Unknown filters are 404, never "every mark".
    let (status, body) = app.get("/api/v1/competitions/SMALL/marks?entry=NOPE", Some(&ja)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_entry")));
    let (status, body) = app.get("/api/v1/competitions/SMALL/marks?judge=NOPE", Some(&app.admin_token)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_judge")));
}

on_both_databases!(
    readiness_names_panels_eligible_judges_cannot_fill,
    the_grid_shows_who_still_owes_which_mark,
    locking_an_incomplete_skill_lists_every_gap_until_they_are_accepted,
    an_unlocked_published_skill_is_under_review_everywhere,
    a_judge_sees_another_judges_measurement_but_no_other_judgement,
);
