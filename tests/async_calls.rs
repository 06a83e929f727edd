//! Async calls from C (`tests/c/async_test.c`): exactly one callback per
//! accepted call across 1,000 rotations over 50 entities from 8 threads
//! with random cancels and faults; freeing a client or a token in flight;
//! cancelling and starting calls from inside callbacks; bounded workers
//! that exit when idle. The server's counters prove exactly-once rotation.

mod support;

use std::process::Command;

use support::async_fixture::AsyncFixture;
use support::c_build::compile_c;
use support::tools::{c_compiler_available, run_checked};
use support::*;

#[test]
fn every_async_call_calls_back_once_and_rotates_once() {
    if !c_compiler_available() {
        return;
    }
    let fixture = AsyncFixture::start(DEFAULT_API_KEY, 50, 20, 150);
    let bin = compile_c("async_test", &["tests/c/async_test.c"], &["-pthread"]);
    let out = run_checked(Command::new(bin).envs(fixture.env(DEFAULT_API_KEY)));
    out.assert_success("async_test");
    fixture.verify(&out.stdout);
    assert!(fixture.main.stats().faults_applied > 0);
}
