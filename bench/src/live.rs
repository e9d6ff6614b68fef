//! `podium-load live`: websocket fan-out to many viewers, Podium or the reference peer.
//!
//! Viewers connect (paced), then updates are sent at a fixed rate by one sender: for the peer a
//! text message of `payload` bytes carrying the update number k, for Podium one mark per update
//! (each changes a total, so it yields one delta with seq = S0 + k). Every viewer records when
//! each k was read, and when its bytes reached the viewer's socket (the kernel's stamp, see
//! `stamp.rs`); latency is either time − send time of k, on one monotonic clock (same process).
use crate::api::{self, Api};
use crate::package::{self, LIVE_ASPECTS, LIVE_ENTRIES, LIVE_JUDGE, LIVE_SKILL, aspect_codes, entry_code};
use crate::proc;
use crate::stamp::{Clocks, Stamped};
use crate::stats::{Summary, ms, per_second, round};
use crate::{LiveArgs, Result, Target};
use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

/// File descriptors kept free for the runtime, the sender and the HTTP client.
pub const RESERVED_FILES: u64 = 32;

/// Time allowed for one connection's handshake, and for its first snapshot (Podium).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How a viewer reads the target's frames.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// `{"k":123,"pad":"…"}` broadcast as sent.
    Peer,
    /// Podium's `{"type","channel","seq","data"}` frames of the `skill:LIVE` channel.
    Podium,
}

/// What a frame means to a viewer.
pub enum Event {
    /// Update k (peer) or a delta with this seq (Podium).
    Update(u64),
    /// A (fresh) snapshot including every change up to this seq.
    Snapshot(u64),
    /// The server refused something.
    Error(String),
    /// Heartbeats, other channels, the sender's own echo.
    Other,
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
}

const LIVE_CHANNEL: &str = "skill:LIVE";

impl Protocol {
    fn parse(self, text: &str) -> Event {
        match self {
            Protocol::Peer => {
                let digits = text.strip_prefix("{\"k\":").map(|rest| {
                    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
                    &rest[..end]
                });
                match digits.and_then(|d| d.parse().ok()) {
                    Some(k) => Event::Update(k),
                    None => Event::Other,
                }
            }
            Protocol::Podium => podium_event(text, LIVE_CHANNEL),
        }
    }
}

/// What a Podium frame means to a viewer of `channel`: its deltas and snapshots, or an error.
pub fn podium_event(text: &str, channel: &str) -> Event {
    let Some(frame) = podium_frame(text) else { return Event::Other };
    match (frame.kind.as_ref(), frame.channel.as_deref(), frame.seq) {
        ("delta", Some(c), Some(seq)) if c == channel => Event::Update(seq),
        ("snapshot", Some(c), Some(seq)) if c == channel => Event::Snapshot(seq),
        ("error", _, _) => Event::Error(text.chars().take(300).collect()),
        _ => Event::Other,
    }
}

/// The top-level keys of a Podium frame other than `data`, any of them possibly absent.
#[derive(Deserialize)]
struct Keys<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
}

/// Reads `type`, `channel` and `seq` of a Podium frame without parsing its (large) `data`:
/// the keys written before `"data":` are parsed from the head, those written after it from the
/// tail. A tail that starts inside `data` is never a valid object (it ends with more closing
/// brackets than it opens), so it falls back, like any frame the shortcut cannot read, to a
/// full parse.
fn podium_frame(text: &str) -> Option<Frame<'static>> {
    fn owned(kind: Cow<'_, str>, channel: Option<Cow<'_, str>>, seq: Option<u64>) -> Frame<'static> {
        Frame { kind: Cow::Owned(kind.into_owned()), channel: channel.map(|c| Cow::Owned(c.into_owned())), seq }
    }
    let shortcut = || {
        let data = text.find("\"data\":")?;
        let head = format!("{}}}", text[..data].trim_end().trim_end_matches(','));
        let Keys { mut kind, mut channel, mut seq } = serde_json::from_str::<Keys>(&head).ok()?;
        let missing = [("\"type\":", kind.is_none()), ("\"channel\":", channel.is_none()), ("\"seq\":", seq.is_none())];
        if let Some(at) = missing.iter().filter(|(_, m)| *m).filter_map(|(key, _)| text.rfind(key)).min() {
            if at < data {
                return None;
            }
            let tail = format!("{{{}", &text[at..]);
            let more = serde_json::from_str::<Keys>(&tail).ok()?;
            kind = kind.or(more.kind.map(|k| Cow::Owned(k.into_owned())));
            channel = channel.or(more.channel.map(|c| Cow::Owned(c.into_owned())));
            seq = seq.or(more.seq);
        }
        // Heartbeats and errors (null channel or seq) are small: the full parse reads them.
        Some(owned(kind?, Some(channel?), Some(seq?)))
    };
    shortcut().or_else(|| serde_json::from_str::<Frame>(text).ok().map(|f| owned(f.kind, f.channel, f.seq)))
}

/// A peer update message of exactly `size` bytes (or the shortest possible one).
fn peer_message(k: u32, size: usize) -> String {
    let head = format!("{{\"k\":{k},\"pad\":\"");
    let tail = "\"}";
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut text = String::with_capacity(head.len() + pad + tail.len());
    text.push_str(&head);
    text.extend(std::iter::repeat_n('x', pad));
    text.push_str(tail);
    text
}

fn viewer_config() -> WebSocketConfig {
    // Thousands of sockets in one process: small eagerly allocated buffers (they grow on
    // demand). tungstenite zeroes the room it reads into before every read, the last one that
    // finds the socket empty too: 1 KiB (a delta is 275-375 bytes) rather than 4 KiB.
    WebSocketConfig::default().read_buffer_size(1024).write_buffer_size(0)
}

type Socket = tokio_tungstenite::WebSocketStream<Stamped>;

pub fn describe(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Http(response) => format!("HTTP {}", response.status()),
        tungstenite::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// Opens a viewer socket (the handshake only), with the kernel's arrival stamps on.
async fn connect(url: &str) -> std::result::Result<Socket, String> {
    let connect = async {
        let request = url.into_client_request().map_err(|e| describe(&e))?;
        let host = request.uri().host().ok_or_else(|| format!("no host in {}", redact(url)))?;
        let port = request.uri().port_u16().unwrap_or(80);
        let tcp =
            tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await.map_err(|e| e.to_string())?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let stream = Stamped::new(tcp).map_err(|e| format!("arrival stamps: {e}"))?;
        let (socket, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(viewer_config()))
            .await
            .map_err(|e| describe(&e))?;
        Ok(socket)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, connect).await.unwrap_or_else(|_| Err("connect timeout".into()))
}

/// Opens a socket to Podium's live endpoint, subscribes to `channel` and waits for its first
/// snapshot: returns the socket and the snapshot's seq.
pub async fn open_podium(url: &str, channel: &str) -> std::result::Result<(Socket, u64), String> {
    let mut socket = connect(url).await?;
    let subscribe = json!({ "subscribe": [channel] }).to_string();
    socket.send(Message::text(subscribe)).await.map_err(|e| describe(&e))?;
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return Err("no snapshot within 20 s".into()),
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return Err("closed before the snapshot".into()),
            Ok(Some(Err(error))) => return Err(describe(&error)),
            Ok(Some(Ok(Message::Text(text)))) => match podium_event(&text, channel) {
                Event::Snapshot(seq) => return Ok((socket, seq)),
                Event::Error(error) => return Err(format!("server error frame: {error}")),
                Event::Update(_) | Event::Other => {}
            },
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Opens a socket, subscribes (Podium) and waits for the first snapshot: returns its seq (S0).
async fn open(url: &str, protocol: Protocol) -> std::result::Result<(Socket, u64), String> {
    match protocol {
        Protocol::Peer => Ok((connect(url).await?, 0)),
        Protocol::Podium => open_podium(url, LIVE_CHANNEL).await,
    }
}

/// One more viewer for the ramp-up's tally: every viewer sends `Connected` or `Failed` once.
pub enum Signal {
    Connected,
    Failed(String),
    /// Has every update, or lost its connection, after connecting.
    Done,
}

/// Update k reached the viewer's socket (the kernel's stamp) and was read.
#[derive(Clone, Copy)]
struct Arrival {
    k: u32,
    arrived: Instant,
    read: Instant,
}

/// What one viewer recorded.
#[derive(Default)]
struct Viewer {
    connected: bool,
    /// Every update it has, in arrival order.
    arrivals: Vec<Arrival>,
    /// Update frames whose read carried no kernel stamp (their read time stands for it).
    unstamped: u64,
    update_frames: u64,
    update_bytes: u64,
    resnapshots: u64,
    lost: Option<String>,
}

async fn viewer(
    url: Arc<str>,
    protocol: Protocol,
    updates: u32,
    clocks: Clocks,
    signals: mpsc::UnboundedSender<Signal>,
    mut stop: watch::Receiver<bool>,
) -> Viewer {
    let mut me = Viewer::default();
    let (mut socket, base) = match open(&url, protocol).await {
        Ok(pair) => pair,
        Err(error) => {
            let _ = signals.send(Signal::Failed(error));
            return me;
        }
    };
    me.connected = true;
    me.arrivals.reserve(updates.min(4096) as usize);
    let _ = signals.send(Signal::Connected);
    let mut last: u64 = 0;
    let updates = u64::from(updates);
    // Record every k up to `upto` not yet seen.
    let record = |me: &mut Viewer, last: &mut u64, upto: u64, at: Arrival| {
        let upto = upto.min(updates);
        while *last < upto {
            *last += 1;
            me.arrivals.push(Arrival { k: *last as u32, ..at });
        }
    };
    // One registration for the whole run, not one per frame.
    let stopped = stop.changed();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => return me,
            frame = socket.next() => {
                let read = Instant::now();
                let stamp = socket.get_ref().arrived();
                let at = Arrival { k: 0, arrived: stamp.map_or(read, |s| clocks.instant(s).min(read)), read };
                match frame {
                    Some(Ok(Message::Text(text))) => match protocol.parse(&text) {
                        Event::Update(n) => {
                            me.update_frames += 1;
                            me.unstamped += u64::from(stamp.is_none());
                            me.update_bytes += text.len() as u64;
                            let k = n.saturating_sub(base);
                            match protocol {
                                // The peer relays each update as sent: a gap is a lost message.
                                Protocol::Peer if k > last && k <= updates => {
                                    last = k;
                                    me.arrivals.push(Arrival { k: k as u32, ..at });
                                }
                                Protocol::Peer => {}
                                // A Podium delta has every change up to its seq (coalescing allowed).
                                Protocol::Podium => record(&mut me, &mut last, k, at),
                            }
                        }
                        Event::Snapshot(seq) => {
                            me.resnapshots += 1;
                            record(&mut me, &mut last, seq.saturating_sub(base), at);
                        }
                        Event::Error(error) => {
                            me.lost.get_or_insert(format!("error frame: {error}"));
                        }
                        Event::Other => {}
                    },
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        me.lost = Some(describe(&error));
                        break;
                    }
                    None => {
                        me.lost = Some("closed by the server".into());
                        break;
                    }
                }
                if last >= updates {
                    break;
                }
            }
        }
    }
    let _ = signals.send(Signal::Done);
    // Keep the socket open until everyone is done, so closing does not disturb the others.
    let _ = stopped.await;
    drop(socket);
    me
}

/// How updates are produced, once the viewers are connected.
enum Sender {
    Peer { url: String, payload: usize },
    Podium { api: Api, code: String, judge: String },
}

struct Sent {
    /// Send time of the k-th update that was sent successfully (index k − 1).
    times: Vec<Instant>,
    errors: BTreeMap<String, u64>,
    first_error: Option<String>,
    /// Sending fell so far behind the schedule that the rest was not sent.
    gave_up: bool,
}

async fn pace(start: Instant, k: u32, rate: f64) {
    let at = start + Duration::from_secs_f64(f64::from(k - 1) / rate);
    tokio::time::sleep_until(at.into()).await;
}

impl Sender {
    /// Sends `updates` updates at `rate`/s; gives up sending after `grace` beyond the schedule.
    async fn run(&self, updates: u32, rate: f64, grace: Duration, mut stop: watch::Receiver<bool>) -> Result<Sent> {
        let mut sent = Sent {
            times: Vec::with_capacity(updates as usize),
            errors: BTreeMap::new(),
            first_error: None,
            gave_up: false,
        };
        let give_up = Instant::now() + Duration::from_secs_f64(f64::from(updates) / rate) + grace;
        match self {
            Sender::Peer { url, payload } => {
                let (socket, _) = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    tokio_tungstenite::connect_async_with_config(url, None, true),
                )
                .await
                .map_err(|_| "the sender could not connect within 20 s")?
                .map_err(|e| format!("the sender could not connect: {}", describe(&e)))?;
                let (mut sink, mut stream) = socket.split();
                // The peer echoes every update to the sender too: drain it until the run ends.
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            _ = stop.changed() => break,
                            frame = stream.next() => if !matches!(frame, Some(Ok(_))) { break },
                        }
                    }
                });
                let messages: Vec<String> = (1..=updates).map(|k| peer_message(k, *payload)).collect();
                let start = Instant::now();
                for (k, text) in (1..=updates).zip(messages) {
                    if Instant::now() > give_up {
                        sent.gave_up = true;
                        break;
                    }
                    pace(start, k, rate).await;
                    let at = Instant::now();
                    sink.send(Message::text(text)).await.map_err(|e| format!("the sender lost its socket: {e}"))?;
                    sent.times.push(at);
                }
            }
            Sender::Podium { api, code, judge } => {
                let url = api.url(&format!("competitions/{code}/marks"))?;
                let entries: Vec<String> =
                    (1..=LIVE_ENTRIES).map(|d| entry_code(LIVE_SKILL, d, LIVE_ENTRIES)).collect();
                let aspects = aspect_codes(LIVE_ASPECTS);
                let cells = entries.len() * aspects.len();
                // Last value of every (entry, aspect), in hundredths; cell 0 holds the imported mark.
                let mut last = vec![0u32; cells];
                last[0] = FIRST_MARK_CENTI;
                let start = Instant::now();
                let mut failures_in_a_row = 0;
                for k in 1..=updates {
                    if Instant::now() > give_up {
                        sent.gave_up = true;
                        break;
                    }
                    pace(start, k, rate).await;
                    // Walk entries first, then aspects; a new value always differs from the last.
                    let i = (k as usize - 1) % cells;
                    let (entry, aspect) = (&entries[i % entries.len()], &aspects[i / entries.len()]);
                    let cell = (i % entries.len()) * aspects.len() + i / entries.len();
                    let value = (last[cell] + 36) % 1000 + 1;
                    let mark = json!({"id": uuid::Uuid::new_v4().to_string(), "entry": entry, "aspect": aspect,
                        "value": package::centi(value), "reason": "bench"});
                    let at = Instant::now();
                    let answer =
                        api.http.post(url.clone()).bearer_auth(judge).json(&json!({ "marks": [mark] })).send().await;
                    let failure = match answer {
                        Ok(response) if response.status() == reqwest::StatusCode::OK => {
                            let _ = response.bytes().await;
                            None
                        }
                        Ok(response) => {
                            let status = response.status();
                            let text: String = response.text().await.unwrap_or_default().chars().take(500).collect();
                            Some((status.as_str().to_owned(), format!("HTTP {status}: {text}")))
                        }
                        Err(error) => Some(("network".to_owned(), error.to_string())),
                    };
                    match failure {
                        None => {
                            last[cell] = value;
                            sent.times.push(at);
                            failures_in_a_row = 0;
                        }
                        Some((key, detail)) => {
                            *sent.errors.entry(key).or_default() += 1;
                            sent.first_error.get_or_insert(detail);
                            failures_in_a_row += 1;
                            if failures_in_a_row >= 10 {
                                return Err(format!(
                                    "10 marks in a row failed; first failure: {}",
                                    sent.first_error.unwrap_or_default()
                                )
                                .into());
                            }
                        }
                    }
                }
            }
        }
        Ok(sent)
    }
}

/// Hundredths of the mark imported with the live package (LIVE-D001, A1).
const FIRST_MARK_CENTI: u32 = 500;

/// Everything set up before the viewers connect.
struct Plan {
    viewer_url: String,
    protocol: Protocol,
    sender: Sender,
    label: String,
}

async fn podium_plan(args: &LiveArgs) -> Result<Plan> {
    let url = api::loopback_url(args.url.as_deref().unwrap_or("http://127.0.0.1:8080"), &["http"])?;
    let password = args.password.as_deref().ok_or("--password (or PODIUM_ADMIN_PASSWORD) is required for podium")?;
    let api = Api::new(api::client(4)?, &url)?;
    let admin = api.login_admin(password).await?;
    let code = format!("LIVE{}", api::random_suffix());
    let first_entry = entry_code(LIVE_SKILL, 1, LIVE_ENTRIES);
    let first_aspect = aspect_codes(LIVE_ASPECTS).into_iter().next().unwrap_or_default();
    let first_value = package::centi(FIRST_MARK_CENTI);
    api.import(&admin, &package::live_package(&code, (&first_entry, &first_aspect, &first_value))).await?;
    let judge = api.login_judge(&admin, &code, LIVE_JUDGE).await?;
    Ok(Plan {
        viewer_url: podium_viewer_url(&url, &code, &admin)?,
        protocol: Protocol::Podium,
        sender: Sender::Podium { api, code: code.clone(), judge },
        label: format!("podium {url} (competition {code}, channel {LIVE_CHANNEL}, admin token)"),
    })
}

/// `ws://…/api/v1/competitions/{code}/live?token=…` on the server at `base` (http://…).
pub fn podium_viewer_url(base: &Url, code: &str, token: &str) -> Result<String> {
    let mut url = base.clone();
    url.set_scheme("ws").map_err(|_| "cannot make a ws:// URL")?;
    url.set_path(&format!("/api/v1/competitions/{code}/live"));
    url.query_pairs_mut().append_pair("token", token);
    Ok(url.to_string())
}

fn peer_plan(args: &LiveArgs) -> Result<Plan> {
    let url = api::loopback_url(args.url.as_deref().unwrap_or("ws://127.0.0.1:8090"), &["ws"])?;
    Ok(Plan {
        viewer_url: url.to_string(),
        protocol: Protocol::Peer,
        sender: Sender::Peer { url: url.to_string(), payload: args.payload as usize },
        label: format!("peer {url}"),
    })
}

pub async fn run(args: LiveArgs) -> Result<()> {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !positive(args.rate) || !positive(args.connect_rate) {
        return Err("--rate and --connect-rate must be positive".into());
    }
    let mut notes = Vec::new();
    // A few descriptors stay free for the runtime, the sender and the HTTP client.
    let opened = viewers_that_fit(args.viewers, RESERVED_FILES, &mut notes);
    for note in &notes {
        eprintln!("note: {note}");
    }
    let plan = match args.target {
        Target::Podium => podium_plan(&args).await?,
        Target::Peer => peer_plan(&args)?,
    };
    // One probe first: a clear error (e.g. 404: no live endpoint) instead of thousands.
    match open(&plan.viewer_url, plan.protocol).await {
        Ok((socket, _)) => drop(socket),
        Err(error) => return Err(probe_failed(&plan.label, &plan.viewer_url, &error)),
    }
    let pid = args.server_pid;
    let rss_before = pid.and_then(proc::rss_kib);

    // Ramp up: `connect_rate` connections per second.
    eprintln!("connecting {opened} viewers to {} at {}/s…", plan.label, args.connect_rate);
    let (signal_tx, mut signals) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let url: Arc<str> = Arc::from(plan.viewer_url.as_str());
    let clocks = Clocks::now();
    let ramp_start = Instant::now();
    let tasks = spawn_paced(opened, args.connect_rate, |_| {
        tokio::spawn(viewer(url.clone(), plan.protocol, args.updates, clocks, signal_tx.clone(), stop_rx.clone()))
    })
    .await;
    drop(signal_tx);
    let Ramp { connected, failed, mut done } = Ramp::wait(&mut signals, opened).await;
    let ramp = ramp_start.elapsed();
    let connect_errors: u64 = failed.values().sum();
    eprintln!("{connected} viewers connected in {:.1} s, {connect_errors} failed", ramp.as_secs_f64());
    // Let the server settle (lazy allocations) before reading its RSS.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = pid.and_then(proc::rss_kib);

    // Send the updates; count the viewers that have them all.
    let cpu_before = pid.and_then(proc::cpu_time);
    let own_before = proc::cpu_time(std::process::id());
    let window_start = Instant::now();
    eprintln!("sending {} updates at {}/s…", args.updates, args.rate);
    let sent = if connected > 0 {
        plan.sender.run(args.updates, args.rate, Duration::from_secs(args.timeout), stop_rx.clone()).await
    } else {
        Err("no viewer could connect".into())
    };
    let sent = match sent {
        Ok(sent) => sent,
        Err(error) => {
            let _ = stop_tx.send(true);
            return Err(error);
        }
    };
    let last_send = Instant::now();
    let wait_deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout);
    while done < connected {
        match tokio::time::timeout_at(wait_deadline, signals.recv()).await {
            Ok(Some(Signal::Done)) => done += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let cpu_after = pid.and_then(proc::cpu_time);
    let own = proc::cpu_time(std::process::id()).zip(own_before).map(|(after, before)| after.saturating_sub(before));
    let window = window_start.elapsed();
    let waited = last_send.elapsed();
    let _ = stop_tx.send(true);
    let mut viewers = Vec::with_capacity(tasks.len());
    for task in tasks {
        viewers.push(task.await.map_err(|e| format!("a viewer task failed: {e}"))?);
    }
    let measured = Measured {
        opened,
        connected,
        connect_errors: failed,
        ramp,
        waited,
        rss: rss_before.zip(rss_after),
        cpu: cpu_before.zip(cpu_after).map(|(before, after)| after.saturating_sub(before)),
        own_cpu_share: own.map(|cpu| cpu.as_secs_f64() / window.as_secs_f64().max(1e-9)),
        window,
    };
    report(&args, &plan, &sent, &viewers, &measured, &notes);
    Ok(())
}

/// How many of `requested` viewer sockets this process can open: raises the open-files soft
/// limit to the hard limit, keeps `reserved` descriptors free for everything else, and says in
/// `notes` when that caps the viewers (the rest of the run goes on with fewer).
pub fn viewers_that_fit(requested: u32, reserved: u64, notes: &mut Vec<String>) -> u32 {
    match proc::raise_open_files_limit() {
        Ok(limit) => {
            let room = u32::try_from(limit.saturating_sub(reserved)).unwrap_or(u32::MAX);
            if room < requested {
                notes.push(format!(
                    "the open-files limit is {limit} (the hard limit; root can raise it, e.g. `ulimit -Hn 65536`): \
                     opening {room} of {requested} viewers"
                ));
                return room;
            }
            requested
        }
        Err(error) => {
            notes.push(format!("could not raise the open-files limit: {error}"));
            requested
        }
    }
}

/// The error of a failed probe connection: 404 means the server has no live endpoint.
pub fn probe_failed(label: &str, url: &str, error: &str) -> crate::Error {
    if error.starts_with("HTTP 404") {
        format!("{label} has no live endpoint: the websocket upgrade answered 404 ({})", redact(url)).into()
    } else {
        format!("cannot open a viewer socket to {}: {error}", redact(url)).into()
    }
}

/// Spawns `count` tasks (`spawn(i)` for i in 0..count) at `rate` per second: the ramp-up's
/// pacing, so the server's accept queue never sees thousands of handshakes at once.
pub async fn spawn_paced<T>(count: u32, rate: f64, mut spawn: impl FnMut(u32) -> JoinHandle<T>) -> Vec<JoinHandle<T>> {
    let mut tasks = Vec::with_capacity(count as usize);
    let start = Instant::now();
    let mut spawned = 0u32;
    while spawned < count {
        let due = u32::try_from((start.elapsed().as_secs_f64() * rate) as u64 + 1).unwrap_or(u32::MAX).min(count);
        while spawned < due {
            tasks.push(spawn(spawned));
            spawned += 1;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tasks
}

/// The outcome of a ramp-up, from the viewers' signals.
pub struct Ramp {
    pub connected: u32,
    /// Viewers that could not connect, by reason.
    pub failed: BTreeMap<String, u64>,
    /// Viewers that were already done (had every update, or lost their connection).
    pub done: u32,
}

impl Ramp {
    /// Waits until each of the `opened` viewers has connected or failed (or the senders are
    /// gone, or a deadline well past every viewer's own timeouts has passed).
    pub async fn wait(signals: &mut mpsc::UnboundedReceiver<Signal>, opened: u32) -> Ramp {
        let mut ramp = Ramp { connected: 0, failed: BTreeMap::new(), done: 0 };
        let deadline = tokio::time::Instant::now() + 2 * CONNECT_TIMEOUT + Duration::from_secs(10);
        while u64::from(ramp.connected) + ramp.failed.values().sum::<u64>() < u64::from(opened) {
            match tokio::time::timeout_at(deadline, signals.recv()).await {
                Ok(Some(Signal::Connected)) => ramp.connected += 1,
                Ok(Some(Signal::Failed(why))) => *ramp.failed.entry(why).or_default() += 1,
                Ok(Some(Signal::Done)) => ramp.done += 1,
                Ok(None) | Err(_) => break,
            }
        }
        ramp
    }
}

/// The URL without its token.
pub fn redact(url: &str) -> String {
    match url.split_once("token=") {
        Some((head, _)) => format!("{head}token=…"),
        None => url.to_owned(),
    }
}

struct Measured {
    /// Viewer connections attempted (the request, capped by the open-files limit).
    opened: u32,
    connected: u32,
    connect_errors: BTreeMap<String, u64>,
    ramp: Duration,
    waited: Duration,
    rss: Option<(u64, u64)>,
    cpu: Option<Duration>,
    /// The load generator's own CPU time over the measured window, in cores (1.0 = one busy core).
    own_cpu_share: Option<f64>,
    /// From just before the first update to the end of the wait for deliveries.
    window: Duration,
}

fn report(args: &LiveArgs, plan: &Plan, sent: &Sent, viewers: &[Viewer], m: &Measured, notes: &[String]) {
    let updates = sent.times.len();
    let (mut latencies, mut arrival_latencies) = (Vec::new(), Vec::new());
    let mut last_read: Vec<Option<Instant>> = vec![None; updates];
    let mut last_arrival: Vec<Option<Instant>> = vec![None; updates];
    let mut got: Vec<u64> = vec![0; updates];
    let (mut frames, mut bytes, mut resnapshots, mut unstamped) = (0u64, 0u64, 0u64, 0u64);
    let mut lost = BTreeMap::<String, u64>::new();
    let latest = |t: Option<Instant>, at: Instant| Some(t.map_or(at, |t| t.max(at)));
    for v in viewers.iter().filter(|v| v.connected) {
        frames += v.update_frames;
        bytes += v.update_bytes;
        resnapshots += v.resnapshots;
        unstamped += v.unstamped;
        if let Some(why) = &v.lost {
            *lost.entry(why.clone()).or_default() += 1;
        }
        for a in &v.arrivals {
            let i = a.k as usize - 1;
            let Some(sent_at) = sent.times.get(i) else { continue };
            latencies.push(a.read.saturating_duration_since(*sent_at));
            arrival_latencies.push(a.arrived.saturating_duration_since(*sent_at));
            got[i] += 1;
            last_read[i] = latest(last_read[i], a.read);
            last_arrival[i] = latest(last_arrival[i], a.arrived);
        }
    }
    let deliveries = latencies.len() as u64;
    let expected = updates as u64 * u64::from(m.connected);
    let missing = expected.saturating_sub(deliveries);
    let latency = Summary::of(&mut latencies);
    let arrival_latency = Summary::of(&mut arrival_latencies);
    // Per update: the last viewer's time − send time, over the updates every connected viewer got.
    let complete: Vec<usize> = (0..updates).filter(|&i| got[i] == u64::from(m.connected) && m.connected > 0).collect();
    let everyone_by = |last: &[Option<Instant>]| {
        let mut times: Vec<Duration> =
            complete.iter().filter_map(|&i| last[i].map(|at| at.saturating_duration_since(sent.times[i]))).collect();
        Summary::of(&mut times)
    };
    let complete_updates = complete.len();
    let everyone = everyone_by(&last_read);
    let everyone_arrived = everyone_by(&last_arrival);
    let span = match (sent.times.first(), last_read.iter().flatten().max()) {
        (Some(first), Some(last)) => last.saturating_duration_since(*first),
        _ => Duration::ZERO,
    };
    let deliveries_per_s = per_second(deliveries as f64, span);
    let bytes_per_frame = if frames > 0 { bytes as f64 / frames as f64 } else { 0.0 };
    let cpu_per_1000 = m.cpu.filter(|_| deliveries > 0).map(|cpu| ms(cpu) * 1000.0 / deliveries as f64);
    let rss_per_connection = m
        .rss
        .filter(|_| m.connected > 0)
        .map(|(before, after)| (after as f64 - before as f64) / f64::from(m.connected));
    // The rate the sender achieved (Podium's sender waits for each mark's answer).
    let achieved_rate = match (sent.times.first(), sent.times.last()) {
        (Some(first), Some(last)) if updates > 1 => per_second((updates - 1) as f64, last.duration_since(*first)),
        _ => 0.0,
    };
    let mut notes = notes.to_vec();
    if updates > 1 && achieved_rate < 0.95 * args.rate {
        notes.push(format!(
            "the sender achieved only {achieved_rate:.1} of {} updates/s (each mark waits for its answer): \
             compare targets at a rate both sustain",
            args.rate
        ));
    }
    if sent.gave_up {
        notes.push(format!(
            "sending fell more than {} s behind schedule: only {updates} of {} updates were sent",
            args.timeout, args.updates
        ));
    }
    let connect_errors: u64 = m.connect_errors.values().sum();
    let send_errors: u64 = sent.errors.values().sum();
    let payload = match args.target {
        Target::Peer => json!(args.payload),
        Target::Podium => Value::Null,
    };
    if args.json {
        let out = json!({
            "command": "live",
            "target": args.target.name(),
            "params": {
                "url": redact(&plan.viewer_url), "viewers": args.viewers, "updates": args.updates, "rate": args.rate,
                "connect_rate": args.connect_rate, "payload": payload, "timeout_s": args.timeout, "server_pid": args.server_pid,
            },
            "viewers_opened": m.opened,
            "viewers_connected": m.connected,
            "connect_errors": {"total": connect_errors, "by_kind": m.connect_errors},
            "viewers_lost": lost,
            "ramp_s": round(m.ramp.as_secs_f64()),
            "updates_sent": updates,
            "achieved_rate": round(achieved_rate),
            "send_errors": {"total": send_errors, "by_status": sent.errors, "first": sent.first_error},
            "latency_ms": latency.json(),
            "all_viewers_ms": {"p50": round(everyone.p50), "max": round(everyone.max), "updates": complete_updates},
            "arrival_latency_ms": arrival_latency.json(),
            "arrival_all_viewers_ms": {"p50": round(everyone_arrived.p50), "max": round(everyone_arrived.max)},
            "frames_without_arrival_stamp": unstamped,
            "deliveries": deliveries,
            "deliveries_per_s": round(deliveries_per_s),
            "missing_deliveries": missing,
            "bytes_per_update_frame": round(bytes_per_frame),
            "update_frames": frames,
            "resnapshots": resnapshots,
            "server_cpu_ms_per_1000_deliveries": cpu_per_1000.map(round),
            "server_cpu_ms": m.cpu.map(|c| round(ms(c))),
            "server_cpu_cores": m.cpu.map(|c| round(c.as_secs_f64() / m.window.as_secs_f64().max(1e-9))),
            "generator_cpu_cores": m.own_cpu_share.map(round),
            "window_s": round(m.window.as_secs_f64()),
            "server_rss_kb_per_connection": rss_per_connection.map(round),
            "server_rss_kb": m.rss.map(|(before, after)| json!({"before": before, "after": after})),
            "waited_after_last_send_s": round(m.waited.as_secs_f64()),
            "notes": notes,
        });
        println!("{out}");
        return;
    }
    println!("podium-load live — {}", plan.label);
    let payload_text = match args.target {
        Target::Peer => format!(", payload {} B", args.payload),
        Target::Podium => String::new(),
    };
    println!(
        "  parameters              {} viewers, {} updates at {}/s, connect {}/s{payload_text}, timeout {} s",
        args.viewers, args.updates, args.rate, args.connect_rate, args.timeout
    );
    println!("  viewers connected       {} of {} in {:.1} s", m.connected, m.opened, m.ramp.as_secs_f64());
    if connect_errors > 0 {
        let by: Vec<String> = m.connect_errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        println!("  connection errors       {connect_errors} ({})", by.join(", "));
    } else {
        println!("  connection errors       0");
    }
    if !lost.is_empty() {
        let by: Vec<String> = lost.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        println!("  viewer problems         {}", by.join(", "));
    }
    println!("  updates sent            {updates} ({achieved_rate:.1}/s achieved)");
    if send_errors > 0 {
        println!("  send errors             {send_errors} (first: {})", sent.first_error.as_deref().unwrap_or(""));
    }
    println!("  latency per viewer, ms  {} (read by the viewer)", latency.text());
    println!("                          {} (at the viewer's socket)", arrival_latency.text());
    println!(
        "  every viewer has it, ms p50 {:.1}  max {:.1} (read); p50 {:.1}  max {:.1} (at the socket)  \
         (over {complete_updates} of {updates} updates)",
        everyone.p50, everyone.max, everyone_arrived.p50, everyone_arrived.max
    );
    if unstamped > 0 {
        println!("  note                    {unstamped} update frames had no arrival stamp (their read time counts)");
    }
    println!("  deliveries              {deliveries} ({deliveries_per_s:.0}/s), missing {missing}");
    println!(
        "  bytes per update frame  {bytes_per_frame:.0}{}",
        if resnapshots > 0 { format!(" ({resnapshots} fresh snapshots)") } else { String::new() }
    );
    match (cpu_per_1000, m.cpu) {
        (Some(per), Some(cpu)) => {
            println!(
                "  server CPU              {per:.1} ms per 1000 deliveries ({:.0} ms in {:.1} s: {:.0}% of a core)",
                ms(cpu),
                m.window.as_secs_f64(),
                100.0 * cpu.as_secs_f64() / m.window.as_secs_f64().max(1e-9)
            )
        }
        _ => println!("  server CPU              (give --server-pid)"),
    }
    match (rss_per_connection, m.rss) {
        (Some(per), Some((before, after))) => {
            println!("  server RSS              {per:.1} KB per connection ({before} → {after} KB)")
        }
        _ => println!("  server RSS              (give --server-pid)"),
    }
    if let Some(share) = m.own_cpu_share {
        println!("  load generator CPU      {:.0}% of a core", 100.0 * share);
    }
    for note in &notes {
        println!("  note                    {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(event: Event) -> Option<u64> {
        match event {
            Event::Update(k) => Some(k),
            _ => None,
        }
    }

    #[test]
    fn peer_messages_have_the_payload_size_and_parse_back() {
        let text = peer_message(42, 200);
        assert_eq!(text.len(), 200);
        assert!(serde_json::from_str::<Value>(&text).is_ok());
        assert_eq!(update(Protocol::Peer.parse(&text)), Some(42));
        assert_eq!(peer_message(1234567, 3).len(), "{\"k\":1234567,\"pad\":\"\"}".len());
        assert_eq!(update(Protocol::Peer.parse("hello")), None);
    }

    #[test]
    fn podium_frames_parse_in_any_field_order() {
        let delta = r#"{"type":"delta","channel":"skill:LIVE","seq":7,"data":{"rows":[{"x":"\"data\":"}]}}"#;
        assert_eq!(update(Protocol::Podium.parse(delta)), Some(7));
        let reordered = r#"{"data":{"rows":[]},"seq":8,"channel":"skill:LIVE","type":"delta"}"#;
        assert_eq!(update(Protocol::Podium.parse(reordered)), Some(8));
        let late_seq = r#"{"type":"delta","channel":"skill:LIVE","data":{},"seq":9}"#;
        assert_eq!(update(Protocol::Podium.parse(late_seq)), Some(9));
        let snapshot = r#"{"type":"snapshot","channel":"skill:LIVE","seq":3,"data":{}}"#;
        assert!(matches!(Protocol::Podium.parse(snapshot), Event::Snapshot(3)));
        let heartbeat = r#"{"type":"heartbeat","channel":null,"seq":null,"data":null}"#;
        assert!(matches!(Protocol::Podium.parse(heartbeat), Event::Other));
        let other = r#"{"type":"delta","channel":"medals","seq":4,"data":{}}"#;
        assert!(matches!(Protocol::Podium.parse(other), Event::Other));
        // As Podium writes them (serde_json maps sort their keys).
        let sorted = r#"{"channel":"skill:LIVE","data":{"rows":[{"seq":1,"type":"x"}]},"seq":10,"type":"delta"}"#;
        assert_eq!(update(Protocol::Podium.parse(sorted)), Some(10));
        let nested_last = r#"{"channel":"skill:LIVE","seq":11,"type":"delta","data":{"rows":[{"seq":1,"type":"x"}]}}"#;
        assert_eq!(update(Protocol::Podium.parse(nested_last)), Some(11));
        let sorted_snapshot = r#"{"channel":"skill:LIVE","data":{},"seq":12,"type":"snapshot"}"#;
        assert!(matches!(Protocol::Podium.parse(sorted_snapshot), Event::Snapshot(12)));
        let sorted_heartbeat = r#"{"channel":null,"data":null,"seq":null,"type":"heartbeat"}"#;
        assert!(matches!(Protocol::Podium.parse(sorted_heartbeat), Event::Other));
        let error = r#"{"type":"error","channel":null,"seq":null,"data":{"code":"x","detail":"y"}}"#;
        assert!(matches!(Protocol::Podium.parse(error), Event::Error(_)));
    }

    #[test]
    fn podium_events_are_those_of_the_watched_channel() {
        let delta = r#"{"channel":"skill:S02","data":{},"seq":5,"type":"delta"}"#;
        assert_eq!(update(podium_event(delta, "skill:S02")), Some(5));
        assert!(matches!(podium_event(delta, "skill:S01"), Event::Other));
        let snapshot = r#"{"channel":"skill:S02","data":{},"seq":0,"type":"snapshot"}"#;
        assert!(matches!(podium_event(snapshot, "skill:S02"), Event::Snapshot(0)));
        let error = r#"{"channel":"skill:S99","data":{"code":"x","detail":"y"},"seq":null,"type":"error"}"#;
        assert!(matches!(podium_event(error, "skill:S01"), Event::Error(_)));
    }

    #[test]
    fn viewer_urls_carry_the_competition_and_token() -> Result<()> {
        let base = Url::parse("http://127.0.0.1:8080")?;
        let url = podium_viewer_url(&base, "BENCH1", "a b")?;
        assert_eq!(url, "ws://127.0.0.1:8080/api/v1/competitions/BENCH1/live?token=a+b");
        assert_eq!(redact(&url), "ws://127.0.0.1:8080/api/v1/competitions/BENCH1/live?token=…");
        Ok(())
    }
}
