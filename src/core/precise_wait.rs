//! Socket waits that end when the budget does.
//!
//! ureq waits for input with the socket's receive timeout (SO_RCVTIMEO).
//! The kernel runs that timeout on its timer wheel, which rounds a long
//! timeout up to a coarse bucket: a 30 s budget was seen to end 0.6 s late
//! on a quiet machine and 2 s late on a busy one. A host that gives a call
//! 30 s must get its answer at 30 s, as libcurl's poll()-based waits give
//! it. Waiting in slices of at most [`SLICE`] keeps every wait in the
//! wheel's finest buckets (a few ms), and the slices end exactly at the
//! deadline measured here; no `unsafe` poll() call is needed.

use std::cell::RefCell;
use std::fmt;
use std::time::{Duration, Instant};

use super::cancel::CancelToken;

use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// The longest single wait. Short enough for the kernel's finest timer
/// buckets (about 250 ms at HZ=250), long enough that an idle wait costs
/// only a few wake-ups a second.
const SLICE: Duration = Duration::from_millis(200);

/// The longest single wait while an abortable exchange runs: how soon a
/// cancelled read lets go of its socket.
const ABORTABLE_SLICE: Duration = Duration::from_millis(50);

thread_local! {
    /// The token that may abort the exchange this thread is running. ureq
    /// runs an exchange on the caller's thread, so the transport finds the
    /// call's token here without ureq having to carry it.
    static ABORT: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Runs `exchange` so that cancelling `token` ends its socket waits within
/// [`ABORTABLE_SLICE`] (as a timeout, which the caller turns into
/// CANCELLED). Only for requests that are safe to abandon half way.
pub fn abortable<R>(token: &CancelToken, exchange: impl FnOnce() -> R) -> R {
    struct Reset(Option<CancelToken>);
    impl Drop for Reset {
        fn drop(&mut self) {
            ABORT.with(|slot| *slot.borrow_mut() = self.0.take());
        }
    }
    let previous = ABORT.with(|slot| slot.borrow_mut().replace(token.clone()));
    let _restore = Reset(previous);
    exchange()
}

fn aborted() -> Option<bool> {
    ABORT.with(|slot| slot.borrow().as_ref().map(CancelToken::is_cancelled))
}

/// Wraps the TCP transport (below TLS, so that handshakes and encrypted
/// reads are sliced too).
#[derive(Debug, Default)]
pub struct SlicedWaitConnector;

impl<In: Transport> Connector<In> for SlicedWaitConnector {
    type Out = SlicedWait<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| SlicedWait { inner }))
    }
}

pub struct SlicedWait<T> {
    inner: T,
}

impl<T: Transport> Transport for SlicedWait<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    // Writes are not sliced: a write cut short by a timeout cannot be
    // resumed without knowing how much of it went out. Requests are small
    // and a socket buffer takes them at once.
    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let abortable = aborted().is_some();
        if timeout.after.is_not_happening() && !abortable {
            return self.inner.await_input(timeout); // no deadline at all
        }
        let deadline = (!timeout.after.is_not_happening()).then(|| Instant::now() + *timeout.after);
        let max_slice = if abortable { ABORTABLE_SLICE } else { SLICE };
        loop {
            if aborted() == Some(true) {
                return Err(ureq::Error::Timeout(timeout.reason));
            }
            let left = deadline.map_or(max_slice, |d| d.saturating_duration_since(Instant::now()));
            if left.is_zero() {
                return Err(ureq::Error::Timeout(timeout.reason));
            }
            let slice = NextTimeout {
                after: UreqDuration::Exact(left.min(max_slice)),
                ..timeout
            };
            match self.inner.await_input(slice) {
                // A slice ran out, not the budget: wait on.
                Err(ureq::Error::Timeout(_)) if deadline.is_none_or(|d| Instant::now() < d) => {
                    continue
                }
                other => return other,
            }
        }
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

impl<T: fmt::Debug> fmt::Debug for SlicedWait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SlicedWait").field(&self.inner).finish()
    }
}
