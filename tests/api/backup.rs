//! Backup and restore: `podium backup` of a running SQLite server during a mark flood,
//! restored into a fresh PostgreSQL database, serves the same competition; damaged files
//! are refused without storing anything; `serve --backup-dir` keeps the newest N.
use crate::helpers::{Backend, Scratch, TestApp, fresh_postgres, fresh_sqlite, mark, spawn_app, spawn_with};
use podium::config::BackupSchedule;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs the podium binary with `--db URL` and the arguments; (success, stdout + stderr).
async fn podium(url: &str, args: &[&str]) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_podium"));
    command.args(["--db", url]).args(args).env("PODIUM_LOG", "warn");
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("run podium");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("podium-backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Judges JA, JB, JC flood S1 (each another delegation's entry) with batches of marks (some corrections with reasons) until
/// `stop`; every acknowledged mark id is recorded.
fn flood(
    app: &TestApp,
    tokens: Vec<String>,
    acked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let url = app.url("/api/v1/competitions/SMALL/marks");
    tokens
        .into_iter()
        .zip(["S1-BBB", "S1-CCC", "S1-AAA"])
        .map(|(token, entry)| {
            let (client, url, acked, stop) = (app.client.clone(), url.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    let batch: Vec<Value> = (0..4)
                        .map(|i| {
                            let mut m = mark(entry, "M1", json!(format!("{}.{:02}", (round + i) % 10, i)));
                            m["reason"] = json!("re-measured");
                            m
                        })
                        .collect();
                    let ids: Vec<String> = batch.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
                    let response =
                        client.post(&url).bearer_auth(&token).json(&json!({"marks": batch})).send().await.unwrap();
                    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap_or_default());
                    acked.lock().unwrap().extend(ids);
                    round += 1;
                }
            })
        })
        .collect()
}

async fn wait_for(acked: &Mutex<Vec<String>>, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "the flood stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The marks of an export, and the rest of it.
fn split(mut export: Value) -> (Vec<Value>, Value) {
    let marks = export["marks"].as_array().cloned().unwrap();
    export.as_object_mut().unwrap().remove("marks");
    (marks, export)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_a_flood_restores_into_postgres_as_a_consistent_prefix() {
    let Some(source) = spawn_app(Backend::Sqlite).await else { return };
    let Some(target_db) = fresh_postgres().await else { return };
    let target_url = target_db.url.clone();
    source.small().await;
    let (ok, text) = podium(&source.database_url, &["admin", "add", "second", "--password", "second-password"]).await;
    assert!(ok, "{text}");
    // A voided mark, so voids travel too.
    let ja = source.judge_token("SMALL", "JA").await;
    let voided = mark("S1-BBB", "J1", json!(2));
    let (status, body) = source.marks(&ja, std::slice::from_ref(&voided)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = source
        .admin_post(
            &format!("/api/v1/competitions/SMALL/marks/{}/void", voided["id"].as_str().unwrap()),
            &json!({"reason": "wrong entry"}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    let tokens = vec![ja, source.judge_token("SMALL", "JB").await, source.judge_token("SMALL", "JC").await];
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let streams = flood(&source, tokens, acked.clone(), stop.clone());
    wait_for(&acked, 150).await;
    let before: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let file = temp_path("flood.podium-backup");
    let started = Instant::now();
    let (ok, text) = podium(&source.database_url, &["backup", file.to_str().unwrap()]).await;
    let took = started.elapsed();
    assert!(ok, "backup failed: {text}");
    let during = acked.lock().unwrap().len();
    assert!(during > before.len(), "the server kept acknowledging marks while the backup ran");
    wait_for(&acked, during + 150).await;
    stop.store(true, Ordering::Relaxed);
    for stream in streams {
        stream.await.unwrap();
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let size = std::fs::metadata(&file).unwrap().len();
    eprintln!("backup: {size} bytes in {} ms ({text})", took.as_millis());

    let (ok, text) = podium(&target_url, &["restore", file.to_str().unwrap()]).await;
    assert!(ok, "restore failed: {text}");
    let target = spawn_with(target_url.clone(), None, |_| {}).await; // logs in as admin with the old password
    target.login("second", "second-password").await;

    let (source_marks, source_rest) = split(source.admin_get("/api/v1/competitions/SMALL/export").await);
    let (restored_marks, restored_rest) = split(target.admin_get("/api/v1/competitions/SMALL/export").await);
    assert_eq!(restored_rest, source_rest, "everything but the marks is as it was");
    assert!(restored_marks.len() > 150, "the backup holds the marks acknowledged before it ({})", restored_marks.len());
    assert!(restored_marks.len() < source_marks.len(), "marks acknowledged after the backup are not in it");
    assert_eq!(restored_marks[..], source_marks[..restored_marks.len()], "the backup is a prefix, in the same order");
    for m in &restored_marks[1..] {
        assert!(acked.contains(m["id"].as_str().unwrap()), "{m} was never acknowledged");
    }
    assert_eq!(restored_marks[0]["void"], json!(true));
    let in_backup: HashSet<&str> = restored_marks.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(
        before.iter().all(|id| in_backup.contains(id.as_str())),
        "a mark acknowledged before the backup is missing"
    );

    // Results recomputed from the restored marks equal those of the same marks at the source.
    let mut prefix = source.admin_get("/api/v1/competitions/SMALL/export").await;
    prefix["marks"] = Value::Array(restored_marks.clone());
    prefix["competition"]["code"] = json!("CHECK");
    let (status, body) = source.import(&prefix).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for skill in ["S1", "S2"] {
        let restored = target.admin_get(&format!("/api/v1/competitions/SMALL/skills/{skill}/results")).await;
        let expected = source.admin_get(&format!("/api/v1/competitions/CHECK/skills/{skill}/results")).await;
        assert_eq!(without_ids(restored), without_ids(expected), "results of {skill}");
    }
    // New marks continue after the restored ones (PostgreSQL's sequences moved on).
    let jb = target.judge_token("SMALL", "JB").await;
    let mut late = mark("S1-CCC", "M1", json!("7"));
    late["reason"] = json!("after the move");
    let (status, body) = target.marks(&jb, std::slice::from_ref(&late)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (after, _) = split(target.admin_get("/api/v1/competitions/SMALL/export").await);
    assert_eq!(after.last().unwrap()["id"], late["id"]);
    assert_eq!(after.len(), restored_marks.len() + 1);

    // A second restore into the same database is refused: it is not empty any more.
    let (ok, text) = podium(&target_url, &["restore", file.to_str().unwrap()]).await;
    assert!(!ok && text.contains("not empty"), "{text}");
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

/// Results name the competition's own ids; the check compares what they say.
fn without_ids(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|k, _| k != "id" && !k.ends_with("_id") && k != "competition");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_truncated_backup_is_refused_and_nothing_is_stored() {
    let Some(source) = spawn_app(Backend::Sqlite).await else { return };
    source.small().await;
    let file = temp_path("good.podium-backup");
    let (ok, text) = podium(&source.database_url, &["backup", file.to_str().unwrap()]).await;
    assert!(ok, "{text}");
    let bytes = std::fs::read(&file).unwrap();
    // Password hashes inside: the file is its owner's only.
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions()) & 0o777,
        0o600
    );
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x04;
    let damaged = file.with_file_name("flipped.podium-backup");
    std::fs::write(&damaged, &flipped).unwrap();
    let truncated = file.with_file_name("truncated.podium-backup");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();

    let postgres = fresh_postgres().await;
    let targets: Vec<String> = match &postgres {
        Some(db) => vec![fresh_sqlite_url(&file), db.url.clone()],
        None => vec![fresh_sqlite_url(&file)],
    };
    for target in targets {
        let (ok, text) = podium(&target, &["restore", damaged.to_str().unwrap()]).await;
        assert!(!ok && text.contains("SHA-256") && text.contains("nothing was stored"), "{text}");
        let (ok, text) = podium(&target, &["restore", truncated.to_str().unwrap()]).await;
        assert!(!ok && text.contains("truncated"), "{text}");
        // Still empty: the whole backup restores there now.
        let (ok, text) = podium(&target, &["restore", file.to_str().unwrap()]).await;
        assert!(ok, "{text}");
        assert!(text.contains("restored"), "{text}");
    }
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

fn fresh_sqlite_url(beside: &Path) -> String {
    format!("sqlite://{}?mode=rwc", beside.with_file_name(format!("{}.db", uuid::Uuid::new_v4().simple())).display())
}

/// Every table of the schema is either in a backup or left out on purpose: a new table
/// must be added to `store::backup` (or to its list of exceptions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_covers_every_table_of_the_schema() {
    use sea_orm::{ConnectionTrait, Statement};
    let (url, _dir) = fresh_sqlite();
    podium::store::Db::connect(&url).await.unwrap();
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        ))
        .await
        .unwrap();
    let mut schema: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect();
    schema.sort();
    let mut covered: Vec<String> = podium::store::backup::table_names()
        .into_iter()
        .chain(podium::store::backup::NOT_BACKED_UP.iter().copied())
        .map(str::to_owned)
        .collect();
    covered.sort();
    assert_eq!(covered, schema);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_the_newest_automatic_backups() {
    let dir = temp_path("unused").parent().unwrap().join("auto");
    let (url, tmp) = fresh_sqlite();
    let schedule = BackupSchedule { dir: dir.clone(), every: Duration::from_millis(300), keep: 2 };
    let app = spawn_with(url, Some(Scratch::Dir(tmp)), |s| s.backup = Some(schedule)).await;
    app.small().await;
    let names = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut first = None;
    loop {
        let now = names(&dir);
        let backups: Vec<&String> = now.iter().filter(|n| n.ends_with(".podium-backup")).collect();
        if first.is_none() && !backups.is_empty() {
            first = Some(backups[0].clone());
        }
        // Rotation has run at least twice once the first backup has gone.
        if backups.len() == 2 && first.as_ref().is_some_and(|f| !now.contains(f)) {
            break;
        }
        assert!(Instant::now() < deadline, "no rotation within 20 s: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The newest restores, with the competition in it.
    let newest = names(&dir).into_iter().rfind(|n| n.ends_with(".podium-backup")).unwrap();
    let target = fresh_sqlite_url(&dir.join(&newest));
    let (ok, text) = podium(&target, &["restore", dir.join(&newest).to_str().unwrap()]).await;
    assert!(ok, "{text}");
    let restored = spawn_with(target, None, |_| {}).await;
    assert_eq!(restored.admin_get("/api/v1/competitions/SMALL").await["code"], json!("SMALL"));
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// The other direction: a PostgreSQL backup (a `REPEATABLE READ` snapshot) restores into
/// SQLite with the same export, and marks go on from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_restores_into_sqlite_with_the_same_export() {
    let Some(source) = spawn_app(Backend::Postgres).await else { return };
    source.small().await;
    let ja = source.judge_token("SMALL", "JA").await;
    let mut correction = mark("S1-BBB", "M1", json!("3.50"));
    correction["reason"] = json!("re-measured");
    let (status, body) =
        source.marks(&ja, &[mark("S1-BBB", "M1", json!("3.25")), correction, mark("S1-CCC", "J1", json!(1))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let file = temp_path("pg.podium-backup");
    let (ok, text) = podium(&source.database_url, &["backup", file.to_str().unwrap()]).await;
    assert!(ok, "{text}");
    let target_url = fresh_sqlite_url(&file);
    let (ok, text) = podium(&target_url, &["restore", file.to_str().unwrap()]).await;
    assert!(ok, "{text}");
    let target = spawn_with(target_url, None, |_| {}).await;
    let export = source.admin_get("/api/v1/competitions/SMALL/export").await;
    assert_eq!(target.admin_get("/api/v1/competitions/SMALL/export").await, export);
    let jb = target.judge_token("SMALL", "JB").await;
    let (status, body) = target.marks(&jb, &[mark("S1-CCC", "M1", json!("9"))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(target.stored_marks().await.len(), 4);
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
