//! Rotating while broadcasting, without OBS: ffmpeg publishes to a private
//! nginx-rtmp whose callbacks go to the sandbox (grandfather policy, as
//! Uiza documents), and a C program rotates the key through
//! `uiza_client_rotate_stream_key` while the stream runs. Skipped, with one
//! line on stderr, without nginx, libnginx-mod-rtmp or ffmpeg.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::c_build::compile_c;
use support::live::*;
use support::tools::c_compiler_available;
use support::tools::run_checked;
use support::*;
use uiza_sandbox::IngestPolicy;

#[test]
fn ffmpeg_session_survives_a_rotation_and_only_the_new_key_gets_in() {
    let started = Instant::now();
    if !(c_compiler_available() && ingest_tools_present()) {
        return;
    }
    let rotate_tool = compile_c("live_rotate", &["tests/c/live_rotate.c"], &[]);
    let rig = LiveRig::start(
        "ffmpeg-grandfather",
        IngestPolicy::Grandfather,
        Duration::from_secs(1),
    );
    let old = rig.key();
    assert_eq!(
        rig.sandbox.entity(SEED_ENTITY_ID).unwrap()["ingest"]["url"],
        rig.ingest.app_url()
    );
    assert_eq!(rig.status(), "ready");

    let mut session = rig.publish(&old, 25);
    assert!(
        rig.ingest.wait_flowing(&old, Duration::from_secs(10)),
        "the first publish never flowed:\n{}\n{}",
        session.log(),
        rig.ingest.error_log()
    );
    assert_eq!(rig.status(), "broadcasting");

    // Rotate while the stream runs.
    let out = run_checked(
        Command::new(&rotate_tool)
            .arg(SEED_ENTITY_ID)
            .arg(&old)
            .env("UIZA_API_KEY", DEFAULT_API_KEY)
            .env("UIZA_BASE_URL", rig.sandbox.base_url()),
    );
    out.assert_success("live_rotate");
    let stdout = &out.stdout;
    let new = rig.key();
    assert_ne!(new, old);
    assert!(
        stdout.contains(&format!("ingest key:  {new}\n")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("ingest url:  {}\n", rig.ingest.app_url())));
    assert_eq!(rig.sandbox.rotations(SEED_ENTITY_ID), 1);

    // The running session keeps flowing (on_update keeps allowing it).
    rig.ingest.assert_rising(&old, 5);
    assert!(session.still_running(), "{}", session.log());
    assert_eq!(rig.status(), "broadcasting");

    // A new publish with the old key is refused...
    rig.assert_publish_refused(&old);
    assert!(rig.wait_publish(&old, false, Duration::from_secs(1)));

    // ...and one with the new key gets in.
    rig.assert_publish_flows(&new, 3);
    rig.assert_publishes_old_refused_new_admitted(&old, &new);
    assert!(session.still_running(), "the first session ended early");
    session.stop();
    assert_within_budget(started);
}
