//! The uiza-obs plugin at service level, in real libobs: a headless host
//! (`tests/c/obs_host.c`, under xvfb-run) loads the installed plugin with
//! obs_open_module/obs_init_module, creates a `uiza_live` service against
//! the sandbox and drives it. Skipped, with one line on stderr, when
//! cmake, libobs-dev, obs-studio, xvfb or xauth is missing.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use support::live::*;
use support::tools::assert_no_secret;
use support::*;

const UNAUTHORIZED: &str =
    "You are unauthorized to access the requested resource. Please verify and resubmit.";

fn plugin() -> &'static Plugin {
    shared_plugin_once("obs_service-shared")
}

fn host() -> &'static PathBuf {
    host_once("obs_host_service")
}

/// The plugin linked with the static libuiza, installed in the per-user
/// layout (`<plugins>/uiza-obs/bin/64bit`, `<plugins>/uiza-obs/data`).
fn static_user_plugin() -> &'static Plugin {
    static P: OnceLock<Plugin> = OnceLock::new();
    P.get_or_init(|| {
        build_plugin(
            "obs_service-static-user",
            "libuiza.a",
            &["-DUIZA_OBS_LAYOUT=user"],
        )
    })
}

const ASAN_FLAGS: &str =
    "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all";

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// Checks what the host printed on stderr (libobs's log, the plugin's
/// lines among it) for the API key and the stream keys.
fn assert_log_clean(stderr: &str, stream_keys: &[&str]) {
    assert_no_secret("the OBS log", stderr);
    for key in stream_keys {
        assert!(
            !stderr.contains(key),
            "a stream key reached the OBS log:\n{stderr}"
        );
    }
}

/// A sandbox, and a host with the plugin loaded, or `None` (the test is
/// skipped) without the OBS tools.
fn started_host() -> Option<(Sandbox, ObsHost)> {
    obs_tools_present().then(|| (sandbox(), ObsHost::start(host(), plugin(), false, &[])))
}

/// A sandbox, and a host with a `uiza_live` service on its seed entity
/// once the service holds its key; returns them and that key, or `None`
/// (the test is skipped) without the OBS tools.
fn started_service() -> Option<(Sandbox, ObsHost, String)> {
    let (sb, mut obs) = started_host()?;
    obs.create_service(&sb, api_key());
    let k0 = obs.ok("wait_key 5000");
    Some((sb, obs, k0))
}

/// Waits up to 5 s for the sandbox to count `rotations` of the seed
/// entity, then up to 5 s for the service to show the key the sandbox
/// then holds (failing with `stuck` if it does not); returns that key.
fn wait_rotated_key(sb: &Sandbox, obs: &mut ObsHost, rotations: u64, stuck: &str) -> String {
    assert!(
        wait_until(Duration::from_secs(5), || sb.rotations(SEED_ENTITY_ID)
            == rotations),
        "{} rotations, not {rotations}",
        sb.rotations(SEED_ENTITY_ID)
    );
    let key = sb.current_key(SEED_ENTITY_ID).unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || obs.ok("key") == key),
        "{stuck}"
    );
    key
}

/// Quits the host: a clean exit, no libobs allocations left, and neither
/// the API key nor `stream_keys` in its log; returns that log.
fn quit_clean(obs: ObsHost, stream_keys: &[&str]) -> String {
    let (leaks, status, stderr) = obs.quit();
    assert!(status.success(), "{stderr}");
    assert_eq!(leaks, 0, "libobs allocations left:\n{stderr}");
    assert_log_clean(&stderr, stream_keys);
    stderr
}

#[test]
fn service_reads_the_entity_and_rotates_once_through_the_ui_thread() {
    let Some((sb, mut obs)) = started_host() else {
        return;
    };

    // Until the read is applied on the UI thread, URL and key are empty.
    obs.ok("pause");
    obs.create_service(&sb, api_key());
    assert_eq!(obs.ok("key"), "");
    assert_eq!(obs.ok("url"), "");
    assert_eq!(
        obs.ok("status"),
        "Reading the live entity; no stream key yet."
    );
    obs.ok("resume");

    let k0 = sb.current_key(SEED_ENTITY_ID).unwrap();
    let entity = sb.entity(SEED_ENTITY_ID).unwrap();
    assert_eq!(obs.ok("wait_key 5000"), k0);
    assert_eq!(obs.ok("url"), entity["ingest"]["url"].as_str().unwrap());
    assert!(obs.ok("status").starts_with("Stream key loaded at "));
    assert_eq!(
        obs.ok("describe"),
        "name=Uiza Live|button=Rotate stream key|hotkey=Rotate Uiza stream key|hotkey_of_service=1|f9_bindings=1|api_key_password=1|status_info=1"
    );

    // Click with the UI thread held: the rotation happens on the server,
    // but the service's key changes only when the host runs its UI tasks.
    obs.ok("pause");
    let clicked = obs.ok("click");
    assert!(clicked.ends_with("refresh=1"), "{clicked}");
    assert_eq!(obs.ok("status"), "Rotating the stream key...");
    assert!(
        wait_until(Duration::from_secs(5), || sb.rotations(SEED_ENTITY_ID) == 1),
        "the click did not rotate the key"
    );
    assert!(
        wait_until(Duration::from_secs(5), || obs
            .ok("tasks")
            .starts_with("queued=1 ")),
        "the result was not handed to the UI task handler: {}",
        obs.ok("tasks")
    );
    assert_eq!(obs.ok("key"), k0, "the key changed off the UI thread");
    let before = obs.ok("tasks");
    obs.ok("resume");
    let after = obs.ok("tasks");
    let k1 = sb.current_key(SEED_ENTITY_ID).unwrap();
    assert_ne!(k1, k0);
    assert_eq!(obs.ok("key"), k1, "tasks before {before}, after {after}");
    assert!(obs.ok("status").starts_with("Key rotated at "));
    let field = |s: &str, name: &str| -> u64 {
        s.split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(field(&after, "ran") > field(&before, "ran"));
    assert!(field(&after, "offthread") >= 2, "{after}");
    obs.ok("pump 500");
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1, "rotated more than once");

    // The hotkey rotates too, through the same UI hop.
    obs.ok("hotkey");
    let k2 = wait_rotated_key(
        &sb,
        &mut obs,
        2,
        "the hotkey's key never reached the service",
    );
    // The hotkey used the current key: exactly one more PUT.
    assert_eq!(sb.stats().resets, 2);

    let stderr = quit_clean(obs, &[&k0, &k1, &k2]);
    assert!(stderr.contains("[uiza-obs] stream key rotated"), "{stderr}");
    // libuiza's own lines, routed by the plugin at LOG_INFO (300), up to
    // INFO only: no LOG_DEBUG (400) line of the library.
    for line in [
        format!("[libobs 300] [uiza] read of live entity {SEED_ENTITY_ID}: starting at "),
        "[libobs 300] [uiza] read succeeded after 1 attempt(s) in ".to_owned(),
        format!("[libobs 300] [uiza] rotation of live entity {SEED_ENTITY_ID}: starting at "),
        "[libobs 300] [uiza] rotation succeeded after 1 attempt(s) in ".to_owned(),
    ] {
        assert!(
            stderr.contains(&line),
            "no {line:?} in the OBS log:\n{stderr}"
        );
    }
    assert!(!stderr.contains("[libobs 400] [uiza] "), "{stderr}");
}

#[test]
fn click_returns_at_once_while_the_api_takes_two_seconds() {
    let Some((sb, mut obs, k0)) = started_service() else {
        return;
    };

    sb.push_fault(fault(r#"{"kind":"delay","ms":2000,"method":"PUT"}"#));
    let clicked = obs.ok("click");
    let micros: u64 = clicked.split(' ').next().unwrap().parse().unwrap();
    let start = Instant::now();
    assert!(micros < 5_000, "the click took {micros} µs");
    assert_eq!(obs.ok("status"), "Rotating the stream key...");
    // A second click while the first is running starts nothing.
    obs.ok("click");
    assert_eq!(obs.ok("status"), "A rotation is already running.");
    assert_eq!(obs.ok("key"), k0);

    let rotated = obs.ok("wait_status 8000 Key rotated at ");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1900),
        "rotated after {took:?}: the delay did not apply ({rotated})"
    );
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);
    assert_eq!(obs.ok("key"), sb.current_key(SEED_ENTITY_ID).unwrap());

    quit_clean(obs, &[&k0]);
}

#[test]
fn settings_changed_mid_rotation_still_end_with_the_current_key() {
    let Some((sb, mut obs, k0)) = started_service() else {
        return;
    };

    // The PUT is held 1.5 s; meanwhile the settings are applied again,
    // whose read answers with the key from before the rotation.
    sb.push_fault(fault(r#"{"kind":"delay","ms":1500,"method":"PUT"}"#));
    obs.ok("click");
    obs.ok("pump 200");
    obs.ok(&format!(
        "update {} {SEED_ENTITY_ID} {}",
        api_key(),
        sb.base_url()
    ));
    assert_eq!(obs.ok("wait_key 5000"), k0);
    // The rotation still happens (its PUT was sent), and the service ends
    // up with the key it produced, not the stale one.
    let k1 = wait_rotated_key(
        &sb,
        &mut obs,
        1,
        &format!("the service kept the stale key {k0}"),
    );

    quit_clean(obs, &[&k0, &k1]);
}

#[test]
fn an_unknown_rotation_outcome_makes_the_service_read_the_entity_again() {
    let Some((sb, mut obs, k0)) = started_service() else {
        return;
    };

    // The PUT rotates, then its connection drops; the library's read-back
    // fails too, so the outcome is unknown ("rotated": null).
    sb.push_fault(fault(r#"{"kind":"apply_then_drop","method":"PUT"}"#));
    sb.push_fault(fault(r#"{"kind":"status","status":500,"method":"GET"}"#));
    obs.ok("click");
    let status =
        obs.ok("wait_status 5000 The key may have changed: reading the live entity again.");
    // The library's message (it names the failed read-back), then ours.
    assert!(
        status.contains("reading the entity back failed"),
        "{status}"
    );
    assert!(status.ends_with(" The key may have changed: reading the live entity again."));
    // The plugin's own read then finds the rotated key.
    let k1 = sb.current_key(SEED_ENTITY_ID).unwrap();
    assert_ne!(k1, k0);
    assert!(
        wait_until(Duration::from_secs(5), || obs.ok("key") == k1),
        "the service kept {k0}"
    );
    assert!(obs.ok("status").starts_with("Stream key loaded at "));
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 1);

    quit_clean(obs, &[&k0, &k1]);
}

#[test]
fn static_plugin_in_the_user_layout_shows_the_api_message_for_a_wrong_key() {
    if !obs_tools_present() {
        return;
    }
    let plugin = static_user_plugin();
    // <plugins>/uiza-obs/bin/64bit/uiza-obs.so and <plugins>/uiza-obs/data:
    // the per-user folder OBS searches (~/.config/obs-studio/plugins).
    assert!(plugin.module.ends_with("uiza-obs/bin/64bit/uiza-obs.so"));
    assert!(plugin.data.join("locale/en-US.ini").is_file());

    let sb = sandbox();
    let mut obs = ObsHost::start(host(), plugin, false, &[]);
    obs.ok(&format!(
        "create wrong-key-must-not-leak {SEED_ENTITY_ID} {}",
        sb.base_url()
    ));
    assert_eq!(
        obs.ok(&format!("wait_status 5000 {UNAUTHORIZED}")),
        UNAUTHORIZED
    );
    assert_eq!(obs.ok("key"), "");
    assert_eq!(obs.ok("url"), "");

    // A rotation fails the same way and changes nothing.
    obs.ok("click");
    assert_eq!(
        obs.ok(&format!("wait_status 5000 {UNAUTHORIZED}")),
        UNAUTHORIZED
    );
    assert_eq!(sb.rotations(SEED_ENTITY_ID), 0);

    // libuiza's failure lines reach the OBS log at LOG_ERROR (100), from
    // the plugin linked with the static library too.
    let stderr = quit_clean(obs, &[]);
    assert!(
        stderr.contains("[libobs 100] [uiza] rotation failed after 1 attempt(s) in "),
        "{stderr}"
    );
}

#[test]
fn plugin_installs_where_obs_looks_for_plugins() {
    if !obs_tools_present() {
        return;
    }
    // The system layout mirrors OBS's own plugins under the prefix.
    let p = plugin();
    assert_eq!(
        p.module,
        p.prefix
            .join("lib/x86_64-linux-gnu/obs-plugins/uiza-obs.so")
    );
    assert_eq!(p.data, p.prefix.join("share/obs/obs-plugins/uiza-obs"));
    let locale = std::fs::read_to_string(p.data.join("locale/en-US.ini")).unwrap();
    for line in [
        "UizaLive=\"Uiza Live\"",
        "RotateKey=\"Rotate stream key\"",
        "RotateHotkey=\"Rotate Uiza stream key\"",
    ] {
        assert!(locale.lines().any(|l| l == line), "{line} missing");
    }
}

#[test]
fn destroying_the_service_mid_call_is_clean_under_asan() {
    if !obs_tools_present() {
        return;
    }
    let plugin = build_plugin(
        "obs_service-asan",
        "libuiza.so",
        &[
            &format!("-DCMAKE_C_FLAGS={ASAN_FLAGS}"),
            "-DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=address,undefined",
        ],
    );
    let asan_flags: Vec<&str> = ASAN_FLAGS.split(' ').collect();
    let host = build_host("obs_host_service_asan", &asan_flags);
    let sb = sandbox();
    let mut obs = ObsHost::start(
        host.as_path(),
        &plugin,
        false,
        &[
            // Leak detection on, no suppressions.
            ("ASAN_OPTIONS", "detect_leaks=1:exitcode=98"),
            ("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1"),
        ],
    );

    // A rotation in flight (the server holds the PUT for 2 s)...
    obs.create_service(&sb, api_key());
    let k0 = obs.ok("wait_key 5000");
    sb.push_fault(fault(r#"{"kind":"delay","ms":2000,"method":"PUT"}"#));
    obs.ok("props_keep");
    obs.ok("click");
    obs.ok("pump 200");
    // ...when the service goes away.
    obs.ok("destroy");
    // A properties view that outlived the service: its button does nothing.
    assert_eq!(obs.ok("props_click"), "0");
    obs.ok("pump 3000");
    assert_eq!(
        obs.ok("log_seen [uiza-obs] a result for a destroyed service was dropped"),
        "1",
        "the late callback did not come back:\n{}",
        obs.stderr()
    );
    assert!(sb.rotations(SEED_ENTITY_ID) <= 1);

    // A read in flight when the service goes away is cancelled.
    sb.push_fault(fault(r#"{"kind":"delay","ms":2000,"method":"GET"}"#));
    obs.create_service(&sb, api_key());
    obs.ok("pump 100");
    obs.ok("destroy");
    obs.ok("pump 1000");

    let (leaks, status, stderr) = obs.quit();
    assert!(
        !stderr.contains("ERROR: AddressSanitizer")
            && !stderr.contains("ERROR: LeakSanitizer")
            && !stderr.contains("runtime error:"),
        "sanitizer report:\n{stderr}"
    );
    assert!(status.success(), "exit {status:?}:\n{stderr}");
    assert_eq!(leaks, 0, "libobs allocations left:\n{stderr}");
    assert_log_clean(&stderr, &[&k0]);
}
