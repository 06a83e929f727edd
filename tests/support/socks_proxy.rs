//! A working SOCKS5 proxy on loopback (RFC 1928, with the RFC 1929
//! username/password login when it is given credentials), as some
//! networks put in front of encoders instead of an HTTP proxy. It records
//! each CONNECT's target and the login it was offered, then relays bytes
//! both ways like [`super::connect_proxy`].

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use super::connect_proxy::relay;

/// What one client asked of the proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocksRequest {
    /// The login the client sent, if the proxy asked for one.
    pub login: Option<(String, String)>,
    /// The target as the client named it: `host:port` for a domain name
    /// (the proxy resolves it, `socks5h`), `ip:port` for an address.
    pub target: String,
}

pub struct SocksProxy {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<SocksRequest>>>,
}

impl SocksProxy {
    /// Serves until the test process ends. With `login`, only clients that
    /// log in with exactly that user and password are served.
    pub fn start(login: Option<(&str, &str)>) -> SocksProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SOCKS proxy");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let login = login.map(|(u, p)| (u.to_owned(), p.to_owned()));
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (recorded, login) = (recorded.clone(), login.clone());
                thread::spawn(move || {
                    let _ = serve(client, login.as_ref(), &recorded);
                });
            }
        });
        SocksProxy { addr, requests }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request that reached the CONNECT step, in order.
    pub fn requests(&self) -> Vec<SocksRequest> {
        self.requests.lock().unwrap().clone()
    }
}

const NO_AUTH: u8 = 0;
const USER_PASS: u8 = 2;
const NO_ACCEPTABLE: u8 = 0xff;

fn serve(
    mut client: TcpStream,
    wanted: Option<&(String, String)>,
    recorded: &Mutex<Vec<SocksRequest>>,
) -> std::io::Result<()> {
    let [version, n] = read_array(&mut client)?;
    assert_eq!(version, 5, "not a SOCKS5 greeting");
    let methods = read_vec(&mut client, n.into())?;
    let method = if wanted.is_some() { USER_PASS } else { NO_AUTH };
    if !methods.contains(&method) {
        return client.write_all(&[5, NO_ACCEPTABLE]);
    }
    client.write_all(&[5, method])?;

    let login = match wanted {
        None => None,
        Some(wanted) => {
            let [_version, n] = read_array(&mut client)?;
            let user = read_string(&mut client, n.into())?;
            let [n] = read_array(&mut client)?;
            let password = read_string(&mut client, n.into())?;
            let login = (user, password);
            let ok = &login == wanted;
            client.write_all(&[1, if ok { 0 } else { 1 }])?;
            if !ok {
                return Ok(());
            }
            Some(login)
        }
    };

    let [_version, command, _reserved, kind] = read_array(&mut client)?;
    assert_eq!(command, 1, "only CONNECT is expected");
    let host = match kind {
        1 => Ipv4Addr::from(read_array::<4>(&mut client)?).to_string(),
        4 => format!("[{}]", Ipv6Addr::from(read_array::<16>(&mut client)?)),
        3 => {
            let [n] = read_array(&mut client)?;
            read_string(&mut client, n.into())?
        }
        other => panic!("unknown SOCKS address type {other}"),
    };
    let port = u16::from_be_bytes(read_array(&mut client)?);
    let target = format!("{host}:{port}");
    recorded.lock().unwrap().push(SocksRequest {
        login,
        target: target.clone(),
    });

    let Ok(upstream) = TcpStream::connect(&target) else {
        // 5: connection refused, with an empty IPv4 bound address.
        return client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    };
    let bound = upstream.local_addr()?;
    let mut reply = vec![5, 0, 0];
    match bound {
        SocketAddr::V4(a) => {
            reply.push(1);
            reply.extend(a.ip().octets());
        }
        SocketAddr::V6(a) => {
            reply.push(4);
            reply.extend(a.ip().octets());
        }
    }
    reply.extend(bound.port().to_be_bytes());
    client.write_all(&reply)?;
    relay(&client, &upstream);
    Ok(())
}

fn read_array<const N: usize>(from: &mut TcpStream) -> std::io::Result<[u8; N]> {
    let mut bytes = [0; N];
    from.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn read_vec(from: &mut TcpStream, n: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; n];
    from.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn read_string(from: &mut TcpStream, n: usize) -> std::io::Result<String> {
    Ok(String::from_utf8_lossy(&read_vec(from, n)?).into_owned())
}
