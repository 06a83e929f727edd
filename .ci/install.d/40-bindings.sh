# Language bindings: Go (cgo) for tests/go_binding.rs and clang for
# tests/swift_module.rs (no Swift toolchain: clang imports the same module
# map). python3, for tests/python_binding.rs, is on the base image.
# Sourced by .ci/run (bash, set -euo pipefail, apt_install and log defined).

# Debian bookworm's golang-go is Go 1.19; the package has no dependencies,
# so `go test` needs no network. The race detector needs libc6-dev (there).
apt_install golang-go clang

command -v go >/dev/null || { echo "go not on PATH after installing golang-go" >&2; exit 1; }
command -v clang >/dev/null || { echo "clang not on PATH after installing clang" >&2; exit 1; }
command -v python3 >/dev/null || apt_install python3
log "bindings toolchain: $(go version), $(clang --version | head -n 1), $(python3 --version)"
