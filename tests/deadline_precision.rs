//! A call ends when its budget does, not when the kernel's coarse socket
//! timer gets round to it (see src/core/precise_wait.rs). Before the
//! sliced waits, a 3 s budget ended up to 100 ms late and a 30 s budget up
//! to 2 s late. Its own process, so that no other test
//! loads the machine while it measures.

mod support;

use std::time::{Duration, Instant};

use support::*;
use uiza::UizaStatus as S;

/// 4.5 s sits in a timer-wheel level whose buckets are 512 ms wide at
/// HZ=1000 (256 ms at HZ=250), so an unsliced wait ends late by a random
/// 0-512 ms; two rounds below 40 ms each would be luck (well under 1 %).
#[test]
fn waits_end_within_a_few_milliseconds_of_the_budget() {
    let sb = sandbox();
    let c = TestClient::for_sandbox(&sb);
    assert_eq!(c.set_timeout_ms(4500), S::Ok);
    for round in 0..2 {
        sb.push_fault(fault(r#"{"kind":"delay","ms":9000}"#));
        let start = Instant::now();
        let out = c.reset(SEED_ENTITY_ID);
        let took = start.elapsed();
        assert_eq!(out.status, S::Timeout, "{}", out.json);
        assert!(
            took >= Duration::from_millis(4490),
            "round {round}: {took:?}"
        );
        assert!(
            took < Duration::from_millis(4540),
            "round {round} ended late: {took:?}"
        );
    }
}
