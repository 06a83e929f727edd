# Tools for tests/install.rs, tests/cpp.rs and tests/symbols.rs, which build
# real consumers of libuiza: g++ (C++ wrapper and example), pkg-config and
# cmake (consumers of the installed library), binutils (nm, readelf), and
# cargo-c (`cargo cinstall`, the install step users run).
apt_install g++ pkg-config cmake binutils

# Pinned, because each cargo-c release needs a recent rustc (0.10.26
# already wants 1.97); 0.10.24 builds with rustc 1.95. Raise it together
# with the toolchain.
UIZA_CARGO_C_VERSION=0.10.24
if ! cargo cinstall --version >/dev/null 2>&1; then
    # cargo-c embeds cargo, whose build needs OpenSSL and curl headers
    # (found through pkg-config).
    apt_install pkg-config libssl-dev libcurl4-openssl-dev zlib1g-dev
    log "cargo install cargo-c $UIZA_CARGO_C_VERSION (a few minutes)"
    cargo install cargo-c --locked --version "$UIZA_CARGO_C_VERSION"
fi
