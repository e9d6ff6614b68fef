//! Scale-out holds under concurrent writes: two server processes on one PostgreSQL
//! database, six clients each posting single marks to the same skills. No answer is a
//! server error, every acknowledged mark is stored, and both instances end up serving the
//! same results.
use crate::durability::{free_port, start, token};
use crate::helpers::{ADMIN_PASSWORD, fresh_postgres};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

const SKILLS: [&str; 2] = ["S1", "S2"];
const DELEGATIONS: [&str; 8] = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"];
const CLIENTS_PER_INSTANCE: usize = 6;

/// Two skills of 8 entries, 4 measurements and a judgement each, and 12 jury judges
/// (a delegation with no entries) assigned to both.
fn package() -> Value {
    let skills: Vec<Value> = SKILLS
        .iter()
        .map(|s| {
            json!({"code": s, "name": s, "criteria": [{"code": "A", "aspects": [
                {"code": "M1", "kind": "measurement", "max": "10"}, {"code": "M2", "kind": "measurement", "max": "10"},
                {"code": "M3", "kind": "measurement", "max": "10"}, {"code": "M4", "kind": "measurement", "max": "10"},
                {"code": "J1", "kind": "judgement", "max": "6", "panel": 3}]}]})
        })
        .collect();
    let mut delegations: Vec<Value> = DELEGATIONS.iter().map(|d| json!({"code": d, "name": d})).collect();
    delegations.push(json!({"code": "JRY", "name": "Jury"}));
    let entries: Vec<Value> = SKILLS
        .iter()
        .flat_map(|s| {
            DELEGATIONS
                .iter()
                .map(move |d| json!({"code": format!("{s}-{d}"), "skill": s, "delegation": d, "members": [d]}))
        })
        .collect();
    let judges: Vec<Value> = (1..=2 * CLIENTS_PER_INSTANCE)
        .map(|j| json!({"code": format!("J{j:02}"), "name": format!("Judge {j}"), "delegation": "JRY", "skills": SKILLS}))
        .collect();
    json!({
        "format": "podium.competition/1",
        "competition": {"code": "SCALE", "name": "Two instances", "timezone": "UTC"},
        "delegations": delegations, "skills": skills, "entries": entries, "judges": judges, "marks": []
    })
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What one client saw: acknowledged mark ids, and every status it got.
#[derive(Default)]
struct Tally {
    acknowledged: Vec<String>,
    statuses: BTreeMap<u16, usize>,
    failures: Vec<String>,
}

async fn client(base: String, token: String, judge: String, seed: usize, until: Instant) -> Tally {
    let http = Client::new();
    let mut tally = Tally::default();
    let mut n = seed;
    while Instant::now() < until {
        n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let skill = SKILLS[(n >> 7) % SKILLS.len()];
        let entry = format!("{skill}-{}", DELEGATIONS[(n >> 11) % DELEGATIONS.len()]);
        let aspects = ["M1", "M2", "M3", "M4", "J1"];
        let aspect = aspects[(n >> 17) % aspects.len()];
        let value = if aspect == "J1" {
            json!((n >> 23) % 4)
        } else {
            json!(format!("{}.{:02}", (n >> 23) % 10, (n >> 29) % 100))
        };
        let id = uuid::Uuid::new_v4().to_string();
        let body = json!({"marks": [{"id": id, "entry": entry, "aspect": aspect, "value": value, "judge": judge, "reason": "load"}]});
        let response =
            http.post(format!("{base}/api/v1/competitions/SCALE/marks")).bearer_auth(&token).json(&body).send().await;
        match response {
            Ok(response) => {
                let status = response.status();
                *tally.statuses.entry(status.as_u16()).or_default() += 1;
                let text = response.text().await.unwrap_or_default();
                if status == StatusCode::OK {
                    tally.acknowledged.push(id);
                } else if status.is_server_error() {
                    tally.failures.push(format!("{status}: {text}"));
                }
            }
            Err(error) => tally.failures.push(format!("no answer: {error}")),
        }
    }
    tally
}

async fn results(http: &Client, base: &str, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for skill in SKILLS {
        let response = http
            .get(format!("{base}/api/v1/competitions/SCALE/skills/{skill}/results"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        all.push(response.json::<Value>().await.unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_take_concurrent_marks_on_the_same_skills_without_server_errors() {
    let Some(db) = fresh_postgres().await else { return };
    let url = db.url.clone();
    let (port_a, port_b) = (free_port(), free_port());
    // Killed when dropped, so a failed assertion leaves no server behind.
    let _a = Server(start(&url, port_a).await);
    let _b = Server(start(&url, port_b).await);
    let (base_a, base_b) = (format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}"));
    let http = Client::new();
    let admin_a = token(&http, &base_a, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let admin_b = token(&http, &base_b, json!({"username": "admin", "password": ADMIN_PASSWORD})).await;
    let response = http
        .post(format!("{base_a}/api/v1/competitions/import"))
        .bearer_auth(&admin_a)
        .json(&package())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap_or_default());

    let until = Instant::now() + Duration::from_secs(8);
    let mut clients = Vec::new();
    for i in 0..2 * CLIENTS_PER_INSTANCE {
        let (base, token) = if i % 2 == 0 { (&base_a, &admin_a) } else { (&base_b, &admin_b) };
        clients.push(tokio::spawn(client(base.clone(), token.clone(), format!("J{:02}", i + 1), i * 7919 + 1, until)));
    }
    let mut acknowledged = Vec::new();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for c in clients {
        let tally = c.await.unwrap();
        acknowledged.extend(tally.acknowledged);
        failures.extend(tally.failures);
        for (status, n) in tally.statuses {
            *statuses.entry(status).or_default() += n;
        }
    }
    eprintln!("two instances, 12 clients, 8 s: answers by status {statuses:?}");
    assert!(failures.is_empty(), "{} requests failed, first: {:?}", failures.len(), failures.first());
    assert!(statuses.keys().all(|s| *s < 500), "{statuses:?}");
    assert!(acknowledged.len() > 100, "too few marks were acknowledged to test anything: {statuses:?}");

    // Every acknowledged mark is stored, exported by either instance, and both serve the
    // same results. Each instance's model follows the other's writes through the relay,
    // which is asynchronous: they are given a moment to settle.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut settled = true;
        for (base, token) in [(&base_a, &admin_a), (&base_b, &admin_b)] {
            let export = http.get(format!("{base}/api/v1/competitions/SCALE/export")).bearer_auth(token).send().await;
            let export: Value = export.unwrap().json().await.unwrap();
            let stored: HashSet<&str> =
                export["marks"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
            let lost = acknowledged.iter().filter(|id| !stored.contains(id.as_str())).count();
            settled &= lost == 0 && stored.len() == acknowledged.len();
            assert!(
                settled || Instant::now() < deadline,
                "{lost} acknowledged marks are not in the export of {base}; it holds {} of {}",
                stored.len(),
                acknowledged.len()
            );
        }
        let (on_a, on_b) = (results(&http, &base_a, &admin_a).await, results(&http, &base_b, &admin_b).await);
        if settled && on_a == on_b {
            break;
        }
        assert!(Instant::now() < deadline, "the instances disagree:\n{on_a:?}\n{on_b:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
