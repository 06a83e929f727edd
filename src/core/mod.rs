//! The safe core: everything that does not touch a raw pointer.
//!
//! Nothing in here is `unsafe` (the crate denies it outside `ffi`), and
//! nothing here knows about C strings. The `ffi` module translates.

pub mod attempt;
pub mod call;
pub mod cancel;
pub mod client;
pub mod default_client;
pub mod entity;
pub mod error;
pub mod precise_wait;
pub mod request_path;
pub mod resolver;
pub mod retry;
pub mod rotation;
pub mod secret;
pub mod settings;
pub mod status;
pub mod transport_error;
pub mod trust;
pub mod workers;

pub use attempt::Answer;
pub use call::CallLimits;
pub use cancel::CancelToken;
pub use client::{Client, Operation};
pub use entity::LiveEntity;
pub use error::{Error, ErrorDocument, Rotated};
pub use secret::ApiKey;
pub use status::UizaStatus;
