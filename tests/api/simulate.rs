//! `podium simulate`: a five-minute rehearsal of the mini fixture, played 30 times faster
//! against a running server, ends with 0 mismatches and leaves the original untouched.
use crate::helpers::{ADMIN_PASSWORD, Backend, fixture, spawn_app};
use std::time::{Duration, Instant};

fn count(output: &str, label: &str) -> usize {
    let line = output.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no '{label}' in {output}"));
    line[label.len()..].split_whitespace().next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_minute_rehearsal_at_30x_stores_exactly_what_the_judges_sent() {
    let Some(app) = spawn_app(Backend::Sqlite).await else { return };
    let (status, body) = app.import(&fixture("mini.json")).await;
    assert!(status.is_success(), "{body}");
    let before = app.admin_get("/api/v1/competitions/MINI2025/export").await;

    let started = Instant::now();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_podium"));
    command.args(["simulate", "MINI2025", "--server", &app.base, "--duration", "5m", "--speed", "30"]);
    command.env("PODIUM_PASSWORD", ADMIN_PASSWORD).env("PODIUM_LOG", "warn");
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    eprintln!("{text}");
    assert!(output.status.success(), "{text}");
    assert!(started.elapsed() < Duration::from_secs(45), "took {:?}", started.elapsed());
    // The rehearsal lasted its compressed five minutes (10 s), not less: the pacing is real.
    assert!(started.elapsed() >= Duration::from_secs(9), "took {:?}", started.elapsed());

    assert_eq!(count(&text, "mismatches: "), 0);
    let sent = count(&text, "marks sent: ");
    assert!(sent > 300, "{text}");
    assert_eq!(count(&text, "marks stored: "), sent);
    assert!(count(&text, "corrections (with reasons): ") > 0);
    assert!(count(&text, "discrepant judgement scores: ") > 0);
    assert!(count(&text, "offline bursts: ") > 0);
    let resent = count(&text, "duplicates resent: ");
    assert!(resent > 0);
    assert!(text.contains(&format!("(acknowledged as duplicates: {resent})")), "{text}");

    // Seen from outside: the copy holds the marks, the original is as it was.
    let copy = app.admin_get("/api/v1/competitions/MINI2025-SIM/marks").await;
    assert_eq!(copy.as_array().unwrap().len(), sent);
    assert_eq!(app.admin_get("/api/v1/competitions/MINI2025/export").await, before);

    // A second rehearsal needs --replace.
    let mut again = std::process::Command::new(env!("CARGO_BIN_EXE_podium"));
    again.args(["simulate", "MINI2025", "--server", &app.base, "--duration", "10s", "--speed", "10"]);
    again.env("PODIUM_PASSWORD", ADMIN_PASSWORD);
    let output = tokio::task::spawn_blocking(move || again.output()).await.unwrap().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--replace"));
}
