//! The live-ingest rig: the sandbox as ingest authority behind a private
//! nginx-rtmp, ffmpeg publishers, the uiza-obs plugin built with CMake, and
//! the headless OBS host (`tests/c/obs_host.c`) under Xvfb.
//!
//! Everything listens on 127.0.0.1 on ports the kernel picked, and every
//! process started here is stopped (its whole process group) on drop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use uiza_sandbox::{IngestPolicy, Sandbox, SandboxConfig, DEFAULT_API_KEY, SEED_ENTITY_ID};

use super::c_build::{compile_c, lib_dir, profile_dir, repo_root};
use super::tools::describe;
use super::tools::{c_compiler_available, path_available, pkg_config_available, tool_available};

/// Where the obs-studio package puts OBS's own plugins and their data.
pub const OBS_PLUGINS_DIR: &str = "/usr/lib/x86_64-linux-gnu/obs-plugins";
pub const OBS_PLUGIN_DATA_DIR: &str = "/usr/share/obs/obs-plugins";
/// The nginx-rtmp module of libnginx-mod-rtmp.
pub const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
/// The nginx-rtmp application the ingest URL names.
pub const APP: &str = "live";
/// How long one live test may take, start to end.
pub const TEST_BUDGET: Duration = Duration::from_secs(40);

/// Fails when a test that started at `started` has run past `TEST_BUDGET`.
pub fn assert_within_budget(started: Instant) {
    assert!(
        started.elapsed() < TEST_BUDGET,
        "took {:?}",
        started.elapsed()
    );
}

// ---- tools ---------------------------------------------------------------

/// What building and hosting the plugin needs: a C compiler, cmake,
/// libobs-dev, OBS's plugins (obs-studio), xvfb-run and xauth.
pub fn obs_tools_present() -> bool {
    c_compiler_available()
        && tool_available("cmake", &["--version"], "cmake")
        && pkg_config_available("libobs", "libobs-dev")
        && path_available(OBS_PLUGINS_DIR, "obs-studio")
        && tool_available("xvfb-run", &["--help"], "xvfb")
        && tool_available("xauth", &["-V"], "xauth")
}

/// What an ingest needs: nginx with the RTMP module, and ffmpeg.
pub fn ingest_tools_present() -> bool {
    tool_available("nginx", &["-v"], "nginx")
        && path_available(RTMP_MODULE, "libnginx-mod-rtmp")
        && tool_available("ffmpeg", &["-version"], "ffmpeg")
}

/// Both, plus the encoder and output modules OBS streams with.
pub fn obs_live_tools_present() -> bool {
    obs_tools_present()
        && ["obs-x264", "obs-ffmpeg", "obs-outputs"]
            .iter()
            .all(|m| path_available(&format!("{OBS_PLUGINS_DIR}/{m}.so"), "obs-studio"))
        && ingest_tools_present()
}

// ---- processes -----------------------------------------------------------

/// A child in a process group of its own, killed with its group on drop.
pub struct Group {
    pub child: Child,
}

impl Group {
    pub fn spawn(cmd: &mut Command) -> Group {
        cmd.process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", describe(cmd)));
        Group { child }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the child to exit.
    pub fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= until {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM to the group, then SIGKILL if it lingers.
    pub fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let group = -(self.child.id() as i32);
        unsafe { libc::kill(group, libc::SIGTERM) };
        if self.wait_timeout(Duration::from_secs(3)).is_none() {
            unsafe { libc::kill(group, libc::SIGKILL) };
            let _ = self.child.wait();
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A fresh folder under `target/<profile>/live/`.
pub fn work_dir(name: &str) -> PathBuf {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let dir = profile_dir().join("live").join(format!(
        "{name}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create work dir");
    dir
}

// ---- nginx-rtmp ----------------------------------------------------------

/// A private nginx-rtmp: one `live` application whose callbacks go to a
/// sandbox, and an HTTP `rtmp_stat` page.
pub struct RtmpIngest {
    process: Option<Group>,
    dir: PathBuf,
    pub rtmp_port: u16,
    pub http_port: u16,
}

impl RtmpIngest {
    /// `sandbox_url: None` leaves out the callbacks: an open ingest that
    /// takes any key.
    fn try_start(
        dir: &Path,
        rtmp_port: u16,
        sandbox_url: Option<&str>,
        update_every: Duration,
    ) -> Result<RtmpIngest, String> {
        let http_port = free_port();
        let d = dir.display();
        let update = update_every.as_millis();
        let callbacks = match sandbox_url {
            Some(url) => format!(
                "on_publish {url}/__ingest/on_publish;
            on_update {url}/__ingest/on_update;
            notify_update_timeout {update}ms;
            on_publish_done {url}/__ingest/on_publish_done;"
            ),
            None => String::new(),
        };
        let main = super::nginx::foreground_main(dir, "info", 128);
        let conf = format!(
            "load_module {RTMP_MODULE};
{main}rtmp {{
    server {{
        listen 127.0.0.1:{rtmp_port};
        application {APP} {{
            live on;
            {callbacks}
        }}
    }}
}}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{http_port};
        location /stat {{ rtmp_stat all; }}
    }}
}}
"
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
        let mut ingest = RtmpIngest {
            process: None,
            dir: dir.to_owned(),
            rtmp_port,
            http_port,
        };
        match ingest.launch() {
            Ok(()) => Ok(ingest),
            Err(log) => Err(log),
        }
    }

    fn launch(&mut self) -> Result<(), String> {
        let dir = &self.dir;
        let mut process = Group::spawn(
            Command::new("nginx")
                .arg("-p")
                .arg(dir)
                .arg("-c")
                .arg(dir.join("nginx.conf"))
                .arg("-e")
                .arg(dir.join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if process.child.try_wait().ok().flatten().is_some() {
                break;
            }
            if TcpStream::connect(("127.0.0.1", self.rtmp_port)).is_ok()
                && TcpStream::connect(("127.0.0.1", self.http_port)).is_ok()
            {
                self.process = Some(process);
                return Ok(());
            }
            thread::sleep(Duration::from_millis(20));
        }
        process.stop();
        Err(std::fs::read_to_string(dir.join("error.log")).unwrap_or_default())
    }

    /// Stops nginx: every RTMP session is cut.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }

    /// Starts nginx again on the same ports.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(log) = self.launch() {
            panic!("nginx-rtmp did not start again:\n{log}");
        }
    }

    /// `rtmp://127.0.0.1:PORT/live`, what the entities' `ingest.url` says.
    pub fn app_url(&self) -> String {
        format!("rtmp://127.0.0.1:{}/{APP}", self.rtmp_port)
    }

    pub fn publish_url(&self, key: &str) -> String {
        format!("{}/{key}", self.app_url())
    }

    /// The `rtmp_stat` XML.
    pub fn stat(&self) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.http_port)).expect("connect to stat");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "GET /stat HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).expect("read stat");
        reply
    }

    /// `bytes_in` of the live stream named `key`, if it is being published.
    pub fn bytes_in(&self, key: &str) -> Option<u64> {
        let stat = self.stat();
        let at = stat.find(&format!("<name>{key}</name>"))?;
        let rest = &stat[at..];
        // The stream's own counters come before the next stream's name.
        let rest = &rest[..rest[6..].find("<name>").map_or(rest.len(), |n| n + 6)];
        let start = rest.find("<bytes_in>")? + "<bytes_in>".len();
        let end = rest[start..].find('<')? + start;
        rest[start..end].parse().ok()
    }

    /// Waits up to `limit` for the stream `key` to have received bytes.
    pub fn wait_flowing(&self, key: &str, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if self.bytes_in(key).is_some_and(|b| b > 0) {
                return true;
            }
            thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Samples `bytes_in` of `key` once a second, `samples` times after the
    /// first reading; panics unless each sample is larger than the one
    /// before. Returns the samples.
    pub fn assert_rising(&self, key: &str, samples: usize) -> Vec<u64> {
        let mut seen = vec![self.bytes_in(key).unwrap_or(0)];
        for _ in 0..samples {
            thread::sleep(Duration::from_secs(1));
            let now = self.bytes_in(key).unwrap_or(0);
            assert!(
                now > *seen.last().unwrap(),
                "bytes_in of the running session stopped rising: {seen:?} then {now}\n{}",
                self.error_log()
            );
            seen.push(now);
        }
        seen
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

/// A sandbox whose entities point at a private nginx-rtmp, which asks the
/// sandbox about every publish.
pub struct LiveRig {
    pub sandbox: Sandbox,
    pub ingest: RtmpIngest,
    pub dir: PathBuf,
}

impl LiveRig {
    /// `update_every` is nginx-rtmp's `notify_update_timeout`: how often a
    /// running publish is re-checked.
    pub fn start(name: &str, policy: IngestPolicy, update_every: Duration) -> LiveRig {
        Self::start_with(name, policy, Some(update_every))
    }

    /// An ingest that asks nobody: it takes any key.
    pub fn start_open(name: &str) -> LiveRig {
        Self::start_with(name, IngestPolicy::Grandfather, None)
    }

    fn start_with(name: &str, policy: IngestPolicy, update_every: Option<Duration>) -> LiveRig {
        let dir = work_dir(name);
        let mut last_log = String::new();
        // The RTMP port goes into the sandbox's ingest URL before nginx
        // binds it; on the rare race where another process takes it first,
        // start over with another one.
        for _ in 0..5 {
            let rtmp_port = free_port();
            let sandbox = Sandbox::start(SandboxConfig {
                ingest_url: Some(format!("rtmp://127.0.0.1:{rtmp_port}/{APP}")),
                ingest_policy: policy,
                ..SandboxConfig::default()
            })
            .expect("start sandbox");
            let callbacks = update_every.map(|_| sandbox.base_url());
            let every = update_every.unwrap_or_default();
            match RtmpIngest::try_start(&dir, rtmp_port, callbacks, every) {
                Ok(ingest) => {
                    return LiveRig {
                        sandbox,
                        ingest,
                        dir,
                    }
                }
                Err(log) => last_log = log,
            }
        }
        panic!("nginx-rtmp did not start; its error log:\n{last_log}");
    }

    pub fn key(&self) -> String {
        self.sandbox
            .current_key(SEED_ENTITY_ID)
            .expect("seed entity")
    }

    pub fn status(&self) -> String {
        self.sandbox
            .entity_status(SEED_ENTITY_ID)
            .expect("seed entity")
    }

    /// `(key, allowed)` of every `on_publish` so far.
    pub fn publishes(&self) -> Vec<(String, bool)> {
        self.sandbox
            .publish_attempts()
            .into_iter()
            .map(|e| (e.name, e.allowed))
            .collect()
    }

    /// Asserts the `on_publish` calls around one rotation: the session of
    /// `old` let in, a later publish of `old` refused, one of `new` let in.
    pub fn assert_publishes_old_refused_new_admitted(&self, old: &str, new: &str) {
        assert_eq!(
            self.publishes(),
            [
                (old.to_owned(), true),
                (old.to_owned(), false),
                (new.to_owned(), true)
            ]
        );
    }

    /// Waits up to `limit` for an `on_publish` of `key` with that outcome.
    pub fn wait_publish(&self, key: &str, allowed: bool, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if self
                .publishes()
                .iter()
                .any(|(k, a)| k == key && *a == allowed)
            {
                return true;
            }
            thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// An ffmpeg publisher of a test pattern for `seconds`, to `key`.
    pub fn publish(&self, key: &str, seconds: u32) -> Publisher {
        Publisher::start(&self.ingest.publish_url(key), seconds, &self.dir)
    }

    /// A 5 s publish with `key`, which the ingest must refuse: the
    /// publisher exits within 10 s, unsuccessfully.
    pub fn assert_publish_refused(&self, key: &str) {
        let mut stale = self.publish(key, 5);
        let refused = stale
            .wait_timeout(Duration::from_secs(10))
            .expect("the refused publisher did not exit");
        assert!(!refused.success(), "{}", stale.log());
    }

    /// A publish of `seconds` with `key`, which the ingest must let in:
    /// it flows within 10 s and the publisher exits successfully within
    /// 10 s more.
    pub fn assert_publish_flows(&self, key: &str, seconds: u32) {
        let mut fresh = self.publish(key, seconds);
        assert!(
            self.ingest.wait_flowing(key, Duration::from_secs(10)),
            "the new key's publish never flowed:\n{}",
            fresh.log()
        );
        let done = fresh
            .wait_timeout(Duration::from_secs(10))
            .expect("the new key's publisher did not exit");
        assert!(done.success(), "{}", fresh.log());
    }
}

// ---- ffmpeg --------------------------------------------------------------

/// `ffmpeg` sending a 320x240 test pattern with a tone, in real time.
pub struct Publisher {
    process: Group,
    log: PathBuf,
}

impl Publisher {
    pub fn start(url: &str, seconds: u32, dir: &Path) -> Publisher {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let log = dir.join(format!(
            "ffmpeg-{}.log",
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let log_file = std::fs::File::create(&log).expect("ffmpeg log");
        let process = Group::spawn(
            Command::new("ffmpeg")
                .args(["-nostdin", "-hide_banner", "-loglevel", "warning", "-re"])
                .args(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=15"])
                .args(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100"])
                .args(["-t", &seconds.to_string()])
                .args([
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-tune",
                    "zerolatency",
                ])
                .args([
                    "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                ])
                .args(["-f", "flv", url])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file),
        );
        Publisher { process, log }
    }

    pub fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        self.process.wait_timeout(limit)
    }

    pub fn still_running(&mut self) -> bool {
        self.process.child.try_wait().ok().flatten().is_none()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stop(&mut self) {
        self.process.stop();
    }
}

// ---- the plugin and the host ---------------------------------------------

/// An installed build of the uiza-obs plugin.
pub struct Plugin {
    /// `<prefix>/lib/<multiarch>/obs-plugins/uiza-obs.so` (system layout)
    /// or `<prefix>/uiza-obs/bin/64bit/uiza-obs.so` (user layout).
    pub module: PathBuf,
    /// The folder holding `locale/en-US.ini`.
    pub data: PathBuf,
    pub prefix: PathBuf,
    /// The CMake build folder, for installing it elsewhere too.
    pub build: PathBuf,
}

fn run_ok(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", describe(cmd)));
    assert!(
        out.status.success(),
        "`{}` failed:\n{}{}",
        describe(cmd),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Configures, builds and installs `integrations/obs` with warnings as
/// errors into `target/<profile>/obs/<variant>/install`. `library` is the
/// libuiza file to link (in the folder the test binary was built with);
/// `extra` are more `-D` arguments. Variants must be unique across test
/// binaries, which may run at the same time.
pub fn build_plugin(variant: &str, library: &str, extra: &[&str]) -> Plugin {
    let base = profile_dir().join("obs").join(variant);
    let build = base.join("build");
    let prefix = base.join("install");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&build).unwrap();
    run_ok(
        Command::new("cmake")
            .arg("-S")
            .arg(repo_root().join("integrations/obs"))
            .arg("-B")
            .arg(&build)
            .arg(format!(
                "-DUIZA_INCLUDE_DIR={}",
                repo_root().join("include").display()
            ))
            .arg(format!(
                "-DUIZA_LIBRARY={}",
                lib_dir().join(library).display()
            ))
            .arg("-DUIZA_OBS_WERROR=ON")
            .args(extra),
    );
    run_ok(Command::new("cmake").arg("--build").arg(&build));
    run_ok(
        Command::new("cmake")
            .arg("--install")
            .arg(&build)
            .arg("--prefix")
            .arg(&prefix),
    );
    let user = extra.contains(&"-DUIZA_OBS_LAYOUT=user");
    let (module, data) = if user {
        (
            prefix.join("uiza-obs/bin/64bit/uiza-obs.so"),
            prefix.join("uiza-obs/data"),
        )
    } else {
        (
            prefix.join("lib/x86_64-linux-gnu/obs-plugins/uiza-obs.so"),
            prefix.join("share/obs/obs-plugins/uiza-obs"),
        )
    };
    assert!(module.is_file(), "{} was not installed", module.display());
    assert!(
        data.join("locale/en-US.ini").is_file(),
        "{} has no locale/en-US.ini",
        data.display()
    );
    Plugin {
        module,
        data,
        prefix,
        build,
    }
}

/// `pkg-config --cflags --libs libobs`, split.
fn libobs_flags() -> Vec<String> {
    let out = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libobs"])
        .output()
        .expect("pkg-config");
    assert!(out.status.success(), "pkg-config libobs failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The plugin linked with the shared libuiza, built once per test process
/// as `variant`: a test binary uses one variant, of its own (see
/// `build_plugin`).
pub fn shared_plugin_once(variant: &str) -> &'static Plugin {
    static PLUGIN: std::sync::OnceLock<Plugin> = std::sync::OnceLock::new();
    PLUGIN.get_or_init(|| build_plugin(variant, "libuiza.so", &[]))
}

/// The host program, built once per test process as `name`: a test
/// binary uses one name, of its own.
pub fn host_once(name: &str) -> &'static PathBuf {
    static HOST: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOST.get_or_init(|| build_host(name, &[]))
}

/// Compiles `tests/c/obs_host.c` as `target/<profile>/c/<name>`.
pub fn build_host(name: &str, extra: &[&str]) -> PathBuf {
    let mut flags = libobs_flags();
    flags.extend(["-lX11", "-pthread"].map(String::from));
    flags.extend(extra.iter().map(|s| s.to_string()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    compile_c(name, &["tests/c/obs_host.c"], &flags)
}

/// `xvfb-run -a` arguments that start looking for a free display at a
/// number of this process's own, so that parallel starts do not race.
pub fn xvfb_run_args(screen: &str) -> Vec<String> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let display = 100 + (std::process::id() as usize % 300) * 8 + seq % 8;
    vec![
        "-a".into(),
        "-n".into(),
        display.to_string(),
        "-s".into(),
        format!("-screen 0 {screen} -nolisten tcp"),
    ]
}

/// The host program under `xvfb-run`, driven line by line.
pub struct ObsHost {
    process: Group,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: PathBuf,
}

/// How long one command may take to answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

impl ObsHost {
    pub fn start(host: &Path, plugin: &Plugin, live: bool, env: &[(&str, &str)]) -> ObsHost {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let stderr = profile_dir()
            .join("live")
            .join(format!("obs-host-{}-{seq}.log", std::process::id()));
        std::fs::create_dir_all(stderr.parent().unwrap()).unwrap();
        let mut cmd = Command::new("xvfb-run");
        cmd.args(xvfb_run_args("640x480x24"))
            .arg(host)
            .arg(&plugin.module)
            .arg(&plugin.data);
        if live {
            cmd.arg("--live");
        }
        cmd.envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        let mut process = Group::spawn(&mut cmd);
        let stdin = process.child.stdin.take().unwrap();
        let stdout = process.child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut host = ObsHost {
            process,
            stdin,
            lines,
            stderr,
        };
        let first = host.next_line();
        assert_eq!(
            first,
            "ready",
            "the OBS host did not start:\n{}",
            host.stderr()
        );
        host
    }

    fn next_line(&mut self) -> String {
        match self.lines.recv_timeout(REPLY_TIMEOUT) {
            Ok(line) => line,
            Err(_) => panic!(
                "the OBS host did not answer within {REPLY_TIMEOUT:?}; its stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Sends one command and returns the answer line.
    pub fn cmd(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").expect("write to the OBS host");
        self.stdin.flush().unwrap();
        self.next_line()
    }

    /// Sends one command; panics unless it answers `ok`. Returns the rest.
    pub fn ok(&mut self, line: &str) -> String {
        let reply = self.cmd(line);
        match reply.strip_prefix("ok") {
            Some(rest) => rest.trim_start().to_owned(),
            None => {
                let verb = line.split(' ').next().unwrap_or("");
                panic!(
                    "OBS host `{verb}` answered {reply:?}; its stderr:\n{}",
                    self.stderr()
                )
            }
        }
    }

    /// Creates the `uiza_live` service for the sandbox's seed entity.
    pub fn create_service(&mut self, sandbox: &Sandbox, api_key: &str) {
        self.ok(&format!(
            "create {api_key} {SEED_ENTITY_ID} {}",
            sandbox.base_url()
        ));
    }

    /// A field (`active=1` ...) of the `output` answer.
    pub fn output_field(&mut self, name: &str) -> u64 {
        let reply = self.ok("output");
        reply
            .split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {reply}"))
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// `quit`: releases everything and shuts libobs down. Returns the
    /// number of libobs allocations left (`bnum_allocs`), the exit status
    /// and stderr.
    pub fn quit(mut self) -> (u64, ExitStatus, String) {
        let leaks = self
            .ok("quit")
            .strip_prefix("leaks=")
            .and_then(|n| n.parse().ok())
            .expect("leaks=N");
        let status = self
            .process
            .wait_timeout(Duration::from_secs(15))
            .unwrap_or_else(|| panic!("the OBS host did not exit:\n{}", self.stderr()));
        (leaks, status, self.stderr())
    }
}

/// The API key the OBS tests configure the service with.
pub fn api_key() -> &'static str {
    DEFAULT_API_KEY
}
