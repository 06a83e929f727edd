//! uiza: reset the RTMP ingest key of a Uiza live entity from C, C++, Go,
//! Swift or Python, without bringing an HTTP, TLS or JSON stack.
//!
//! - `core`: the safe Rust client (settings, errors, the live-entity
//!   model, the retry policy). No `unsafe` is allowed there.
//! - [`ffi`]: the C ABI. All `unsafe` code lives there: pointer and string
//!   conversion, the panic boundary and the exported functions.
//!   `include/uiza.h` is generated from it by cbindgen.
#![deny(unsafe_code)]

mod core;
pub mod ffi;

pub use crate::core::UizaStatus;

/// What the fuzz targets reach inside the safe core. Not an API: it may
/// change in any release, and the C header is the only supported surface.
#[doc(hidden)]
pub mod testing {
    pub use crate::core::request_path::{BaseUrl, EntityId};
    pub use crate::core::{ApiKey, Error, ErrorDocument, LiveEntity, UizaStatus};
}
