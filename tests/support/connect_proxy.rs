//! A working HTTP CONNECT proxy on loopback, as corporate networks put in
//! front of encoders: it reads the CONNECT head, opens the tunnel to the
//! target and copies bytes both ways until either side closes. It records
//! each CONNECT's head, so tests can see the target and the credentials the
//! client sent.

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use super::raw_peer::read_head;

pub struct ConnectProxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<Vec<String>>>>,
}

impl ConnectProxy {
    /// Serves until the test process ends (each tunnel on its own threads).
    pub fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let recorded = recorded.clone();
                thread::spawn(move || tunnel(client, &recorded));
            }
        });
        ConnectProxy { addr, heads }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The head of every CONNECT so far, one line per element.
    pub fn connects(&self) -> Vec<Vec<String>> {
        self.heads.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, recorded: &Mutex<Vec<Vec<String>>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let head = read_head(&mut reader);
    let target = head
        .first()
        .and_then(|l| l.strip_prefix("CONNECT "))
        .and_then(|l| l.split(' ').next())
        .map(str::to_owned);
    recorded.lock().unwrap().push(head);
    let Some(upstream) = target.and_then(|t| TcpStream::connect(t).ok()) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if (&client)
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    // A client speaks only after the 200, so the reader holds nothing
    // buffered past the head: copying from the socket loses no byte.
    relay(&client, &upstream);
}

/// Copies bytes both ways between an accepted client and the target the
/// proxy opened for it, until either side closes; then closes both.
pub fn relay(client: &TcpStream, upstream: &TcpStream) {
    let (up_read, client_write) = (upstream.try_clone().unwrap(), client.try_clone().unwrap());
    let down = thread::spawn(move || {
        let _ = std::io::copy(&mut &up_read, &mut &client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Both);
    });
    let _ = std::io::copy(&mut &*client, &mut &*upstream);
    let _ = upstream.shutdown(std::net::Shutdown::Both);
    let _ = down.join();
}
