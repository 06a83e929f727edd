//! External tools the tests drive (compilers, go, cmake, valgrind, ...).
//!
//! A test whose tool is missing is skipped: [`tool_available`] prints one
//! line to stderr naming the tool and the Debian package that installs it,
//! and the test returns. With `UIZA_TEST_REQUIRE_ALL=1` (`.ci/run` sets
//! it) a missing tool fails the test instead, so CI skips nothing.
//!
//! Every program the tests run goes through [`run`], which bounds its time
//! and checks its output for leaked secrets ([`assert_no_secret`], the one
//! check every text the tests see goes through).

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::c_build::c_compiler;
use super::SECRETS;

/// Set to 1 to make a missing tool fail its test instead of skipping it.
pub const REQUIRE_ALL_ENV: &str = "UIZA_TEST_REQUIRE_ALL";

/// Whether `tool` is there: `tool args...` runs and exits with 0, or, for
/// a tool without such a flag (`wrk`), with no `args`, an executable of
/// that name is on PATH. When it is not there, reports it (see
/// [`missing`]) and returns false; the caller returns, skipping the test.
pub fn tool_available(tool: &str, args: &[&str], package: &str) -> bool {
    let found = if args.is_empty() {
        on_path(tool)
    } else {
        exits_zero(Command::new(tool).args(args))
    };
    found
        || missing(
            &format!("{tool} not found"),
            &format!("Debian package {package}"),
        )
}

/// The C compiler (`$CC`, else `cc`): the suite needs it anyway, since
/// rustc links with it, but it is probed like any other tool.
pub fn c_compiler_available() -> bool {
    tool_available(&c_compiler(), &["--version"], "gcc")
}

/// `cargo cinstall` (cargo-c), which `.ci/install.d/30-install-tools.sh`
/// builds from crates.io: Debian's package is older than the pinned one.
pub fn cargo_c_available() -> bool {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    exits_zero(Command::new(cargo).args(["cinstall", "--version"]))
        || missing(
            "cargo-c (`cargo cinstall`) not found",
            "not from Debian: cargo install cargo-c --locked --version 0.10.24",
        )
}

/// Whether the file or folder `path` exists (a plugin, a module file); if
/// not, reports it missing with the Debian package that provides it.
pub fn path_available(path: &str, package: &str) -> bool {
    std::path::Path::new(path).exists()
        || missing(
            &format!("{path} not found"),
            &format!("Debian package {package}"),
        )
}

/// Whether pkg-config knows `module`; if not, reports `<module>.pc` missing.
pub fn pkg_config_available(module: &str, package: &str) -> bool {
    tool_available("pkg-config", &["--version"], "pkg-config")
        && (exits_zero(Command::new("pkg-config").args(["--exists", module]))
            || missing(
                &format!("{module}.pc (pkg-config) not found"),
                &format!("Debian package {package}"),
            ))
}

/// Whether rustup has installed the standard library for `target` (such as
/// `x86_64-pc-windows-gnu`); otherwise reports it like a missing tool.
pub fn rust_target_available(target: &str) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let installed = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| std::fs::read_dir(String::from_utf8_lossy(&o.stdout).trim()).ok())
        .is_some_and(|mut dir| {
            dir.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
        });
    installed
        || missing(
            &format!("Rust target {target} not found"),
            &format!("rustup target add {target}"),
        )
}

/// Reports that `what` (e.g. "go not found") is missing and how to
/// install it: one line on stderr, `SKIP tests/<file>.rs::<test>: <what>
/// (<install>); test skipped`, then false. Under `UIZA_TEST_REQUIRE_ALL=1`
/// it panics with the same information instead.
pub fn missing(what: &str, install: &str) -> bool {
    let test = current_test();
    if require_all() {
        panic!("{test}: {what} ({install}); {REQUIRE_ALL_ENV}=1 forbids skipping the test");
    }
    // Straight to the process's stderr: libtest captures eprintln! of a
    // passing test, and this line is meant to be seen.
    let line = format!("SKIP {test}: {what} ({install}); test skipped\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    false
}

fn require_all() -> bool {
    std::env::var_os(REQUIRE_ALL_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// `tests/<file>.rs::<test>`: the file from this test binary's name
/// (`<file>-<hash>`), the test from the thread libtest runs it on.
fn current_test() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe.file_stem().and_then(OsStr::to_str).unwrap_or("?");
    let file = stem.rsplit_once('-').map_or(stem, |(name, _hash)| name);
    match std::thread::current().name() {
        Some(test) if test != "main" => format!("tests/{file}.rs::{test}"),
        _ => format!("tests/{file}.rs"),
    }
}

fn exits_zero(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn on_path(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let is_executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| is_executable(&dir.join(tool))))
}

/// `program arg arg ...`, for messages.
pub fn describe(cmd: &Command) -> String {
    let args: Vec<_> = cmd.get_args().map(OsStr::to_string_lossy).collect();
    format!("{} {}", cmd.get_program().to_string_lossy(), args.join(" "))
}

/// Panics if a secret appears in `text`; `what` says where it came from.
pub fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "an API key leaked into {what}:\n{}",
            redact(text)
        );
    }
}

/// `text` with every secret replaced by `<secret>`.
fn redact(text: &str) -> String {
    SECRETS
        .iter()
        .fold(text.to_owned(), |t, secret| t.replace(secret, "<secret>"))
}

/// What a finished command printed.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with the whole output unless the command exited with 0.
    pub fn assert_success(&self, what: &str) {
        assert!(
            self.status.success(),
            "{what} failed ({}):\n{}",
            self.status,
            self.output()
        );
    }
}

/// How long [`run_checked`] lets a command run.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(600);

/// Runs `cmd` with stdin closed, in a process group of its own that is
/// killed if it takes longer than `limit` (a hung program must fail, not
/// stall CI), and panics if a secret shows up in its output.
pub fn run(cmd: &mut Command, limit: Duration) -> Finished {
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", describe(cmd)));
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if started.elapsed() > limit {
            // The child leads its own group: this ends it and whatever it
            // started (such as the test binary `go test` runs), no more.
            let pgid = child.id() as libc::pid_t;
            // SAFETY: kill(2) on a process group this test created.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            let _ = child.wait();
            let partial = stdout.join().unwrap() + &stderr.join().unwrap();
            panic!(
                "`{}` did not finish within {limit:?}:\n{}",
                describe(cmd),
                redact(&partial)
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let finished = Finished {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    let what = describe(cmd);
    assert_no_secret(&format!("the stdout of `{what}`"), &finished.stdout);
    assert_no_secret(&format!("the stderr of `{what}`"), &finished.stderr);
    finished
}

/// [`run`] with the [`DEFAULT_LIMIT`].
pub fn run_checked(cmd: &mut Command) -> Finished {
    run(cmd, DEFAULT_LIMIT)
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
