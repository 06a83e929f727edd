//! libuiza for 64-bit Windows, cross-built on Linux with mingw-w64 by
//! `scripts/windows-sdk.sh` (the SDK drop: bin/uiza.dll, lib/, include/),
//! then used as a Windows developer would: the DLL's exports checked
//! against the header, and C programs compiled with mingw against the SDK
//! and run under wine against the sandbox on real loopback (HTTP, and
//! HTTPS with its private CA).
//!
//! Skipped, with one `SKIP` line each, on a machine without the Rust
//! target `x86_64-pc-windows-gnu`, the mingw-w64 cross compiler or wine
//! (`.ci/install.d/80-windows.sh` installs them); `UIZA_TEST_REQUIRE_ALL=1`
//! makes that a failure instead. Cross-build artifacts, the wine prefix and
//! the test programs live in `target/windows/`. See docs/windows.md.

mod support;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use support::async_fixture::AsyncFixture;
use support::c_build::{profile_dir, repo_root};
use support::consumer::{header_functions, run_ok, stdout_of};
use support::tools::assert_no_secret;
use support::tools::{rust_target_available, tool_available};
use support::*;

const TARGET: &str = "x86_64-pc-windows-gnu";
const CC: &str = "x86_64-w64-mingw32-gcc";
const OBJDUMP: &str = "x86_64-w64-mingw32-objdump";
const NM: &str = "x86_64-w64-mingw32-nm";
const DLLTOOL: &str = "x86_64-w64-mingw32-dlltool";

/// `target/windows`: the cross build's own cargo target directory (so it
/// never waits on the lock of the `cargo test` that runs this), the SDK
/// drop, the wine prefix and the programs run under wine.
fn windows_dir() -> PathBuf {
    profile_dir()
        .parent()
        .expect("target/<profile> has a parent")
        .join("windows")
}

/// The folder the test programs run from: uiza.dll and the
/// bcryptprimitives.dll shim sit next to them, where Windows looks first.
fn run_dir() -> PathBuf {
    windows_dir().join("run")
}

/// Whether this machine can cross-build: the Rust target and mingw-w64.
fn can_build() -> bool {
    rust_target_available(TARGET)
        && tool_available(CC, &["--version"], "gcc-mingw-w64-x86-64")
        && tool_available(OBJDUMP, &["--version"], "binutils-mingw-w64-x86-64")
}

/// Whether this machine can also run what it builds.
fn can_run() -> bool {
    can_build() && wine().is_some()
}

/// Wine, when this machine can also run what it builds.
fn runnable_wine() -> Option<&'static Wine> {
    if can_run() {
        wine()
    } else {
        None
    }
}

/// The SDK drop, made once per test process by the script users run (dev
/// profile: the tests do not need LTO's build time).
fn sdk() -> &'static Path {
    static SDK: OnceLock<PathBuf> = OnceLock::new();
    SDK.get_or_init(|| {
        let out = windows_dir().join("sdk");
        let started = Instant::now();
        run_ok(
            Command::new("bash")
                .arg(repo_root().join("scripts/windows-sdk.sh"))
                .args(["--debug", "--no-zip", "--target-dir"])
                .arg(windows_dir())
                .arg("--out")
                .arg(&out),
        );
        eprintln!("windows-sdk.sh --debug: {:.1?}", started.elapsed());
        let run = run_dir();
        std::fs::create_dir_all(&run).unwrap();
        std::fs::copy(out.join("bin/uiza.dll"), run.join("uiza.dll")).unwrap();
        build_prng_shim(&run);
        out
    })
}

/// Rust's standard library (1.78 and later) imports ProcessPrng from
/// bcryptprimitives.dll, which every supported Windows has and wine 8 does
/// not: without it uiza.dll does not load under wine 8. This shim
/// (tests/windows/process_prng_shim.c, a few lines over BCryptGenRandom)
/// fills the gap for the tests only; it is never part of the SDK.
fn build_prng_shim(run: &Path) {
    let dir = repo_root().join("tests/windows");
    run_ok(
        Command::new(CC)
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-shared"])
            .arg("-o")
            .arg(run.join("bcryptprimitives.dll"))
            .arg(dir.join("process_prng_shim.c"))
            .arg(dir.join("bcryptprimitives.def"))
            .arg("-lbcrypt"),
    );
}

/// Compiles C `sources` (relative to the repository) with mingw-w64 into
/// `target/windows/run/<name>.exe`: C11, warnings as errors, the SDK's
/// include/ on the path, then `link` (the libraries, in link order).
fn mingw_cc(name: &str, sources: &[&str], flags: &[&str], link: &[String]) -> PathBuf {
    let sdk = sdk();
    let exe = run_dir().join(format!("{name}.exe"));
    run_ok(
        Command::new(CC)
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
            .arg("-I")
            .arg(sdk.join("include"))
            .args(sources.iter().map(|s| repo_root().join(s)))
            .args(flags)
            .arg("-o")
            .arg(&exe)
            .args(link),
    );
    exe
}

/// Linking to uiza.dll through the SDK's import library, as `-luiza`
/// finds it (mingw's ld prefers libuiza.dll.a to libuiza.a).
fn import_lib() -> Vec<String> {
    vec![
        format!("-L{}", sdk().join("lib").display()),
        "-luiza".to_owned(),
    ]
}

/// The C example, linked to uiza.dll; built once per test process.
fn example() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        mingw_cc(
            "reset_stream_key",
            &["examples/c/reset_stream_key.c"],
            &[],
            &import_lib(),
        )
    })
}

/// The wine to run programs with, and its prefix.
struct Wine {
    program: String,
    prefix: PathBuf,
}

fn wine() -> Option<&'static Wine> {
    static WINE: OnceLock<Option<Wine>> = OnceLock::new();
    let wine = WINE.get_or_init(|| {
        // Debian's wine64 package installs /usr/lib/wine/wine64 and puts
        // nothing on PATH (the `wine` package adds /usr/bin/wine); other
        // distributions call it wine64 or, since wine 9, wine.
        let program = ["wine64", "/usr/lib/wine/wine64", "wine"]
            .into_iter()
            .find(|w| {
                Command::new(w)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })?;
        let wine = Wine {
            program: program.to_owned(),
            prefix: windows_dir().join("wine-prefix"),
        };
        wine.boot();
        Some(wine)
    });
    if wine.is_none() {
        // Says which test is skipped (or fails it), once per test.
        tool_available("wine64", &["--version"], "wine64");
    }
    wine.as_ref()
}

impl Wine {
    /// Creates the prefix if there is none: the first start of wine takes
    /// seconds (wineboot), later ones reuse it.
    fn boot(&self) {
        if self.prefix.join("system.reg").exists() {
            return;
        }
        let started = Instant::now();
        let log = windows_dir().join("wineboot.log");
        std::fs::create_dir_all(windows_dir()).unwrap();
        let log_file = File::create(&log).unwrap();
        let status = self
            .command("wineboot")
            .arg("--init")
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .status()
            .expect("run wineboot");
        assert!(
            status.success(),
            "wineboot --init failed ({status}); see {}",
            log.display()
        );
        eprintln!(
            "wineboot --init (new prefix {}): {:.1?}",
            self.prefix.display(),
            started.elapsed()
        );
    }

    /// `wine <program>` in the test prefix, headless and quiet: no Mono or
    /// Gecko install prompts, no desktop menu entries, no debug channels.
    ///
    /// Wine hands the Unix environment to Windows programs, and
    /// rustls-native-certs honours `SSL_CERT_FILE` and `SSL_CERT_DIR` on
    /// Windows too, in place of the Windows store; Linux machines often
    /// export them (the one these tests were written on does), so they are
    /// removed to test what a Windows machine does.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg(program)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEARCH", "win64")
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=;winemenubuilder.exe=d")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `exe` under wine to completion (at most `limit`) with `env`
    /// added to the environment (wine hands it to the program), checks its
    /// output for secrets and returns it with Windows line ends made `\n`.
    ///
    /// The output goes through files, not pipes: wine starts helper
    /// processes (winedevice.exe) that inherit the standard handles and
    /// outlive the program until wineserver exits, so reading a pipe to its
    /// end would wait for them.
    fn run(&self, exe: &Path, args: &[&str], env: &[(&str, String)], limit: Duration) -> Output {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let logs = windows_dir().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let stem = format!(
            "{}-{}",
            exe.file_stem().unwrap().to_string_lossy(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let (out_path, err_path) = (
            logs.join(format!("{stem}.stdout")),
            logs.join(format!("{stem}.stderr")),
        );
        let mut child = self
            .command(exe)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(File::create(&out_path).unwrap())
            .stderr(File::create(&err_path).unwrap())
            .spawn()
            .expect("start wine");
        let deadline = Instant::now() + limit;
        let status: ExitStatus = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{} did not finish within {limit:?} under wine; output in {}.*",
                    exe.display(),
                    logs.join(&stem).display()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let read = |p: &Path| {
            String::from_utf8_lossy(&std::fs::read(p).unwrap())
                .replace("\r\n", "\n")
                .into_bytes()
        };
        let out = Output {
            status,
            stdout: read(&out_path),
            stderr: read(&err_path),
        };
        assert_no_secret("stdout", &String::from_utf8_lossy(&out.stdout));
        assert_no_secret("stderr", &String::from_utf8_lossy(&out.stderr));
        out
    }

    /// The C example for `id` against `sb`, with `ca_file` as UIZA_CA_FILE.
    fn example(&self, exe: &Path, sb: &Sandbox, id: &str, ca_file: Option<String>) -> Output {
        let mut env = vec![
            ("UIZA_API_KEY", DEFAULT_API_KEY.to_owned()),
            ("UIZA_BASE_URL", sb.base_url().to_owned()),
        ];
        env.extend(ca_file.map(|f| ("UIZA_CA_FILE", f)));
        self.run(exe, &[id], &env, Duration::from_secs(120))
    }
}

/// `/abs/path` as a Windows program under wine names it: drive Z: is the
/// Unix root in every wine prefix.
fn wine_path(path: &Path) -> String {
    assert!(path.is_absolute(), "{}", path.display());
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// The sandbox's CA as a PEM file, named the Windows way.
fn ca_file(sb: &Sandbox) -> String {
    let pem = write_temp_file("windows-ca.pem", sb.ca_pem().expect("a TLS sandbox"));
    wine_path(&pem)
}

/// The stderr of a program that must have exited with 1.
fn failed_stderr(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    stderr
}

/// Asserts that a program failed (exit status 1) with every one of `texts`
/// in its stderr; `what` says what the message must tell.
fn assert_failed_saying(out: &Output, texts: &[&str], what: &str) {
    let stderr = failed_stderr(out);
    assert!(
        texts.iter().all(|text| stderr.contains(text)),
        "{what}: {stderr}"
    );
}

/// The stdout of a program that must have succeeded.
fn succeeded_stdout(out: &Output) -> String {
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "{}:\n{stdout}{}",
        out.status,
        text(&out.stderr)
    );
    stdout
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the example succeeded and printed the key and ingest URL the
/// sandbox now holds for the seed entity.
fn assert_printed_current_key(out: &Output, sb: &Sandbox) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{}:\n{stdout}{stderr}", out.status);
    let entity = sb.entity(SEED_ENTITY_ID).unwrap();
    for (label, value) in [
        ("ingest key:  ", &entity["ingest"]["key"]),
        ("ingest url:  ", &entity["ingest"]["url"]),
    ] {
        let line = format!("{label}{}\n", value.as_str().unwrap());
        assert!(stdout.contains(&line), "{line:?} not in:\n{stdout}");
    }
}

/// The names in `objdump -p`'s export table of a DLL.
fn dll_exports(dll: &Path) -> BTreeSet<String> {
    let dump = stdout_of(Command::new(OBJDUMP).arg("-p").arg(dll));
    dump.lines()
        .skip_while(|l| !l.starts_with("[Ordinal/Name Pointer] Table"))
        .skip(1)
        .take_while(|l| l.trim_start().starts_with('['))
        .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
        .collect()
}

/// The DLLs an executable or DLL imports, lower-cased.
fn dll_imports(file: &Path) -> BTreeSet<String> {
    stdout_of(Command::new(OBJDUMP).arg("-p").arg(file))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("DLL Name: "))
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn dll_exports_exactly_the_functions_of_the_header() {
    if !can_build() || !tool_available(NM, &["--version"], "binutils-mingw-w64-x86-64") {
        return;
    }
    let sdk = sdk();
    let functions = header_functions();
    assert!(functions.contains("uiza_client_new") && functions.len() > 30);

    let dll = sdk.join("bin/uiza.dll");
    assert_eq!(
        dll_exports(&dll),
        functions,
        "{} must export exactly the functions of include/uiza.h",
        dll.display()
    );

    // uiza.def, from which MSVC users make uiza.lib, lists the same.
    let def = std::fs::read_to_string(sdk.join("lib/uiza.def")).unwrap();
    assert!(def.starts_with("LIBRARY uiza.dll\nEXPORTS\n"), "{def}");
    let listed: BTreeSet<String> = def.lines().skip(2).map(|l| l.trim().to_owned()).collect();
    assert_eq!(listed, functions, "lib/uiza.def");

    // The import library resolves every function to uiza.dll.
    let nm = stdout_of(Command::new(NM).arg(sdk.join("lib/libuiza.dll.a")));
    let symbols: BTreeSet<&str> = nm
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    for f in &functions {
        assert!(
            symbols.contains(format!("__imp_{f}").as_str()),
            "libuiza.dll.a has no __imp_{f}"
        );
    }

    // bin/ is complete: the DLL needs no mingw runtime DLL (libgcc_s_seh,
    // libwinpthread, libstdc++ ...), only Windows' own.
    let imports = dll_imports(&dll);
    assert!(imports.contains("kernel32.dll"), "{imports:?}");
    let foreign: Vec<_> = imports.iter().filter(|d| d.starts_with("lib")).collect();
    assert!(
        foreign.is_empty(),
        "uiza.dll needs DLLs Windows does not have: {foreign:?}"
    );

    for header in ["uiza.h", "uiza.hpp"] {
        assert_eq!(
            std::fs::read(sdk.join("include").join(header)).unwrap(),
            std::fs::read(repo_root().join("include").join(header)).unwrap(),
            "include/{header}"
        );
    }
}

#[test]
fn example_resets_the_key_over_http_and_https_with_a_ca_file() {
    let Some(wine) = runnable_wine() else {
        return;
    };
    let sb = sandbox();
    assert_printed_current_key(&wine.example(example(), &sb, SEED_ENTITY_ID, None), &sb);
    let tls = tls_sandbox();
    let out = wine.example(example(), &tls, SEED_ENTITY_ID, Some(ca_file(&tls)));
    assert_printed_current_key(&out, &tls);
}

/// Built against an import library that mingw's dlltool makes from
/// lib/uiza.def: what an MSVC project does with `lib.exe /def:uiza.def`.
#[test]
fn example_linked_through_uiza_def_reports_a_404_with_the_api_message() {
    if !can_run() || !tool_available(DLLTOOL, &["--version"], "binutils-mingw-w64-x86-64") {
        return;
    }
    let wine = wine().unwrap();
    let from_def = run_dir().join("uiza-from-def.lib");
    run_ok(
        Command::new(DLLTOOL)
            .arg("--input-def")
            .arg(sdk().join("lib/uiza.def"))
            .arg("--output-lib")
            .arg(&from_def),
    );
    let exe = mingw_cc(
        "reset_stream_key_def",
        &["examples/c/reset_stream_key.c"],
        &[],
        &[from_def.display().to_string()],
    );
    assert!(dll_imports(&exe).contains("uiza.dll"));

    let sb = sandbox();
    let out = wine.example(&exe, &sb, "no-such-entity", None);
    assert_failed_saying(
        &out,
        &[
            "The live entity you requested does not exist.",
            "invalid_request_error",
            "HTTP 404",
        ],
        "the message must be the API's 404",
    );
    // And the same program still succeeds: the .def names every function.
    assert_printed_current_key(&wine.example(&exe, &sb, SEED_ENTITY_ID, None), &sb);
}

/// Held by the tests that put a CA into the prefix's root store or expect
/// an unknown issuer. Every sandbox CA has the same name ("uiza-sandbox
/// test CA"): while one sits in the store, a handshake with another
/// sandbox finds a root of that name and fails on its signature
/// (`BadSignature`) instead. (With its own CA file as well, it still
/// succeeds: the verifier tries every root of the name.)
fn root_store_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The default trust on Windows is the system store (read through
/// rustls-native-certs); the sandbox's private CA is not in it, so the
/// handshake is refused and the message says why.
#[test]
fn private_ca_is_refused_without_a_ca_file() {
    let Some(wine) = runnable_wine() else {
        return;
    };
    let tls = tls_sandbox();
    let _turn = root_store_turn();
    let out = wine.example(example(), &tls, SEED_ENTITY_ID, None);
    assert_failed_saying(
        &out,
        &["tls_error", "invalid peer certificate", "UnknownIssuer"],
        "the message must say the certificate's issuer is unknown",
    );
    assert_eq!(tls.stats().resets, 0);
}

/// A CA put into the Windows "ROOT" store (wine keeps it in its registry)
/// is trusted without UIZA_CA_FILE, and refused again once removed: the
/// library's default trust on Windows is the system store.
#[test]
fn a_ca_in_the_windows_root_store_is_trusted_by_default() {
    let Some(wine) = runnable_wine() else {
        return;
    };
    let tool = mingw_cc(
        "cert_store",
        &["tests/windows/cert_store.c"],
        &[],
        &["-lcrypt32".to_owned()],
    );
    let tls = tls_sandbox();
    let pem = ca_file(&tls);
    let _turn = root_store_turn();
    let store = |verb: &str| wine.run(&tool, &[verb, &pem], &[], Duration::from_secs(60));
    let expect_ok = |verb: &str| {
        let out = store(verb);
        assert!(
            out.status.success(),
            "cert_store {verb}: {}",
            text(&out.stderr)
        );
    };

    /// Takes the CA out of the prefix's store again if the test fails
    /// while it is in: left there, it would turn other tests' unknown
    /// issuer into a bad signature (see `root_store_turn`).
    struct RemoveOnPanic<'a>(&'a dyn Fn());
    impl Drop for RemoveOnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                (self.0)();
            }
        }
    }

    expect_ok("add");
    let remove = || {
        let _ = store("remove");
    };
    let guard = RemoveOnPanic(&remove);
    assert_printed_current_key(&wine.example(example(), &tls, SEED_ENTITY_ID, None), &tls);
    drop(guard);
    expect_ok("remove");

    let out = wine.example(example(), &tls, SEED_ENTITY_ID, None);
    assert_failed_saying(
        &out,
        &["UnknownIssuer"],
        "the removed CA must not be trusted",
    );
}

/// The static library links with the libraries lib/native-static-libs.txt
/// lists, and the program needs no uiza.dll.
#[test]
fn static_library_links_and_runs() {
    let Some(wine) = runnable_wine() else {
        return;
    };
    let sdk = sdk();
    let native = std::fs::read_to_string(sdk.join("lib/native-static-libs.txt")).unwrap();
    let mut link = vec![sdk.join("lib/libuiza.a").display().to_string()];
    link.extend(native.split_whitespace().map(str::to_owned));
    let exe = mingw_cc(
        "reset_stream_key_static",
        &["examples/c/reset_stream_key.c"],
        &[],
        &link,
    );
    let imports = dll_imports(&exe);
    assert!(!imports.contains("uiza.dll"), "{imports:?}");

    let sb = sandbox();
    assert_printed_current_key(&wine.example(&exe, &sb, SEED_ENTITY_ID, None), &sb);
}

/// Flags for the shared C tests, written for POSIX, under mingw-w64:
/// winpthreads linked statically (no libwinpthread-1.dll to ship next to
/// the program); rand_r from mingw's stdlib.h (it maps to rand(), which
/// msvcrt keeps per thread); and `long` round-tripped through `void *`
/// (thread arguments and results, small counts) allowed, since `long` is
/// 32 bits on Windows.
const POSIX_TEST_FLAGS: &[&str] = &[
    "-pthread",
    "-D_POSIX_THREAD_SAFE_FUNCTIONS",
    "-Wno-pointer-to-int-cast",
    "-Wno-int-to-pointer-cast",
];

fn posix_test_program(name: &str) -> PathBuf {
    let mut link = import_lib();
    link.extend(["-Wl,-Bstatic", "-lpthread", "-Wl,-Bdynamic"].map(str::to_owned));
    let exe = mingw_cc(
        name,
        &[&format!("tests/c/{name}.c")],
        POSIX_TEST_FLAGS,
        &link,
    );
    let imports = dll_imports(&exe);
    assert!(!imports.contains("libwinpthread-1.dll"), "{imports:?}");
    exe
}

/// tests/c/abi_test.c: the whole C API, and 16 threads sharing a client.
#[test]
fn abi_test_passes() {
    let Some(wine) = runnable_wine() else {
        return;
    };
    let exe = posix_test_program("abi_test");
    let sb = sandbox();
    let out = wine.run(
        &exe,
        &[],
        &[
            ("UIZA_BASE_URL", sb.base_url().to_owned()),
            ("UIZA_API_KEY", DEFAULT_API_KEY.to_owned()),
            ("UIZA_ENTITY_ID", SEED_ENTITY_ID.to_owned()),
        ],
        Duration::from_secs(180),
    );
    let stdout = succeeded_stdout(&out);
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert!(sb.stats().resets >= 2 + 16 * 8);
}

/// tests/c/async_test.c: 1,000 async rotations from 8 threads with random
/// cancels and faults call back exactly once each and rotate exactly once
/// on the server; bounded workers exit when idle (counted with Toolhelp32
/// on Windows).
#[test]
fn async_calls_call_back_once_and_rotate_once() {
    let Some(wine) = runnable_wine() else {
        return;
    };
    let exe = posix_test_program("async_test");
    let fixture = AsyncFixture::start(DEFAULT_API_KEY, 50, 20, 150);
    let env: Vec<(&str, String)> = fixture.env(DEFAULT_API_KEY);
    let out = wine.run(&exe, &[], &env, Duration::from_secs(600));
    let stdout = succeeded_stdout(&out);
    fixture.verify(&stdout);
    assert!(fixture.main.stats().faults_applied > 0);
}
