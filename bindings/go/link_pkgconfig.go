//go:build !uiza_intree

package uiza

// How cgo finds libuiza by default: an installed copy (`cargo cinstall`),
// through pkg-config and its uiza.pc, which gives the header's directory
// and the library. Set PKG_CONFIG_PATH=<prefix>/lib/pkgconfig when the
// prefix is not one pkg-config searches already.
//
// Building with -tags uiza_intree uses a checkout instead: see
// link_intree.go.

// #cgo pkg-config: uiza
import "C"
