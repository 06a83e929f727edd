//! A loopback peer that answers every connection with fixed bytes: the
//! misbehaving servers and proxies that the sandbox, a well-behaved HTTP
//! server, cannot imitate (malformed status lines, giant headers, a proxy
//! that refuses the tunnel).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub struct RawPeer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl RawPeer {
    /// Reads each request's head, answers `reply`, and closes.
    pub fn start(reply: Vec<u8>) -> RawPeer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind raw peer");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    requests.fetch_add(1, Ordering::SeqCst);
                    answer(conn, &reply);
                }
            })
        };
        RawPeer {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
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

fn answer(conn: TcpStream, reply: &[u8]) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    read_head(&mut BufReader::new(&conn));
    // The client may hang up half way through a giant reply; that is the
    // behaviour under test, not an error here.
    let _ = (&conn).write_all(reply);
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
