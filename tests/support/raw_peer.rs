//! A loopback peer that answers every request with fixed bytes: the
//! misbehaving servers and proxies that the sandbox, a well-behaved HTTP
//! server, cannot imitate (malformed status lines, giant headers, a proxy
//! that refuses the tunnel), and the unusual but valid framings of real
//! servers and middleboxes.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long the peer waits for a request on a new connection.
const FIRST_REQUEST_WAIT: Duration = Duration::from_secs(5);

pub struct RawPeer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    counts: Arc<Counts>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    requests: AtomicUsize,
    closed: AtomicUsize,
}

/// What a connection does after it has answered a request.
#[derive(Clone, Copy)]
enum Reuse {
    /// It closes.
    Never,
    /// It answers further requests, and closes once it has waited this
    /// long for one.
    UntilIdle(Duration),
    /// It takes the next request, then closes without answering it.
    DropNext,
}

impl RawPeer {
    /// Reads each connection's request, answers `reply`, and closes.
    pub fn start(reply: Vec<u8>) -> RawPeer {
        RawPeer::serve(reply, Reuse::Never)
    }

    /// Answers `reply` to every request of a connection, as a keep-alive
    /// server does, and closes the connection once it has waited `idle`
    /// for another request (nginx's `keepalive_timeout`, a load
    /// balancer's idle timeout). Whatever `reply` says about the
    /// connection, only `idle` decides when it closes.
    pub fn keep_alive(reply: Vec<u8>, idle: Duration) -> RawPeer {
        RawPeer::serve(reply, Reuse::UntilIdle(idle))
    }

    /// Answers the first request of each connection and keeps it open,
    /// but closes it when the next request arrives, unanswered: a server
    /// whose idle timer fires just as a client reuses the connection.
    pub fn closing_on_reuse(reply: Vec<u8>) -> RawPeer {
        RawPeer::serve(reply, Reuse::DropNext)
    }

    fn serve(reply: Vec<u8>, reuse: Reuse) -> RawPeer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind raw peer");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        let reply = Arc::new(reply);
        let thread = {
            let (stop, counts) = (stop.clone(), counts.clone());
            thread::spawn(move || {
                let mut open = Vec::new();
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    counts.connections.fetch_add(1, Ordering::SeqCst);
                    let (reply, counts) = (reply.clone(), counts.clone());
                    open.push(thread::spawn(move || answer(conn, &reply, reuse, &counts)));
                }
                for t in open {
                    let _ = t.join();
                }
            })
        };
        RawPeer {
            addr,
            stop,
            counts,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far, over all connections, answered or not.
    pub fn requests(&self) -> usize {
        self.counts.requests.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.counts.connections.load(Ordering::SeqCst)
    }

    /// Connections this peer has closed (or seen closed) so far.
    pub fn closed(&self) -> usize {
        self.counts.closed.load(Ordering::SeqCst)
    }
}

/// The lines of a request head (without their CRLF), read up to the empty
/// line that ends it; fewer if the peer stops sending.
pub fn read_head(reader: &mut impl BufRead) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if line == "\r\n" {
            break;
        }
        lines.push(line.trim_end_matches(['\r', '\n']).to_owned());
        line.clear();
    }
    lines
}

/// Reads one request: its head and a body of its `Content-Length` (the
/// library never sends a chunked one). False if none came, or only part
/// of one, before the connection closed or the read timed out.
fn read_request(reader: &mut impl BufRead) -> bool {
    let head = read_head(reader);
    if head.is_empty() {
        return false;
    }
    let length = head
        .iter()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .map_or(Some(0), |(_, value)| value.trim().parse::<u64>().ok());
    let Some(length) = length else { return false };
    io::copy(&mut reader.take(length), &mut io::sink()).is_ok_and(|n| n == length)
}

fn answer(conn: TcpStream, reply: &[u8], reuse: Reuse, counts: &Counts) {
    let _ = conn.set_read_timeout(Some(FIRST_REQUEST_WAIT));
    let mut reader = BufReader::new(&conn);
    let mut answered = false;
    while read_request(&mut reader) {
        counts.requests.fetch_add(1, Ordering::SeqCst);
        if answered && matches!(reuse, Reuse::DropNext) {
            break;
        }
        // The client may hang up half way through a giant reply; that is
        // the behaviour under test, not an error here.
        if (&conn).write_all(reply).is_err() {
            break;
        }
        answered = true;
        match reuse {
            Reuse::Never => break,
            Reuse::UntilIdle(idle) => {
                let _ = conn.set_read_timeout(Some(idle));
            }
            Reuse::DropNext => {}
        }
    }
    // Dropping the stream closes it: nothing unread is left behind, so the
    // close is a FIN (the end of a close-delimited body), not a reset.
    drop(reader);
    drop(conn);
    counts.closed.fetch_add(1, Ordering::SeqCst);
}

impl Drop for RawPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
