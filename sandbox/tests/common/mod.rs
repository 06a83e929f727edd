//! A deliberately tiny HTTP/1.1 client over std sockets, so the tests see
//! exactly the bytes on the wire (and can tell "no response" from "broken
//! response") without depending on an HTTP client library.

#![allow(dead_code)] // each test binary uses a different subset

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;
use uiza_sandbox::{Sandbox, SandboxConfig, DEFAULT_API_KEY, SEED_ENTITY_ID};

pub const RESET_PATH: &str = "/v1/live_entities/22013d8a-d5fa-48f0-9a63-1f471ca9e81d/stream_key";

pub const BODY_400: &str = "{\n \"message\": \"Your request is missing id parameter. Please, verify and resubmit.\",\n \"error_type\": \"invalid_request_error\"\n}";
pub const BODY_401: &str = "{\n \"message\": \"You are unauthorized to access the requested resource. Please verify and resubmit.\",\n \"error_type\": \"invalid_request_error\"\n}";
pub const BODY_404: &str = "{\n \"message\": \"The live entity you requested does not exist.\",\n \"error_type\": \"invalid_request_error\"\n}";
pub const BODY_500: &str = "{\n \"message\": \"An unexpected error occurred on Uiza's end.\",\n \"error_type\": \"api_error\"\n}";

/// The address of the `http://ADDR` line that the uiza-sandbox binary
/// prints first on `stdout`.
pub fn read_listen_addr<R: BufRead>(stdout: &mut R) -> SocketAddr {
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    url.trim()
        .strip_prefix("http://")
        .expect("http URL")
        .parse()
        .unwrap()
}

/// Sends SIGTERM to a uiza-sandbox binary (through kill(1)); whether the
/// signal was sent.
pub fn sigterm(child: &std::process::Child) -> bool {
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success()
}

pub fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).expect("sandbox starts")
}

pub fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    BufReader::new(stream)
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// Writes one request; `auth` becomes the Authorization header.
pub fn send<S: Write>(stream: &mut S, method: &str, path: &str, auth: Option<&str>) {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: sandbox\r\nAccept: */*\r\nContent-Length: 0\r\n"
    );
    if let Some(key) = auth {
        req.push_str(&format!("Authorization: {key}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("write request");
    stream.flush().expect("flush");
}

/// Status code and headers.
pub type Head = (u16, Vec<(String, String)>);

/// Status line and headers; `Ok(None)` if the server closed the connection
/// without sending a single byte.
pub fn read_head<R: BufRead>(r: &mut R) -> io::Result<Option<Head>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad status line {line:?}"),
            )
        })?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            return Ok(Some((status, headers)));
        }
        let (n, v) = l.split_once(':').expect("header line");
        headers.push((n.trim().to_owned(), v.trim().to_owned()));
    }
}

/// Reads a whole response, erroring if the body is cut short.
pub fn read_response<R: BufRead>(r: &mut R) -> io::Result<Option<Resp>> {
    let Some((status, headers)) = read_head(r)? else {
        return Ok(None);
    };
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
    };
    if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            if r.read_line(&mut size)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let n = usize::from_str_radix(size.trim(), 16)
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            resp.body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let len: usize = resp
            .header("content-length")
            .map_or(0, |v| v.parse().expect("length"));
        resp.body = vec![0; len];
        r.read_exact(&mut resp.body)?;
    }
    Ok(Some(resp))
}

/// One request on a fresh connection.
pub fn request(
    sandbox: &Sandbox,
    method: &str,
    path: &str,
    auth: Option<&str>,
) -> io::Result<Option<Resp>> {
    let mut conn = connect(sandbox.addr());
    send(conn.get_mut(), method, path, auth);
    read_response(&mut conn)
}

/// A reset of the seed entity with the default key, expected to succeed.
pub fn reset_seed(sandbox: &Sandbox) -> Resp {
    request(sandbox, "PUT", RESET_PATH, Some(DEFAULT_API_KEY))
        .expect("response")
        .expect("not dropped")
}

pub fn seed(sandbox: &Sandbox) -> Value {
    sandbox.entity(SEED_ENTITY_ID).expect("seed entity")
}
