//! Turning a URL's host into socket addresses, without a thread per call.
//!
//! ureq's default resolver looks the host up on every request, pooled
//! connection or not, and when a timeout is set (always, here) it does so on
//! a freshly spawned thread. In a host process that is a thread created and
//! torn down per call, even for `http://127.0.0.1:8080`. This resolver:
//! - answers IP-literal hosts at once, with no lookup and no thread;
//! - caches other hosts' answers for a minute, like libcurl's DNS cache.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use super::log::log;

/// How long a resolved address is reused; libcurl's default DNS cache
/// timeout.
const DNS_CACHE_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    /// Read by every call of every thread, written once a minute: a
    /// read-write lock keeps threads from queueing behind each other.
    cache: RwLock<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(addr) = ip_literal(uri) {
            // An IPv6 literal on an IPv4-only config (or the reverse) has
            // nowhere to go, as with any host that resolves to nothing.
            let family = config.ip_family();
            let addr = (family.keep_wanted(std::iter::once(addr)).next())
                .ok_or(ureq::Error::HostNotFound)?;
            let mut addrs = self.empty();
            addrs.push(addr);
            log!(Debug, "name lookup: none needed, {addr} is an IP address");
            return Ok(addrs);
        }
        let key = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => return self.inner.resolve(uri, config, timeout),
        };
        let cached = match self.cache.read() {
            Ok(cache) => cache
                .get(&key)
                .filter(|(at, _)| at.elapsed() < DNS_CACHE_TTL)
                .map(|(_, addrs)| addrs.clone()),
            Err(_) => None,
        };
        // Logged once the lock is released: a log callback never runs
        // under a library lock.
        if let Some(addrs) = cached {
            log!(
                Debug,
                "name lookup of {}: cache hit, {}",
                authority_of(uri),
                listed(&addrs)
            );
            return Ok(addrs);
        }
        let started = Instant::now();
        let addrs = self.inner.resolve(uri, config, timeout).inspect_err(|e| {
            log!(Debug, "name lookup of {} failed: {e}", authority_of(uri));
        })?;
        log!(
            Debug,
            "name lookup of {}: cache miss, resolved in {:.1} ms to {}",
            authority_of(uri),
            started.elapsed().as_secs_f64() * 1e3,
            listed(&addrs)
        );
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(key, (Instant::now(), addrs.clone()));
        }
        Ok(addrs)
    }
}

fn authority_of(uri: &Uri) -> &str {
    uri.authority().map_or("", |a| a.as_str())
}

/// "2 addresses: [::1]:443, 127.0.0.1:443", for a log line.
fn listed(addrs: &[SocketAddr]) -> String {
    let all: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
    format!("{} address(es): {}", addrs.len(), all.join(", "))
}

/// The socket address of a URL whose host is an IP literal (`127.0.0.1`,
/// `[::1]`), with the scheme's default port when none is given; `None` for
/// a host name, or a scheme whose default port this library does not use.
fn ip_literal(uri: &Uri) -> Option<SocketAddr> {
    let authority = uri.authority()?;
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    let port = match (authority.port_u16(), uri.scheme_str()?) {
        (Some(port), _) => port,
        (None, "http") => 80,
        (None, "https") => 443,
        (None, _) => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(url: &str) -> Option<SocketAddr> {
        ip_literal(&url.parse().unwrap())
    }

    #[test]
    fn ip_literals_need_no_lookup() {
        let v4 = |port| Some(SocketAddr::from(([127, 0, 0, 1], port)));
        assert_eq!(literal("http://127.0.0.1:9/v1"), v4(9));
        assert_eq!(literal("http://127.0.0.1/"), v4(80));
        assert_eq!(literal("https://127.0.0.1/"), v4(443));
        let v6 = SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], 8443));
        assert_eq!(literal("https://[::1]:8443/"), Some(v6));
    }

    #[test]
    fn host_names_and_odd_schemes_go_to_the_resolver() {
        assert_eq!(literal("https://api.uiza.sh/"), None);
        assert_eq!(literal("http://localhost:80/"), None);
        // Not an IPv4 literal to std (octal-looking parts are refused), so
        // it is left to getaddrinfo, as ureq would.
        assert_eq!(literal("http://127.000.0.1/"), None);
        assert_eq!(literal("socks5://127.0.0.1/"), None);
    }
}
