//! The write side of a socket, as the shard needs it, and a plain TCP socket's.
use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

/// The write side of a socket, as the shard needs it.
pub trait Wire {
    /// Writes what the socket takes now without waiting; `Ok(0)` when it takes nothing.
    fn try_write(&self, slices: &[IoSlice<'_>]) -> io::Result<usize>;
    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Bytes taken by `try_write` that the socket itself has not taken yet (TLS records).
    fn backlog(&self) -> bool {
        false
    }
    /// The descriptor of a plain TCP socket, which the shard may write to directly.
    fn raw_fd(&self) -> Option<RawFd> {
        None
    }
}

impl Wire for tokio::net::TcpStream {
    fn try_write(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        let written = match slices {
            // One frame, as nearly every delivery is: send(2) goes straight to the socket,
            // where writev(2) first walks the file layer and copies in the iovec array.
            [one] => self.try_io(tokio::io::Interest::WRITABLE, || send(self.as_raw_fd(), one)),
            _ => self.try_write_vectored(slices),
        };
        match written {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            other => other,
        }
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_write_ready(cx)
    }

    fn raw_fd(&self) -> Option<RawFd> {
        Some(self.as_raw_fd())
    }
}

/// One non-blocking `send(2)` (no SIGPIPE: a closed peer is an error, as with `write`). The
/// caller keeps the socket open: its stream is borrowed, or held by the same slot.
pub(super) fn send(fd: RawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: the pointer and length are those of a live slice; a descriptor that is not
    // open makes the call fail, it touches no memory of ours.
    let sent = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}
