//! Opening TCP connections, and saying which one a request used.
//!
//! ureq's own TCP connector does not tell its caller which address it
//! connected to or from, and a pooled connection is reused silently. This
//! one connects the same way (each resolved address in turn, the time
//! shared out so that one dead address cannot eat the whole budget) and
//! logs each new connection with its local and remote address, and each
//! reuse of a pooled one.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};
use ureq::{ProxyProtocol, Timeout};

use super::log::{enabled, log, Level};

/// No address gets less than this, however many the name has (ureq and
/// libcurl use the same floor).
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

thread_local! {
    /// The exchange this thread runs now, so that a connection can tell
    /// the first use of an exchange from the later ones.
    static EXCHANGE: Cell<u64> = const { Cell::new(0) };
}

/// Numbers exchanges across all threads: a pooled connection moves between
/// threads, and per-thread numbers would let one thread's exchange look
/// like another's (a worker's first exchange, reusing a connection that
/// the caller's first exchange opened, would not be logged as a reuse).
static NEXT_EXCHANGE: AtomicU64 = AtomicU64::new(1);

/// Marks the start of an exchange on this thread: the next connection it
/// uses is logged as new or reused. Only needed while logging is on.
pub fn start_exchange() {
    if enabled(Level::Debug) {
        let id = NEXT_EXCHANGE.fetch_add(1, Ordering::Relaxed);
        EXCHANGE.with(|n| n.set(id));
    }
}

fn exchange() -> u64 {
    EXCHANGE.with(Cell::get)
}

#[derive(Debug, Default)]
pub struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if let Some(proxied) = chained {
            // A proxy connector already opened the connection: a SOCKS
            // one, or a CONNECT one (whose connection to the proxy itself
            // came through here and was logged).
            let kind = match details.config.proxy().map(|p| p.protocol()) {
                Some(ProxyProtocol::Http | ProxyProtocol::Https) => "HTTP CONNECT",
                _ => "SOCKS",
            };
            log!(Debug, "connected through the {kind} proxy's tunnel");
            return Ok(Some(Either::A(proxied)));
        }
        let started = Instant::now();
        let stream = connect_any(&details.addrs, details.timeout)?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let local = stream.local_addr().ok();
        let remote = stream.peer_addr().ok();
        log!(
            Debug,
            "new connection to {} from {} in {:.1} ms",
            shown(remote),
            shown(local),
            started.elapsed().as_secs_f64() * 1e3
        );
        let config = details.config;
        let buffers = LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size());
        Ok(Some(Either::B(TcpTransport {
            stream,
            buffers,
            read_timeout: None,
            write_timeout: None,
            local,
            remote,
            last_exchange: exchange(),
        })))
    }
}

fn shown(addr: Option<SocketAddr>) -> String {
    addr.map_or_else(|| "an unknown address".to_owned(), |a| a.to_string())
}

/// Tries each address in turn. Address `i` of `n` gets a share of the
/// time left that halves with each address (8/15, 4/15, 2/15, 1/15 of it
/// for four), so the first, usually best, address gets the most. An
/// error that concerns only one address (refused, unreachable) moves on
/// to the next; any other ends the connect.
fn connect_any(addrs: &[SocketAddr], timeout: NextTimeout) -> Result<TcpStream, ureq::Error> {
    let started = Instant::now();
    let total = timeout.not_zero().map(|t| *t);
    let mut last_error = None;
    for (i, addr) in addrs.iter().enumerate() {
        let share = total.map(|t| share_of(t, i, addrs.len()));
        let attempt = match share {
            Some(share) => TcpStream::connect_timeout(addr, share),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) if only_this_address(&e) => {
                let next = if i + 1 < addrs.len() {
                    "; trying the next address"
                } else {
                    ""
                };
                log!(Debug, "connect to {addr} failed: {e}{next}");
                last_error = Some(ureq::Error::Io(e));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                log!(Debug, "connect to {addr} timed out");
                if total.is_some_and(|t| started.elapsed() >= t) {
                    return Err(ureq::Error::Timeout(timeout.reason));
                }
                last_error = Some(ureq::Error::Timeout(Timeout::Connect));
            }
            Err(e) => {
                log!(Debug, "connect to {addr} failed: {e}");
                return Err(ureq::Error::Io(e));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| {
        ureq::Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "the host name resolved to no address",
        ))
    }))
}

/// Address `i`'s share of `total` when there are `n`: halving shares that
/// add up to `total`, each at least [`MIN_PER_ADDRESS`].
fn share_of(total: Duration, i: usize, n: usize) -> Duration {
    let weights: f64 = (0..n).map(|k| 0.5f64.powi(k as i32)).sum();
    total
        .mul_f64(0.5f64.powi(i as i32) / weights)
        .max(MIN_PER_ADDRESS)
}

/// Errors after which another address of the same name may still work:
/// this one said no, or the local stack has no route to its family (an
/// IPv6 address on a host without IPv6, say).
fn only_this_address(e: &io::Error) -> bool {
    // Windows reports a blocked address family as WSAEACCES.
    #[cfg(windows)]
    if e.raw_os_error() == Some(10013) {
        return true;
    }
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

/// A TCP connection as ureq's transport: its socket, its buffers, and
/// its addresses, which it logs when an exchange reuses it from the pool.
pub struct TcpTransport {
    stream: TcpStream,
    buffers: LazyBuffers,
    /// The socket's timeouts as last set: setting one is a system call,
    /// and most reads and writes ask for the one already set.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    /// The exchange that last used it; a new one means a reuse.
    last_exchange: u64,
}

/// The socket timeout for a wait of `timeout`: `None` waits for ever; an
/// exhausted one fails at once, as ureq's own transport does.
fn socket_timeout(timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    if timeout.after.is_not_happening() {
        return Ok(None);
    }
    if timeout.after.is_zero() {
        return Err(ureq::Error::Timeout(timeout.reason));
    }
    Ok(Some(*timeout.after))
}

/// A socket wait that timed out is ureq's timeout of that wait.
fn timed_out(e: io::Error, timeout: NextTimeout) -> ureq::Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ureq::Error::Timeout(timeout.reason),
        _ => ureq::Error::Io(e),
    }
}

impl TcpTransport {
    fn log_reuse(&mut self) {
        let now = exchange();
        if now != self.last_exchange {
            self.last_exchange = now;
            log!(
                Debug,
                "reusing the pooled connection to {} from {}",
                shown(self.remote),
                shown(self.local)
            );
        }
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if enabled(Level::Debug) {
            self.log_reuse();
        }
        let timeout = timeout.for_write();
        let wanted = socket_timeout(timeout)?;
        if wanted != self.write_timeout {
            self.stream.set_write_timeout(wanted)?;
            self.write_timeout = wanted;
        }
        let output = &self.buffers.output()[..amount];
        self.stream
            .write_all(output)
            .map_err(|e| timed_out(e, timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let timeout = timeout.for_read();
        let wanted = socket_timeout(timeout)?;
        if wanted != self.read_timeout {
            self.stream.set_read_timeout(wanted)?;
            self.read_timeout = wanted;
        }
        let input = self.buffers.input_append_buf();
        let amount = loop {
            match self.stream.read(input) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(|e| timed_out(e, timeout))?,
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    /// Whether a pooled connection is still usable: nothing waiting to be
    /// read (a server only sends unasked when it is closing), and not
    /// closed.
    fn is_open(&mut self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8];
        let idle =
            matches!(self.stream.read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        idle && self.stream.set_nonblocking(false).is_ok()
    }

    fn is_tls(&self) -> bool {
        false
    }
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("remote", &self.remote)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpListener};
    use ureq::unversioned::transport::time::Duration as UreqDuration;

    fn budget(ms: u64) -> NextTimeout {
        NextTimeout {
            after: UreqDuration::Exact(Duration::from_millis(ms)),
            ..NextTimeout::default()
        }
    }

    /// A loopback address where nothing listens: connecting is refused.
    fn closed_port() -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.local_addr().unwrap()
    }

    #[test]
    fn a_refused_address_moves_on_to_the_next() {
        let live = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addrs = [closed_port(), live.local_addr().unwrap()];
        let stream = connect_any(&addrs, budget(5_000)).expect("the second address answers");
        assert_eq!(stream.peer_addr().unwrap(), addrs[1]);
    }

    #[test]
    fn every_address_refused_reports_the_refusal() {
        let addrs = [closed_port(), closed_port()];
        match connect_any(&addrs, budget(5_000)) {
            Err(ureq::Error::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            other => panic!("expected a refusal, got {other:?}"),
        }
        match connect_any(&[], budget(5_000)) {
            Err(ureq::Error::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            other => panic!("expected a refusal for no address, got {other:?}"),
        }
    }

    #[test]
    fn shares_halve_and_add_up_to_the_budget() {
        let total = Duration::from_secs(15);
        let shares: Vec<u64> = (0..4)
            .map(|i| share_of(total, i, 4).as_millis() as u64)
            .collect();
        assert_eq!(shares, [8_000, 4_000, 2_000, 1_000]);
        assert_eq!(share_of(total, 0, 1), total);
        assert_eq!(share_of(Duration::from_millis(15), 3, 4), MIN_PER_ADDRESS);
    }

    #[test]
    fn no_deadline_and_an_exhausted_budget_are_handled() {
        // With no deadline at all, each address still gets a plain connect.
        let live = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let no_deadline = NextTimeout {
            after: UreqDuration::NotHappening,
            ..NextTimeout::default()
        };
        assert!(connect_any(&[live.local_addr().unwrap()], no_deadline).is_ok());
        // An exhausted budget never blocks.
        let started = Instant::now();
        let _ = connect_any(&[closed_port()], budget(0));
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
