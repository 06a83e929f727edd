//go:build uiza_intree

package uiza

// How cgo finds libuiza with -tags uiza_intree: the header from this
// checkout's include/ directory, and the library libuiza that the linker
// finds, usually through CGO_LDFLAGS, for example after
// `cargo build --release` at the repository's root:
//
//	CGO_LDFLAGS="-L$PWD/target/release -Wl,-rpath,$PWD/target/release" go test -tags uiza_intree ./bindings/go
//
// This is how the repository's own tests build the package
// (tests/go_binding.rs). Without the tag, link_pkgconfig.go applies.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -luiza
import "C"
