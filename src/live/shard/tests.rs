//! A shard's slots without a server: a socket that does not read holds a bounded queue,
//! a real socket that fills up is written to again once it drains, subscriptions end.
use super::*;
use std::cell::Cell;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// A socket that takes nothing until told to take everything.
struct Stalled(Cell<bool>);

impl Wire for Stalled {
    fn try_write(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(if self.0.get() { slices.iter().map(|s| s.len()).sum() } else { 0 })
    }

    fn poll_writable(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn a_viewer_that_does_not_read_holds_a_bounded_queue_and_later_catches_up() {
    let wire = Rc::new(Stalled(Cell::new(false)));
    let mut slot = Slot::new(wire.clone(), Uuid::nil(), Rc::new(Notify::new()));
    slot.last = Seqs(smallvec::smallvec![(1, Channel::Progress, 0)]);
    let stats = Stats::default();
    let data = serde_json::json!({ "skills": [{ "pad": "x".repeat(1000) }] });
    for seq in 1..=1000 {
        let frame = Arc::new(Frame::channel(&Channel::Progress, false, seq, seq, &data));
        slot.deliver(&Channel::Progress, &frame, &stats);
        assert!(slot.pending_bytes <= MAX_PENDING, "the queue never grows past its bound");
    }
    // Once the queue is full the channel is marked behind: later frames are not
    // queued (and not counted again) until a catch-up continues from `last`.
    assert!(stats.dropped.load(Ordering::Relaxed) >= 1);
    assert_eq!(slot.behind, vec![Channel::Progress], "it will ask for what it missed");
    let last = slot.last.get(&Channel::Progress).unwrap_or(-1);
    assert!(last < 100, "frames after the queue filled were not counted as sent");
    // The socket drains: the queue empties (and gives its memory back).
    wire.0.set(true);
    slot.flush();
    assert_eq!((slot.pending.len(), slot.pending_bytes, slot.pending.capacity()), (0, 0, 0));
    // A merged catch-up continues where it left off; an older frame is skipped.
    let catch_up = Arc::new(Frame::channel(&Channel::Progress, false, last + 1, 1000, &data));
    assert!(matches!(slot.deliver(&Channel::Progress, &catch_up, &stats), Delivery::Written));
    let stale = Arc::new(Frame::channel(&Channel::Progress, false, 999, 999, &data));
    assert!(matches!(slot.deliver(&Channel::Progress, &stale, &stats), Delivery::Skipped));
}

#[tokio::test]
async fn a_real_socket_that_fills_up_gets_every_byte_in_order_once_its_reader_drains_it() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    socket2::SockRef::from(&server).set_send_buffer_size(4096).unwrap();
    socket2::SockRef::from(&client).set_recv_buffer_size(4096).unwrap();
    // A plain socket's slot writes through its descriptor, through the socket once full.
    let mut slot = Slot::new(Rc::new(server), Uuid::nil(), Rc::new(Notify::new()));
    assert!(slot.fd.is_some(), "a plain socket is written through its descriptor");
    let stats = Stats::default();
    // Numbered frames until the socket takes no more, then a few that wait in the queue.
    let mut sent = Vec::new();
    let mut frames = 0u32;
    let mut queued_more = 0;
    while queued_more < 8 {
        let bytes = frame::text_frame(format!("{frames:07}{}", "x".repeat(500)).as_bytes());
        assert!(slot.write(&bytes, &stats), "the queue is far from its bound");
        sent.extend_from_slice(&bytes);
        frames += 1;
        queued_more += usize::from(!slot.pending.is_empty());
        assert!(frames < 100_000, "the socket never filled up");
    }
    assert!(!slot.broken);
    let expected = sent.len();
    let reader = tokio::spawn(async move {
        let mut client = client;
        let mut got = vec![0; expected];
        client.read_exact(&mut got).await.map(|_| got)
    });
    // The queue goes out as the reader makes room: the socket's readiness is not lost.
    while !slot.pending.is_empty() {
        let ready =
            tokio::time::timeout(Duration::from_secs(10), std::future::poll_fn(|cx| slot.wire.poll_writable(cx)));
        ready.await.expect("the socket became writable again").unwrap();
        slot.flush();
    }
    let got = tokio::time::timeout(Duration::from_secs(10), reader).await.unwrap().unwrap().unwrap();
    assert!(got == sent, "every frame arrived whole and in order");
    // Written straight again once drained.
    let last = frame::text_frame(b"last");
    assert!(slot.write(&last, &stats) && slot.pending.is_empty());
}

#[test]
fn a_channel_leaves_the_subscriptions_with_its_last_connection() {
    let key = (Uuid::nil(), Channel::Progress);
    let mut subs = HashMap::from([(key.clone(), Subscription { id: 1, conns: vec![7, 8] })]);
    leave(&mut subs, key.clone(), 7);
    leave(&mut subs, (Uuid::nil(), Channel::Medals), 8); // a channel it is not on
    assert_eq!((subs.len(), subs.get(&key).map(|s| s.conns.clone())), (1, Some(vec![8])));
    leave(&mut subs, key, 8);
    assert!(subs.is_empty());
}

/// A socket that takes every write and counts the frames it took, shared by all of them.
struct Counting(Rc<Cell<usize>>);

impl Wire for Counting {
    fn try_write(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.set(self.0.get() + slices.len());
        Ok(slices.iter().map(|s| s.len()).sum())
    }

    fn poll_writable(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_large_fan_out_lets_the_threads_other_tasks_run_between_its_steps() {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let writes = Rc::new(Cell::new(0));
            let viewers = 3 * FAN_OUT_STEP;
            let shard = Shard(Rc::new(RefCell::new(ShardState {
                id: ShardId(0),
                hub: Hub::start(crate::live::LiveConfig::default()),
                slots: FxHashMap::default(),
                subs: HashMap::new(),
                next_channel: 1,
            })));
            let conns: Vec<ConnId> = (0..viewers as ConnId).collect();
            for &conn in &conns {
                shard.attach(conn, Uuid::nil(), Rc::new(Counting(writes.clone())), Rc::new(Notify::new()));
                let mut state = shard.0.borrow_mut();
                let slot = state.slots.get_mut(&conn).unwrap();
                slot.last = Seqs(smallvec::smallvec![(1, Channel::Progress, 0)]);
            }
            shard.0.borrow_mut().subs.insert((Uuid::nil(), Channel::Progress), Subscription { id: 1, conns });
            // Another task of the thread: it runs at the first pause and closes the last socket.
            let other = tokio::task::spawn_local({
                let (shard, writes) = (shard.clone(), writes.clone());
                async move {
                    shard.detach(viewers as ConnId - 1);
                    writes.get()
                }
            });
            let frame = Arc::new(Frame::channel(&Channel::Progress, false, 1, 1, &serde_json::json!({})));
            shard.fan_out(Uuid::nil(), frame).await;
            assert_eq!(other.await.unwrap(), FAN_OUT_STEP, "it ran after the first step");
            assert_eq!(writes.get(), viewers - 1, "every socket but the one closed meanwhile got the frame");
        })
        .await;
}
