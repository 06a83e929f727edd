package uiza_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	uiza "github.com/uiza/uiza-c/bindings/go"
)

// rotatedOf is err's Rotated(), failing the test unless err is an *Error.
func rotatedOf(t *testing.T, err error) (known, rotated bool) {
	t.Helper()
	var ue *uiza.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v (%T), want *uiza.Error", err, err)
	}
	return ue.Rotated()
}

// notRotated fails the test unless err is an *Error that knows the key is
// unchanged: Rotated() == (true, false).
func notRotated(t *testing.T, what string, err error) {
	t.Helper()
	if known, rotated := rotatedOf(t, err); !known || rotated {
		t.Fatalf("%s: Rotated() = %v, %v; want known, false", what, known, rotated)
	}
}

// wantRotations fails the test unless the sandbox rotated entity id's key
// exactly want times.
func (e sandboxEnv) wantRotations(t *testing.T, id string, want int) {
	t.Helper()
	if n := e.rotations(t, id); n != want {
		t.Fatalf("%d rotations of %s, want %d", n, id, want)
	}
}

// wantRequestsSince fails the test unless exactly want API requests
// reached the sandbox since its APIRequests count was before; what says
// which calls sent them.
func (e sandboxEnv) wantRequestsSince(t *testing.T, before, want int, what string) {
	t.Helper()
	if n := e.stats(t).APIRequests - before; n != want {
		t.Fatalf("%d requests sent %s, want %d", n, what, want)
	}
}

// rotationSetup is what most rotation tests start from: the sandbox, a
// client with opts, a fresh entity and its current key.
func rotationSetup(t *testing.T, opts ...uiza.Option) (e sandboxEnv, c *uiza.Client, id, key string) {
	t.Helper()
	e = env(t)
	c = e.client(t, opts...)
	id = e.newEntity(t)
	return e, c, id, e.currentKey(t, id)
}

func TestGetLiveEntityReadsWithoutRotating(t *testing.T) {
	e := env(t)
	c := e.client(t)
	id := e.newEntity(t)
	got, err := c.GetLiveEntity(context.Background(), id)
	if err != nil {
		t.Fatalf("GetLiveEntity: %v", err)
	}
	if got.ID != id || got.Ingest.Key != e.currentKey(t, id) || got.Name != "Go test entity" {
		t.Fatalf("entity = %+v", got)
	}
	e.wantRotations(t, id, 0) // a read does not rotate

	_, err = c.GetLiveEntity(context.Background(), "no-such-entity")
	var ue *uiza.Error
	if !errors.Is(err, uiza.ErrNotFound) || !errors.As(err, &ue) || ue.HTTPStatus != 404 {
		t.Fatalf("err = %v, want ErrNotFound with HTTP 404", err)
	}
	if known, rotated := ue.Rotated(); known || rotated {
		t.Fatalf("a read's error has no \"rotated\": Rotated() = %v, %v", known, rotated)
	}

	before := e.stats(t).APIRequests
	// The library's reasons, and the binding's own for a NUL byte.
	for bad, want := range map[string]string{
		"":           "id is empty; an id is 1 to 256 characters",
		"..":         "id is a dot segment; an id is 1 to 256 characters",
		"a/b":        "id has a character outside the allowed set at byte offset 1;",
		id + "\x00x": "the live entity id contains a NUL byte",
	} {
		_, err := c.GetLiveEntity(context.Background(), bad)
		refusedWith(t, fmt.Sprintf("GetLiveEntity(%q)", bad), err, want)
		if known, rotated := rotatedOf(t, err); known || rotated {
			t.Fatalf("GetLiveEntity(%q): a read's error has no \"rotated\": Rotated() = %v, %v", bad, known, rotated)
		}
	}
	e.wantRequestsSince(t, before, 0, "for invalid ids")
}

func TestRotateStreamKeyRotatesExactlyOnce(t *testing.T) {
	e, c, id, old := rotationSetup(t)

	before := e.stats(t).APIRequests
	got, err := c.RotateStreamKey(context.Background(), id, old)
	if err != nil {
		t.Fatalf("RotateStreamKey with the current key: %v", err)
	}
	if got.Ingest.Key == old || got.Ingest.Key != e.currentKey(t, id) {
		t.Fatalf("key %q; old %q, sandbox %q", got.Ingest.Key, old, e.currentKey(t, id))
	}
	e.wantRequestsSince(t, before, 1, "with the current key (the PUT alone)")

	// "" reads the entity first.
	before = e.stats(t).APIRequests
	again, err := c.RotateStreamKey(context.Background(), id, "")
	if err != nil {
		t.Fatalf("RotateStreamKey without a key: %v", err)
	}
	if again.Ingest.Key == got.Ingest.Key || again.Ingest.Key != e.currentKey(t, id) {
		t.Fatalf("key %q after %q", again.Ingest.Key, got.Ingest.Key)
	}
	e.wantRequestsSince(t, before, 2, "without a key (GET then PUT)")
	e.wantRotations(t, id, 2)
}

func TestRotateReconcilesAHiddenRotation(t *testing.T) {
	e, c, id, old := rotationSetup(t) // no retries: the read-back does not need them
	// The sandbox applies the PUT, then drops the connection unanswered.
	faults := e.stats(t).FaultsApplied
	e.fault(t, `{"kind":"apply_then_drop","method":"PUT"}`)
	got, err := c.RotateStreamKey(context.Background(), id, old)
	if err != nil {
		t.Fatalf("RotateStreamKey after a hidden rotation: %v", err)
	}
	now := e.currentKey(t, id)
	if now == old || got.Ingest.Key != now {
		t.Fatalf("returned %q; sandbox holds %q (old %q)", got.Ingest.Key, now, old)
	}
	e.wantRotations(t, id, 1)
	if n := e.stats(t).FaultsApplied - faults; n != 1 {
		t.Fatalf("the fault applied %d times", n)
	}
}

func TestRotateDefiniteFailuresAreKnownNotRotated(t *testing.T) {
	e := env(t)
	c := e.client(t)
	_, err := c.RotateStreamKey(context.Background(), "no-such-entity", "live_x")
	if !errors.Is(err, uiza.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	notRotated(t, "404", err)
	before := e.stats(t).APIRequests
	for _, args := range [][2]string{{"..", "live_x"}, {"a b", ""}, {e.EntityID, "live_\x00x"}} {
		_, err := c.RotateStreamKey(context.Background(), args[0], args[1])
		if !errors.Is(err, uiza.ErrInvalidArgument) {
			t.Fatalf("RotateStreamKey(%q, %q): err = %v", args[0], args[1], err)
		}
		notRotated(t, "invalid argument", err)
	}
	e.wantRequestsSince(t, before, 0, "for invalid arguments")
}

func TestRotateCancelledDuringRetryWait(t *testing.T) {
	e, c, id, old := rotationSetup(t, uiza.WithMaxRetries(2)) // 30 s budget: the 20 s wait fits
	e.fault(t, `{"kind":"status","status":429,"retry_after":"20","method":"PUT"}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	timer := time.AfterFunc(300*time.Millisecond, cancel)
	defer timer.Stop()
	start := time.Now()
	_, err := c.RotateStreamKey(ctx, id, old)
	elapsed := time.Since(start)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, uiza.ErrCancelled) ||
		errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrCancelled and context.Canceled only", err)
	}
	notRotated(t, "cancelled", err)
	// Cancelled at 300 ms, not after the 20 s wait (generous: loaded machine).
	if elapsed > 3*time.Second {
		t.Fatalf("returned after %v", elapsed)
	}
	if n := e.rotations(t, id); n != 0 || e.currentKey(t, id) != old {
		t.Fatalf("%d rotations; key %q, was %q", n, e.currentKey(t, id), old)
	}
}

func TestRotateDeadlineCancelsARetryWait(t *testing.T) {
	e := env(t)
	c := e.client(t, uiza.WithMaxRetries(2))
	id := e.newEntity(t)
	e.fault(t, `{"kind":"status","status":429,"retry_after":"20","method":"PUT"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.RotateStreamKey(ctx, id, e.currentKey(t, id))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, uiza.ErrCancelled) ||
		errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrCancelled and context.DeadlineExceeded only", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Fatalf("returned after %v", elapsed)
	}
	e.wantRotations(t, id, 0)
}

func TestRotateCancelledWhilePutInFlightKeepsTheNewKey(t *testing.T) {
	e, c, id, old := rotationSetup(t)
	// The sandbox holds the PUT 600 ms before rotating; cancel at 200 ms.
	e.fault(t, `{"kind":"delay","ms":600,"method":"PUT"}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	timer := time.AfterFunc(200*time.Millisecond, cancel)
	defer timer.Stop()
	got, err := c.RotateStreamKey(ctx, id, old)
	if err != nil {
		t.Fatalf("a rotation in flight must be seen through: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the context was not cancelled during the call")
	}
	if now := e.currentKey(t, id); got.Ingest.Key != now || now == old {
		t.Fatalf("returned %q; sandbox holds %q (old %q)", got.Ingest.Key, now, old)
	}
	e.wantRotations(t, id, 1)
}

func TestRotateAndGetWithADoneContextSendNothing(t *testing.T) {
	e := env(t)
	c := e.client(t)
	id := e.newEntity(t)
	before := e.stats(t).APIRequests
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, key := range []string{"live_x", ""} {
		_, err := c.RotateStreamKey(ctx, id, key)
		if !errors.Is(err, uiza.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("RotateStreamKey(key %q): err = %v", key, err)
		}
		notRotated(t, fmt.Sprintf("RotateStreamKey(key %q)", key), err)
	}
	if _, err := c.GetLiveEntity(ctx, id); !errors.Is(err, context.Canceled) {
		t.Fatalf("GetLiveEntity: err = %v", err)
	}
	e.wantRequestsSince(t, before, 0, "for a done context")
}

func TestGetLiveEntityCancelledMidResponse(t *testing.T) {
	e := env(t)
	c := e.client(t)
	// The entity trickles in a byte every 200 ms: the read is mid-body.
	e.fault(t, `{"kind":"drip","chunk_bytes":1,"interval_ms":200,"method":"GET"}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	timer := time.AfterFunc(500*time.Millisecond, cancel)
	defer timer.Stop()
	start := time.Now()
	_, err := c.GetLiveEntity(ctx, e.EntityID)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, uiza.ErrCancelled) {
		t.Fatalf("err = %v, want ErrCancelled and context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Fatalf("returned after %v", elapsed)
	}
}

func TestGoroutinesShareGetLiveEntity(t *testing.T) {
	e := env(t)
	c := e.client(t)
	id := e.newEntity(t)
	want := e.currentKey(t, id)
	const goroutines, calls = 32, 3
	errs := make(chan error, goroutines*calls)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				got, err := c.GetLiveEntity(context.Background(), id)
				if err == nil && got.Ingest.Key != want {
					err = fmt.Errorf("key %q, want %q", got.Ingest.Key, want)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestResetErrorsSayWhetherTheKeyMayHaveRotated(t *testing.T) {
	e := env(t)
	c := e.client(t)
	_, err := c.ResetStreamKey(context.Background(), "no-such-entity")
	notRotated(t, "404", err)
	// A connection dropped after the PUT was sent: it may have applied.
	id := e.newEntity(t)
	e.fault(t, `{"kind":"drop","method":"PUT"}`)
	_, err = c.ResetStreamKey(context.Background(), id)
	if !errors.Is(err, uiza.ErrConnectionFailed) {
		t.Fatalf("err = %v, want ErrConnectionFailed", err)
	}
	if known, _ := rotatedOf(t, err); known {
		t.Fatal("a dropped reset cannot know whether it rotated")
	}
}

func TestErrCancelledIsAContextCancellation(t *testing.T) {
	if !errors.Is(uiza.ErrCancelled, context.Canceled) {
		t.Fatal("ErrCancelled does not match context.Canceled")
	}
	if uiza.StatusCancelled.String() == "unknown status" {
		t.Fatal("StatusCancelled has no text")
	}
	if err := uiza.SetMaxWorkerThreads(0); !errors.Is(err, uiza.ErrInvalidArgument) {
		t.Fatalf("SetMaxWorkerThreads(0): err = %v", err)
	}
	if err := uiza.SetMaxWorkerThreads(4); err != nil {
		t.Fatalf("SetMaxWorkerThreads(4): %v", err)
	}
}
