//! The built `podium` binary: JSON log lines, no colour codes when not on a terminal, and
//! SIGTERM with a live socket open and marks in flight (the socket gets close 1001, every
//! acknowledged mark is stored, the process exits 0).
use crate::helpers::{ADMIN_PASSWORD, fresh_sqlite, mark, small_package};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

struct Server {
    child: Child,
    port: u16,
    /// Every line the server wrote to standard error so far, then more as it writes.
    lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on `url` with standard error piped (not a terminal).
fn start(url: &str, json_logs: bool) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_podium"));
    command
        .args(["--db", url, "--bind", "127.0.0.1:0", "--no-demo", "--admin-password", ADMIN_PASSWORD, "serve"])
        .env_remove("PODIUM_LOG")
        .env("NO_COLOR", "")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if json_logs {
        command.env("PODIUM_LOG_FORMAT", "json");
    } else {
        command.env_remove("PODIUM_LOG_FORMAT");
    }
    let mut child = command.spawn().expect("the podium binary starts");
    let stderr = child.stderr.take().expect("piped standard error");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut server = Server { child, port: 0, lines };
    for line in server.wait_for(|l| l.contains("Podium serves")) {
        let port = if json_logs {
            let entry: Value = serde_json::from_str(&line).expect("a JSON log line");
            entry["fields"]["port"].as_u64()
        } else {
            line.split("port=").nth(1).and_then(|p| p.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        };
        server.port = u16::try_from(port.expect("the port in the start-up line")).unwrap();
    }
    server
}

impl Server {
    /// The lines written until (and including) the first matching one; panics after 60 s.
    fn wait_for(&self, found: impl Fn(&str) -> bool) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("{seen:#?}"));
            seen.push(line.clone());
            if found(&line) {
                let matched = seen.pop().into_iter().collect::<Vec<_>>();
                check_lines(&seen);
                return matched;
            }
        }
    }

    fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child's pid with a valid signal number.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// Waits for the process to exit; every line it wrote is checked.
    fn exit_status(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let rest: Vec<String> = self.lines.try_iter().collect();
                check_lines(&rest);
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "still running after {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// No line carries an escape code (standard error is a pipe, not a terminal).
fn check_lines(lines: &[String]) {
    for line in lines {
        assert!(!line.contains('\u{1b}'), "a colour code in {line:?}");
    }
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = client.post(format!("{base}{path}")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("a response");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_live_sockets_with_1001_keeps_every_acknowledged_mark_and_exits_0() {
    let (url, _dir) = fresh_sqlite();
    let mut server = start(&url, true);
    let base = format!("http://127.0.0.1:{}", server.port);
    let client = reqwest::Client::new();
    let (status, body) =
        post(&client, &base, "/api/v1/session", None, &json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let admin = body["token"].as_str().unwrap().to_owned();
    let (status, body) = post(&client, &base, "/api/v1/competitions/import", Some(&admin), &small_package()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, body) = post(&client, &base, "/api/v1/competitions/SMALL/judges/JA/code", Some(&admin), &json!({})).await;
    let (status, body) = post(&client, &base, "/api/v1/session", None, &json!({"code": body["code"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let judge = body["token"].as_str().unwrap().to_owned();

    // A board watching skill S1.
    let ws = format!("ws://127.0.0.1:{}/api/v1/competitions/SMALL/live", server.port);
    let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.expect("a live socket");
    socket.send(Message::Text(json!({"subscribe": ["skill:S1"]}).to_string().into())).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap().unwrap().unwrap();
    assert!(first.to_text().unwrap().contains("snapshot"), "{first:?}");

    // Four tablets send marks one request after another, each on its own connection.
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
    let mut tablets = Vec::new();
    for tablet in 0..4 {
        let (base, judge, started) = (base.clone(), judge.clone(), started_tx.clone());
        tablets.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
            let mut acknowledged = Vec::new();
            for n in 0..200 {
                let entry = if (tablet + n) % 2 == 0 { "S1-BBB" } else { "S1-CCC" };
                let mut m = mark(entry, "M1", json!(format!("{}.{:02}", n % 10, tablet)));
                m["reason"] = json!("shutdown test");
                let request = client
                    .post(format!("{base}/api/v1/competitions/SMALL/marks"))
                    .bearer_auth(&judge)
                    .json(&json!({ "marks": [m.clone()] }));
                match request.send().await {
                    Ok(response) if response.status() == StatusCode::OK => {
                        // Acknowledged only once the whole answer arrived.
                        if response.json::<Value>().await.is_ok_and(|b| b["accepted"] == 1) {
                            acknowledged.push(m["id"].as_str().unwrap().to_owned());
                            let _ = started.send(());
                        }
                    }
                    // Refused while stopping (or the connection went away): not acknowledged.
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    drop(started_tx);
    for _ in 0..8 {
        started.recv().await.expect("marks are acknowledged before the signal");
    }
    server.terminate();

    // The board hears "going away".
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame within 10 s")
    .expect("a close code");
    assert_eq!(close.code, CloseCode::Away, "{close:?}");

    let mut acknowledged = Vec::new();
    for tablet in tablets {
        acknowledged.extend(tablet.await.unwrap());
    }
    assert!(acknowledged.len() >= 8);
    let status = tokio::task::block_in_place(|| server.exit_status(Duration::from_secs(30)));
    assert_eq!(status.code(), Some(0), "a clean exit: {status:?}");

    // Every acknowledged mark is in the database.
    let output = Command::new(env!("CARGO_BIN_EXE_podium")).args(["--db", &url, "export", "SMALL"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let package: Value = serde_json::from_slice(&output.stdout).expect("an exported package");
    let stored: std::collections::HashSet<&str> =
        package["marks"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(id.as_str())).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged marks are missing", lost.len(), acknowledged.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_carry_no_colour_codes_off_a_terminal() {
    let (url, _dir) = fresh_sqlite();
    let mut server = start(&url, false);
    let response = reqwest::get(format!("http://127.0.0.1:{}/healthz", server.port)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.terminate();
    // Every line up to the last is checked for escape codes on the way.
    let last = server.wait_for(|l| l.contains("stopped"));
    assert!(last[0].contains("INFO"), "{last:?}");
    let status = tokio::task::block_in_place(|| server.exit_status(Duration::from_secs(30)));
    assert_eq!(status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_podium_log_format_json_every_log_line_is_a_json_object() {
    let (url, _dir) = fresh_sqlite();
    let mut server = start(&url, true);
    let response = reqwest::get(format!("http://127.0.0.1:{}/api/v1/competitions", server.port)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.terminate();
    let lines = {
        let mut lines = Vec::new();
        loop {
            let line = server.lines.recv_timeout(Duration::from_secs(30)).expect("more log lines");
            let done = line.contains("stopped");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    };
    for line in &lines {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert!(entry["level"].is_string() && entry["timestamp"].is_string(), "{entry}");
    }
    assert!(lines.iter().any(|l| l.contains("finishing requests in flight")), "{lines:#?}");
    let status = tokio::task::block_in_place(|| server.exit_status(Duration::from_secs(30)));
    assert_eq!(status.code(), Some(0));
}
