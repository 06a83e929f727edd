//! `uiza-sandbox`: runs the sandbox as a process for tests written in other
//! languages. Prints the base URL on the first stdout line and the API key
//! on the second, then serves until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use uiza_sandbox::{
    set_request_logging, CertChain, IngestPolicy, Sandbox, SandboxConfig, DEFAULT_API_KEY,
};

const USAGE: &str = "\
Usage: uiza-sandbox [OPTIONS]

Fake Uiza API (PUT /v1/live_entities/:id/stream_key) with fault injection,
and the ingest authority that a local nginx-rtmp asks whether a stream key
may publish.

Options:
  --listen ADDR     address to listen on [default: 127.0.0.1:8080]; port 0 picks one
  --api-key KEY     accepted Authorization value; repeatable. Keys from the
                    comma-separated UIZA_SANDBOX_API_KEYS are accepted too.
                    [default: uap-sandbox-0123456789abcdef0123456789abcdef-00000000]
  --tls             serve HTTPS with a freshly generated CA
  --ca-out PATH     with --tls (required there): write the CA certificate (PEM) here
  --tls-chain SHAPE with --tls: the certificate chain served: direct, via-intermediate,
                    via-intermediate-out-of-order, missing-intermediate, expired
                    or wrong-name [default: direct]
  --ingest-url URL  rtmp://HOST:PORT/APP: every entity's ingest.url becomes URL
                    (point it at a local nginx-rtmp application)
  --ingest-policy P what on_update says to a running publish whose key was
                    rotated: grandfather (keeps streaming) or kick (dropped,
                    the encoder must reconnect with the new key) [default: grandfather]
  --help            print this help

stdout line 1: base URL, line 2: `api key: KEY`. One line per request on
stderr (method, path, status; never header values).
Control endpoints (no auth): POST /__admin/faults, POST /__admin/clear,
GET /__admin/stats, GET /__admin/last_request, GET /__admin/entities/ID,
POST /__admin/entities, GET /__admin/rotations/ID, GET /__admin/ingest_log.
nginx-rtmp callbacks (form POSTs; 2xx allows, 403 refuses):
POST /__ingest/on_publish (the name must be an entity's current key),
POST /__ingest/on_update (re-check, per --ingest-policy),
POST /__ingest/on_publish_done. While a publish is live its entity's status
is `broadcasting`, then `ready` again.
";

struct Options {
    listen: SocketAddr,
    api_keys: Vec<String>,
    tls: bool,
    ca_out: Option<PathBuf>,
    tls_chain: Option<CertChain>,
    ingest_url: Option<String>,
    ingest_policy: IngestPolicy,
}

enum Parsed {
    Run(Options),
    Help,
}

fn parse(
    args: impl IntoIterator<Item = String>,
    env_keys: Option<String>,
) -> Result<Parsed, String> {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut api_keys = Vec::new();
    let mut tls = false;
    let mut ca_out = None;
    let mut tls_chain = None;
    let mut ingest_url = None;
    let mut ingest_policy = IngestPolicy::default();

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(Parsed::Help),
            "--listen" => {
                let v = value("--listen")?;
                listen = v
                    .parse()
                    .map_err(|_| format!("--listen: {v:?} is not an IP:PORT address"))?;
            }
            "--api-key" => {
                let v = value("--api-key")?;
                if v.is_empty() {
                    return Err("--api-key must not be empty".into());
                }
                api_keys.push(v);
            }
            "--tls" if inline.is_none() => tls = true,
            "--ca-out" => ca_out = Some(PathBuf::from(value("--ca-out")?)),
            "--tls-chain" => {
                let v = value("--tls-chain")?;
                tls_chain = Some(v.parse().map_err(|e| format!("--tls-chain: {e}"))?);
            }
            "--ingest-url" => {
                let v = value("--ingest-url")?;
                uiza_sandbox::validate_ingest_url(&v).map_err(|e| format!("--ingest-url: {e}"))?;
                ingest_url = Some(v);
            }
            "--ingest-policy" => {
                ingest_policy = value("--ingest-policy")?
                    .parse()
                    .map_err(|e| format!("--ingest-policy: {e}"))?;
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }

    if let Some(env_keys) = env_keys {
        api_keys.extend(
            env_keys
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from),
        );
    }
    if api_keys.is_empty() {
        api_keys.push(DEFAULT_API_KEY.to_owned());
    }
    match (tls, &ca_out) {
        (true, None) => {
            return Err("--tls needs --ca-out PATH so clients can trust the generated CA".into())
        }
        (false, Some(_)) => return Err("--ca-out only makes sense with --tls".into()),
        _ => {}
    }
    if tls_chain.is_some() && !tls {
        return Err("--tls-chain only makes sense with --tls".into());
    }
    Ok(Parsed::Run(Options {
        listen,
        api_keys,
        tls,
        ca_out,
        tls_chain,
        ingest_url,
        ingest_policy,
    }))
}

fn main() -> ExitCode {
    let env_keys = std::env::var("UIZA_SANDBOX_API_KEYS").ok();
    let options = match parse(std::env::args().skip(1), env_keys) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("uiza-sandbox: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("uiza-sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: Options) -> Result<(), String> {
    set_request_logging(true);
    // Handlers go in before the URL is printed: a caller may send SIGTERM as
    // soon as it has the URL, and an uninstalled handler means the default
    // action (death by signal, not exit 0).
    let signals =
        ShutdownSignals::install().map_err(|e| format!("cannot install signal handlers: {e}"))?;

    let first_key = options.api_keys[0].clone();
    let sandbox = Sandbox::start(SandboxConfig {
        listen: options.listen,
        api_keys: options.api_keys,
        tls: options.tls,
        tls_chain: options.tls_chain.unwrap_or_default(),
        ingest_url: options.ingest_url,
        ingest_policy: options.ingest_policy,
    })
    .map_err(|e| format!("cannot start on {}: {e}", options.listen))?;

    // Written before the URL is printed, so a caller that has read the URL
    // can rely on the file being complete.
    if let (Some(path), Some(pem)) = (&options.ca_out, sandbox.ca_pem()) {
        std::fs::write(path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let mut out = std::io::stdout().lock();
    // A caller that stops reading stdout must not take the server down.
    let _ = writeln!(out, "{}", sandbox.base_url());
    let _ = writeln!(out, "api key: {first_key}");
    let _ = out.flush();
    drop(out);

    signals.wait();
    drop(sandbox);
    Ok(())
}

/// SIGINT/SIGTERM listeners, registered with the OS on creation.
struct ShutdownSignals {
    runtime: tokio::runtime::Runtime,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let guard = runtime.enter();
            let term = signal(SignalKind::terminate())?;
            let int = signal(SignalKind::interrupt())?;
            drop(guard);
            Ok(ShutdownSignals { runtime, term, int })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignals { runtime })
    }

    /// Blocks until one of the signals arrives.
    fn wait(mut self) {
        #[cfg(unix)]
        self.runtime.block_on(async {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        });
        #[cfg(not(unix))]
        {
            let _ = self.runtime.block_on(tokio::signal::ctrl_c());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_opts(args: &[&str], env: Option<&str>) -> Result<Options, String> {
        match parse(args.iter().map(|s| s.to_string()), env.map(String::from))? {
            Parsed::Run(o) => Ok(o),
            Parsed::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults() {
        let o = run_opts(&[], None).unwrap();
        assert_eq!(o.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(o.api_keys, vec![DEFAULT_API_KEY.to_owned()]);
        assert!(!o.tls);
        assert_eq!(o.tls_chain, None);
        assert_eq!(o.ingest_url, None);
        assert_eq!(o.ingest_policy, IngestPolicy::Grandfather);
    }

    #[test]
    fn ingest_flags() {
        let o = run_opts(
            &[
                "--ingest-url",
                "rtmp://127.0.0.1:1935/live",
                "--ingest-policy=kick",
            ],
            None,
        )
        .unwrap();
        assert_eq!(o.ingest_url.as_deref(), Some("rtmp://127.0.0.1:1935/live"));
        assert_eq!(o.ingest_policy, IngestPolicy::Kick);
        assert!(run_opts(&["--ingest-policy", "evict"], None).is_err());
        assert!(run_opts(&["--ingest-url", "http://x/live"], None).is_err());
        assert!(run_opts(&["--ingest-url"], None).is_err());
    }

    #[test]
    fn flags_and_env() {
        let o = run_opts(
            &[
                "--listen=127.0.0.1:0",
                "--api-key",
                "a",
                "--api-key=b",
                "--tls",
                "--ca-out",
                "/tmp/ca.pem",
            ],
            Some("c, d,,"),
        )
        .unwrap();
        assert_eq!(o.listen.port(), 0);
        assert_eq!(o.api_keys, ["a", "b", "c", "d"]);
        assert!(o.tls);
        assert_eq!(
            o.ca_out.as_deref(),
            Some(std::path::Path::new("/tmp/ca.pem"))
        );
        assert_eq!(o.tls_chain, None);
    }

    #[test]
    fn tls_chain_flag() {
        let o = run_opts(
            &["--tls", "--ca-out=x", "--tls-chain", "via-intermediate"],
            None,
        )
        .unwrap();
        assert_eq!(o.tls_chain, Some(CertChain::ViaIntermediate));
        let o = run_opts(&["--tls", "--ca-out=x", "--tls-chain=expired"], None).unwrap();
        assert_eq!(o.tls_chain, Some(CertChain::Expired));
        assert!(run_opts(&["--tls", "--ca-out=x", "--tls-chain=sideways"], None).is_err());
        assert!(run_opts(&["--tls-chain=expired"], None).is_err());
    }

    #[test]
    fn rejects_bad_usage() {
        assert!(run_opts(&["--tls"], None).is_err());
        assert!(run_opts(&["--ca-out", "x"], None).is_err());
        assert!(run_opts(&["--listen", "nope"], None).is_err());
        assert!(run_opts(&["--api-key"], None).is_err());
        assert!(run_opts(&["--bogus"], None).is_err());
        assert!(matches!(
            parse(["--help".to_string()], None),
            Ok(Parsed::Help)
        ));
    }
}
