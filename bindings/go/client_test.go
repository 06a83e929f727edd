package uiza_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	uiza "github.com/uiza/uiza-c/bindings/go"
)

func TestVersionAndStatusText(t *testing.T) {
	if uiza.Version() == "" {
		t.Fatal("empty version")
	}
	if got := uiza.StatusNotFound.String(); got != "not found (HTTP 404)" {
		t.Fatalf("StatusNotFound.String() = %q", got)
	}
}

func TestResetReturnsTheEntityWithANewKey(t *testing.T) {
	e := env(t)
	c := e.client(t)
	first, err := c.ResetStreamKey(context.Background(), e.EntityID)
	if err != nil {
		t.Fatalf("ResetStreamKey: %v", err)
	}
	second, err := c.ResetStreamKey(context.Background(), e.EntityID)
	if err != nil {
		t.Fatalf("ResetStreamKey: %v", err)
	}
	if !strings.HasPrefix(first.Ingest.Key, "live_") || first.Ingest.Key == second.Ingest.Key {
		t.Fatalf("keys %q then %q: want two different live_ keys", first.Ingest.Key, second.Ingest.Key)
	}
	want := uiza.LiveEntity{
		ID:          e.EntityID,
		Name:        "Test Event Updated",
		Description: "Event for Test",
		Ingest:      uiza.Ingest{URL: "rtmp://f45dd07a0e-in.uizadev.io/transcode", Key: second.Ingest.Key},
		Playback:    uiza.Playback{HLS: "https://f45dd07a0e.uizadev.io/fmp4/" + e.EntityID + "/master.m3u8"},
		Region:      "in-bangalore-1",
		Status:      "ready",
		DVR:         true,
		Encode:      false,
		CreatedAt:   "2019-12-11T02:47:04Z",
		UpdatedAt:   second.UpdatedAt,
		Raw:         second.Raw,
	}
	if fmt.Sprintf("%+v", *second) != fmt.Sprintf("%+v", want) {
		t.Fatalf("entity\n got %+v\nwant %+v", *second, want)
	}
	// Raw is the API's document; the typed fields agree with it.
	var raw struct {
		Ingest struct{ Key string } `json:"ingest"`
	}
	if err := json.Unmarshal(second.Raw, &raw); err != nil || raw.Ingest.Key != second.Ingest.Key {
		t.Fatalf("Raw %s: %v", second.Raw, err)
	}
}

func TestNotFoundMatchesErrNotFound(t *testing.T) {
	e := env(t)
	_, err := e.client(t).ResetStreamKey(context.Background(), "no-such-entity")
	if !errors.Is(err, uiza.ErrNotFound) || errors.Is(err, uiza.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrNotFound only", err)
	}
	var ue *uiza.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err %T is not *uiza.Error", err)
	}
	if ue.Status != uiza.StatusNotFound || ue.HTTPStatus != 404 ||
		ue.Message != "The live entity you requested does not exist." ||
		ue.ErrorType != "invalid_request_error" {
		t.Fatalf("error = %#v", ue)
	}
}

func TestWrongKeyMatchesErrUnauthorized(t *testing.T) {
	e := env(t)
	const wrongKey = "wrong-key-must-not-leak"
	c, err := uiza.NewClient(wrongKey, uiza.WithBaseURL(e.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ResetStreamKey(context.Background(), e.EntityID)
	var ue *uiza.Error
	if !errors.Is(err, uiza.ErrUnauthorized) || !errors.As(err, &ue) || ue.HTTPStatus != 401 {
		t.Fatalf("err = %v, want ErrUnauthorized with HTTP 401", err)
	}
	if strings.Contains(err.Error(), wrongKey) {
		t.Fatal("the key appears in the error message")
	}
	// Neither does fmt print it from the client.
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v %#v %s", c, c, c)} {
		if strings.Contains(s, wrongKey) {
			t.Fatal("fmt prints the API key of a Client")
		}
	}
}

func TestServerErrorIsNotRetriedWithRetriesOff(t *testing.T) {
	e := env(t)
	c := e.client(t)
	before := e.stats(t).APIRequests
	e.fault(t, `{"kind":"status","status":503}`)
	_, err := c.ResetStreamKey(context.Background(), e.EntityID)
	var ue *uiza.Error
	if !errors.Is(err, uiza.ErrServerError) || !errors.As(err, &ue) || ue.HTTPStatus != 503 || ue.ErrorType != "api_error" {
		t.Fatalf("err = %#v, want ErrServerError with HTTP 503", err)
	}
	if n := e.stats(t).APIRequests - before; n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestRetriesRecoverFromATransientFault(t *testing.T) {
	e := env(t)
	c := e.client(t, uiza.WithMaxRetries(2))
	e.fault(t, `{"kind":"status","status":503,"retry_after":"0"}`)
	if _, err := c.ResetStreamKey(context.Background(), e.EntityID); err != nil {
		t.Fatalf("ResetStreamKey after one 503: %v", err)
	}
}

func TestContextDeadlineBecomesTheTimeout(t *testing.T) {
	e := env(t)
	c := e.client(t) // the client's own timeout stays 30s
	e.fault(t, `{"kind":"delay","ms":6000}`)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ResetStreamKey(ctx, e.EntityID)
	elapsed := time.Since(start)
	if !errors.Is(err, uiza.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout and context.DeadlineExceeded", err)
	}
	var ue *uiza.Error
	if !errors.As(err, &ue) || !ue.Timeout() || ue.HTTPStatus != 0 {
		t.Fatalf("err = %#v", err)
	}
	// Generous: the machine may be loaded; the fault alone takes 6s.
	if elapsed > 4*time.Second {
		t.Fatalf("returned after %v, want about 500ms", elapsed)
	}
	// The shared client was not touched: a call without deadline works.
	if _, err := c.ResetStreamKey(context.Background(), e.EntityID); err != nil {
		t.Fatalf("call after the deadline call: %v", err)
	}
}

func TestClientTimeoutIsNotAContextError(t *testing.T) {
	e := env(t)
	c := e.client(t, uiza.WithTimeout(400*time.Millisecond))
	e.fault(t, `{"kind":"delay","ms":6000}`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.ResetStreamKey(ctx, e.EntityID)
	if !errors.Is(err, uiza.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout but not DeadlineExceeded", err)
	}
}

func TestDoneContextSendsNothing(t *testing.T) {
	e := env(t)
	c := e.client(t)
	before := e.stats(t).APIRequests

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ResetStreamKey(cancelled, e.EntityID); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := c.ResetStreamKey(expired, e.EntityID); err != context.DeadlineExceeded {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if n := e.stats(t).APIRequests - before; n != 0 {
		t.Fatalf("%d requests sent for done contexts", n)
	}
}

// refusedWith checks that err is an *Error matching ErrInvalidArgument
// whose message starts with want.
func refusedWith(t *testing.T, what string, err error, want string) {
	t.Helper()
	var ue *uiza.Error
	if !errors.Is(err, uiza.ErrInvalidArgument) || !errors.As(err, &ue) {
		t.Errorf("%s: err = %v, want ErrInvalidArgument", what, err)
		return
	}
	if !strings.HasPrefix(ue.Message, want) {
		t.Errorf("%s: message %q, want %q...", what, ue.Message, want)
	}
}

func TestInvalidArguments(t *testing.T) {
	e := env(t)
	// The library's messages (uiza_client_create), and the binding's own
	// for a NUL byte, which C would cut the key at.
	for key, want := range map[string]string{
		"":            "api_key is empty",
		"has space":   "api_key must be printable ASCII without whitespace",
		"nul\x00byte": "the API key contains a NUL byte",
	} {
		_, err := uiza.NewClient(key)
		refusedWith(t, fmt.Sprintf("NewClient(%q)", key), err, want)
	}
	c := e.client(t)
	before := e.stats(t).APIRequests
	// A NUL byte would cut the id short in C: it must be refused, not
	// sent as the prefix.
	for _, id := range []string{"", e.EntityID + "\x00suffix", ".."} {
		if _, err := c.ResetStreamKey(context.Background(), id); !errors.Is(err, uiza.ErrInvalidArgument) {
			t.Fatalf("ResetStreamKey(%q): err = %v", id, err)
		}
	}
	if n := e.stats(t).APIRequests - before; n != 0 {
		t.Fatalf("%d requests sent for invalid ids", n)
	}
	// The library's messages (uiza_client_configure), and the binding's
	// own for numbers that do not fit the library's uint32.
	checks := []struct {
		name string
		err  error
		want string
	}{
		{"SetTimeout(0)", c.SetTimeout(0), "the time budget must be at least 1 ms"},
		{"SetBaseURL(ftp)", c.SetBaseURL("ftp://example.com"), "base URL is invalid: the scheme must be http or https"},
		{"SetCAFile(missing)", c.SetCAFile("/nonexistent/ca.pem"), "CA file: cannot read it"},
		// Encoded whole into the JSON document: a URL cut at the NUL
		// would be accepted, and a broken document refused as such.
		{"SetBaseURL(nul)", c.SetBaseURL("http://x\x00/"), "base URL is invalid: "},
		{"SetBaseURL(quotes)", c.SetBaseURL("http://x/\"}\\\n"), "base URL is invalid: "},
		{"SetBaseURL(not UTF-8)", c.SetBaseURL("http://x/\xff"), "the base URL is not valid UTF-8"},
		{"SetMaxRetries(-1)", c.SetMaxRetries(-1), "the retry count must be between 0 and 2^32-1"},
		{"SetTimeout(-1ms)", c.SetTimeout(-time.Millisecond), "the timeout must not be negative"},
		{"SetTimeout(2^32 ms)", c.SetTimeout(time.Duration(1<<32) * time.Millisecond), "the timeout must not be negative and must be below 2^32 ms"},
	}
	for _, check := range checks {
		refusedWith(t, check.name, check.err, check.want)
	}
	// The options of NewClient go the same way.
	_, err := uiza.NewClient(e.APIKey, uiza.WithTimeout(0))
	refusedWith(t, "NewClient(WithTimeout(0))", err, "the time budget must be at least 1 ms")
	// The refused settings left the client as it was.
	if _, err := c.ResetStreamKey(context.Background(), e.EntityID); err != nil {
		t.Fatalf("after refused settings: %v", err)
	}
}

func TestTLSWithTheSandboxCA(t *testing.T) {
	e := env(t)
	c, err := uiza.NewClient(e.APIKey, uiza.WithBaseURL(e.TLSBaseURL), uiza.WithCAFile(e.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ResetStreamKey(context.Background(), e.EntityID); err != nil {
		t.Fatalf("HTTPS with the CA: %v", err)
	}
	// A call with a short deadline runs on a per-call client: it must
	// carry the CA too.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.ResetStreamKey(ctx, e.EntityID); err != nil {
		t.Fatalf("HTTPS with the CA and a deadline: %v", err)
	}

	untrusting, err := uiza.NewClient(e.APIKey, uiza.WithBaseURL(e.TLSBaseURL), uiza.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer untrusting.Close()
	_, err = untrusting.ResetStreamKey(context.Background(), e.EntityID)
	if !errors.Is(err, uiza.ErrTLSFailed) {
		t.Fatalf("HTTPS without the CA: err = %v, want ErrTLSFailed", err)
	}
	e.noSecret(t, err.Error())
}

func TestSixtyFourGoroutinesShareOneClient(t *testing.T) {
	e := env(t)
	c := e.client(t)
	const goroutines, calls = 64, 3
	before := e.stats(t).Resets

	var wg sync.WaitGroup
	keys := make(chan string, goroutines*calls)
	errs := make(chan error, goroutines*calls)
	call := func(g, i int) {
		ctx := context.Background()
		switch g % 4 {
		case 1: // a deadline far beyond the timeout: the shared client
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Hour)
			defer cancel()
		case 2: // a deadline below the timeout: a per-call client
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 25*time.Second)
			defer cancel()
		case 3: // setters race the calls; every value set is valid
			if err := c.SetTimeout(time.Duration(30+i) * time.Second); err != nil {
				errs <- err
			}
			if err := c.SetMaxRetries(i % 2); err != nil {
				errs <- err
			}
		}
		entity, err := c.ResetStreamKey(ctx, e.EntityID)
		if err != nil {
			errs <- fmt.Errorf("goroutine %d call %d: %w", g, i, err)
			return
		}
		keys <- entity.Ingest.Key
	}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				call(g, i)
			}
		}(g)
	}
	wg.Wait()
	close(keys)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for k := range keys {
		if seen[k] {
			t.Errorf("key %s returned twice", k)
		}
		seen[k] = true
	}
	if len(seen) != goroutines*calls {
		t.Fatalf("%d distinct keys, want %d", len(seen), goroutines*calls)
	}
	// At least: a request that an earlier test gave up on (delay fault)
	// may still complete its reset now.
	if n := e.stats(t).Resets - before; n < goroutines*calls {
		t.Fatalf("sandbox saw %d resets, want %d", n, goroutines*calls)
	}
}

func TestCloseWaitsForCallsAndThenRefusesThem(t *testing.T) {
	e := env(t)
	c, err := uiza.NewClient(e.APIKey, uiza.WithBaseURL(e.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	before := e.stats(t).APIRequests
	e.fault(t, `{"kind":"delay","ms":700}`)
	done := make(chan error, 1)
	go func() {
		_, err := c.ResetStreamKey(context.Background(), e.EntityID)
		done <- err
	}()
	// Let the call start, then close under it.
	for start := time.Now(); e.stats(t).APIRequests == before; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the call never reached the sandbox")
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close returns once no call uses the native client, so the call has
	// returned already: after that its goroutine only sends on a buffered
	// channel. Waiting for the result here would hide a Close that did not
	// wait.
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("call in progress during Close: %v", err)
		}
	default:
		t.Fatal("Close returned while a call was still in progress")
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.ResetStreamKey(context.Background(), e.EntityID); !errors.Is(err, uiza.ErrClosed) {
		t.Fatalf("after Close: err = %v, want ErrClosed", err)
	}
	if err := c.SetTimeout(time.Second); !errors.Is(err, uiza.ErrClosed) {
		t.Fatalf("SetTimeout after Close: err = %v, want ErrClosed", err)
	}
}
