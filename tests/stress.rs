//! Stress: 32 threads make 2,000 calls in all against the sandbox while a
//! feeder thread keeps queueing random faults and a churn thread replaces
//! shared clients (freeing the old ones as their last user finishes) and
//! calls their setters. Calls mix shared clients, short-lived own clients
//! and the one-shot function.
//!
//! Asserts: no crash, a documented status for every call (each kind of call
//! has its allowed set), every call within its budget, the API key in no
//! document, and no memory growth from round to round.
//!
//! This file is its own process: it points the one-shot client at its
//! sandbox through UIZA_BASE_URL before the first one-shot call.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use support::hygiene::*;
use support::*;
use uiza::UizaStatus as S;

const THREADS: usize = 32;
const ROUNDS: usize = 4;
const CALLS_PER_ROUND: usize = 500;
/// Budget of the clients' calls; the one-shot client keeps its 30 s.
const BUDGET_MS: u32 = 2000;
const ONE_SHOT_BUDGET: Duration = Duration::from_secs(30);
/// Lateness allowed past a budget on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(2500);
/// Shared clients, replaced one at a time by the churn thread.
const SLOTS: usize = 4;
/// One fault is queued for every this many calls started.
const CALLS_PER_FAULT: usize = 3;
/// Round 1 warms up what a process keeps once it has run many threads and
/// connections (glibc caches up to 40 MiB of exited threads' stacks, pools
/// fill up). After it, resident memory (with the allocator's free pages
/// handed back) may wander this much, but must not keep growing.
const RSS_TOLERANCE_KIB: u64 = 12 * 1024;

/// xorshift64*: the tests need cheap randomness, not a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// A random fault from everything the sandbox can do, with timings that
/// fit the short budget (one delay in ~30 outlasts it).
fn random_fault(rng: &mut Rng) -> String {
    let delay = 20 + rng.below(280);
    match rng.below(16) {
        0 => format!(r#"{{"kind":"delay","ms":{delay}}}"#),
        1 => r#"{"kind":"delay","ms":2600}"#.into(),
        2 => r#"{"kind":"status","status":500}"#.into(),
        3 => r#"{"kind":"status","status":502,"times":2}"#.into(),
        4 => r#"{"kind":"status","status":503}"#.into(),
        5 => r#"{"kind":"status","status":504}"#.into(),
        6 => r#"{"kind":"status","status":429,"retry_after":"0"}"#.into(),
        7 => r#"{"kind":"status","status":429}"#.into(),
        8 => r#"{"kind":"drop"}"#.into(),
        9 => r#"{"kind":"drop_mid_body"}"#.into(),
        10 => r#"{"kind":"truncated"}"#.into(),
        11 => r#"{"kind":"oversized","bytes":1073741824}"#.into(),
        12 => r#"{"kind":"non_json"}"#.into(),
        13 => r#"{"kind":"wrong_types"}"#.into(),
        14 => r#"{"kind":"no_key"}"#.into(),
        _ => r#"{"kind":"drip","chunk_bytes":64,"interval_ms":5}"#.into(),
    }
}

/// What a faulted request can end in, whatever the call.
const FAULT_STATUSES: &[S] = &[
    S::Ok,
    S::ServerError,
    S::RateLimited,
    S::Timeout,
    S::ConnectionFailed,
    S::InvalidResponse,
    S::ResponseTooLarge,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The seed entity on a shared client.
    Shared,
    /// The seed entity on a client created and freed for this call.
    Own,
    /// The seed entity through `uiza_reset_stream_key`.
    OneShot,
    /// An unknown id: NOT_FOUND, unless a fault answers first (fault
    /// bodies imitate the seed entity, so even OK).
    Unknown,
    /// An invalid id: refused before any request, whatever is queued.
    Invalid,
}

fn allowed(kind: Kind, status: S) -> bool {
    match kind {
        Kind::Shared | Kind::Own | Kind::OneShot => FAULT_STATUSES.contains(&status),
        Kind::Unknown => status == S::NotFound || FAULT_STATUSES.contains(&status),
        Kind::Invalid => status == S::InvalidArgument,
    }
}

fn new_client(sb: &Sandbox) -> Arc<TestClient> {
    let c = client_with_budget(sb, BUDGET_MS);
    assert_eq!(c.set_max_retries(1), S::Ok);
    Arc::new(c)
}

/// Everything the threads of a round share.
struct Round<'a> {
    sb: &'a Sandbox,
    slots: Vec<RwLock<Arc<TestClient>>>,
    started: AtomicUsize,
    done: AtomicBool,
    tally: Mutex<BTreeMap<(Kind, String), usize>>,
}

impl Round<'_> {
    fn worker(&self, seed: u64) {
        let mut rng = Rng::new(seed);
        while self.started.fetch_add(1, Ordering::Relaxed) < CALLS_PER_ROUND {
            let kind = match rng.below(20) {
                0..=8 => Kind::Shared,
                9..=11 => Kind::Own,
                12..=14 => Kind::OneShot,
                15..=17 => Kind::Unknown,
                _ => Kind::Invalid,
            };
            let slot = &self.slots[rng.below(SLOTS as u64) as usize];
            let shared = || Arc::clone(&slot.read().unwrap());
            let start = Instant::now();
            let (out, budget) = match kind {
                Kind::Shared => (shared().reset(SEED_ENTITY_ID), ms(BUDGET_MS)),
                Kind::Own => (new_client(self.sb).reset(SEED_ENTITY_ID), ms(BUDGET_MS)),
                Kind::OneShot => (one_shot(RELIABILITY_KEY, SEED_ENTITY_ID), ONE_SHOT_BUDGET),
                Kind::Unknown => (shared().reset("no-such-entity"), ms(BUDGET_MS)),
                Kind::Invalid => (shared().reset(".."), ms(BUDGET_MS)),
            };
            let took = start.elapsed();
            let out = checked(out);
            assert!(allowed(kind, out.status), "{kind:?}: {}", out.json);
            assert!(
                took <= budget + MARGIN,
                "{kind:?} took {took:?}: {}",
                out.json
            );
            *self
                .tally
                .lock()
                .unwrap()
                .entry((kind, format!("{:?}", out.status)))
                .or_default() += 1;
        }
    }

    /// Queues one random fault per `CALLS_PER_FAULT` calls started.
    fn feeder(&self, seed: u64) -> usize {
        let mut rng = Rng::new(seed);
        let mut pushed = 0;
        while !self.done.load(Ordering::Relaxed) {
            let due = self.started.load(Ordering::Relaxed).min(CALLS_PER_ROUND) / CALLS_PER_FAULT;
            while pushed < due {
                self.sb.push_fault(fault(&random_fault(&mut rng)));
                pushed += 1;
            }
            std::thread::sleep(ms(2));
        }
        pushed
    }

    /// Replaces shared clients while they are in use (the old one is freed
    /// by whichever thread drops the last reference) and calls setters.
    fn churn(&self, seed: u64) -> usize {
        let mut rng = Rng::new(seed);
        let mut replaced = 0;
        while !self.done.load(Ordering::Relaxed) {
            let slot = rng.below(SLOTS as u64) as usize;
            *self.slots[slot].write().unwrap() = new_client(self.sb);
            replaced += 1;
            let other = Arc::clone(&self.slots[(slot + 1) % SLOTS].read().unwrap());
            assert_eq!(other.set_max_retries(rng.below(3) as u32), S::Ok);
            assert_eq!(other.set_timeout_ms(BUDGET_MS), S::Ok);
            assert_eq!(other.set_base_url(self.sb.base_url()), S::Ok);
            std::thread::sleep(ms(10));
        }
        replaced
    }
}

fn ms(n: u32) -> Duration {
    Duration::from_millis(u64::from(n))
}

#[test]
fn thirty_two_threads_two_thousand_calls_with_random_faults() {
    let sb = reliability_sandbox();
    std::env::set_var("UIZA_BASE_URL", sb.base_url());
    let started = Instant::now();
    let mut rss_after_round = Vec::new();
    let mut totals: BTreeMap<(Kind, String), usize> = BTreeMap::new();
    let (mut faults, mut replaced) = (0, 0);
    for round in 0..ROUNDS {
        let state = Round {
            sb: &sb,
            slots: (0..SLOTS).map(|_| RwLock::new(new_client(&sb))).collect(),
            started: AtomicUsize::new(0),
            done: AtomicBool::new(false),
            tally: Mutex::new(BTreeMap::new()),
        };
        std::thread::scope(|s| {
            let state = &state;
            let seed = (round as u64 + 1) * 1000;
            let feeder = s.spawn(move || state.feeder(seed));
            let churn = s.spawn(move || state.churn(seed + 1));
            let workers: Vec<_> = (0..THREADS)
                .map(|t| s.spawn(move || state.worker(seed + 2 + t as u64)))
                .collect();
            for w in workers {
                w.join().expect("a worker panicked");
            }
            state.done.store(true, Ordering::Relaxed);
            faults += feeder.join().expect("feeder");
            replaced += churn.join().expect("churn");
        });
        // Faults left over would hit the next round's first calls; that is
        // fine, they are random anyway.
        for (k, n) in state.tally.into_inner().unwrap() {
            *totals.entry(k).or_default() += n;
        }
        drop(state.slots);
        if round > 0 {
            rss_after_round.push(support::memory::settled_rss_kib());
        }
    }
    let calls: usize = totals.values().sum();
    let stats = sb.stats();
    eprintln!(
        "stress: {calls} calls on {THREADS} threads in {:?}; {faults} faults queued, \
         {} applied; {} API requests; {replaced} shared clients replaced",
        started.elapsed(),
        stats.faults_applied,
        stats.api_requests
    );
    for ((kind, status), n) in &totals {
        eprintln!("  {kind:?} -> {status}: {n}");
    }
    eprintln!("  RSS after rounds 2..={ROUNDS} (KiB): {rss_after_round:?}");

    assert_eq!(calls, ROUNDS * CALLS_PER_ROUND);
    assert!(stats.faults_applied > 0);
    let baseline = rss_after_round[0];
    for (round, rss) in rss_after_round.iter().enumerate().skip(1) {
        assert!(
            rss.saturating_sub(baseline) <= RSS_TOLERANCE_KIB,
            "RSS grew from {baseline} KiB after round 2 to {rss} KiB after round {}",
            round + 2
        );
    }
}
