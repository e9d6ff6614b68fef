//! A viewer's TCP socket that also tells when its bytes arrived: the kernel stamps each
//! segment as it reaches the socket (`SO_TIMESTAMPNS`), and every read returns the stamp of
//! the last segment it read.
//!
//! The load generator reads thousands of viewers' sockets on one core, each frame after the
//! other. In an update's burst it reads more slowly than a server writes (about 7 µs a frame
//! against the server's 4–6 µs), so the time a frame is *read* includes the generator's own
//! queue. The kernel's stamp is when the frame reached the viewer's socket: on loopback, when
//! the server's `send` put it there. A frame read together with later ones gets the later
//! stamp, which can only make a latency longer.
use std::io;
use std::mem::{MaybeUninit, size_of};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

/// A TCP stream whose reads record the kernel's arrival stamp.
pub struct Stamped {
    io: TcpStream,
    /// The stamp of the last segment read (wall-clock time, as the kernel gives it).
    last: Option<SystemTime>,
}

impl Stamped {
    /// Turns on the kernel's receive stamps for `io`.
    pub fn new(io: TcpStream) -> io::Result<Stamped> {
        let on: libc::c_int = 1;
        // SAFETY: a valid descriptor, and a pointer to an int of the length given.
        let set = unsafe {
            libc::setsockopt(
                io.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&raw const on).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if set != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Stamped { io, last: None })
    }

    /// When the bytes of the last read reached the socket, if the kernel said.
    pub fn arrived(&self) -> Option<SystemTime> {
        self.last
    }
}

/// One `recvmsg(2)` into `buf`: the bytes read and the last segment's stamp.
fn recv_stamped(fd: RawFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<(usize, Option<SystemTime>)> {
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // Room for one `timespec` control message, aligned for `cmsghdr`.
    let mut control = [0u64; 8];
    // SAFETY: zeroed is a valid `msghdr` (null pointers, zero lengths); the fields set next
    // point to live buffers of the lengths given.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of::<[u64; 8]>() as _;
    // SAFETY: `msg` describes `buf` and `control`, both live and writable for the call.
    let read = unsafe { libc::recvmsg(fd, &raw mut msg, libc::MSG_DONTWAIT) };
    let read = usize::try_from(read).map_err(|_| io::Error::last_os_error())?;
    let mut stamp = None;
    // SAFETY: the kernel filled `msg`'s control part; the CMSG macros walk it within
    // `msg_controllen`, and a `SCM_TIMESTAMPNS` message carries one `timespec`.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&raw const msg);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET && (*header).cmsg_type == libc::SCM_TIMESTAMPNS {
                let at: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast());
                stamp = Some(UNIX_EPOCH + Duration::new(at.tv_sec as u64, at.tv_nsec as u32));
            }
            header = libc::CMSG_NXTHDR(&raw const msg, header);
        }
    }
    Ok((read, stamp))
}

impl AsyncRead for Stamped {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            ready!(this.io.poll_read_ready(cx))?;
            let fd = this.io.as_raw_fd();
            // SAFETY: `recvmsg` only writes the bytes it reports; those are marked initialised.
            let unfilled = unsafe { buf.unfilled_mut() };
            match this.io.try_io(Interest::READABLE, || recv_stamped(fd, unfilled)) {
                Ok((read, stamp)) => {
                    if stamp.is_some() {
                        this.last = stamp;
                    }
                    // SAFETY: `recvmsg` wrote `read` bytes at the start of the unfilled part.
                    unsafe { buf.assume_init(read) };
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                // The readiness was stale: `try_io` cleared it, wait for the next event.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Stamped {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Converts the kernel's wall-clock stamps to the monotonic clock the sender's times use, by
/// one pair of readings of both clocks taken at the start of a run.
#[derive(Clone, Copy)]
pub struct Clocks {
    instant: Instant,
    wall: SystemTime,
}

impl Clocks {
    pub fn now() -> Clocks {
        Clocks { instant: Instant::now(), wall: SystemTime::now() }
    }

    /// The monotonic time of a wall-clock stamp (stamps before the start map to the start).
    pub fn instant(&self, wall: SystemTime) -> Instant {
        self.instant + wall.duration_since(self.wall).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_read_tells_when_its_bytes_reached_the_socket() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let mut client = Stamped::new(client).unwrap();
        let clocks = Clocks::now();
        assert!(client.arrived().is_none());
        let mut buf = [0u8; 64];
        // The kernel starts stamping shortly after the first socket asks (a deferred switch).
        for _ in 0..200 {
            server.write_all(b"warm").await.unwrap();
            let n = client.read(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"warm");
            if client.arrived().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(client.arrived().is_some(), "the kernel stamps TCP reads");

        let before = Instant::now();
        server.write_all(b"first").await.unwrap();
        // The frame waits in the socket before it is read: the stamp is its arrival.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = client.read(&mut buf).await.unwrap();
        let read_at = Instant::now();
        assert_eq!(&buf[..n], b"first");
        let arrived = clocks.instant(client.arrived().unwrap());
        assert!(arrived >= before, "arrived before it was sent");
        assert!(read_at.duration_since(arrived) >= Duration::from_millis(40), "the stamp is the read's time");

        // The next read has the next segment's stamp; the written side still works.
        server.write_all(b"second").await.unwrap();
        let n = client.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        assert!(clocks.instant(client.arrived().unwrap()) > arrived);
        client.write_all(b"back").await.unwrap();
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
    }
}
