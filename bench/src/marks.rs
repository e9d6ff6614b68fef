//! `podium-load marks`: judges posting marks in a closed loop (each waits for its answer),
//! optionally watched by websocket viewers of the skills being marked (`--viewers`).
use crate::api::{self, Api};
use crate::crowd::{Crowd, Seen};
use crate::package::{self, aspect_codes, entry_code, judge_code, skill_code};
use crate::stats::{Summary, per_second, round};
use crate::{MarksArgs, Result, live, proc};
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
    if !(args.connect_rate.is_finite() && args.connect_rate > 0.0) {
        return Err("--connect-rate must be positive".into());
    }
    let mut notes = Vec::new();
    // Without viewers nothing changes (not even the open-files limit). With them, each judge's
    // HTTP connection needs a descriptor beside the viewers' sockets.
    let viewers = match args.viewers {
        0 => 0,
        n => live::viewers_that_fit(n, live::RESERVED_FILES + u64::from(args.clients), &mut notes),
    };
    for note in &notes {
        eprintln!("note: {note}");
    }
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
    let crowd = if viewers > 0 { connect_viewers(&args, &url, &code, &admin, viewers).await? } else { Crowd::none() };
    let marks_url = api.url(&format!("competitions/{code}/marks"))?;
    let aspects = Arc::new(aspect_codes(args.aspects));
    eprintln!("{} judges posting marks for {} s…", args.clients, args.duration);

    // With viewers, this process also reads every frame they get: if that fills its core, the
    // latencies measured here include the generator's own delays (the report says so).
    let own_before = proc::cpu_time(std::process::id());
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
    let own_cpu_share = proc::cpu_time(std::process::id())
        .zip(own_before)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64() / elapsed.as_secs_f64().max(1e-9));
    // The viewers read until the last answer is in; then they are stopped and dropped.
    let seen = crowd.finish().await?;
    if seen.connected < seen.opened {
        notes.push(format!("only {} of {} viewers connected", seen.connected, seen.opened));
    }
    if own_cpu_share.is_some_and(|share| share > 0.9) {
        notes.push("the load generator used over 90% of a core: its own delays are in the latencies".into());
    }
    report(&args, &code, elapsed, total, &Run { seen, own_cpu_share, notes });
    Ok(())
}

/// Opens `count` viewers of the competition `code`, spread round-robin over its skills (viewer
/// i watches skill i mod skills), with the admin's token, so that they get the organizer's
/// view: results with every mark, as on the results board of a skill being marked.
async fn connect_viewers(args: &MarksArgs, base: &Url, code: &str, admin: &str, count: u32) -> Result<Crowd> {
    let viewer_url = live::podium_viewer_url(base, code, admin)?;
    let channels: Vec<String> = (1..=args.skills).map(|s| format!("skill:{}", skill_code(s, args.skills))).collect();
    // One probe first: a clear error (e.g. 404: no live endpoint) instead of thousands.
    let first = channels.first().ok_or("no skills to watch")?;
    if let Err(error) = live::open_podium(&viewer_url, first).await {
        return Err(live::probe_failed(&format!("podium {base}"), &viewer_url, &error));
    }
    eprintln!("connecting {count} viewers over {} skills at {}/s…", channels.len(), args.connect_rate);
    let crowd = Crowd::connect(&viewer_url, &channels, count, args.connect_rate).await;
    let failed: u64 = crowd.connect_errors().values().sum();
    eprintln!("{} viewers connected in {:.1} s, {failed} failed", crowd.connected(), crowd.ramp().as_secs_f64());
    Ok(crowd)
}

/// What the report needs beside the judges' tally.
struct Run {
    seen: Seen,
    /// This process's CPU time over the load, in cores (1.0 = one busy core).
    own_cpu_share: Option<f64>,
    notes: Vec<String>,
}

fn report(args: &MarksArgs, code: &str, elapsed: Duration, mut total: Tally, run: &Run) {
    let latency = Summary::of(&mut total.latencies);
    let errors: u64 = total.errors.values().sum();
    let seen = &run.seen;
    let connect_errors: u64 = seen.connect_errors.values().sum();
    let marks_per_s = per_second(total.acknowledged_marks as f64, elapsed);
    let requests_per_s = per_second(total.requests as f64, elapsed);
    if args.json {
        let out = json!({
            "command": "marks",
            "params": {
                "url": args.url, "competition": code, "clients": args.clients, "batch": args.batch,
                "duration_s": args.duration, "skills": args.skills, "entries": args.entries, "aspects": args.aspects,
                "viewers": args.viewers, "connect_rate": args.connect_rate,
            },
            "elapsed_s": round(elapsed.as_secs_f64()),
            "requests": total.requests,
            "requests_per_s": round(requests_per_s),
            "acknowledged_requests": total.acknowledged_requests,
            "acknowledged_marks": total.acknowledged_marks,
            "marks_per_s": round(marks_per_s),
            "latency_ms": latency.json(),
            "errors": {"total": errors, "by_status": total.errors, "first": total.first_error},
            "viewers_opened": seen.opened,
            "viewers_connected": seen.connected,
            "viewer_connect_errors": {"total": connect_errors, "by_kind": seen.connect_errors},
            "viewers_lost": seen.lost,
            "viewer_ramp_s": round(seen.ramp.as_secs_f64()),
            "viewer_frames": seen.frames,
            "viewer_snapshots": seen.snapshots,
            "generator_cpu_cores": run.own_cpu_share.map(round),
            "notes": run.notes,
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
    if args.viewers > 0 {
        println!(
            "  viewers             {} of {} connected in {:.1} s, round-robin over {} skills",
            seen.connected,
            seen.opened,
            seen.ramp.as_secs_f64(),
            args.skills
        );
        println!("  viewer frames       {} ({} fresh snapshots)", seen.frames, seen.snapshots);
        if connect_errors > 0 {
            let by: Vec<String> = seen.connect_errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            println!("  viewer conn. errors {connect_errors} ({})", by.join(", "));
        }
        if !seen.lost.is_empty() {
            let by: Vec<String> = seen.lost.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            println!("  viewer problems     {}", by.join(", "));
        }
    }
    if let Some(share) = run.own_cpu_share {
        println!("  load generator CPU  {:.0}% of a core", 100.0 * share);
    }
    for note in &run.notes {
        println!("  note                {note}");
    }
}
