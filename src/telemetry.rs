//! Logs (text or JSON lines, colours only on a terminal) and the Prometheus metrics an
//! instance keeps (docs/operations.md lists them).
//!
//! Each instance owns its recorder instead of installing a global one: several servers share
//! one process in the tests, and each must count only its own requests and marks.
use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// Starts logging to standard error: `PODIUM_LOG` filters (default `info`), and
/// `PODIUM_LOG_FORMAT=json` writes one JSON object per line. Colours only on a terminal, so
/// files and journals get no escape codes.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PODIUM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("PODIUM_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().with_ansi(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

static META: Metadata<'static> = Metadata::new("podium", metrics::Level::INFO, Some(module_path!()));

/// Seconds: from a millisecond to ten seconds.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Requests or marks stored by one commit.
const SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0];

pub const HTTP_REQUESTS: &str = "podium_http_requests_total";
pub const HTTP_DURATION: &str = "podium_http_request_duration_seconds";
pub const MARKS_ACCEPTED: &str = "podium_marks_accepted_total";
pub const MARKS_DUPLICATED: &str = "podium_marks_duplicated_total";
pub const MARKS_REJECTED: &str = "podium_marks_rejected_total";
pub const COMMIT_REQUESTS: &str = "podium_group_commit_requests";
pub const COMMIT_MARKS: &str = "podium_group_commit_marks";
pub const COMMIT_DURATION: &str = "podium_group_commit_duration_seconds";
pub const LIVE_CONNECTIONS: &str = "podium_live_connections";
pub const LIVE_SUBSCRIPTIONS: &str = "podium_live_subscriptions";
pub const LIVE_FRAMES: &str = "podium_live_frames_emitted_total";
pub const LIVE_DELIVERIES: &str = "podium_live_deliveries_total";
pub const LIVE_DROPPED: &str = "podium_live_dropped_frames_total";
pub const LIVE_COALESCED: &str = "podium_live_coalesced_changes_total";
pub const LIVE_SNAPSHOTS: &str = "podium_live_snapshots_sent_total";
pub const ENGINE_QUEUE: &str = "podium_engine_queue_depth";
pub const DB_POOL_CONNECTIONS: &str = "podium_db_pool_connections";
pub const DB_POOL_IDLE: &str = "podium_db_pool_idle_connections";
pub const DB_POOL_MAX: &str = "podium_db_pool_max_connections";

/// What is read from the running parts at scrape time (they keep their own counters).
#[derive(Clone, Copy, Debug, Default)]
pub struct Observed {
    pub live_connections: u64,
    pub live_subscriptions: u64,
    pub live_frames: u64,
    pub live_deliveries: u64,
    pub live_dropped: u64,
    pub live_coalesced: u64,
    pub live_snapshots: u64,
    pub engine_queue: u64,
    pub db_pool_connections: u64,
    pub db_pool_idle: u64,
    pub db_pool_max: u64,
}

/// An instance's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    marks_accepted: Counter,
    marks_duplicated: Counter,
    marks_rejected: Counter,
    commit_requests: Histogram,
    commit_marks: Histogram,
    commit_duration: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let builder = PrometheusBuilder::new();
        // Only an empty list of buckets fails. (A prefix matcher would win over the suffix
        // one, so the sizes are named in full.)
        let builder = builder
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(COMMIT_REQUESTS.into()), SIZE_BUCKETS))
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(COMMIT_MARKS.into()), SIZE_BUCKETS))
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let describe = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            recorder.describe_counter(name.into(), unit, SharedString::const_str(help));
        };
        describe(HTTP_REQUESTS, None, "HTTP requests answered, by method, route pattern and status.");
        describe(HTTP_DURATION, Some(Unit::Seconds), "Time to answer an HTTP request, by method, route and status.");
        describe(MARKS_ACCEPTED, None, "Marks stored.");
        describe(MARKS_DUPLICATED, None, "Marks recognised as sent before (resends), not stored again.");
        describe(
            MARKS_REJECTED,
            None,
            "Marks of batches refused whole: malformed, against the marking scheme, or not allowed.",
        );
        describe(COMMIT_REQUESTS, None, "Mark requests stored by one group commit.");
        describe(COMMIT_MARKS, None, "Marks sent in the requests of one group commit.");
        describe(COMMIT_DURATION, Some(Unit::Seconds), "Time to decide and store one group of mark requests.");
        describe(LIVE_CONNECTIONS, None, "Open live websockets.");
        describe(LIVE_SUBSCRIPTIONS, None, "Channel subscriptions of the open live websockets.");
        describe(LIVE_FRAMES, None, "Frames the hub emitted (each shared by its subscribers).");
        describe(LIVE_DELIVERIES, None, "Frames handed to sockets.");
        describe(LIVE_DROPPED, None, "Frames a full socket queue could not take (the socket later catches up).");
        describe(LIVE_COALESCED, None, "Changes merged into a frame held back by the channel's rate.");
        describe(LIVE_SNAPSHOTS, None, "Snapshot frames written to sockets.");
        describe(ENGINE_QUEUE, None, "Writes waiting in the engine's queue.");
        describe(DB_POOL_CONNECTIONS, None, "Open database connections of the pool.");
        describe(DB_POOL_IDLE, None, "Idle database connections of the pool.");
        describe(DB_POOL_MAX, None, "Most database connections the pool opens.");
        let counter = |name: &'static str| recorder.register_counter(&Key::from_static_name(name), &META);
        let histogram = |name: &'static str| recorder.register_histogram(&Key::from_static_name(name), &META);
        let inner = Inner {
            marks_accepted: counter(MARKS_ACCEPTED),
            marks_duplicated: counter(MARKS_DUPLICATED),
            marks_rejected: counter(MARKS_REJECTED),
            commit_requests: histogram(COMMIT_REQUESTS),
            commit_marks: histogram(COMMIT_MARKS),
            commit_duration: histogram(COMMIT_DURATION),
            recorder,
            handle,
        };
        Metrics(Arc::new(inner))
    }

    /// Marks the engine answered for: stored, resent, or in a refused batch.
    pub fn marks(&self, accepted: usize, duplicated: usize, rejected: usize) {
        self.0.marks_accepted.increment(accepted as u64);
        self.0.marks_duplicated.increment(duplicated as u64);
        self.0.marks_rejected.increment(rejected as u64);
    }

    /// One group commit: how many requests and marks it carried and how long it took.
    pub fn group_commit(&self, requests: usize, marks: usize, took: Duration) {
        self.0.commit_requests.record(requests as f64);
        self.0.commit_marks.record(marks as f64);
        self.0.commit_duration.record(took.as_secs_f64());
    }

    /// One HTTP request answered. `route` is the route's pattern, never the raw path, so
    /// the number of series stays bounded.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = vec![
            Label::new("method", method.to_owned()),
            Label::new("route", route.to_owned()),
            Label::new("status", status.to_string()),
        ];
        self.0.recorder.register_counter(&Key::from_parts(HTTP_REQUESTS, labels.clone()), &META).increment(1);
        self.0.recorder.register_histogram(&Key::from_parts(HTTP_DURATION, labels), &META).record(took.as_secs_f64());
    }

    /// Drains histogram samples into their buckets; run now and then, so memory stays
    /// bounded between scrapes.
    pub fn upkeep(&self) {
        self.0.handle.run_upkeep();
    }

    /// The Prometheus text exposition, with what the running parts report now.
    pub fn render(&self, now: &Observed) -> String {
        let counter = |name: &'static str, value: u64| {
            self.0.recorder.register_counter(&Key::from_static_name(name), &META).absolute(value);
        };
        counter(LIVE_FRAMES, now.live_frames);
        counter(LIVE_DELIVERIES, now.live_deliveries);
        counter(LIVE_DROPPED, now.live_dropped);
        counter(LIVE_COALESCED, now.live_coalesced);
        counter(LIVE_SNAPSHOTS, now.live_snapshots);
        let gauge = |name: &'static str, value: u64| self.gauge(name).set(value as f64);
        gauge(LIVE_CONNECTIONS, now.live_connections);
        gauge(LIVE_SUBSCRIPTIONS, now.live_subscriptions);
        gauge(ENGINE_QUEUE, now.engine_queue);
        gauge(DB_POOL_CONNECTIONS, now.db_pool_connections);
        gauge(DB_POOL_IDLE, now.db_pool_idle);
        gauge(DB_POOL_MAX, now.db_pool_max);
        self.0.handle.render()
    }

    fn gauge(&self, name: &'static str) -> Gauge {
        self.0.recorder.register_gauge(&Key::from_static_name(name), &META)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counters_histograms_and_scraped_gauges_render_as_prometheus_text() {
        let metrics = Metrics::new();
        metrics.marks(3, 1, 2);
        metrics.group_commit(2, 6, Duration::from_millis(3));
        metrics.http_request("POST", "/api/v1/competitions/{code}/marks", 201, Duration::from_millis(4));
        let text = metrics.render(&Observed { live_connections: 7, engine_queue: 2, ..Observed::default() });
        assert!(text.contains("podium_marks_accepted_total 3\n"), "{text}");
        assert!(text.contains("podium_marks_duplicated_total 1\n"));
        assert!(text.contains("podium_marks_rejected_total 2\n"));
        assert!(text.contains("# TYPE podium_group_commit_requests histogram"), "{text}");
        assert!(text.contains("podium_group_commit_marks_bucket{le=\"8\"} 1"), "{text}");
        assert!(text.contains("podium_group_commit_duration_seconds_bucket{le=\"0.0025\"} 0"), "{text}");
        assert!(text.contains("podium_group_commit_duration_seconds_bucket{le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("podium_group_commit_requests_bucket{le=\"2\"} 1"), "{text}");
        assert!(text.contains(
            "podium_http_requests_total{method=\"POST\",route=\"/api/v1/competitions/{code}/marks\",status=\"201\"} 1"
        ));
        assert!(text.contains("podium_live_connections 7\n"));
        assert!(text.contains("podium_engine_queue_depth 2\n"));
        // Another instance counts on its own.
        assert!(!Metrics::new().render(&Observed::default()).contains("podium_marks_accepted_total 3"));
    }
}
