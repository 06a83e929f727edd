//! The Go binding (bindings/go): `go test -tags uiza_intree` builds the cgo
//! package against include/uiza.h and the freshly built libuiza.so and runs
//! its tests against an HTTP and an HTTPS sandbox, with the race detector
//! on: resets, exactly-once rotation, reads on the library's worker
//! threads, context cancellation through cancel tokens, `Error.Rotated`,
//! and the library's own messages in refusals. Without the tag the package
//! finds libuiza through pkg-config, checked here with a uiza.pc that
//! describes this build.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::bindings::Sandboxes;
use support::c_build::{lib_dir, link_flags, repo_root};
use support::tools::{run, tool_available};

/// Every test the Go suite defines (`func TestX(t *testing.T)` in its
/// `_test.go` files): each must be reported as passed, so a skipped or
/// renamed test cannot go unnoticed.
fn go_tests() -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(package_dir()).expect("read bindings/go") {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("_test.go") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        names.extend(source.lines().filter_map(|l| {
            let rest = l.strip_prefix("func Test")?;
            let name = rest.split('(').next()?;
            rest.contains("*testing.T)").then(|| format!("Test{name}"))
        }));
    }
    assert!(!names.is_empty(), "no Go test found");
    names
}

fn package_dir() -> PathBuf {
    repo_root().join("bindings/go")
}

/// Where the Go caches and the generated uiza.pc go: under target/ (HOME
/// may not be writable).
fn go_home() -> PathBuf {
    lib_dir().join("go-bindings")
}

/// `go` with its caches under target/, module mode without network (the
/// package has no dependencies), and no cgo flags from the environment.
fn go_command(args: &[&str]) -> Command {
    let home = go_home();
    let mut cmd = Command::new("go");
    cmd.args(args)
        .current_dir(package_dir())
        .env("GOCACHE", home.join("cache"))
        .env("GOPATH", home.join("path"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GO111MODULE", "on")
        .env("CGO_ENABLED", "1")
        .env_remove("CGO_CFLAGS")
        .env_remove("CGO_LDFLAGS");
    cmd
}

/// `go <subcommand> -tags uiza_intree <args>`: the header from include/
/// (link_intree.go), and the library this build produced through
/// CGO_LDFLAGS.
fn go(subcommand: &str, args: &[&str]) -> Command {
    let mut cmd = go_command(&[subcommand, "-tags", "uiza_intree"]);
    cmd.args(args)
        .env("CGO_LDFLAGS", link_flags(&lib_dir()).join(" "));
    cmd
}

/// Whether the Go toolchain is there (the test is skipped otherwise).
fn go_available() -> bool {
    tool_available("go", &["version"], "golang-go") && tool_available("gofmt", &[], "golang-go")
}

#[test]
fn go_tests_pass_against_the_sandbox() {
    if !go_available() {
        return;
    }
    let sandboxes = Sandboxes::start();
    let mut cmd = go(
        "test",
        &["-race", "-count=1", "-v", "-timeout", "300s", "."],
    );
    sandboxes.apply(&mut cmd);
    let done = run(&mut cmd, Duration::from_secs(900));
    done.assert_success("go test");
    let out = done.output();
    for name in go_tests() {
        assert!(
            out.contains(&format!("--- PASS: {name} ")),
            "{name} did not pass:\n{out}"
        );
    }
    assert!(!out.contains("--- SKIP"), "a Go test was skipped:\n{out}");
    assert!(
        sandboxes.http.stats().resets >= 64 * 3,
        "the goroutine test did not reach the sandbox"
    );
    assert!(
        sandboxes.tls.stats().resets >= 2,
        "no reset went over HTTPS"
    );
}

#[test]
fn go_package_is_gofmt_and_vet_clean() {
    if !go_available() {
        return;
    }
    let unformatted = run(
        Command::new("gofmt").arg("-l").arg(package_dir()),
        Duration::from_secs(120),
    );
    unformatted.assert_success("gofmt -l");
    assert!(
        unformatted.stdout.trim().is_empty(),
        "not gofmt-formatted (run `gofmt -w bindings/go`):\n{}",
        unformatted.stdout
    );
    run(&mut go("vet", &["."]), Duration::from_secs(600)).assert_success("go vet");
}

/// Without the build tag, cgo takes its flags from `pkg-config uiza` alone:
/// a uiza.pc that describes this build (as `cargo cinstall` writes one for
/// an installed copy) must be enough to build, link and vet the package.
#[test]
fn go_package_builds_through_pkg_config() {
    if !go_available() || !tool_available("pkg-config", &["--version"], "pkg-config") {
        return;
    }
    let pc_dir = go_home().join("pkgconfig");
    std::fs::create_dir_all(&pc_dir).unwrap();
    // Like the uiza.pc of `cargo cinstall`: no rpath (cgo refuses most
    // -Wl options from pkg-config anyway); the build links, nothing runs.
    std::fs::write(
        pc_dir.join("uiza.pc"),
        format!(
            "Name: uiza\n\
             Description: libuiza as built in this checkout\n\
             Version: {}\n\
             Cflags: -I{}\n\
             Libs: -L{} -luiza\n",
            env!("CARGO_PKG_VERSION"),
            repo_root().join("include").display(),
            lib_dir().display(),
        ),
    )
    .unwrap();
    for args in [&["build", "."][..], &["vet", "."]] {
        let mut cmd = go_command(args);
        cmd.env("PKG_CONFIG_PATH", &pc_dir)
            .env_remove("PKG_CONFIG_LIBDIR");
        run(&mut cmd, Duration::from_secs(600)).assert_success(&format!("go {}", args[0]));
    }
    // go build caches its result and may not run pkg-config again, so a
    // build without uiza.pc would prove nothing: go list shows that the
    // package asks pkg-config for uiza, and only without the tag.
    for (tags, want) in [("", "uiza"), ("uiza_intree", "")] {
        let listed = run(
            &mut go_command(&[
                "list",
                "-tags",
                tags,
                "-f",
                "{{join .CgoPkgConfig \" \"}}",
                ".",
            ]),
            Duration::from_secs(120),
        );
        listed.assert_success("go list");
        assert_eq!(
            listed.stdout.trim(),
            want,
            "pkg-config packages with tags {tags:?}"
        );
    }
}
