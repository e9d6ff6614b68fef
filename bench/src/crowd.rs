//! Idle watchers for `podium-load marks --viewers N`: websocket viewers subscribed to the skills
//! being marked, so that every acknowledged mark also has a live fan-out to do. They read (and
//! count) every frame as it comes, so the server never sees them lag, and send nothing.
use crate::live::{self, Event, Ramp, Signal};
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// What one watcher saw after its first snapshot.
#[derive(Default)]
struct Watched {
    /// Text frames (deltas, snapshots, heartbeats, errors) after the first snapshot.
    frames: u64,
    /// Snapshots after the first: the server sends one to a viewer that lagged (its queue was
    /// full and frames were dropped) or when the channel changed kind.
    snapshots: u64,
    /// Why it stopped before the end, or the first error frame it got.
    lost: Option<String>,
}

async fn watch_channel(
    url: Arc<str>,
    channel: String,
    signals: mpsc::UnboundedSender<Signal>,
    mut stop: watch::Receiver<bool>,
) -> Watched {
    let mut me = Watched::default();
    let mut socket = match live::open_podium(&url, &channel).await {
        Ok((socket, _)) => socket,
        Err(error) => {
            let _ = signals.send(Signal::Failed(error));
            return me;
        }
    };
    let _ = signals.send(Signal::Connected);
    // One registration for the whole run, not one per frame.
    let stopped = stop.changed();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    me.frames += 1;
                    match live::podium_event(&text, &channel) {
                        Event::Snapshot(_) => me.snapshots += 1,
                        Event::Error(error) => {
                            me.lost.get_or_insert(format!("error frame: {error}"));
                        }
                        Event::Update(_) | Event::Other => {}
                    }
                }
                // Pings are answered by tungstenite itself while we read.
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    me.lost = Some(live::describe(&error));
                    break;
                }
                None => {
                    me.lost = Some("closed by the server".into());
                    break;
                }
            },
        }
    }
    me
}

/// Watchers connected and reading, until [`Crowd::finish`].
pub struct Crowd {
    tasks: Vec<JoinHandle<Watched>>,
    stop: watch::Sender<bool>,
    /// The ramp-up's figures; `finish` adds what the watchers saw.
    seen: Seen,
}

/// The watchers' connections, and what they saw from their first snapshot until stopped.
#[derive(Default)]
pub struct Seen {
    /// Watchers that tried to connect (the request, capped by the open-files limit).
    pub opened: u32,
    /// Watchers that got their first snapshot.
    pub connected: u32,
    /// Watchers that could not connect or get their first snapshot, by reason.
    pub connect_errors: BTreeMap<String, u64>,
    /// Time to connect them all.
    pub ramp: Duration,
    /// Text frames read, over all watchers.
    pub frames: u64,
    /// Snapshots after each watcher's first: a lagging watcher, or a channel that changed kind.
    pub snapshots: u64,
    /// Watchers that lost their connection or got an error frame, by reason.
    pub lost: BTreeMap<String, u64>,
}

impl Crowd {
    /// No watchers at all (`--viewers 0`).
    pub fn none() -> Crowd {
        Crowd { tasks: Vec::new(), stop: watch::channel(false).0, seen: Seen::default() }
    }

    /// Opens `count` watchers on `url` at `connect_rate`/s, watcher i subscribed to
    /// `channels[i % channels.len()]`, and waits until each has its first snapshot or failed.
    pub async fn connect(url: &str, channels: &[String], count: u32, connect_rate: f64) -> Crowd {
        let mut crowd = Crowd::none();
        if channels.is_empty() || count == 0 {
            return crowd;
        }
        let (signal_tx, mut signals) = mpsc::unbounded_channel();
        let stop_rx = crowd.stop.subscribe();
        let url: Arc<str> = Arc::from(url);
        let start = Instant::now();
        crowd.tasks = live::spawn_paced(count, connect_rate, |i| {
            let channel = channels[i as usize % channels.len()].clone();
            tokio::spawn(watch_channel(url.clone(), channel, signal_tx.clone(), stop_rx.clone()))
        })
        .await;
        drop(signal_tx);
        let Ramp { connected, failed, .. } = Ramp::wait(&mut signals, count).await;
        crowd.seen.opened = count;
        crowd.seen.connected = connected;
        crowd.seen.connect_errors = failed;
        crowd.seen.ramp = start.elapsed();
        crowd
    }

    /// Watchers that got their first snapshot.
    pub fn connected(&self) -> u32 {
        self.seen.connected
    }

    /// Watchers that could not connect, by reason.
    pub fn connect_errors(&self) -> &BTreeMap<String, u64> {
        &self.seen.connect_errors
    }

    /// Time it took to connect them.
    pub fn ramp(&self) -> Duration {
        self.seen.ramp
    }

    /// Stops every watcher, closes their sockets and adds up what they saw.
    pub async fn finish(self) -> crate::Result<Seen> {
        let _ = self.stop.send(true);
        let mut seen = self.seen;
        for task in self.tasks {
            let watched = task.await.map_err(|e| format!("a viewer task failed: {e}"))?;
            seen.frames += watched.frames;
            seen.snapshots += watched.snapshots;
            if let Some(why) = watched.lost {
                *seen.lost.entry(why).or_default() += 1;
            }
        }
        Ok(seen)
    }
}
