//! The closing ceremony: planning from locked skills, the presenter's next and back (each
//! audited; a skill's last step publishes it), rehearsals on generated data, and that an
//! anonymous caller, over HTTP or a socket, learns nothing of a step not yet revealed.
use crate::helpers::{TestApp, fixture};
use crate::on_both_databases;
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const BASE: &str = "/api/v1/competitions/CER";

/// The mini fixture as competition `CER`, every skill locked (none published): IR has a
/// medallion (IR-PAK), a bronze (IR-RUS) and a shared gold (IR-CHN, IR-KAZ); NE a bronze,
/// a silver and a gold.
async fn locked(app: &TestApp) -> Value {
    let mut package = fixture("mini.json");
    package["competition"]["code"] = json!("CER");
    package["published"] = json!([]);
    for skill in package["skills"].as_array_mut().unwrap() {
        skill["state"] = json!("locked");
    }
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    package
}

/// Member names of some entries.
fn members(package: &Value, entries: &[&str]) -> Vec<String> {
    package["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| entries.contains(&e["code"].as_str().unwrap()))
        .flat_map(|e| e["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()))
        .collect()
}

async fn put(app: &TestApp, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
    crate::helpers::into_json(app.request(Method::PUT, &format!("{BASE}/ceremony"), token, Some(body)).await).await
}

async fn step(app: &TestApp, way: &str) -> Value {
    let (status, body) = app.admin_post(&format!("{BASE}/ceremony/{way}"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{way}: {body}");
    body
}

async fn state_of(app: &TestApp, skill: &str) -> String {
    let body = app.admin_get(&format!("{BASE}/skills/{skill}/results")).await;
    body["state"].as_str().unwrap().to_owned()
}

/// Everything an anonymous caller can read over HTTP about results and the ceremony (entry
/// codes and names are registration data, public anyway: the lists of them are left out).
async fn public_http(app: &TestApp) -> String {
    let mut all = String::new();
    for path in
        ["/ceremony", "/skills/IR/results", "/skills/NE/results", "/medals", "/medals?all=true", "/progress", "/awards"]
    {
        let (_, body) = app.get(&format!("{BASE}{path}"), None).await;
        all.push_str(&body.to_string());
    }
    all
}

fn medals_of(text: &str) -> Vec<String> {
    ["\"medal\":\"gold\"", "\"medal\":\"silver\"", "\"medal\":\"bronze\"", "\"medal\":\"excellence\""]
        .iter()
        .filter(|m| text.contains(*m))
        .map(|m| m.to_string())
        .collect()
}

async fn a_plan_takes_default_steps_and_refuses_unknown_or_unlocked_skills(app: TestApp) {
    locked(&app).await;
    let (status, body) = put(&app, None, &json!({"skills": ["IR"]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = put(&app, Some(&app.admin_token), &json!({"skills": ["IR", "XX"]})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{body}");
    let (status, body) = app.admin_post(&format!("{BASE}/skills/AI/unlock"), &json!({"reason": "one more look"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = put(&app, Some(&app.admin_token), &json!({"skills": ["IR", "AI"]})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("skill_not_locked")), "{body}");
    let (status, body) = app.admin_post(&format!("{BASE}/ceremony/next"), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_ceremony")), "{body}");

    let (status, plan) = put(&app, Some(&app.admin_token), &json!({"skills": ["IR", "NE"]})).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(
        plan["plan"],
        json!([
            {"skill": "IR", "steps": [
                {"medal": "excellence", "entries": ["IR-PAK"]},
                {"medal": "bronze", "entries": ["IR-RUS"]},
                {"medal": "gold", "entries": ["IR-CHN", "IR-KAZ"]}]},
            {"skill": "NE", "steps": [
                {"medal": "bronze", "entries": ["NE-UZB"]},
                {"medal": "silver", "entries": ["NE-CHN"]},
                {"medal": "gold", "entries": ["NE-KGZ"]}]}
        ]),
        "medallions first, gold last, a shared gold in one step"
    );
    assert_eq!((plan["position"].as_u64(), plan["total"].as_u64()), (Some(0), Some(6)));
    assert_eq!(plan["next"]["medal"], "excellence");
    assert_eq!(plan["next"]["winners"][0]["delegation"], "PAK");
    // Steps given by hand must reveal every holder once, with the medal they hold.
    let wrong = json!({"skills": [{"skill": "NE", "steps": [{"medal": "gold", "entries": ["NE-CHN"]}]}]});
    let (status, body) = put(&app, Some(&app.admin_token), &wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The plan is part of the competition's package.
    let export = app.admin_get(&format!("{BASE}/export")).await;
    assert_eq!(export["ceremony"]["skills"][0]["skill"], "IR", "{}", export["ceremony"]);
    assert_eq!(export["ceremony"]["skills"][1]["steps"][2]["entries"], json!(["NE-KGZ"]));
    let mut copy = export.clone();
    copy["competition"]["code"] = json!("CER2");
    let (status, body) = app.import(&copy).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let again = app.admin_get("/api/v1/competitions/CER2/ceremony").await;
    assert_eq!(again["plan"], plan["plan"]);
}

async fn next_and_back_move_one_step_publish_at_the_last_and_are_audited(app: TestApp) {
    locked(&app).await;
    let (status, body) = put(&app, Some(&app.admin_token), &json!({"skills": ["IR", "NE"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.admin_post(&format!("{BASE}/ceremony/back"), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("ceremony_end")), "{body}");
    let (status, _) = app.post(&format!("{BASE}/ceremony/next"), None, &json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let judge = app.judge_token("CER", "J-IR-RUS").await;
    let (status, _) = app.post(&format!("{BASE}/ceremony/next"), Some(&judge), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert_eq!(step(&app, "next").await["position"], 1);
    assert_eq!(step(&app, "next").await["position"], 2);
    assert_eq!(state_of(&app, "IR").await, "locked");
    let view = step(&app, "next").await;
    assert_eq!(view["position"], 3);
    assert_eq!(view["hall"]["current"]["winners"].as_array().map(Vec::len), Some(2), "the shared gold together");
    assert_eq!(state_of(&app, "IR").await, "published", "the last step publishes the skill");
    let (_, results) = app.get(&format!("{BASE}/skills/IR/results"), None).await;
    assert_eq!(results["results"][0]["medal"], "gold", "{results}");
    // Back on a published skill's last step: locked again, its results private again.
    assert_eq!(step(&app, "back").await["position"], 2);
    assert_eq!(state_of(&app, "IR").await, "locked");
    let (_, results) = app.get(&format!("{BASE}/skills/IR/results"), None).await;
    assert!(results.get("results").is_none(), "{results}");
    // A plan cannot be replaced while real steps are revealed.
    let (status, body) = put(&app, Some(&app.admin_token), &json!({"skills": ["NE"]})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("ceremony_in_progress")), "{body}");
    for _ in 0..4 {
        step(&app, "next").await;
    }
    let (status, body) = app.admin_post(&format!("{BASE}/ceremony/next"), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("ceremony_end")), "{body}");
    assert_eq!((state_of(&app, "IR").await, state_of(&app, "NE").await), ("published".into(), "published".into()));
    let (_, medals) = app.get(&format!("{BASE}/medals"), None).await;
    assert!(medals["rows"].as_array().unwrap().iter().any(|r| r["delegation"] == "KGZ" && r["gold"] == 1), "{medals}");

    let audit = app.admin_get(&format!("{BASE}/audit?action=ceremony.")).await;
    let events = audit["events"].as_array().or(audit.as_array()).expect("audit events").clone();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "ceremony.next").count(), 7, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "ceremony.back").count(), 1, "{actions:?}");
    assert!(actions.contains(&"ceremony.planned"));
    let audit = app.admin_get(&format!("{BASE}/audit?action=skill.")).await;
    let events = audit["events"].as_array().or(audit.as_array()).expect("audit events").clone();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "skill.published").count(), 3, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "skill.unpublished").count(), 1, "{actions:?}");
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn anonymous_socket(app: &TestApp, subscribe: Value) -> Socket {
    let base = app.base.replace("http://", "ws://");
    let url = format!("{base}{BASE}/live");
    let mut socket = tokio_tungstenite::connect_async(url).await.expect("websocket").0;
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("send");
    socket
}

/// Every frame the socket receives within `wait`.
async fn frames(socket: &mut Socket, wait: Duration) -> Vec<String> {
    let mut out = Vec::new();
    let until = tokio::time::Instant::now() + wait;
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(until, socket.next()).await {
        if let Message::Text(text) = message {
            out.push(text.to_string());
        }
    }
    out
}

fn assert_hidden(text: &str, hidden_entries: &[&str], hidden_names: &[String], context: &str) {
    for entry in hidden_entries {
        assert!(!text.contains(entry), "{context}: '{entry}' is not revealed yet: {text}");
    }
    for name in hidden_names {
        assert!(!text.contains(name.as_str()), "{context}: '{name}' is not revealed yet: {text}");
    }
}

async fn anonymous_callers_and_sockets_learn_nothing_unrevealed(app: TestApp) {
    let package = locked(&app).await;
    let channels = json!({"subscribe": ["ceremony", "broadcast", "skill:IR", "skill:NE", "medals", "progress"]});
    let mut socket = anonymous_socket(&app, channels.clone()).await;
    let (status, body) = put(&app, Some(&app.admin_token), &json!({"skills": ["IR", "NE"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Every entry holding a medal, in reveal order, and what each step reveals.
    let order: [&[&str]; 6] = [&["IR-PAK"], &["IR-RUS"], &["IR-CHN", "IR-KAZ"], &["NE-UZB"], &["NE-CHN"], &["NE-KGZ"]];
    let mut seen = frames(&mut socket, Duration::from_millis(400)).await;
    for position in 0..=order.len() {
        if position > 0 {
            step(&app, "next").await;
        }
        let hidden: Vec<&str> = order[position..].iter().flat_map(|s| s.iter().copied()).collect();
        // Generated names repeat across entries: only those of no revealed entry mark a leak.
        let shown: Vec<&str> = order[..position].iter().flat_map(|s| s.iter().copied()).collect();
        let shown_names = members(&package, &shown);
        let names: Vec<String> = members(&package, &hidden).into_iter().filter(|n| !shown_names.contains(n)).collect();
        seen.extend(frames(&mut socket, Duration::from_millis(300)).await);
        let context = format!("after {position} steps");
        let http = public_http(&app).await;
        assert_hidden(&http, &hidden, &names, &format!("HTTP {context}"));
        // A fresh socket's snapshots, and one resuming from the start (`since` replay).
        let mut fresh = anonymous_socket(&app, channels.clone()).await;
        let mut snapshot = frames(&mut fresh, Duration::from_millis(300)).await.join("\n");
        let since = json!({"subscribe": ["ceremony", "broadcast"], "since": {"ceremony": 0, "broadcast": 0}});
        let mut resumed = anonymous_socket(&app, since).await;
        snapshot.push_str(&frames(&mut resumed, Duration::from_millis(300)).await.join("\n"));
        assert_hidden(&snapshot, &hidden, &names, &format!("fresh socket {context}"));
        assert_hidden(&seen.join("\n"), &hidden, &names, &format!("live socket {context}"));
        // Before IR's gold, nobody publicly holds a gold, silver or rank in IR.
        if position < 3 {
            let (_, results) = app.get(&format!("{BASE}/skills/IR/results"), None).await;
            assert!(medals_of(&results.to_string()).is_empty(), "{results}");
            assert!(!results.to_string().contains("\"rank\""), "{results}");
        }
    }
    let (_, hall) = app.get(&format!("{BASE}/ceremony"), None).await;
    assert_eq!(hall["finished"], true, "{hall}");
    assert!(hall.get("plan").is_none() && hall.get("next").is_none(), "no cue for the public: {hall}");
    assert!(seen.iter().any(|f| f.contains("\"medal_revealed\"")), "the broadcast channel announces reveals");
    assert!(seen.iter().any(|f| f.contains("\"skill_published\"")), "and publications");
}

async fn a_rehearsal_leaves_real_results_untouched_and_unpublished(app: TestApp) {
    let package = locked(&app).await;
    let (status, body) = put(&app, Some(&app.admin_token), &json!({"skills": ["IR", "NE"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let before_ir = app.admin_get(&format!("{BASE}/skills/IR/results")).await;
    let view = step(&app, "rehearsal").await;
    assert_eq!((view["rehearsal"].as_bool(), view["total"].as_u64()), (Some(true), Some(8)));
    let mut socket = anonymous_socket(&app, json!({"subscribe": ["ceremony", "skill:IR", "medals"]})).await;
    for _ in 0..8 {
        step(&app, "next").await;
    }
    let seen = frames(&mut socket, Duration::from_millis(400)).await.join("\n");
    let (_, hall) = app.get(&format!("{BASE}/ceremony"), None).await;
    assert_eq!((hall["rehearsal"].as_bool(), hall["finished"].as_bool()), (Some(true), Some(true)), "{hall}");
    let winners: Vec<&Value> = hall["skills"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .flat_map(|s| s["winners"].as_array().unwrap())
        .collect();
    assert_eq!(winners.len(), 10);
    assert!(winners.iter().all(|w| w["entry"].as_str().unwrap().starts_with("~R-")), "{hall}");
    let real = members(&package, &["IR-PAK", "IR-RUS", "IR-CHN", "IR-KAZ", "NE-UZB", "NE-CHN", "NE-KGZ"]);
    let real_entries = ["IR-PAK", "IR-RUS", "IR-CHN", "IR-KAZ", "NE-UZB", "NE-CHN", "NE-KGZ"];
    assert_hidden(&hall.to_string(), &real_entries, &real, "rehearsal hall");
    assert_hidden(&seen, &real_entries, &real, "rehearsal frames");
    assert_hidden(&public_http(&app).await, &real_entries, &real, "HTTP after a rehearsal");
    assert_eq!((state_of(&app, "IR").await, state_of(&app, "NE").await), ("locked".into(), "locked".into()));
    assert_eq!(app.admin_get(&format!("{BASE}/skills/IR/results")).await, before_ir, "real results untouched");
    let (_, medals) = app.get(&format!("{BASE}/medals"), None).await;
    assert!(medals["rows"].as_array().unwrap().is_empty(), "{medals}");
    // Ending it starts the real ceremony from its first step; a rehearsal cannot start once
    // real steps are revealed.
    let (status, view) = app.admin_post(&format!("{BASE}/ceremony/rehearsal"), &json!({"on": false})).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(
        (view["rehearsal"].as_bool(), view["position"].as_u64(), view["total"].as_u64()),
        (Some(false), Some(0), Some(6))
    );
    step(&app, "next").await;
    let (status, body) = app.admin_post(&format!("{BASE}/ceremony/rehearsal"), &json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("ceremony_in_progress")), "{body}");
}

on_both_databases!(
    a_plan_takes_default_steps_and_refuses_unknown_or_unlocked_skills,
    next_and_back_move_one_step_publish_at_the_last_and_are_audited,
    anonymous_callers_and_sockets_learn_nothing_unrevealed,
    a_rehearsal_leaves_real_results_untouched_and_unpublished,
);
