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
// Logging: SetLogger(l, maxLevel) sends the library's log lines (each
// call's start and end, attempts, retries, read-backs, connections) to a
// Logger, for the whole process; it is off by default and costs nothing
// then. StdLogger adapts a *log.Logger:
//
//	uiza.SetLogger(uiza.StdLogger(log.New(os.Stderr, "", log.LstdFlags)), uiza.LogInfo)
//	defer uiza.SetLogger(nil, 0)
//
// The module supports Go 1.19, which has no log/slog (Go 1.21), so the
// binding defines its own one-method Logger interface and LogLevel
// constants with the C values; a log/slog handler is a few lines of
// LoggerFunc away. The C callback is a cgo export; its user_data is a
// cgo.Handle to the Logger. SetLogger calls are serialised, and the
// handle of the Logger replaced is deleted only once
// uiza_set_log_callback has returned, which guarantees that no thread is
// still running the old callback: so a replaced Logger is never called
// after SetLogger returns. Failed calls also report, in Error.Attempts
// and Error.ElapsedMs, how many HTTP exchanges they made and for how long
// they ran.
//
// Live-entity ids are 1 to 256 characters from A-Z a-z 0-9 - . _ ~, and
// not "." or ".."; any other id is refused with ErrInvalidArgument and
// nothing is sent.
package uiza
