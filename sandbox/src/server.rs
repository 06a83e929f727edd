//! Accept loop and per-connection HTTP/1.1 serving.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::routes;
use crate::state::SharedState;

/// A client that connects but never finishes the TLS handshake must not
/// hold a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves until `shutdown` fires or its sender is dropped; the listener is
/// closed when this returns.
pub async fn run(
    listener: TcpListener,
    state: Arc<SharedState>,
    tls: Option<TlsAcceptor>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                state.count_connection();
                // Small writes (drip faults, short answers) should leave at
                // once rather than wait for Nagle.
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, Arc::clone(&state), tls.clone()));
            }
            // Typically out of file descriptors: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<SharedState>, tls: Option<TlsAcceptor>) {
    match tls {
        None => serve_http(TokioIo::new(stream), state).await,
        Some(acceptor) => {
            if let Ok(Ok(stream)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
            {
                serve_http(TokioIo::new(stream), state).await;
            }
        }
    }
}

async fn serve_http<I>(io: I, state: Arc<SharedState>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| routes::handle(req, Arc::clone(&state)));
    // Keep-alive is hyper's default. Errors here are the client going away
    // or a fault aborting the connection on purpose: nothing to report.
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(io, service)
        .await;
}
