# tests/windows.rs: libuiza cross-built for 64-bit Windows with mingw-w64
# (scripts/windows-sdk.sh), its DLL's exports checked, and C programs built
# against it run under wine against the sandbox. Debian's wine64 is wine 8;
# the tests supply the one DLL it lacks (tests/windows/).
# Sourced by .ci/run (bash, set -euo pipefail, apt_install and log defined).
apt_install gcc-mingw-w64-x86-64 wine64
rustup target add x86_64-pc-windows-gnu

command -v x86_64-w64-mingw32-gcc >/dev/null ||
    { echo "x86_64-w64-mingw32-gcc not on PATH after installing gcc-mingw-w64-x86-64" >&2; exit 1; }
log "windows toolchain: $(x86_64-w64-mingw32-gcc --version | head -n 1), $(/usr/lib/wine/wine64 --version)"

# The tools are installed now, so tests/windows.rs (and any test that
# skips without a tool, see tests/support/windows_tools.rs) must run:
# a skip becomes a failure.
