//! Everything the sandbox remembers between requests, shared by the
//! connection tasks and the in-process `Sandbox` handle.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;

use crate::faults::Fault;
use crate::seed;

/// Counters a test reads to prove what the client did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// TCP connections accepted (API and admin alike), so a test can prove
    /// keep-alive reuse.
    pub connections: u64,
    /// Requests whose path is under `/v1/`, including ones a fault answered.
    pub api_requests: u64,
    /// Stream keys actually reset.
    pub resets: u64,
    /// API requests that a queued fault applied to.
    pub faults_applied: u64,
}

/// The request line and headers of one request (any path but the admin
/// area's), as received.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query exactly as on the request line, not percent-decoded.
    pub raw_path: String,
    /// Header names are lower-case (hyper normalises them); values are kept,
    /// Authorization included, since tests check what the client sent.
    pub headers: Vec<(String, String)>,
}

pub struct SharedState {
    api_keys: Vec<String>,
    entities: Mutex<HashMap<String, Value>>,
    faults: Mutex<VecDeque<Fault>>,
    stats: Mutex<Stats>,
    last_request: Mutex<Option<RecordedRequest>>,
    /// Keys reset per entity id, so a test can prove "exactly once".
    rotations: Mutex<HashMap<String, u64>>,
}

/// Locks without ever panicking: a panic elsewhere must not turn every later
/// request into a panic too, and the guarded data stays consistent because
/// each critical section is a single assignment or map operation.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SharedState {
    pub fn new(api_keys: Vec<String>) -> Self {
        let state = SharedState {
            api_keys,
            entities: Mutex::new(HashMap::new()),
            faults: Mutex::new(VecDeque::new()),
            stats: Mutex::new(Stats::default()),
            last_request: Mutex::new(None),
            rotations: Mutex::new(HashMap::new()),
        };
        state.insert_entity(seed::seed_entity());
        state
    }

    /// Exact comparison: the API takes the raw key, no `Bearer` prefix.
    pub fn accepts_key(&self, presented: &[u8]) -> bool {
        self.api_keys.iter().any(|k| k.as_bytes() == presented)
    }

    pub fn entity(&self, id: &str) -> Option<Value> {
        lock(&self.entities).get(id).cloned()
    }

    /// Stores `entity` under its `"id"`; values without a string id are
    /// ignored because nothing could ever address them.
    pub fn insert_entity(&self, entity: Value) -> bool {
        match entity.get("id").and_then(Value::as_str) {
            Some(id) => {
                let id = id.to_owned();
                lock(&self.entities).insert(id, entity);
                true
            }
            None => false,
        }
    }

    /// Applies `change` to the stored entity under the lock, so two
    /// concurrent resets cannot lose each other's update.
    pub fn update_entity<R>(&self, id: &str, change: impl FnOnce(&mut Value) -> R) -> Option<R> {
        lock(&self.entities).get_mut(id).map(change)
    }

    pub fn push_fault(&self, fault: Fault) {
        // A fault that applies to zero requests would sit at the head of the
        // queue forever and block the ones behind it.
        if fault.times > 0 {
            lock(&self.faults).push_back(fault);
        }
    }

    /// Takes the fault for the current API request, if any: the first
    /// queued one that applies to `method`, which stays queued until it has
    /// applied `times` times.
    pub fn next_fault(&self, method: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let at = faults.iter().position(|f| f.applies_to(method))?;
        let fault = &mut faults[at];
        let taken = fault.clone();
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            faults.remove(at);
        }
        drop(faults);
        lock(&self.stats).faults_applied += 1;
        Some(taken)
    }

    /// Forgets faults, counters and the last request; entities stay.
    pub fn clear(&self) {
        lock(&self.faults).clear();
        *lock(&self.stats) = Stats::default();
        *lock(&self.last_request) = None;
        lock(&self.rotations).clear();
    }

    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    pub fn count_connection(&self) {
        lock(&self.stats).connections += 1;
    }

    pub fn count_reset(&self, id: &str) {
        lock(&self.stats).resets += 1;
        *lock(&self.rotations).entry(id.to_owned()).or_default() += 1;
    }

    /// Keys reset for entity `id` since start (or the last `clear`).
    pub fn rotations(&self, id: &str) -> u64 {
        lock(&self.rotations).get(id).copied().unwrap_or(0)
    }

    pub fn count_api_request(&self) {
        lock(&self.stats).api_requests += 1;
    }

    /// Remembers the latest request outside `/__admin/`.
    pub fn record_request(&self, request: RecordedRequest) {
        *lock(&self.last_request) = Some(request);
    }

    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.last_request).clone()
    }
}
