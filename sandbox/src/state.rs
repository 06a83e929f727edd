//! Everything the sandbox remembers between requests, shared by the
//! connection tasks and the in-process `Sandbox` handle.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::faults::Fault;
use crate::ingest::{IngestCall, IngestEvent, IngestPolicy, Session, LOG_CAPACITY};
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
    /// Where every entity's `ingest.url` points, when set.
    ingest_url: Option<String>,
    ingest_policy: IngestPolicy,
    /// Live publishes by `app/clientid`.
    sessions: Mutex<HashMap<String, Session>>,
    ingest_log: Mutex<VecDeque<IngestEvent>>,
    started: Instant,
}

/// Locks without ever panicking: a panic elsewhere must not turn every later
/// request into a panic too, and the guarded data stays consistent because
/// each critical section is a single assignment or map operation.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SharedState {
    pub fn new(
        api_keys: Vec<String>,
        ingest_url: Option<String>,
        ingest_policy: IngestPolicy,
    ) -> Self {
        let state = SharedState {
            api_keys,
            entities: Mutex::new(HashMap::new()),
            faults: Mutex::new(VecDeque::new()),
            stats: Mutex::new(Stats::default()),
            last_request: Mutex::new(None),
            rotations: Mutex::new(HashMap::new()),
            ingest_url,
            ingest_policy,
            sessions: Mutex::new(HashMap::new()),
            ingest_log: Mutex::new(VecDeque::new()),
            started: Instant::now(),
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
    /// ignored because nothing could ever address them. With an ingest URL
    /// configured, an entity that has an `ingest` object gets that URL.
    pub fn insert_entity(&self, mut entity: Value) -> bool {
        if let (Some(url), Some(ingest)) = (
            &self.ingest_url,
            entity.get_mut("ingest").and_then(Value::as_object_mut),
        ) {
            ingest.insert("url".into(), Value::String(url.clone()));
        }
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

    /// Forgets faults, counters, the last request and the ingest log;
    /// entities and live publishes stay.
    pub fn clear(&self) {
        lock(&self.faults).clear();
        lock(&self.ingest_log).clear();
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

/// The ingest authority's decisions (see `ingest.rs`).
impl SharedState {
    /// The id of the entity whose current key is `key`.
    fn entity_with_key(&self, key: &str) -> Option<String> {
        lock(&self.entities)
            .iter()
            .find(|(_, e)| e["ingest"]["key"].as_str() == Some(key))
            .map(|(id, _)| id.clone())
    }

    fn set_status(&self, id: &str, status: &str) {
        self.update_entity(id, |entity| {
            if let Some(obj) = entity.as_object_mut() {
                obj.insert("status".into(), Value::String(status.to_owned()));
            }
        });
    }

    /// `on_publish`: allowed iff `key` is some entity's current key; the
    /// entity is then `broadcasting`.
    pub fn ingest_publish(&self, session: &str, key: &str) -> (bool, Option<String>) {
        let Some(id) = self.entity_with_key(key) else {
            return (false, None);
        };
        lock(&self.sessions).insert(session.to_owned(), Session { entity: id.clone() });
        self.set_status(&id, "broadcasting");
        (true, Some(id))
    }

    /// `on_update`: a known session is allowed under the grandfather
    /// policy whatever its key is now; otherwise (kick, or a session this
    /// sandbox never saw start) only a current key is. A refused session
    /// is over as far as the entity's status goes.
    pub fn ingest_update(&self, session: &str, key: &str) -> (bool, Option<String>) {
        let started = lock(&self.sessions).get(session).map(|s| s.entity.clone());
        let current = self.entity_with_key(key);
        let allowed = match (self.ingest_policy, &started) {
            (IngestPolicy::Grandfather, Some(_)) => true,
            _ => current.is_some(),
        };
        if !allowed {
            self.ingest_done(session, key);
        }
        (allowed, started.or(current))
    }

    /// `on_publish_done`: the session is over; its entity is `ready` again
    /// once it has no other live publish.
    pub fn ingest_done(&self, session: &str, key: &str) -> Option<String> {
        let mut sessions = lock(&self.sessions);
        let Some(ended) = sessions.remove(session) else {
            drop(sessions);
            return self.entity_with_key(key);
        };
        let still_live = sessions.values().any(|s| s.entity == ended.entity);
        drop(sessions);
        if !still_live {
            self.set_status(&ended.entity, "ready");
        }
        Some(ended.entity)
    }

    pub fn log_ingest(
        &self,
        call: IngestCall,
        name: String,
        client_id: String,
        allowed: bool,
        entity: Option<String>,
    ) {
        let at_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut log = lock(&self.ingest_log);
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(IngestEvent {
            call,
            name,
            client_id,
            allowed,
            entity,
            at_ms,
        });
    }

    pub fn ingest_log(&self) -> Vec<IngestEvent> {
        lock(&self.ingest_log).iter().cloned().collect()
    }

    pub fn ingest_policy(&self) -> IngestPolicy {
        self.ingest_policy
    }

    pub fn ingest_url(&self) -> Option<&str> {
        self.ingest_url.as_deref()
    }
}
