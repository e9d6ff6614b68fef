//! An acknowledged mark survives `kill -9`: the server process is killed in the middle of
//! a stream of marks and, after a restart, the export lists every acknowledged mark.
use crate::helpers::{ADMIN_PASSWORD, Backend, database_url, mark, small_package};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[allow(clippy::zombie_processes)] // every caller kills and waits for the child
pub async fn start(url: &str, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["--db", url, "serve", "--no-demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("PODIUM_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("PODIUM_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start podium");
    let client = Client::new();
    for _ in 0..200 {
        if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("podium did not start on port {port}");
}

pub async fn token(client: &Client, base: &str, body: Value) -> String {
    let response = client.post(format!("{base}/api/v1/session")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn acknowledged_marks_survive_sigkill(backend: Backend) {
    let Some((url, _dir)) = database_url(backend).await else { return };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(&url, port).await;
    let client = Client::new();
    let admin = token(&client, &base, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let response = client
        .post(format!("{base}/api/v1/competitions/import"))
        .bearer_auth(&admin)
        .json(&small_package())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut judges = Vec::new();
    for judge in ["JA", "JB", "JC"] {
        let code: Value = client
            .post(format!("{base}/api/v1/competitions/SMALL/judges/{judge}/code"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        judges.push(token(&client, &base, json!({"code": code["code"]})).await);
    }
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut streams = Vec::new();
    for (judge, entry) in judges.into_iter().zip(["S1-BBB", "S1-CCC", "S1-AAA"]) {
        let acked = acked.clone();
        let client = client.clone();
        let url = format!("{base}/api/v1/competitions/SMALL/marks");
        streams.push(tokio::spawn(async move {
            for round in 0..100_000 {
                let batch: Vec<Value> = (0..4)
                    .map(|i| {
                        let mut m = mark(entry, "M1", json!(format!("{}.{:02}", (round + i) % 10, i)));
                        m["reason"] = json!("stream");
                        m
                    })
                    .collect();
                let ids: Vec<String> = batch.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
                match client.post(&url).bearer_auth(&judge).json(&json!({"marks": batch})).send().await {
                    Ok(r) if r.status() == StatusCode::OK => acked.lock().unwrap().extend(ids),
                    Ok(r) => panic!("a mark batch was refused: {}", r.text().await.unwrap_or_default()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().unwrap();
    for stream in streams {
        stream.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let mut child = start(&url, port).await;
    let admin = token(&client, &base, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let export: Value = client
        .get(format!("{base}/api/v1/competitions/SMALL/export"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let stored: std::collections::HashSet<&str> =
        export["marks"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(id.as_str())).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged marks were lost after kill -9", lost.len(), acked.len());
    assert!(stored.len() >= acked.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_marks_survive_sigkill() {
    acknowledged_marks_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_acknowledged_marks_survive_sigkill() {
    acknowledged_marks_survive_sigkill(Backend::Postgres).await;
}
