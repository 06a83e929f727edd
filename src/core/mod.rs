//! The safe core: everything that does not touch a raw pointer.
//!
//! Nothing in here is `unsafe` (the crate denies it outside `ffi`), and
//! nothing here knows about C strings. The `ffi` module translates.

pub(crate) mod attempt;
pub(crate) mod call;
pub(crate) mod cancel;
pub(crate) mod client;
pub(crate) mod default_client;
pub(crate) mod entity;
pub(crate) mod error;
pub(crate) mod log;
pub(crate) mod precise_wait;
pub(crate) mod request_path;
pub(crate) mod resolver;
pub(crate) mod retry;
pub(crate) mod rotation;
pub(crate) mod secret;
pub(crate) mod settings;
pub(crate) mod socks_connect;
pub(crate) mod status;
pub(crate) mod tcp_connect;
pub(crate) mod tls_connect;
pub(crate) mod transport_error;
pub(crate) mod trust;
pub(crate) mod workers;

pub use call::CallLimits;
pub use cancel::CancelToken;
pub use client::{Client, Operation};
pub use entity::LiveEntity;
pub use error::{Error, ErrorDocument, Rotated};
pub use secret::ApiKey;
pub use status::UizaStatus;
