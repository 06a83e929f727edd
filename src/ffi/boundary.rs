//! The panic boundary. Unwinding into C is undefined behaviour, and a
//! panic in a broadcast encoder's process must never take it down.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::core::Error;

/// Runs `f`; a panic becomes `on_panic`. `AssertUnwindSafe` is sound here
/// because nothing observed after a panic is left half-updated: shared
/// state is only ever replaced whole (see `Client::update`).
pub(crate) fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// Like [`guard`] for calls that produce an error document.
pub(crate) fn guard_result<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::internal(
            "internal error: the library caught a panic; please report it",
        ))
    })
}

/// The id that makes a reset panic in debug builds.
pub const TEST_PANIC_ID: &str = "__uiza_test_panic__";

/// In debug builds (the ones tests use, from Rust and from C alike), panics
/// for [`TEST_PANIC_ID`] so that tests can prove the boundary above. A
/// cargo feature would be cleaner on paper, but it makes `cargo build` and
/// `cargo test` produce two different libuiza.so at the same path. Release
/// builds compile this to nothing.
pub(crate) fn test_hook(id: &str) {
    if cfg!(debug_assertions) && id == TEST_PANIC_ID {
        panic!("test hook: forced panic inside an exported function");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_values() {
        assert_eq!(guard(7, || panic!("boom")), 7);
        assert_eq!(guard(7, || 1), 1);
        let err = guard_result::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(err.status, crate::core::UizaStatus::Internal);
    }
}
