//! `podium-load marks`: judges posting marks in a closed loop (each waits for its answer).
use crate::api::{self, Api};
use crate::package::{self, aspect_codes, entry_code, judge_code, skill_code};
use crate::stats::{Summary, per_second, round};
use crate::{MarksArgs, Result};
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one client saw.
#[derive(Default)]
struct Tally {
    requests: u64,
    acknowledged_requests: u64,
    acknowledged_marks: u64,
    latencies: Vec<Duration>,
    errors: BTreeMap<String, u64>,
    first_error: Option<String>,
}

impl Tally {
    fn error(&mut self, key: String, detail: String) {
        *self.errors.entry(key).or_default() += 1;
        self.first_error.get_or_insert(detail);
    }
}

/// A small xorshift generator: mark values need spread, not cryptographic quality.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// The cells (entry × aspect) one client walks through, and where it starts.
struct Lane {
    entries: Vec<String>,
    aspects: Arc<Vec<String>>,
    position: u64,
}

impl Lane {
    fn new(args: &MarksArgs, client: u32, aspects: Arc<Vec<String>>) -> Lane {
        let skill = skill_code(client % args.skills + 1, args.skills);
        let entries: Vec<String> = (1..=args.entries).map(|d| entry_code(&skill, d, args.entries)).collect();
        // Clients sharing a skill start at evenly spaced cells, so they rarely touch the same one.
        let cells = u64::from(args.entries) * u64::from(args.aspects);
        let lanes = u64::from(args.clients.div_ceil(args.skills));
        let position = u64::from(client / args.skills) * cells / lanes.max(1);
        Lane { entries, aspects, position }
    }

    fn next_cell(&mut self) -> (&str, &str) {
        let aspects = self.aspects.len() as u64;
        let cell = self.position % (self.entries.len() as u64 * aspects);
        self.position += 1;
        let entry = (cell / aspects) as usize;
        let aspect = (cell % aspects) as usize;
        (&self.entries[entry], &self.aspects[aspect])
    }
}

async fn client(
    http: Client,
    url: Url,
    token: String,
    mut lane: Lane,
    batch: u32,
    seed: u64,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut rng = XorShift(seed | 1);
    while Instant::now() < deadline {
        let marks: Vec<Value> = (0..batch)
            .map(|_| {
                let value = package::centi((rng.next() % 1001) as u32);
                let (entry, aspect) = lane.next_cell();
                json!({"id": uuid::Uuid::new_v4().to_string(), "entry": entry, "aspect": aspect, "value": value, "reason": "bench"})
            })
            .collect();
        let body = json!({ "marks": marks });
        tally.requests += 1;
        let sent = Instant::now();
        match http.post(url.clone()).bearer_auth(&token).json(&body).send().await {
            Ok(response) => {
                let status = response.status();
                // Read the whole answer, so the connection is reused and latency is complete.
                let text = response.text().await;
                let latency = sent.elapsed();
                match text {
                    Ok(_) if status == StatusCode::OK => {
                        tally.acknowledged_requests += 1;
                        tally.acknowledged_marks += u64::from(batch);
                        tally.latencies.push(latency);
                    }
                    Ok(text) => {
                        let brief: String = text.chars().take(500).collect();
                        tally.error(status.as_str().to_owned(), format!("HTTP {status}: {brief}"));
                    }
                    Err(error) => tally.error("body".into(), format!("reading the answer: {error}")),
                }
            }
            Err(error) => {
                let key = if error.is_timeout() { "timeout" } else { "network" };
                tally.error(key.into(), error.to_string());
                // Do not spin on a refused connection.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    tally
}

pub async fn run(args: MarksArgs) -> Result<()> {
    let url = api::loopback_url(&args.url, &["http"])?;
    let http = api::client(args.clients as usize + 4)?;
    let api = Api::new(http.clone(), &url)?;
    let admin = api.login_admin(&args.password).await?;
    let code = format!("BENCH{}", api::random_suffix());
    eprintln!(
        "importing {code}: {} skills × {} entries × {} aspects, {} judges",
        args.skills, args.entries, args.aspects, args.clients
    );
    api.import(&admin, &package::marks_package(&code, args.skills, args.entries, args.aspects, args.clients)).await?;
    let mut tokens = Vec::new();
    for j in 1..=args.clients {
        tokens.push(api.login_judge(&admin, &code, &judge_code(j, args.clients)).await?);
    }
    let marks_url = api.url(&format!("competitions/{code}/marks"))?;
    let aspects = Arc::new(aspect_codes(args.aspects));
    eprintln!("{} judges posting marks for {} s…", args.clients, args.duration);

    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.duration);
    let mut tasks = Vec::new();
    for (i, token) in (0..args.clients).zip(tokens) {
        let lane = Lane::new(&args, i, aspects.clone());
        let seed = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(u64::from(i) + 1);
        tasks.push(tokio::spawn(client(http.clone(), marks_url.clone(), token, lane, args.batch, seed, deadline)));
    }
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.map_err(|e| format!("a client task failed: {e}"))?;
        total.requests += tally.requests;
        total.acknowledged_requests += tally.acknowledged_requests;
        total.acknowledged_marks += tally.acknowledged_marks;
        total.latencies.extend(tally.latencies);
        for (key, n) in tally.errors {
            *total.errors.entry(key).or_default() += n;
        }
        if total.first_error.is_none() {
            total.first_error = tally.first_error;
        }
    }
    let elapsed = start.elapsed();
    report(&args, &code, elapsed, total);
    Ok(())
}

fn report(args: &MarksArgs, code: &str, elapsed: Duration, mut total: Tally) {
    let latency = Summary::of(&mut total.latencies);
    let errors: u64 = total.errors.values().sum();
    let marks_per_s = per_second(total.acknowledged_marks as f64, elapsed);
    let requests_per_s = per_second(total.requests as f64, elapsed);
    if args.json {
        let out = json!({
            "command": "marks",
            "params": {
                "url": args.url, "competition": code, "clients": args.clients, "batch": args.batch,
                "duration_s": args.duration, "skills": args.skills, "entries": args.entries, "aspects": args.aspects,
            },
            "elapsed_s": round(elapsed.as_secs_f64()),
            "requests": total.requests,
            "requests_per_s": round(requests_per_s),
            "acknowledged_requests": total.acknowledged_requests,
            "acknowledged_marks": total.acknowledged_marks,
            "marks_per_s": round(marks_per_s),
            "latency_ms": latency.json(),
            "errors": {"total": errors, "by_status": total.errors, "first": total.first_error},
        });
        println!("{out}");
        return;
    }
    println!("podium-load marks — {}", args.url);
    println!(
        "  parameters          competition {code}, {} clients, batch {}, {} s, {} skills × {} entries × {} aspects",
        args.clients, args.batch, args.duration, args.skills, args.entries, args.aspects
    );
    println!("  elapsed             {:.2} s", elapsed.as_secs_f64());
    println!("  acknowledged marks  {} ({marks_per_s:.1} marks/s)", total.acknowledged_marks);
    println!(
        "  requests            {} ({requests_per_s:.1} requests/s), {} answered 200",
        total.requests, total.acknowledged_requests
    );
    println!("  latency (200s), ms  {}", latency.text());
    if errors == 0 {
        println!("  errors              0");
    } else {
        let by: Vec<String> = total.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        println!("  errors              {errors} ({})", by.join(", "));
        if let Some(first) = &total.first_error {
            println!("  first error         {first}");
        }
    }
}
