//! The C ABI. Every `unsafe` line of the crate is in this module.
//!
//! Conventions, shared by every exported function:
//! - each one runs inside `boundary::guard`, so a panic becomes
//!   `UIZA_STATUS_INTERNAL` instead of unwinding into C;
//! - NULL is accepted anywhere and rejected with a status, and every free
//!   function accepts NULL;
//! - out-parameters are written last, once the result is known;
//! - memory handed out is freed only by this library's free functions.
//!
//! `include/uiza.h` is generated from these items by cbindgen.
#![allow(unsafe_code)]
// The functions' docs state their pointer rules in a plain "Safety:"
// paragraph written for C programmers (they become the header's docs),
// not in a Rust `# Safety` section.
#![allow(clippy::missing_safety_doc)]

pub mod async_calls;
pub mod boundary;
mod c_strings;
pub mod cancel;
pub mod client;
pub mod entity;
pub mod error_info;
pub mod library;
pub mod logging;
mod outputs;

pub use cancel::UizaCancelToken;
pub use client::UizaClient;
pub use entity::UizaLiveEntity;
pub use error_info::UizaError;
pub use logging::{UizaLogCallback, UizaLogLevel};
