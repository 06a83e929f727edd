//! Rotating while OBS broadcasts: OBS's own rtmp_output (x264 and AAC
//! encoders from the obs-studio package) streams through the `uiza_live`
//! service to a private nginx-rtmp, whose callbacks go to the sandbox; the
//! rotate_key button is clicked mid-stream. Headless: the host program
//! runs libobs under xvfb-run with Mesa's software OpenGL.
//!
//! Skipped, with one line on stderr, when a tool is missing (cmake,
//! libobs-dev, obs-studio, xvfb, xauth, nginx, libnginx-mod-rtmp, ffmpeg).

mod support;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use support::live::*;
use support::*;
use uiza_sandbox::{IngestCall, IngestPolicy};

fn plugin() -> &'static Plugin {
    shared_plugin_once("obs_live-shared")
}

fn host() -> &'static PathBuf {
    host_once("obs_host_live")
}

/// One live OBS at a time: two software-rendered encoders on a 2-core
/// machine would make each other miss their timings.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Starts OBS streaming through the service to `rig`'s ingest with the
/// entity's current key; returns the host and that key.
fn go_live(rig: &LiveRig) -> (ObsHost, String) {
    let mut obs = ObsHost::start(host(), plugin(), true, &[]);
    obs.create_service(&rig.sandbox, api_key());
    let key = obs.ok("wait_key 5000");
    assert_eq!(key, rig.key());
    assert_eq!(obs.ok("url"), rig.ingest.app_url());
    obs.ok("stream");
    assert!(
        rig.ingest.wait_flowing(&key, Duration::from_secs(15)),
        "OBS's stream never flowed:\n{}\n{}",
        obs.stderr(),
        rig.ingest.error_log()
    );
    assert_eq!(obs.output_field("active"), 1);
    (obs, key)
}

/// Clicks rotate_key and waits until the service holds the new key.
fn rotate(obs: &mut ObsHost, rig: &LiveRig, old: &str) -> String {
    let clicked = obs.ok("click");
    let micros: u64 = clicked.split(' ').next().unwrap().parse().unwrap();
    assert!(micros < 5_000, "the click took {micros} µs");
    obs.ok("wait_status 10000 Key rotated at ");
    let new = rig.key();
    assert_ne!(new, old);
    assert_eq!(obs.ok("key"), new);
    assert_eq!(rig.sandbox.rotations(SEED_ENTITY_ID), 1);
    new
}

/// `None` (the test is skipped) when a tool is missing; otherwise builds
/// the plugin and the host, takes the one-at-a-time lock and returns it
/// with the time the test started.
fn begin() -> Option<(MutexGuard<'static, ()>, Instant)> {
    if !obs_live_tools_present() {
        return None;
    }
    let (_plugin, _host) = (plugin(), host());
    let one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    Some((one, Instant::now()))
}

/// Quits OBS cleanly, with none of `keys` in its log, within the budget.
fn finish(obs: ObsHost, keys: &[&str], started: Instant) {
    let (leaks, status, stderr) = obs.quit();
    assert!(status.success(), "{stderr}");
    assert_eq!(leaks, 0, "libobs allocations left");
    support::tools::assert_no_secret("the OBS log", &stderr);
    for key in keys {
        assert!(!stderr.contains(key), "a stream key reached the OBS log");
    }
    assert_within_budget(started);
}

#[test]
fn obs_keeps_streaming_after_a_rotation_under_the_grandfather_policy() {
    let Some((_one, started)) = begin() else {
        return;
    };
    let rig = LiveRig::start(
        "obs-grandfather",
        IngestPolicy::Grandfather,
        Duration::from_secs(1),
    );
    let (mut obs, old) = go_live(&rig);
    assert_eq!(rig.status(), "broadcasting");
    let new = rotate(&mut obs, &rig, &old);

    // The session that started with the old key keeps flowing.
    rig.ingest.assert_rising(&old, 5);
    assert_eq!(rig.status(), "broadcasting");
    assert_eq!(obs.output_field("active"), 1);
    assert_eq!(obs.output_field("reconnects"), 0);
    assert_eq!(obs.output_field("stops"), 0);

    // A new publish with the old key is refused, one with the new key
    // is accepted.
    rig.assert_publish_refused(&old);
    rig.assert_publish_flows(&new, 2);
    rig.assert_publishes_old_refused_new_admitted(&old, &new);
    // OBS is still on its first session.
    assert!(rig.ingest.bytes_in(&old).is_some());
    assert_eq!(obs.output_field("stops"), 0);

    finish(obs, &[&old, &new], started);
}

#[test]
fn obs_reconnects_with_the_new_key_when_the_ingest_kicks_the_old_one() {
    let Some((_one, started)) = begin() else {
        return;
    };
    let rig = LiveRig::start("obs-kick", IngestPolicy::Kick, Duration::from_secs(1));
    let (mut obs, old) = go_live(&rig);
    assert_eq!(rig.status(), "broadcasting");
    let new = rotate(&mut obs, &rig, &old);

    // The next on_update refuses the old key and nginx-rtmp drops the
    // session; OBS reconnects by itself with the service's new key.
    let until = Instant::now() + Duration::from_secs(10);
    while !rig.publishes().contains(&(new.clone(), true)) && Instant::now() < until {
        obs.ok("pump 100");
    }
    let log = rig.sandbox.ingest_log();
    let kicked = log
        .iter()
        .find(|e| e.call == IngestCall::Update && !e.allowed && e.name == old)
        .unwrap_or_else(|| panic!("the old session was never refused: {log:?}"));
    let back = log
        .iter()
        .find(|e| e.call == IngestCall::Publish && e.allowed && e.name == new)
        .unwrap_or_else(|| panic!("OBS never published with the new key: {log:?}"));
    let gap = back.at_ms - kicked.at_ms;
    assert!(gap <= 5_000, "OBS came back {gap} ms after the kick");
    // Only the new key was presented after the rotation.
    assert_eq!(rig.publishes(), [(old.clone(), true), (new.clone(), true)]);

    // No stop and start: one output session, reconnected.
    thread::sleep(Duration::from_millis(500));
    assert_eq!(obs.output_field("active"), 1);
    assert_eq!(obs.output_field("stops"), 0);
    assert_eq!(obs.output_field("starts"), 1);
    assert!(obs.output_field("reconnect_successes") >= 1);
    rig.ingest.assert_rising(&new, 3);
    assert_eq!(rig.status(), "broadcasting");

    finish(obs, &[&old, &new], started);
}

#[test]
fn a_new_key_waits_until_the_output_has_reconnected() {
    let Some((_one, started)) = begin() else {
        return;
    };
    // An ingest that takes any key, so that OBS can come back with the key
    // it holds.
    let mut rig = LiveRig::start_open("obs-reconnecting");
    let (mut obs, old) = go_live(&rig);

    // The ingest goes away: OBS reconnects, retrying every few seconds.
    rig.ingest.stop();
    let until = Instant::now() + Duration::from_secs(10);
    while obs.output_field("reconnecting") == 0 && Instant::now() < until {
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(obs.output_field("reconnecting"), 1, "{}", obs.stderr());

    // A rotation finishing now must not change the key under the
    // reconnecting output.
    obs.ok("click");
    obs.ok("wait_status 10000 Key rotated; it is used once the output has finished reconnecting.");
    assert_eq!(rig.sandbox.rotations(SEED_ENTITY_ID), 1);
    let new = rig.key();
    assert_ne!(new, old);
    obs.ok("pump 1000");
    assert_eq!(obs.output_field("reconnecting"), 1);
    assert_eq!(obs.ok("key"), old, "the key changed while reconnecting");

    // Once OBS is back (with the key it connected with), the new key is
    // applied for the next connection.
    rig.ingest.restart();
    let until = Instant::now() + Duration::from_secs(20);
    while obs.ok("key") != new && Instant::now() < until {
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(obs.ok("key"), new, "{}", obs.stderr());
    assert_eq!(obs.output_field("reconnecting"), 0);
    assert!(obs.output_field("reconnect_successes") >= 1);
    assert_eq!(obs.output_field("stops"), 0);
    assert!(obs.ok("status").starts_with("Key rotated at "));
    assert!(rig.ingest.wait_flowing(&old, Duration::from_secs(5)));

    finish(obs, &[&old, &new], started);
}
