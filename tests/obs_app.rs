//! The OBS Studio application itself (`obs` from the obs-studio package,
//! under xvfb-run), set up the way docs/live.md tells users to: the plugin
//! installed in the per-user plugins folder, the profile's service.json
//! naming the `uiza_live` service. OBS must load the plugin, read the
//! entity and stream with its key (`--startstreaming`) to nginx-rtmp,
//! whose callbacks go to the sandbox; neither the API key nor the stream
//! key may appear in OBS's log.
//!
//! Skipped, with one line on stderr, when a tool is missing.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::live::*;
use support::tools::tool_available;
use support::*;
use uiza_sandbox::IngestPolicy;

#[test]
fn obs_studio_loads_the_user_plugin_and_streams_through_the_service() {
    if !(obs_live_tools_present() && tool_available("obs", &["--version"], "obs-studio")) {
        return;
    }
    let plugin = build_plugin("obs_app-user", "libuiza.so", &["-DUIZA_OBS_LAYOUT=user"]);
    let started = Instant::now();
    let rig = LiveRig::start("obs-app", IngestPolicy::Grandfather, Duration::from_secs(2));
    let key = rig.key();

    // A fresh OBS configuration: one profile whose service is uiza_live.
    let config = rig.dir.join("config");
    let obs_config = config.join("obs-studio");
    let profile = obs_config.join("basic/profiles/Uiza");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::write(
        obs_config.join("global.ini"),
        "[General]\nFirstRun=true\n\n[Basic]\nProfile=Uiza\nProfileDir=Uiza\n\
         SceneCollection=Untitled\nSceneCollectionFile=Untitled\n",
    )
    .unwrap();
    std::fs::write(profile.join("basic.ini"), "[General]\nName=Uiza\n").unwrap();
    // A scene collection: without one OBS skips --startstreaming.
    let scenes = obs_config.join("basic/scenes");
    std::fs::create_dir_all(&scenes).unwrap();
    let collection = serde_json::json!({
        "name": "Untitled",
        "current_scene": "Scene",
        "current_program_scene": "Scene",
        "scene_order": [{"name": "Scene"}],
        "sources": [{"id": "scene", "versioned_id": "scene", "name": "Scene",
                     "settings": {"id_counter": 0, "items": []}}]
    });
    std::fs::write(scenes.join("Untitled.json"), collection.to_string()).unwrap();
    let service = serde_json::json!({
        "type": "uiza_live",
        "settings": {
            "api_key": DEFAULT_API_KEY,
            "entity_id": SEED_ENTITY_ID,
            "base_url": rig.sandbox.base_url(),
        },
        "hotkeys": { "uiza_live.rotate_key": [ { "key": "OBS_KEY_F9" } ] }
    });
    std::fs::write(profile.join("service.json"), service.to_string()).unwrap();
    // cmake --install into the per-user plugins folder, as a user would.
    let plugins = obs_config.join("plugins");
    let out = Command::new("cmake")
        .arg("--install")
        .arg(&plugin.build)
        .arg("--prefix")
        .arg(&plugins)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(plugins.join("uiza-obs/bin/64bit/uiza-obs.so").is_file());

    let log = rig.dir.join("obs.log");
    let mut obs = Group::spawn(
        Command::new("xvfb-run")
            .args(xvfb_run_args("1280x800x24"))
            .args([
                "obs",
                "--multi",
                "--disable-missing-files-check",
                "--startstreaming",
            ])
            .env("HOME", &config)
            .env("XDG_CONFIG_HOME", &config)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null()),
    );
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let live = rig.wait_publish(&key, true, Duration::from_secs(30))
        && rig.ingest.wait_flowing(&key, Duration::from_secs(10));
    assert!(
        live,
        "OBS did not stream with the entity's key:\n{}",
        read_log()
    );
    assert_eq!(rig.status(), "broadcasting");
    rig.ingest.assert_rising(&key, 2);
    // Stop OBS alone: xvfb-run then stops its X server and exits.
    for pid in children(obs.id(), "obs") {
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    }
    if obs.wait_timeout(Duration::from_secs(10)).is_none() {
        obs.stop();
    }

    let text = read_log();
    assert!(text.contains("[uiza-obs] loaded"), "{text}");
    assert!(text.contains("[uiza-obs] live entity read"), "{text}");
    assert!(text.contains(&format!(
        "Connection to {} successful",
        rig.ingest.app_url()
    )));
    // OBS's own log files too.
    let mut logs = text;
    for entry in std::fs::read_dir(obs_config.join("logs")).unwrap() {
        logs.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
    }
    support::tools::assert_no_secret("OBS's log", &logs);
    assert!(!logs.contains(&key), "the stream key reached OBS's log");
    assert!(
        started.elapsed() < TEST_BUDGET,
        "took {:?}",
        started.elapsed()
    );
}

/// The processes named `name` whose parent is `parent`, from /proc.
fn children(parent: u32, name: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split at ')'.
        let Some((head, after)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c);
        if comm == name && after.split_whitespace().nth(1) == Some(&parent.to_string()) {
            found.push(pid);
        }
    }
    found
}
