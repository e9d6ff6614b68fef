//! The socket of a live connection: plain TCP, or TCP with the TLS session the handshake
//! left (HTTPS on the venue LAN). Both are used the same way, from one thread: the shard
//! writes frames without waiting, the connection reads what the client sends.
//!
//! Under TLS the session is driven by hand (no `tokio-rustls` stream per connection): frames
//! are encrypted into records and written with the same non-blocking writes as plain TCP,
//! and records that the socket did not take yet are the socket's backlog, flushed by the
//! shard like its own queue.
use super::shard::Wire;
use bytes::BytesMut;
use rustls::ServerConnection;
use std::cell::RefCell;
use std::io::{self, IoSlice, Read, Write};
use std::task::{Context, Poll, ready};
use tokio::net::TcpStream;

/// Plaintext a TLS session encrypts ahead of the socket before it takes no more.
const TLS_BUFFER: usize = 64 * 1024;

pub enum Socket {
    Plain(TcpStream),
    /// Boxed: a session is over a kilobyte, and most venues' viewers come over plain TCP.
    Tls(Box<TlsSocket>),
}

pub struct TlsSocket {
    tcp: TcpStream,
    session: RefCell<ServerConnection>,
}

/// A stream the HTTP server upgraded, made a live socket.
pub trait IntoSocket: tokio::io::AsyncWrite + Unpin + 'static {
    fn into_socket(self) -> Socket;
}

impl IntoSocket for TcpStream {
    fn into_socket(self) -> Socket {
        Socket::Plain(self)
    }
}

impl IntoSocket for tokio_rustls::server::TlsStream<TcpStream> {
    fn into_socket(self) -> Socket {
        let (tcp, session) = self.into_inner();
        Socket::tls(tcp, session)
    }
}

impl Socket {
    /// A socket whose TLS handshake is done: the session keeps what it decrypted already.
    pub fn tls(tcp: TcpStream, mut session: ServerConnection) -> Socket {
        session.set_buffer_limit(Some(TLS_BUFFER));
        Socket::Tls(Box::new(TlsSocket { tcp, session: RefCell::new(session) }))
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            Socket::Plain(tcp) => tcp,
            Socket::Tls(tls) => &tls.tcp,
        }
    }

    /// Waits until `try_read_buf` may have something (or an end) to return.
    pub async fn readable(&self) -> io::Result<()> {
        if let Socket::Tls(tls) = self
            && tls.has_plaintext()?
        {
            return Ok(());
        }
        self.tcp().readable().await
    }

    /// Reads what the client sent (decrypted); `Ok(0)` at its end, `WouldBlock` when nothing.
    pub fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Socket::Plain(tcp) => tcp.try_read_buf(buf),
            Socket::Tls(tls) => tls.try_read_buf(buf),
        }
    }

    /// Ends the writing side (a TLS `close_notify` first) once what is written went out.
    pub async fn shutdown_write(&self) {
        if let Socket::Tls(tls) = self {
            tls.session.borrow_mut().send_close_notify();
            let _ = std::future::poll_fn(|cx| tls.poll_writable(cx)).await;
        }
        let _ = socket2::SockRef::from(self.tcp()).shutdown(std::net::Shutdown::Write);
    }

    /// Reads and discards until the client closes its side.
    pub async fn drain(&self) {
        let tcp = self.tcp();
        let mut scrap = [0u8; 1024];
        while tcp.readable().await.is_ok() {
            match tcp.try_read(&mut scrap) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }
}

impl Wire for Socket {
    fn try_write(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Socket::Plain(tcp) => Wire::try_write(tcp, slices),
            Socket::Tls(tls) => tls.try_write(slices),
        }
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Socket::Plain(tcp) => Wire::poll_writable(tcp, cx),
            Socket::Tls(tls) => tls.poll_writable(cx),
        }
    }

    fn raw_fd(&self) -> Option<std::os::fd::RawFd> {
        match self {
            Socket::Plain(tcp) => Wire::raw_fd(tcp),
            Socket::Tls(_) => None,
        }
    }

    fn backlog(&self) -> bool {
        match self {
            Socket::Plain(_) => false,
            Socket::Tls(tls) => tls.session.borrow().wants_write(),
        }
    }
}

/// `std::io` over a tokio socket's non-blocking calls, for rustls.
struct Io<'a>(&'a TcpStream);

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TlsSocket {
    /// Writes the records the session holds until the socket takes no more; true when none
    /// is left.
    fn write_records(&self, session: &mut ServerConnection) -> io::Result<bool> {
        while session.wants_write() {
            match session.write_tls(&mut Io(&self.tcp)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn try_write(&self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut session = self.session.borrow_mut();
        // Older records first; while some wait, nothing new is encrypted (bounded memory).
        if !self.write_records(&mut session)? {
            return Ok(0);
        }
        let taken = session.writer().write_vectored(slices)?;
        self.write_records(&mut session)?;
        Ok(taken)
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut session = self.session.borrow_mut();
            if !session.wants_write() {
                return self.tcp.poll_write_ready(cx);
            }
            ready!(self.tcp.poll_write_ready(cx))?;
            if self.write_records(&mut session)? {
                return Poll::Ready(Ok(()));
            }
            // The socket filled up again: the next poll registers for its next edge.
        }
    }

    fn has_plaintext(&self) -> io::Result<bool> {
        let mut session = self.session.borrow_mut();
        let state = session.process_new_packets().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(state.plaintext_bytes_to_read() > 0 || state.peer_has_closed())
    }

    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let mut session = self.session.borrow_mut();
        loop {
            let state = session.process_new_packets().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            // The peer's messages may call for an answer (a key update, an alert).
            self.write_records(&mut session)?;
            let available = state.plaintext_bytes_to_read();
            if available > 0 {
                let start = buf.len();
                buf.resize(start + available, 0);
                let n = session.reader().read(&mut buf[start..])?;
                buf.truncate(start + n);
                return Ok(n);
            }
            if state.peer_has_closed() {
                return Ok(0);
            }
            match session.read_tls(&mut Io(&self.tcp)) {
                Ok(0) => return Ok(0),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A TLS session over loopback: the server's side as a live socket, the client's stream.
    async fn pair() -> (Socket, tokio_rustls::client::TlsStream<TcpStream>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls_pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.der().clone()).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let connect = async {
            let tcp = TcpStream::connect(address).await.unwrap();
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            tokio_rustls::TlsConnector::from(Arc::new(client)).connect(name, tcp).await.unwrap()
        };
        let accept = async {
            let (tcp, _) = listener.accept().await.unwrap();
            tokio_rustls::TlsAcceptor::from(Arc::new(server)).accept(tcp).await.unwrap()
        };
        let (client, server) = tokio::join!(connect, accept);
        (server.into_socket(), client)
    }

    #[tokio::test]
    async fn a_tls_socket_that_is_not_read_takes_a_bounded_amount_then_delivers_everything_in_order() {
        let (socket, mut client) = pair().await;
        let Socket::Tls(tls) = &socket else { panic!("a TLS socket") };
        // Write until the socket takes nothing more: the client reads nothing meanwhile.
        let chunk: Vec<u8> = (0..16 * 1024).map(|i| (i % 251) as u8).collect();
        let mut written = 0usize;
        loop {
            let n = socket.try_write(&[IoSlice::new(&chunk[written % chunk.len()..])]).unwrap();
            if n == 0 {
                break;
            }
            written += n;
            assert!(written < 64 * 1024 * 1024, "a socket nobody reads must stop taking bytes");
        }
        assert!(socket.backlog(), "what it took but could not send waits as records");
        assert!(tls.session.borrow().wants_write());
        // The client reads; the server flushes as the socket drains, then writes the rest.
        let expected: Vec<u8> = (0..written + chunk.len()).map(|i| (i % chunk.len() % 251) as u8).collect();
        let reader = tokio::spawn(async move {
            let mut received = vec![0u8; expected.len()];
            client.read_exact(&mut received).await.unwrap();
            assert!(received == expected, "bytes arrive whole and in order");
            client.write_all(b"bye").await.unwrap();
            client.shutdown().await.unwrap();
        });
        let mut rest = written % chunk.len();
        let target = written + chunk.len();
        while written < target || socket.backlog() {
            std::future::poll_fn(|cx| socket.poll_writable(cx)).await.unwrap();
            if written < target {
                let end = chunk.len().min(rest + target - written);
                let n = socket.try_write(&[IoSlice::new(&chunk[rest..end])]).unwrap();
                written += n;
                rest = (rest + n) % chunk.len();
            }
        }
        // And it reads what the client sends back, then the client's end.
        let mut buf = BytesMut::new();
        while buf.len() < 3 {
            socket.readable().await.unwrap();
            match socket.try_read_buf(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => assert!(other.unwrap() > 0),
            }
        }
        assert_eq!(&buf[..], b"bye");
        reader.await.unwrap();
        loop {
            socket.readable().await.unwrap();
            match socket.try_read_buf(&mut buf) {
                Ok(0) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => panic!("expected the end, got {other:?}"),
            }
        }
    }
}
