//! `examples/live/run.sh`, the live demo, run end to end with a short
//! watch: it must show the session still running with rising bytes after
//! the rotation, the old key refused and the new key accepted, and leave
//! nothing running. Skipped, with one line on stderr, without nginx,
//! libnginx-mod-rtmp or ffmpeg.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::c_build::repo_root;
use support::live::{ingest_tools_present, Group};
use support::tools::assert_no_secret;
use support::tools::c_compiler_available;

#[test]
fn live_demo_shows_the_session_running_the_old_key_refused_the_new_key_accepted() {
    if !(c_compiler_available() && ingest_tools_present()) {
        return;
    }
    let started = Instant::now();
    let log = support::live::work_dir("demo").join("run.log");
    let mut cmd = Command::new("bash");
    // The demo runs `cargo build`: without the variables this cargo test
    // set for its test processes, so that both see the same fingerprints
    // and neither rebuilds what the other built.
    let from_cargo_test = |name: &str| {
        (name.starts_with("CARGO_") && !matches!(name, "CARGO_HOME" | "CARGO_TARGET_DIR"))
            || matches!(name, "CARGO" | "LD_LIBRARY_PATH" | "OUT_DIR")
    };
    cmd.env_clear()
        .envs(std::env::vars().filter(|(name, _)| !from_cargo_test(name)));
    let mut demo = Group::spawn(
        cmd.arg(repo_root().join("examples/live/run.sh"))
            .args(["--watch", "3"])
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::inherit()),
    );
    // Room for a cold `cargo build` of the sandbox binary; the live part
    // is checked against the 40 s bound below.
    let status = demo.wait_timeout(Duration::from_secs(180));
    let out = std::fs::read_to_string(&log).unwrap();
    let status = status.unwrap_or_else(|| panic!("the demo did not finish:\n{out}"));
    assert!(status.success(), "{out}");
    // Its trap stopped everything it started: its process group is empty.
    let group = -(demo.id() as i32);
    assert_eq!(
        unsafe { libc::kill(group, 0) },
        -1,
        "the demo left processes running"
    );
    assert_no_secret("the demo's output", &out);

    let lines: Vec<&str> = out.lines().collect();
    let position = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?}:\n{out}"))
    };
    let rotated = position("rotated: ");
    let (old, new) = lines[rotated]["rotated: ".len()..]
        .split_once(" -> ")
        .expect("rotated: OLD -> NEW");
    assert_ne!(old, new);

    // Three seconds of a session still running, bytes rising.
    let running: Vec<u64> = lines[rotated..]
        .iter()
        .filter_map(|l| l.strip_prefix("session still running: bytes_in "))
        .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(running.len(), 3, "{out}");
    assert!(running.windows(2).all(|w| w[1] > w[0]), "{running:?}");
    assert!(lines[rotated..]
        .iter()
        .filter(|l| l.starts_with("session still running"))
        .all(|l| l.ends_with("entity status broadcasting")));

    let refused = position("old key refused: ");
    assert!(lines[refused].contains(old), "{out}");
    let accepted = position("new key accepted: ");
    assert!(lines[accepted].contains(new), "{out}");
    assert!(rotated < refused && refused < accepted);
    // The live part, after the builds, is bounded like every live test.
    let done = lines.last().unwrap();
    let live_secs: u64 = done
        .strip_prefix("== done in ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("last line {done:?}"));
    assert!(live_secs < 40, "the live part took {live_secs} s");
    println!("demo took {:?}", started.elapsed());
}
