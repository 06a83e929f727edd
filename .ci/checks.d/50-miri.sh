# Miri runs the FFI layer's unit tests (C string helpers, out-parameters,
# the panic boundary, the exported create/parse/free functions) and reports
# undefined behaviour, leaks and invalid frees in the unsafe code.
#
# Isolation is off because creating a client reads the system trust store
# (/etc/ssl/certs); no test touches the network.
log "miri: cargo +nightly miri test --lib ffi::"
rustup +nightly component add miri rust-src
MIRIFLAGS="-Zmiri-disable-isolation" cargo +nightly miri test --lib ffi::
