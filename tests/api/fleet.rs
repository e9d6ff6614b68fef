//! The tablet fleet: judges' heartbeats and the organizers' (and chiefs') listing.
use crate::helpers::TestApp;
use crate::on_both_databases;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

const HEARTBEAT: &str = "/api/v1/competitions/SMALL/tablets/heartbeat";
const TABLETS: &str = "/api/v1/competitions/SMALL/tablets";

fn tablets_of<'a>(fleet: &'a Value, judge: &str) -> &'a Vec<Value> {
    let judges = fleet["judges"].as_array().unwrap();
    judges.iter().find(|j| j["judge"] == judge).unwrap()["tablets"].as_array().unwrap()
}

async fn tablets_report_and_organizers_see_unsent_marks(app: TestApp) {
    app.small().await;
    let beat = json!({"tablet": "tab-a", "app_version": "0.1.0", "queued": 0});
    let (status, body) = app.post(HEARTBEAT, None, &beat).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = app.get(TABLETS, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Organizers have no tablet; a judge reports only for themself.
    let (status, body) = app.admin_post(HEARTBEAT, &beat).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_a_judge_here")), "{body}");
    let ja = app.judge_token("SMALL", "JA").await;
    let mut as_jb = beat.clone();
    as_jb["judge"] = json!("JB");
    let (status, body) = app.post(HEARTBEAT, Some(&ja), &as_jb).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("judge_mismatch")), "{body}");
    // Every bad field is named, and nothing is stored.
    let bad = json!({"tablet": "a tablet", "app_version": "", "queued": 1, "battery": {"level": 7}});
    let (status, body) = app.post(HEARTBEAT, Some(&ja), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let pointers: Vec<_> = body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].clone()).collect();
    assert_eq!(pointers, [json!("/tablet"), json!("/app_version"), json!("/battery/level")]);
    // A tablet whose clock is an hour behind has held two marks for 90 s.
    let tablet_now = Utc::now() - Duration::hours(1);
    let unsent = json!({"tablet": "tab-a", "judge": "JA", "app_version": "0.1.0", "queued": 2,
        "unsent_since": tablet_now - Duration::seconds(90), "last_sync_at": tablet_now - Duration::seconds(300),
        "sent_at": tablet_now, "battery": {"level": 0.42, "charging": false}});
    let (status, view) = app.post(HEARTBEAT, Some(&ja), &unsent).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        (view["state"].as_str(), view["queued"].as_u64(), view["alert"].as_bool()),
        (Some("online"), Some(2), Some(true))
    );
    let (status, _) =
        app.post(HEARTBEAT, Some(&ja), &json!({"tablet": "tab-b", "app_version": "0.0.9", "queued": 0})).await;
    assert_eq!(status, StatusCode::OK);
    let fleet = app.admin_get(TABLETS).await;
    assert_eq!(fleet["judges"].as_array().unwrap().len(), 4, "{fleet}");
    assert_eq!(
        (fleet["online"].as_u64(), fleet["unsent"].as_u64(), fleet["alerts"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    let tablets = tablets_of(&fleet, "JA");
    let a = tablets.iter().find(|t| t["tablet"] == "tab-a").unwrap();
    assert_eq!((a["unsent"].as_bool(), a["queued"].as_u64()), (Some(true), Some(2)), "{a}");
    assert_eq!(a["battery"], json!({"percent": 42, "charging": false}));
    // Times are on the server's clock: the sync was about five minutes ago, not an hour.
    let last_sync: chrono::DateTime<Utc> = a["last_sync_at"].as_str().unwrap().parse().unwrap();
    let ago = Utc::now() - last_sync;
    assert!(ago > Duration::seconds(290) && ago < Duration::seconds(330), "{ago}");
    assert!(tablets_of(&fleet, "JB").is_empty());
    // Once sent, the tablet is no longer unsent.
    let mut sent = unsent.clone();
    sent["queued"] = json!(0);
    let (status, view) = app.post(HEARTBEAT, Some(&ja), &sent).await;
    assert_eq!((status, view["unsent"].as_bool(), view["alert"].as_bool()), (StatusCode::OK, Some(false), Some(false)));
    let fleet = app.admin_get(TABLETS).await;
    assert_eq!((fleet["unsent"].as_u64(), fleet["alerts"].as_u64()), (Some(0), Some(0)));
}

async fn a_chief_sees_the_tablets_of_their_skill_and_a_judge_none(app: TestApp) {
    app.small().await;
    let jd = app.judge_token("SMALL", "JD").await;
    let (status, _) =
        app.post(HEARTBEAT, Some(&jd), &json!({"tablet": "tab-d", "app_version": "0.1.0", "queued": 1})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get(TABLETS, Some(&jd)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("chief_only")), "{body}");
    let jc = app.judge_token("SMALL", "JC").await;
    let (status, fleet) = app.get(TABLETS, Some(&jc)).await;
    assert_eq!(status, StatusCode::OK, "{fleet}");
    let judges: Vec<_> = fleet["judges"].as_array().unwrap().iter().map(|j| j["judge"].clone()).collect();
    assert_eq!(judges, [json!("JA"), json!("JB"), json!("JC")], "JD marks S2 only");
    assert_eq!(fleet["unsent"], 0);
    let all = app.admin_get(TABLETS).await;
    assert_eq!(tablets_of(&all, "JD")[0]["queued"], 1);
}

on_both_databases!(
    tablets_report_and_organizers_see_unsent_marks,
    a_chief_sees_the_tablets_of_their_skill_and_a_judge_none
);
