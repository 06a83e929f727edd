//! The Go binding (bindings/go): `go test` builds the cgo package against
//! include/uiza.h and the freshly built libuiza.so and runs its tests
//! against an HTTP and an HTTPS sandbox, with the race detector on.

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

/// `go` with its caches under target/ (HOME may not be writable), module
/// mode without network (the package has no dependencies), and cgo
/// pointed at the header and the library this build produced.
fn go(args: &[&str]) -> Command {
    let lib = lib_dir();
    let home = lib.join("go-bindings");
    let mut cmd = Command::new("go");
    cmd.args(args)
        .current_dir(package_dir())
        .env("GOCACHE", home.join("cache"))
        .env("GOPATH", home.join("path"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GO111MODULE", "on")
        .env("CGO_ENABLED", "1")
        .env(
            "CGO_CFLAGS",
            format!("-I{}", repo_root().join("include").display()),
        )
        .env("CGO_LDFLAGS", link_flags(&lib).join(" "));
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
    let mut cmd = go(&["test", "-race", "-count=1", "-v", "-timeout", "300s", "."]);
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
    run(&mut go(&["vet", "."]), Duration::from_secs(600)).assert_success("go vet");
}
