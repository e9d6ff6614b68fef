//! `/metrics`: Prometheus text that parses, mark counters that rise by exactly the marks the
//! engine answered for, organizers only on the main port, anyone on `--metrics-bind`.
use crate::helpers::{ADMIN_PASSWORD, TestApp, fresh_sqlite, mark};
use crate::on_both_databases;
use podium::config::Settings;
use podium::startup::Application;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// One sample: its name and labels.
type Series = (String, BTreeMap<String, String>);

/// Parses the Prometheus text exposition format strictly: every line is a comment, a
/// `# HELP`/`# TYPE` line or a sample of a declared family with well-formed labels and a
/// number; histogram buckets are cumulative and end in `+Inf` equal to `_count`.
pub fn parse_prometheus(text: &str) -> HashMap<Series, f64> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let at = |what: &str| format!("line {}: {what}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("TYPE"), Some(name), Some(kind)) => {
                    assert!(valid_name(name), "{}", at("a bad metric name"));
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "{}",
                        at("an unknown type")
                    );
                    assert!(types.insert(name.to_owned(), kind.to_owned()).is_none(), "{}", at("a second TYPE"));
                }
                (Some("HELP"), Some(name), _) => assert!(valid_name(name), "{}", at("a bad metric name")),
                _ => {}
            }
            continue;
        }
        assert!(!line.starts_with('#'), "{}", at("a comment without a space"));
        let (series, value) = match line.find('{') {
            Some(open) => {
                let close = line.rfind('}').unwrap_or_else(|| panic!("{}", at("unclosed labels")));
                let labels = parse_labels(&line[open + 1..close]).unwrap_or_else(|e| panic!("{}", at(&e)));
                ((line[..open].to_owned(), labels), line[close + 1..].trim())
            }
            None => {
                let (name, value) = line.split_once(' ').unwrap_or_else(|| panic!("{}", at("no value")));
                ((name.to_owned(), BTreeMap::new()), value.trim())
            }
        };
        assert!(valid_name(&series.0), "{}", at("a bad sample name"));
        let value = value.split(' ').next().unwrap_or_default();
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("{}", at("not a number"))),
        };
        let family = family_of(&series.0, &types).unwrap_or_else(|| panic!("{}", at("a sample before its TYPE")));
        if types[&family] == "counter" {
            assert!(value >= 0.0, "{}", at("a negative counter"));
        }
        assert!(samples.insert(series, value).is_none(), "{}", at("a repeated series"));
    }
    check_histograms(&types, &samples);
    samples
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn family_of(sample: &str, types: &HashMap<String, String>) -> Option<String> {
    if types.contains_key(sample) {
        return Some(sample.to_owned());
    }
    ["_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|suffix| sample.strip_suffix(suffix))
        .find(|base| types.get(*base).is_some_and(|t| t == "histogram" || t == "summary"))
        .map(str::to_owned)
}

fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        let name: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        let name = name.trim_start_matches(',').trim().to_owned();
        if name.is_empty() && chars.peek().is_none() {
            return Ok(labels);
        }
        if !valid_name(&name) || name.contains(':') {
            return Err(format!("a bad label name {name:?}"));
        }
        if chars.next() != Some('=') || chars.next() != Some('"') {
            return Err(format!("label {name} has no quoted value"));
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(c @ ('\\' | '"')) => value.push(c),
                    _ => return Err("a bad escape".into()),
                },
                Some('"') => break,
                Some(c) => value.push(c),
                None => return Err("an unterminated label value".into()),
            }
        }
        if labels.insert(name.clone(), value).is_some() {
            return Err(format!("label {name} twice"));
        }
        match chars.next() {
            None => return Ok(labels),
            Some(',') => {}
            Some(c) => return Err(format!("{c:?} after a label value")),
        }
    }
}

fn check_histograms(types: &HashMap<String, String>, samples: &HashMap<Series, f64>) {
    for (family, _) in types.iter().filter(|(_, t)| *t == "histogram") {
        let bucket = format!("{family}_bucket");
        let mut groups: HashMap<BTreeMap<String, String>, Vec<(f64, f64)>> = HashMap::new();
        for ((name, labels), value) in samples {
            if *name == bucket {
                let mut rest = labels.clone();
                let le = rest.remove("le").expect("a bucket has `le`");
                let le = if le == "+Inf" { f64::INFINITY } else { le.parse().expect("a numeric `le`") };
                groups.entry(rest).or_default().push((le, *value));
            }
        }
        for (labels, mut buckets) in groups {
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{family} buckets are cumulative");
            let last = buckets.last().expect("buckets");
            assert_eq!(last.0, f64::INFINITY, "{family} ends with +Inf");
            let count = samples.get(&(format!("{family}_count"), labels.clone())).expect("a _count");
            assert_eq!(last.1, *count, "{family}{labels:?}: +Inf equals _count");
            assert!(samples.contains_key(&(format!("{family}_sum"), labels)), "{family} has a _sum");
        }
    }
}

fn value(samples: &HashMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let labels = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    samples.get(&(name.to_owned(), labels)).copied().unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> HashMap<Series, f64> {
    let response = app.client.get(app.url("/metrics")).bearer_auth(&app.admin_token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    parse_prometheus(&response.text().await.unwrap())
}

async fn the_mark_counters_rise_by_exactly_the_marks_the_engine_answered_for(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let before = scrape(&app).await;

    let first = [mark("S1-BBB", "M1", json!("7.50")), mark("S1-CCC", "M1", json!("6")), mark("S1-BBB", "B1", json!(2))];
    let (status, body) = app.marks(&ja, &first).await;
    assert_eq!((status, body["accepted"].as_u64()), (StatusCode::OK, Some(3)), "{body}");
    // A resend of one mark beside a new one: one duplicate, one accepted.
    let second = [first[0].clone(), mark("S1-CCC", "B1", json!(0))];
    let (status, body) = app.marks(&ja, &second).await;
    assert_eq!((status, body["accepted"].as_u64(), body["duplicates"].as_u64()), (StatusCode::OK, Some(1), Some(1)));
    // Over the aspect's maximum: the batch of two is refused whole.
    let refused = [mark("S1-BBB", "J1", json!(5)), mark("S1-CCC", "J1", json!(99))];
    let (status, body) = app.marks(&ja, &refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Malformed (an id that is no UUID): refused before the engine, counted all the same.
    let mut malformed = mark("S1-BBB", "J1", json!(5));
    malformed["id"] = json!("not-a-uuid");
    let (status, body) = app.marks(&ja, &[malformed]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let after = scrape(&app).await;
    let delta = |name: &str| value(&after, name, &[]) - value(&before, name, &[]);
    assert_eq!(delta("podium_marks_accepted_total"), 4.0);
    assert_eq!(delta("podium_marks_duplicated_total"), 1.0);
    assert_eq!(delta("podium_marks_rejected_total"), 3.0);
    assert_eq!(app.stored_marks().await.len(), 4, "the counter agrees with what is stored");
    // Each request that reached the engine was stored by a group commit (of one, here).
    let commits = |s: &HashMap<Series, f64>| value(s, "podium_group_commit_requests_count", &[]);
    assert_eq!(commits(&after) - commits(&before), 3.0);
    assert!(value(&after, "podium_group_commit_duration_seconds_count", &[]) >= 3.0);
    let latency_bucket =
        ("podium_group_commit_duration_seconds_bucket".to_owned(), [("le".to_owned(), "0.01".to_owned())].into());
    assert!(after.contains_key(&latency_bucket), "commit latency has buckets in seconds");

    // Requests are counted by route pattern and status, with a latency histogram.
    let route = "/api/v1/competitions/{code}/marks";
    let ok = [("method", "POST"), ("route", route), ("status", "200")];
    let refused = [("method", "POST"), ("route", route), ("status", "422")];
    assert_eq!(value(&after, "podium_http_requests_total", &ok), 2.0);
    assert_eq!(value(&after, "podium_http_requests_total", &refused), 2.0);
    assert_eq!(value(&after, "podium_http_request_duration_seconds_count", &ok), 2.0);
    let raw_paths = after.keys().filter(|(_, labels)| labels.get("route").is_some_and(|r| r.contains("SMALL")));
    assert_eq!(raw_paths.count(), 0, "routes are patterns, never raw paths");
    for name in [
        "podium_live_connections",
        "podium_live_subscriptions",
        "podium_live_deliveries_total",
        "podium_live_dropped_frames_total",
        "podium_live_coalesced_changes_total",
        "podium_live_snapshots_sent_total",
        "podium_engine_queue_depth",
        "podium_db_pool_connections",
        "podium_db_pool_idle_connections",
    ] {
        assert!(after.contains_key(&(name.to_owned(), BTreeMap::new())), "{name} is exported");
    }
    assert!(value(&after, "podium_db_pool_max_connections", &[]) >= 1.0);

    // A board: one connection, one subscription, its snapshot.
    let mut socket = crate::live::connect(&app, None).await;
    crate::live::send(&mut socket, json!({"subscribe": ["progress"]})).await;
    assert_eq!(crate::live::next(&mut socket).await["type"], "snapshot");
    // The shard counts a frame just after writing it: the client may read it first.
    let mut live = scrape(&app).await;
    for _ in 0..50 {
        if value(&live, "podium_live_snapshots_sent_total", &[]) >= 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        live = scrape(&app).await;
    }
    assert_eq!(value(&live, "podium_live_connections", &[]), 1.0);
    assert_eq!(value(&live, "podium_live_subscriptions", &[]), 1.0);
    assert_eq!(value(&live, "podium_live_snapshots_sent_total", &[]), 1.0);
    assert!(value(&live, "podium_live_deliveries_total", &[]) >= 1.0);
}

async fn only_organizers_read_metrics_on_the_main_port(app: TestApp) {
    app.small().await;
    let (status, body) = app.get("/metrics", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let ja = app.judge_token("SMALL", "JA").await;
    let (status, body) = app.get("/metrics", Some(&ja)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["code"].is_string(), "a problem document: {body}");
}

on_both_databases!(
    the_mark_counters_rise_by_exactly_the_marks_the_engine_answered_for,
    only_organizers_read_metrics_on_the_main_port,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_address_serves_metrics_without_a_token_and_nothing_else() {
    let (url, _dir) = fresh_sqlite();
    let db = podium::store::Db::connect(&url).await.unwrap();
    podium::service::setup::ensure_admin(&db, Some(ADMIN_PASSWORD)).await.unwrap();
    let settings = Settings {
        database_url: url,
        bind: "127.0.0.1:0".into(),
        metrics_bind: Some("127.0.0.1:0".into()),
        demo: false,
        ..Settings::default()
    };
    let app = Application::build(&settings, db).await.unwrap();
    let (port, metrics_port) = (app.port(), app.metrics_port().expect("a metrics port"));
    assert_ne!(port, metrics_port);
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    // A request on the main port shows up in the metrics read from the other.
    let status = client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.unwrap().status();
    assert_eq!(status, StatusCode::OK);
    let response = client.get(format!("http://127.0.0.1:{metrics_port}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let samples = parse_prometheus(&response.text().await.unwrap());
    let health = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    assert_eq!(value(&samples, "podium_http_requests_total", &health), 1.0);
    assert_eq!(value(&samples, "podium_marks_accepted_total", &[]), 0.0);
    // The Grafana dashboard in docs/ asks for nothing the server does not export.
    let dashboard = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/grafana-podium.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    let exported: std::collections::HashSet<&str> = samples.keys().map(|(name, _)| name.as_str()).collect();
    let mut asked = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            for (at, _) in expr.match_indices("podium_") {
                let name: String = expr[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                assert!(exported.contains(name.as_str()), "the dashboard asks for {name}, which is not exported");
                asked += 1;
            }
        }
    }
    assert!(asked >= 20, "the dashboard's queries were read");
    // Nothing but the metrics there: not the API, not the pages.
    for path in ["/api/v1/competitions", "/", "/healthz"] {
        let status = client.get(format!("http://127.0.0.1:{metrics_port}{path}")).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[test]
fn the_parser_refuses_what_is_not_prometheus_text() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",y=\"a\\\"b\"} 3\n";
    assert_eq!(parse_prometheus(good).len(), 1);
    for bad in [
        "a_total 3\n",                                                                             // no TYPE
        "# TYPE a counter\na{x=1} 3\n",                                                            // unquoted label
        "# TYPE a counter\na 3 4 x\na 4\n",                                                        // repeated series
        "# TYPE a gauge\na{x=\"1\"} three\n",                                                      // not a number
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", // not cumulative
    ] {
        assert!(std::panic::catch_unwind(|| parse_prometheus(bad)).is_err(), "{bad:?} must be refused");
    }
}
