//! The live socket under pressure and after trust ends: revoked sessions drop to the public
//! view at once, clients that flood or send oversized messages are cut off, caps refuse new
//! sockets, and viewers of a channel changing faster than its rate converge on merged deltas.
use crate::helpers::{Backend, TestApp, mark, spawn_app_with};
use crate::live::{Socket, connect, next, nothing_within, post_mark, send};
use crate::on_both_databases;
use futures_util::{SinkExt, StreamExt};
use podium::model::Channel;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Reads frames until one of `type`; panics after 5 s. Returns it and what came before.
async fn until(socket: &mut Socket, kind: &str) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    loop {
        let frame = next(socket).await;
        if frame["type"] == kind {
            return (frame, before);
        }
        before.push(frame);
    }
}

/// The close code the server ends the socket with (after any frames).
async fn close_code(socket: &mut Socket) -> Option<u16> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
    None
}

pub async fn a_logged_out_organizers_socket_is_revoked_and_gets_no_private_delta(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let organizer = app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    let mut socket = connect(&app, None).await;
    send(&mut socket, json!({"auth": organizer, "subscribe": ["skill:S1"]})).await;
    let snapshot = next(&mut socket).await;
    assert!(snapshot["data"].get("results").is_some(), "the organizer sees results: {snapshot}");
    let response = app.request(reqwest::Method::DELETE, "/api/v1/session", Some(&organizer), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let started = Instant::now();
    let (revoked, _) = until(&mut socket, "revoked").await;
    assert!(started.elapsed() < Duration::from_secs(1), "revoked within a second");
    assert!(revoked["data"]["reason"].is_string());
    // What follows is the public view: a snapshot without results, then progress only.
    let public = next(&mut socket).await;
    assert_eq!(public["type"], "snapshot");
    assert!(public["data"].get("results").is_none(), "{public}");
    post_mark(&app, &ja, "S1-BBB", "7.00").await;
    let delta = next(&mut socket).await;
    assert!(delta["data"].get("rows").is_none() && delta["data"].get("ranks").is_none(), "leak: {delta}");
}

async fn a_reissued_code_and_a_demotion_revoke_what_a_judge_may_see(app: TestApp) {
    app.small().await;
    let jc = app.judge_token("SMALL", "JC").await;
    let mut socket = connect(&app, Some(&jc)).await;
    send(&mut socket, json!({"subscribe": ["skill:S1", "judge:JC"]})).await;
    let first = next(&mut socket).await;
    assert!(first["data"].get("results").is_some(), "the chief sees the ranking: {first}");
    next(&mut socket).await;
    // JC is no longer chief: the private channel turns public.
    let judge = json!({"code": "JC", "name": "Judge C", "delegation": "CCC", "skills": ["S1"], "role": "judge"});
    let response = app
        .request(reqwest::Method::PUT, "/api/v1/competitions/SMALL/judges/JC", Some(&app.admin_token), Some(&judge))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, _) = until(&mut socket, "revoked").await;
    let (public, _) = until(&mut socket, "snapshot").await;
    assert_eq!(public["channel"], "skill:S1");
    assert!(public["data"].get("results").is_none(), "{public}");
    // A reissued code ends the session: the judge channel ends too.
    let (status, _) = app.admin_post("/api/v1/competitions/SMALL/judges/JC/code", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    until(&mut socket, "revoked").await;
    let ja = app.judge_token("SMALL", "JA").await;
    assert_eq!(app.marks(&ja, &[mark("S1-CCC", "J1", json!(0))]).await.0, StatusCode::OK);
    let jb = app.judge_token("SMALL", "JB").await;
    assert_eq!(app.marks(&jb, &[mark("S1-CCC", "J1", json!(3))]).await.0, StatusCode::OK);
    // A discrepancy on S1 would reach judge:JC; the socket hears only the public skill channel.
    for _ in 0..2 {
        let frame = next(&mut socket).await;
        assert_eq!(frame["channel"], "skill:S1", "{frame}");
    }
    nothing_within(&mut socket, Duration::from_millis(300)).await;
}

pub async fn a_flooding_client_is_throttled_then_closed_and_an_oversized_message_closes_with_1009(app: TestApp) {
    app.small().await;
    let mut socket = connect(&app, None).await;
    for _ in 0..200 {
        if socket
            .send(Message::Text(json!({"subscribe": ["progress"], "since": {"progress": 0}}).to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
    let (error, _) = until(&mut socket, "error").await;
    // The first ones pass; the flood is refused, then cut off.
    assert!(error["data"]["code"] == "too_many_requests", "{error}");
    assert_eq!(close_code(&mut socket).await, Some(1008));
    // The server is fine: another socket is served, and HTTP answers.
    let mut other = connect(&app, None).await;
    send(&mut other, json!({"subscribe": ["progress"]})).await;
    assert_eq!(next(&mut other).await["type"], "snapshot");
    let _ = other.send(Message::Text("x".repeat(100_000).into())).await;
    assert_eq!(close_code(&mut other).await, Some(1009));
    let (status, _) = app.get("/api/v1/competitions/SMALL/progress", None).await;
    assert_eq!(status, StatusCode::OK);
}

pub async fn viewers_of_a_channel_faster_than_its_rate_converge_on_merged_deltas(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let mut socket = connect(&app, Some(&app.admin_token)).await;
    send(&mut socket, json!({"subscribe": ["skill:S1"]})).await;
    let snapshot = next(&mut socket).await;
    let channel = Channel::Skill("S1".into());
    let mut state = snapshot["data"].clone();
    let mut seq = snapshot["seq"].as_i64().unwrap();
    // 30 marks as fast as the server takes them: far more than 10 frames a second.
    let started = Instant::now();
    for i in 0..30 {
        let entry = ["S1-BBB", "S1-CCC"][i % 2];
        post_mark(&app, &ja, entry, &format!("{}.{:02}", i % 10, i)).await;
    }
    let posting = started.elapsed();
    let mut frames = 0;
    let target = seq + 30;
    while seq < target {
        let frame = next(&mut socket).await;
        assert_eq!(frame["type"], "delta", "{frame}");
        let from = frame.get("from").and_then(Value::as_i64).unwrap_or(frame["seq"].as_i64().unwrap());
        assert!(from <= seq + 1, "gapless: {frame} after {seq}");
        state = podium::live::merge::apply(&channel, &state, &frame["data"]);
        seq = frame["seq"].as_i64().unwrap();
        frames += 1;
    }
    let most = (posting.as_secs_f64() * 10.0).ceil() as usize + 2;
    assert!(frames <= most, "{frames} frames for 30 changes in {posting:?}: the channel's rate is 10 a second");
    assert!(frames < 30, "changes were merged");
    // The state the viewer holds is the server's.
    let results = app.admin_get("/api/v1/competitions/SMALL/skills/S1/results").await;
    for row in results["results"].as_array().unwrap() {
        let held = state["results"].as_array().unwrap().iter().find(|r| r["entry"] == row["entry"]).unwrap();
        for key in ["raw", "rank", "medal", "criteria", "provisional", "marked"] {
            assert_eq!(held[key], row[key], "{key} of {}", row["entry"]);
        }
    }
}

pub async fn frames_are_the_same_bytes_for_every_subscriber(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut socket = connect(&app, Some(&app.admin_token)).await;
        send(&mut socket, json!({"subscribe": ["skill:S1"]})).await;
        next(&mut socket).await;
        sockets.push(socket);
    }
    post_mark(&app, &ja, "S1-BBB", "5.00").await;
    let mut texts = Vec::new();
    for socket in &mut sockets {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap().unwrap().unwrap();
            if let Message::Text(text) = message {
                texts.push(text.to_string());
                break;
            }
        }
    }
    assert!(texts.iter().all(|t| *t == texts[0]), "{texts:?}");
}

on_both_databases!(
    a_logged_out_organizers_socket_is_revoked_and_gets_no_private_delta,
    a_reissued_code_and_a_demotion_revoke_what_a_judge_may_see,
    a_flooding_client_is_throttled_then_closed_and_an_oversized_message_closes_with_1009,
    frames_are_the_same_bytes_for_every_subscriber,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coalesced_viewers_converge_to_the_exact_current_results() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.live_rate = 10.0).await else { return };
    viewers_of_a_channel_faster_than_its_rate_converge_on_merged_deltas(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_over_the_per_address_cap_are_refused_with_503() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.max_sockets_per_address = 2).await else { return };
    app.small().await;
    let mut held = vec![connect(&app, None).await, connect(&app, None).await];
    let url = app.base.replace("http://", "ws://") + "/api/v1/competitions/SMALL/live";
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert!(response.headers().contains_key("retry-after"));
        }
        other => panic!("expected 503, got {:?}", other.map(|(_, r)| r.status())),
    }
    // A closed socket gives its place back.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = connect(&app, None).await;
    send(&mut again, json!({"subscribe": ["progress"]})).await;
    assert_eq!(next(&mut again).await["type"], "snapshot");
}
