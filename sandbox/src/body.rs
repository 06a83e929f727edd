//! The one response body type the server uses, covering whole bodies, bodies
//! fed by a task (for pacing and mid-body aborts) and lazily generated filler.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::sync::mpsc;

/// Size of each generated filler chunk.
pub const FILLER_CHUNK: usize = 64 * 1024;

pub enum SandboxBody {
    /// A complete body; hyper sets Content-Length from its size.
    Full(Option<Bytes>),
    /// Chunks sent by a task. An `Err` makes hyper abort the connection
    /// without finishing the message, which is how truncation is simulated.
    /// `len`, when known, becomes the Content-Length; otherwise hyper uses
    /// chunked encoding.
    Channel {
        rx: mpsc::Receiver<io::Result<Bytes>>,
        len: Option<u64>,
    },
    /// `remaining` bytes of filler, produced only as hyper asks for them so
    /// that a gigabyte body costs one 64 KiB buffer.
    Filler {
        prefix: Option<Bytes>,
        remaining: u64,
        chunk: Bytes,
    },
}

impl SandboxBody {
    pub fn full(data: impl Into<Bytes>) -> Self {
        SandboxBody::Full(Some(data.into()))
    }

    pub fn empty() -> Self {
        SandboxBody::Full(None)
    }

    /// `total` bytes: `prefix` (cut to `total` if longer) then filler bytes.
    pub fn filler(prefix: &'static [u8], total: u64) -> Self {
        let prefix_len = usize::try_from(total).map_or(prefix.len(), |t| t.min(prefix.len()));
        SandboxBody::Filler {
            prefix: Some(Bytes::from_static(&prefix[..prefix_len])),
            remaining: total - prefix_len as u64,
            chunk: Bytes::from(vec![b'x'; FILLER_CHUNK]),
        }
    }
}

impl Body for SandboxBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            SandboxBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            SandboxBody::Channel { rx, .. } => rx
                .poll_recv(cx)
                .map(|item| item.map(|chunk| chunk.map(Frame::data))),
            SandboxBody::Filler {
                prefix,
                remaining,
                chunk,
            } => {
                if let Some(p) = prefix.take() {
                    if !p.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(p))));
                    }
                }
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let n = usize::try_from(*remaining).map_or(chunk.len(), |r| r.min(chunk.len()));
                *remaining -= n as u64;
                // Slicing a shared Bytes is a refcount bump, not a copy.
                Poll::Ready(Some(Ok(Frame::data(chunk.slice(..n)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            SandboxBody::Full(data) => data.is_none(),
            SandboxBody::Channel { .. } => false,
            SandboxBody::Filler {
                prefix, remaining, ..
            } => *remaining == 0 && prefix.as_ref().is_none_or(Bytes::is_empty),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            SandboxBody::Full(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            SandboxBody::Channel { len: Some(n), .. } => SizeHint::with_exact(*n),
            SandboxBody::Channel { len: None, .. } => SizeHint::default(),
            SandboxBody::Filler {
                prefix, remaining, ..
            } => SizeHint::with_exact(*remaining + prefix.as_ref().map_or(0, |p| p.len() as u64)),
        }
    }
}
