package uiza_test

import (
	"bytes"
	"context"
	"errors"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	uiza "github.com/uiza/uiza-c/bindings/go"
)

type logLine struct {
	level uiza.LogLevel
	msg   string
}

// collector is a Logger that keeps every line. Once retired (after the
// SetLogger that replaced it returned) any further line is a violation.
type collector struct {
	mu         sync.Mutex
	lines      []logLine
	retired    int32
	violations int32
}

func (c *collector) Log(level uiza.LogLevel, msg string) {
	if atomic.LoadInt32(&c.retired) != 0 {
		atomic.AddInt32(&c.violations, 1)
	}
	c.mu.Lock()
	c.lines = append(c.lines, logLine{level, msg})
	c.mu.Unlock()
}

func (c *collector) snapshot() []logLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]logLine(nil), c.lines...)
}

// logging installs l up to maxLevel, and turns logging off with t.
func logging(t *testing.T, l uiza.Logger, maxLevel uiza.LogLevel) {
	t.Helper()
	uiza.SetLogger(l, maxLevel)
	t.Cleanup(func() { uiza.SetLogger(nil, 0) })
}

// noKeysLogged fails if the API key or any of keys shows up in a line.
func (e sandboxEnv) noKeysLogged(t *testing.T, lines []logLine, keys ...string) {
	t.Helper()
	for _, l := range lines {
		e.noSecret(t, l.msg)
		for _, k := range keys {
			if strings.Contains(l.msg, k) {
				t.Fatalf("a stream key was logged: %q", l.msg)
			}
		}
	}
}

func TestLoggerSeesARotationInOrder(t *testing.T) {
	e := env(t)
	c := e.client(t)
	id := e.newEntity(t)
	k0 := e.currentKey(t, id)
	got := &collector{}
	logging(t, got, uiza.LogDebug)
	entity, err := c.RotateStreamKey(context.Background(), id, k0)
	if err != nil {
		t.Fatalf("RotateStreamKey: %v", err)
	}
	uiza.SetLogger(nil, 0)
	lines := got.snapshot()
	// The call's lines, in the order the library produced them (these
	// tests run one at a time, so no other call interleaves).
	want := []logLine{
		{uiza.LogInfo, "rotation of live entity " + id + ": starting at "},
		{uiza.LogDebug, "attempt 1: PUT "},
		{uiza.LogDebug, "attempt 1: succeeded in "},
		{uiza.LogInfo, "rotation succeeded after 1 attempt(s) in "},
	}
	next := 0
	for _, l := range lines {
		if next < len(want) && l.level == want[next].level && strings.HasPrefix(l.msg, want[next].msg) {
			next++
		}
		if l.level > uiza.LogDebug {
			t.Fatalf("a line above the maximum level: %v %q", l.level, l.msg)
		}
	}
	if next < len(want) {
		t.Fatalf("missing, in order from %v %q; the lines were:\n%v", want[next].level, want[next].msg, lines)
	}
	e.noKeysLogged(t, lines, k0, entity.Ingest.Key)
}

func TestLoggingOffProducesNothing(t *testing.T) {
	e := env(t)
	c := e.client(t)
	turnedOff := &collector{}
	uiza.SetLogger(turnedOff, uiza.LogTrace)
	uiza.SetLogger(nil, uiza.LogTrace)
	belowError := &collector{}
	logging(t, belowError, 0)
	if _, err := c.ResetStreamKey(context.Background(), e.newEntity(t)); err != nil {
		t.Fatalf("ResetStreamKey: %v", err)
	}
	if _, err := c.GetLiveEntity(context.Background(), "no-such-entity"); !errors.Is(err, uiza.ErrNotFound) {
		t.Fatalf("GetLiveEntity: %v", err)
	}
	if n := len(turnedOff.snapshot()) + len(belowError.snapshot()); n != 0 {
		t.Fatalf("%d lines with logging off: %v %v", n, turnedOff.snapshot(), belowError.snapshot())
	}
}

func TestStdLoggerWritesToALogLogger(t *testing.T) {
	e := env(t)
	var buf bytes.Buffer // log.Logger serialises its writes
	logging(t, uiza.StdLogger(log.New(&buf, "test: ", 0)), uiza.LogInfo)
	if _, err := e.client(t).ResetStreamKey(context.Background(), e.newEntity(t)); err != nil {
		t.Fatalf("ResetStreamKey: %v", err)
	}
	_, err := e.client(t).GetLiveEntity(context.Background(), "no-such-entity")
	uiza.SetLogger(nil, 0)
	if !errors.Is(err, uiza.ErrNotFound) {
		t.Fatalf("GetLiveEntity: %v", err)
	}
	out := buf.String()
	for _, want := range []string{
		"test: [uiza] INFO reset of live entity go-entity-",
		"test: [uiza] INFO reset succeeded after 1 attempt(s) in ",
		// The read ran on a library worker thread.
		"test: [uiza] ERROR read failed after 1 attempt(s) in ",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "DEBUG") || strings.Contains(out, "attempt 1:") {
		t.Fatalf("a line above LogInfo:\n%s", out)
	}
	e.noSecret(t, out)
}

func TestLoggerReplacedWhileCallsRunIsNeverCalledAfterSetLogger(t *testing.T) {
	e := env(t)
	c := e.client(t)
	ids := []string{e.newEntity(t), e.newEntity(t)}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var stopOnce sync.Once
	finish := func() {
		stopOnce.Do(func() { close(stop) })
		wg.Wait()
	}
	t.Cleanup(func() {
		uiza.SetLogger(nil, 0)
		finish()
	})
	var calls int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if g%2 == 0 {
					_, err = c.ResetStreamKey(context.Background(), ids[g/2])
				} else {
					// Its lines come from a library worker thread.
					_, err = c.GetLiveEntity(context.Background(), ids[g/2])
				}
				if err != nil {
					t.Errorf("call: %v", err)
					return
				}
				atomic.AddInt64(&calls, 1)
			}
		}(g)
	}
	var loggers []*collector
	for i := 0; i < 40; i++ {
		l := &collector{}
		uiza.SetLogger(l, uiza.LogTrace)
		if i > 0 {
			atomic.StoreInt32(&loggers[i-1].retired, 1)
		}
		loggers = append(loggers, l)
		// Let each logger see a call or two.
		for deadline := time.Now().Add(10 * time.Second); atomic.LoadInt64(&calls) < int64(i+1)*2; {
			if time.Now().After(deadline) {
				t.Fatalf("the calls stopped after %d", atomic.LoadInt64(&calls))
			}
			time.Sleep(time.Millisecond)
		}
	}
	uiza.SetLogger(nil, 0)
	atomic.StoreInt32(&loggers[len(loggers)-1].retired, 1)
	finish()
	total := 0
	for i, l := range loggers {
		if v := atomic.LoadInt32(&l.violations); v != 0 {
			t.Fatalf("logger %d got %d line(s) after the SetLogger that replaced it returned", i, v)
		}
		total += len(l.snapshot())
		e.noKeysLogged(t, l.snapshot())
	}
	if total == 0 {
		t.Fatal("no logger received a line")
	}
}

func TestErrorCarriesAttemptsAndElapsed(t *testing.T) {
	e := env(t)
	e.fault(t, `{"kind":"status","status":503,"times":2}`)
	got := &collector{}
	logging(t, got, uiza.LogWarn)
	_, err := e.client(t, uiza.WithMaxRetries(1)).ResetStreamKey(context.Background(), e.newEntity(t))
	var ue *uiza.Error
	if !errors.As(err, &ue) || ue.Status != uiza.StatusServerError {
		t.Fatalf("err = %v, want a server error", err)
	}
	// Two exchanges and the backoff between them (at least 125 ms).
	if ue.Attempts != 2 || ue.ElapsedMs < 125 || ue.ElapsedMs > 10_000 {
		t.Fatalf("Attempts %d, ElapsedMs %d: want 2 and the backoff", ue.Attempts, ue.ElapsedMs)
	}
	// Up to LogWarn: a 503 after the PUT was sent may have been applied.
	want := []logLine{
		{uiza.LogWarn, "the reset may have been applied; a retry may replace the key again"},
		{uiza.LogWarn, "retry 1 of 1 in "},
		{uiza.LogError, "reset failed after 2 attempt(s) in "},
	}
	lines := got.snapshot()
	if len(lines) != len(want) {
		t.Fatalf("lines: %v", lines)
	}
	for i, l := range lines {
		if l.level != want[i].level || !strings.HasPrefix(l.msg, want[i].msg) {
			t.Fatalf("line %d: %v %q, want %v %q", i, l.level, l.msg, want[i].level, want[i].msg)
		}
	}
	// A refusal by the binding has no document: no attempts.
	_, err = e.client(t).ResetStreamKey(context.Background(), "a\x00b")
	if !errors.As(err, &ue) || ue.Attempts != 0 || ue.ElapsedMs != 0 {
		t.Fatalf("refusal: %#v", err)
	}
}

func TestLogLevelsAreTheHeaders(t *testing.T) {
	levels := []uiza.LogLevel{uiza.LogError, uiza.LogWarn, uiza.LogInfo, uiza.LogDebug, uiza.LogTrace}
	names := []string{"ERROR", "WARN", "INFO", "DEBUG", "TRACE"}
	for i, l := range levels {
		if int(l) != i+1 || l.String() != names[i] {
			t.Fatalf("level %d: %d %q", i, int(l), l.String())
		}
	}
	if s := uiza.LogLevel(9).String(); s != "LEVEL(9)" {
		t.Fatalf("LogLevel(9) = %q", s)
	}
}
