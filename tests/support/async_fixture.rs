//! The servers and checks behind `tests/c/async_test.c`, shared by its
//! plain run and its runs under ASan and valgrind.

use super::{fault, Fault, Sandbox, SandboxConfig};

/// The main sandbox (entities `e-00`.., random faults queued) and a slow
/// one (every request delayed), both accepting `api_key`.
pub struct AsyncFixture {
    pub main: Sandbox,
    pub slow: Sandbox,
    pub entities: usize,
    pub chain_len: usize,
}

/// Faults that a rotation must survive without rotating twice, chosen
/// pseudo-randomly (fixed seed, so a failure can be replayed).
fn random_faults(count: usize) -> Vec<Fault> {
    const KINDS: &[&str] = &[
        r#"{"kind":"apply_then_drop","method":"PUT"}"#,
        r#"{"kind":"apply_then_502","method":"PUT"}"#,
        r#"{"kind":"apply_then_stall","ms":1500,"method":"PUT"}"#,
        r#"{"kind":"drop"}"#,
        r#"{"kind":"status","status":503,"retry_after":"0"}"#,
        r#"{"kind":"status","status":500}"#,
        r#"{"kind":"delay","ms":30}"#,
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            fault(KINDS[(x % KINDS.len() as u64) as usize])
        })
        .collect()
}

impl AsyncFixture {
    pub fn start(api_key: &str, entities: usize, chain_len: usize, faults: usize) -> AsyncFixture {
        let config = || SandboxConfig {
            api_keys: vec![api_key.to_owned()],
            ..SandboxConfig::default()
        };
        let main = Sandbox::start(config()).expect("start sandbox");
        let slow = Sandbox::start(config()).expect("start slow sandbox");
        let mut seed = main.entity(super::SEED_ENTITY_ID).unwrap();
        for e in 0..entities {
            seed["id"] = format!("e-{e:02}").into();
            seed["ingest"]["key"] = format!("live_initial_{e:02}").into();
            main.insert_entity(seed.clone());
        }
        for f in random_faults(faults) {
            main.push_fault(f);
        }
        slow.push_fault(fault(r#"{"kind":"delay","ms":200,"times":100000}"#));
        AsyncFixture {
            main,
            slow,
            entities,
            chain_len,
        }
    }

    pub fn env(&self, api_key: &str) -> Vec<(&'static str, String)> {
        vec![
            ("UIZA_BASE_URL", self.main.base_url().to_owned()),
            ("UIZA_SLOW_URL", self.slow.base_url().to_owned()),
            ("UIZA_API_KEY", api_key.to_owned()),
            ("UIZA_ENTITIES", self.entities.to_string()),
            ("UIZA_CHAIN_LEN", self.chain_len.to_string()),
        ]
    }

    /// Checks the program's report against the server: each entity was
    /// rotated once per OK callback (plus at most once per "unknown"), and
    /// a key the program holds at the end is the live one.
    pub fn verify(&self, stdout: &str) {
        assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
        let lines: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with("entity "))
            .collect();
        assert_eq!(lines.len(), self.entities, "{stdout}");
        let mut oks = 0;
        for line in lines {
            let field = |name: &str| {
                line.split(' ')
                    .find_map(|w| w.strip_prefix(&format!("{name}=")))
                    .unwrap_or_else(|| panic!("{name} missing in {line}"))
                    .to_owned()
            };
            let id = line.split(' ').nth(1).unwrap();
            let ok: u64 = field("ok").parse().unwrap();
            let unknown: u64 = field("unknown").parse().unwrap();
            let rotations = self.main.rotations(id);
            assert!(
                (ok..=ok + unknown).contains(&rotations),
                "{id}: {rotations} rotations for {ok} OK and {unknown} unknown outcomes"
            );
            let held = field("final");
            if held != "-" {
                assert_eq!(
                    Some(held),
                    self.main.current_key(id),
                    "{id}: the program holds a dead key"
                );
            }
            oks += ok;
        }
        assert!(oks > 0, "no rotation succeeded: {stdout}");
    }
}
