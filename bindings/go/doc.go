// Package uiza is the Go binding of libuiza, the C library that resets the
// RTMP ingest (stream) key of a Uiza live entity.
//
// Client.RotateStreamKey rotates the key exactly once (after an ambiguous
// failure the library reads the entity back rather than rotating again) and
// honours the context's cancellation while the call runs;
// Client.GetLiveEntity reads an entity; Client.ResetStreamKey is the plain
// reset of libuiza 0.1.
//
// It links the shared library with cgo. Build it with the header and the
// library on the compiler's paths, for example from a checkout of the
// repository after `cargo build --release`:
//
//	CGO_LDFLAGS="-L$PWD/target/release -Wl,-rpath,$PWD/target/release" go build ./...
//
// The header is found at ../../include relative to this package; when the
// package is used from elsewhere, add CGO_CFLAGS="-I/path/to/include".
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
