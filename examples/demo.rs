//! The end-to-end demo behind the README's first command:
//!
//!     cargo run --example demo
//!
//! It compiles `examples/c/reset_stream_key.c` with the system C compiler
//! against `include/uiza.h` and the libuiza.so that cargo just built, then
//! runs it:
//! - by default against a local sandbox that it starts and stops itself;
//! - against the real Uiza API when `UIZA_API_KEY` is set. The live entity
//!   id is then the first argument (`cargo run --example demo -- <id>`) or
//!   `UIZA_LIVE_ENTITY_ID`, and `UIZA_BASE_URL` may point elsewhere.

#[path = "../tests/support/c_build.rs"]
mod c_build;

use std::process::{Command, ExitCode};

use uiza_sandbox::{Sandbox, SandboxConfig, DEFAULT_API_KEY, SEED_ENTITY_ID};

fn main() -> ExitCode {
    let example = c_build::compile_c("reset_stream_key", &["examples/c/reset_stream_key.c"], &[]);
    println!("built {}", example.display());

    let real_key = std::env::var("UIZA_API_KEY").ok().filter(|k| !k.is_empty());
    let mut cmd = Command::new(&example);
    // Kept alive until the C program has finished.
    let _sandbox = match real_key {
        Some(_) => {
            let id = std::env::args()
                .nth(1)
                .or_else(|| std::env::var("UIZA_LIVE_ENTITY_ID").ok());
            let Some(id) = id else {
                eprintln!("demo: UIZA_API_KEY is set, so give the live entity id: cargo run --example demo -- <id>");
                return ExitCode::from(2);
            };
            println!("running against the real API for live entity {id}");
            cmd.arg(id);
            None
        }
        None => {
            let sandbox = match Sandbox::start(SandboxConfig::default()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("demo: cannot start the sandbox: {e}");
                    return ExitCode::FAILURE;
                }
            };
            println!("started the sandbox at {}", sandbox.base_url());
            cmd.arg(SEED_ENTITY_ID)
                .env("UIZA_API_KEY", DEFAULT_API_KEY)
                .env("UIZA_BASE_URL", sandbox.base_url());
            Some(sandbox)
        }
    };
    println!("$ reset_stream_key <id>");
    match cmd.status() {
        Ok(status) if status.success() => {
            println!("demo: OK");
            ExitCode::SUCCESS
        }
        Ok(status) => {
            eprintln!("demo: reset_stream_key failed ({status})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("demo: cannot run {}: {e}", example.display());
            ExitCode::FAILURE
        }
    }
}
