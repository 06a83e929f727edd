//! The safe core: everything that does not touch a raw pointer.
//!
//! Nothing in here is `unsafe` (the crate denies it outside `ffi`), and
//! nothing here knows about C strings. The `ffi` module translates.

pub mod client;
pub mod default_client;
pub mod entity;
pub mod error;
pub mod precise_wait;
pub mod request_path;
pub mod resolver;
pub mod retry;
pub mod secret;
pub mod settings;
pub mod status;
pub mod transport_error;
pub mod trust;

pub use client::{Client, Reset};
pub use entity::LiveEntity;
pub use error::{Error, ErrorDocument};
pub use secret::ApiKey;
pub use status::UizaStatus;
