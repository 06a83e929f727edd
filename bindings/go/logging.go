package uiza

// The library's log lines, handed to a Logger. A file with //export may
// only declare C in its preamble; the C side of the callback and the
// setter's wrappers are in trampoline.go.

/*
#include <stdint.h>
#include "uiza.h"

extern void uiza_go_log_on(uintptr_t handle, int max_level);
extern void uiza_go_log_off(void);
*/
import "C"

import (
	"log"
	"runtime/cgo"
	"strconv"
	"sync"
)

// LogLevel is how much a log line matters (UizaLogLevel in uiza.h); the
// values come from the header. A lower value matters more.
type LogLevel int32

// The levels of uiza.h, most important first.
const (
	// LogError: a call failed (its status, HTTP status, attempts, time).
	LogError LogLevel = C.UIZA_LOG_ERROR
	// LogWarn: something went wrong that the library handles (a retry, a
	// read-back of a reset whose outcome is unknown).
	LogWarn LogLevel = C.UIZA_LOG_WARN
	// LogInfo: each call's start and end, and a rotation's verdict.
	LogInfo LogLevel = C.UIZA_LOG_INFO
	// LogDebug: the steps of a call (lookup, connection, TLS, attempts,
	// retry waits).
	LogDebug LogLevel = C.UIZA_LOG_DEBUG
	// LogTrace: fine detail (pooled connections, worker threads).
	LogTrace LogLevel = C.UIZA_LOG_TRACE
)

// String is the level's name: "ERROR", "WARN", "INFO", "DEBUG", "TRACE".
func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "ERROR"
	case LogWarn:
		return "WARN"
	case LogInfo:
		return "INFO"
	case LogDebug:
		return "DEBUG"
	case LogTrace:
		return "TRACE"
	}
	return "LEVEL(" + strconv.Itoa(int(l)) + ")"
}

// Logger receives the library's log lines. Log is called on the goroutine
// of a blocking call (RotateStreamKey, ResetStreamKey), or on a library
// worker thread for GetLiveEntity; calls may come from several goroutines
// at once, so Log must be safe for concurrent use. The call that produced
// the line waits for Log: keep it short. A line never holds the API key or
// a stream key (keys are written "live_…"). Log must not call SetLogger.
type Logger interface {
	Log(level LogLevel, msg string)
}

// LoggerFunc makes a function a Logger.
type LoggerFunc func(level LogLevel, msg string)

// Log calls f(level, msg).
func (f LoggerFunc) Log(level LogLevel, msg string) { f(level, msg) }

// StdLogger writes each line to l as "[uiza] LEVEL message", for example
// "[uiza] INFO rotation succeeded after 1 attempt(s) in 3.2 ms; ingest
// key live_…". A nil l is log.Default(). *log.Logger is safe for
// concurrent use, as a Logger must be.
func StdLogger(l *log.Logger) Logger {
	if l == nil {
		l = log.Default()
	}
	return LoggerFunc(func(level LogLevel, msg string) {
		l.Print("[uiza] " + level.String() + " " + msg)
	})
}

var (
	// logMu serialises SetLogger, so that the order of the Go side's
	// replacements is the C side's.
	logMu sync.Mutex
	// logHandle refers to the installed Logger; 0 when logging is off.
	logHandle cgo.Handle
)

// SetLogger sends the library's log lines up to maxLevel to l, for the
// whole process (every Client). SetLogger(nil, 0), a nil l or a maxLevel
// below LogError turns logging off, which is the default; a maxLevel above
// LogTrace counts as LogTrace. While logging is off it costs the library
// one atomic load per place that could log.
//
// It may be called at any time, from any goroutine, also while calls are
// in flight. When it returns, the Logger it replaced is no longer running
// and will not be called again.
func SetLogger(l Logger, maxLevel LogLevel) {
	logMu.Lock()
	defer logMu.Unlock()
	old := logHandle
	if l == nil || maxLevel < LogError {
		C.uiza_go_log_off()
		logHandle = 0
	} else {
		logHandle = cgo.NewHandle(l)
		C.uiza_go_log_on(C.uintptr_t(logHandle), C.int(maxLevel))
	}
	// uiza_set_log_callback has returned: no thread is still running the
	// callback with the old handle, and none will start.
	if old != 0 {
		old.Delete()
	}
}

// uizaGoLog receives one log line on the thread that produced it. The
// message is borrowed until it returns, so it is copied here. A panic in
// Log is recovered and the line dropped: it must not unwind into C.
//
//export uizaGoLog
func uizaGoLog(handle C.uintptr_t, level C.int, msg *C.char) {
	// A stale handle is a bug of this file: let it crash. A panic in Log
	// is the Logger's: recover it.
	l := cgo.Handle(handle).Value().(Logger)
	line := C.GoString(msg)
	defer func() { _ = recover() }()
	l.Log(LogLevel(level), line)
}
