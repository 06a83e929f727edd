// Package uiza is the Go binding of libuiza, the C library that resets the
// RTMP ingest (stream) key of a Uiza live entity.
//
// Client.RotateStreamKey rotates the key exactly once (after an ambiguous
// failure the library reads the entity back rather than rotating again) and
// honours the context's cancellation while the call runs;
// Client.GetLiveEntity reads an entity; Client.ResetStreamKey is the plain
// reset of libuiza 0.1.
//
// It links libuiza with cgo. By default it finds an installed copy
// (`cargo cinstall`) through pkg-config (`#cgo pkg-config: uiza`); set
// PKG_CONFIG_PATH=<prefix>/lib/pkgconfig if pkg-config does not search the
// prefix already. With the build tag uiza_intree it uses a checkout of the
// repository instead: the header from ../../include relative to this
// package, and a library given through CGO_LDFLAGS, for example after
// `cargo build --release`:
//
//	CGO_LDFLAGS="-L$PWD/target/release -Wl,-rpath,$PWD/target/release" go build -tags uiza_intree ./...
//
// Errors of the library carry its own messages: the client is created with
// uiza_client_create and the setters go through uiza_client_configure.
//
// A Client is safe for concurrent use by any number of goroutines and keeps
// its connections alive between calls. Errors are *Error values that
// errors.Is matches against the sentinel errors (ErrNotFound,
// ErrUnauthorized, ErrTimeout, ErrCancelled, ...) and, for calls the
// context ended, against context.Canceled or context.DeadlineExceeded.
// Error.Rotated tells whether a failed reset or rotation may have changed
// the key. The library keeps no per-thread error state, so goroutines
// moving between OS threads are not a concern.
//
// Live-entity ids are 1 to 256 characters from A-Z a-z 0-9 - . _ ~, and
// not "." or ".."; any other id is refused with ErrInvalidArgument and
// nothing is sent.
package uiza
