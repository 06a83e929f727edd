//! A private nginx for tests: its own prefix directory, one process, a
//! free loopback port, stopped on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long nginx may take to start listening before the test gives up.
const START_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Nginx {
    child: Child,
    dir: PathBuf,
    pub port: u16,
}

impl Nginx {
    /// Starts nginx with `server_body` as the content of its one `server`
    /// block (`listen` is added). `{dir}` in it stands for nginx's own
    /// directory. Every request is logged as `$status $uri` (the path after
    /// nginx decoded and normalised it) to `access.log`, read with
    /// [`Nginx::access_log`].
    pub fn start(name: &str, server_body: &str) -> Nginx {
        let dir = super::c_build::profile_dir()
            .join("nginx")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create nginx dir");
        // nginx cannot report a port it picked itself, so take a free one
        // from the kernel and hand it over; on the rare race where another
        // process grabs it first, nginx fails to bind and we try again.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let conf = dir.join("nginx.conf");
            std::fs::write(&conf, config(&dir, port, server_body)).expect("write nginx.conf");
            let child = Command::new("nginx")
                .arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(&conf)
                .arg("-e")
                .arg(dir.join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn nginx");
            let mut nginx = Nginx {
                child,
                dir: dir.clone(),
                port,
            };
            if nginx.wait_listening() {
                return nginx;
            }
        }
        panic!(
            "nginx did not start; its error log:\n{}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
    }

    fn wait_listening(&mut self) -> bool {
        let until = Instant::now() + START_TIMEOUT;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The access log's lines so far (`$status $uri`).
    pub fn access_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The access log once it has at least `n` lines (or after 5 s, as it
    /// is then). nginx writes a request's line after the response has
    /// gone out, so a client that has its answer may look too early.
    pub fn access_log_of_at_least(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.access_log();
            if log.len() >= n || Instant::now() >= deadline {
                return log;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `method raw_path` as written, bypassing any client library,
    /// and returns the response's status code and body.
    pub fn raw_request(&self, method: &str, raw_path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to nginx");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "{method} {raw_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("read nginx reply");
        let status = reply
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {reply:?}"));
        let body = reply.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (status, body)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The main context of a config for an nginx that a test runs alone in
/// the foreground: one process (no daemon, no master, one worker), its pid
/// file and error log (at `log_level`) in `dir`.
pub fn foreground_main(dir: &std::path::Path, log_level: &str, worker_connections: u32) -> String {
    let dir = dir.display();
    format!(
        "worker_processes 1;
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log {log_level};
events {{ worker_connections {worker_connections}; }}
"
    )
}

fn config(dir: &std::path::Path, port: u16, server_body: &str) -> String {
    let main = foreground_main(dir, "warn", 64);
    let dir = dir.display().to_string();
    format!(
        "{main}http {{
    log_format probe '$status $uri';
    access_log {dir}/access.log probe;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        {body}
    }}
}}
",
        body = server_body.replace("{dir}", &dir)
    )
}
