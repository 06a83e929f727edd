package uiza

/*
#include <stdlib.h>
#include <string.h>
#include "uiza.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// The library's default time budget (see uiza_client_new in uiza.h).
const defaultTimeout = 30 * time.Second

// Client resets, rotates and reads stream keys with one API key. It is safe for concurrent
// use by any number of goroutines, setters included, and shares one pool
// of keep-alive connections between them. Close it when done.
type Client struct {
	// life guards native: every call holds it for reading while it uses
	// native, Close takes it for writing, so the native client is never
	// freed under a running call.
	life   sync.RWMutex
	native *C.UizaClient

	// mu guards timeout, a copy of the client's time budget: a context
	// deadline shorter than it becomes the call's own budget (and the
	// error then also matches context.DeadlineExceeded).
	mu      sync.Mutex
	timeout time.Duration
}

// Option configures a Client in NewClient.
type Option func(*Client) error

// WithBaseURL sets the API's base URL, see Client.SetBaseURL.
func WithBaseURL(url string) Option { return func(c *Client) error { return c.SetBaseURL(url) } }

// WithTimeout sets the time budget of each call, see Client.SetTimeout.
func WithTimeout(d time.Duration) Option { return func(c *Client) error { return c.SetTimeout(d) } }

// WithMaxRetries sets the retries, see Client.SetMaxRetries.
func WithMaxRetries(n int) Option { return func(c *Client) error { return c.SetMaxRetries(n) } }

// WithCAFile trusts a private CA in addition to the system's, see
// Client.SetCAFile.
func WithCAFile(path string) Option { return func(c *Client) error { return c.SetCAFile(path) } }

// NewClient creates a client that authenticates with apiKey, talking to
// https://api.uiza.sh unless WithBaseURL says otherwise. The key must be
// non-empty printable ASCII without whitespace; a refused key gives an
// *Error matching ErrInvalidArgument with the library's message.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	key := []byte(apiKey)
	native, err := newNative(key)
	zero(key)
	if err != nil {
		return nil, err
	}
	c := &Client{native: native, timeout: defaultTimeout}
	// Like os.File: a forgotten Close still frees the native client.
	runtime.SetFinalizer(c, (*Client).Close)
	for _, opt := range opts {
		if err := opt(c); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Close frees the native client and wipes the API key. It waits for calls
// in progress to return; later calls fail with ErrClosed. Closing twice is
// a no-op.
func (c *Client) Close() error {
	c.life.Lock()
	defer c.life.Unlock()
	if c.native == nil {
		return nil
	}
	// The library wipes the key it holds.
	C.uiza_client_free(c.native)
	c.native = nil
	runtime.SetFinalizer(c, nil)
	return nil
}

// hold keeps the client open for one call: it read-locks c.life, so that
// Close waits for the call, and reports true; the caller then defers
// c.life.RUnlock(). It reports false, holding nothing, once Close has run.
func (c *Client) hold() bool {
	c.life.RLock()
	if c.native == nil {
		c.life.RUnlock()
		return false
	}
	return true
}

// nulByte refuses a string argument with a NUL byte: C would read it cut
// short, and act on another entity or key. It is nil for any other string.
func nulByte(what, s string) *Error {
	if strings.IndexByte(s, 0) < 0 {
		return nil
	}
	return invalidArgument("the " + what + " contains a NUL byte")
}

// String and GoString keep fmt from printing the API key.
func (c *Client) String() string   { return "uiza.Client" }
func (c *Client) GoString() string { return "&uiza.Client{}" }

// The setters go through uiza_client_configure with a JSON document, so a
// refused setting is an *Error matching ErrInvalidArgument that carries
// the library's own message, and leaves the client unchanged. The binding
// checks only what the library cannot see: a string that is not UTF-8
// (encoding/json would replace its bytes, and the library would check
// another string) and a number that does not fit the library's uint32.

// SetBaseURL sets the base URL, such as https://api.uiza.sh or
// http://127.0.0.1:8080 for a local sandbox. It applies to later calls.
func (c *Client) SetBaseURL(url string) error {
	if !utf8.ValidString(url) {
		return invalidArgument("the base URL is not valid UTF-8")
	}
	return c.configure(settings{BaseURL: &url}, nil)
}

// SetTimeout sets the time budget of one call: connecting, TLS, every
// attempt and every wait between retries. Default 30s. It is rounded up
// to a whole millisecond and must be positive and below 2^32 ms.
func (c *Client) SetTimeout(d time.Duration) error {
	ms, ok := millis(d)
	if !ok {
		// Does not fit the library's uint32 milliseconds.
		return invalidArgument("the timeout must not be negative and must be below 2^32 ms")
	}
	return c.configure(settings{TimeoutMS: &ms},
		func() { c.timeout = time.Duration(ms) * time.Millisecond })
}

// SetMaxRetries sets how often a connection failure or an HTTP 429, 502,
// 503 or 504 is retried (default 2; 0 disables retries).
func (c *Client) SetMaxRetries(n int) error {
	if n < 0 || uint64(n) > math.MaxUint32 {
		// Does not fit the library's uint32.
		return invalidArgument("the retry count must be between 0 and 2^32-1")
	}
	retries := uint32(n)
	return c.configure(settings{MaxRetries: &retries}, nil)
}

// SetCAFile trusts the CA certificates of a PEM file in addition to the
// system's trust store. Verification can never be turned off.
func (c *Client) SetCAFile(path string) error {
	if !utf8.ValidString(path) {
		return invalidArgument("the CA file path is not valid UTF-8")
	}
	return c.configure(settings{CAFile: &path}, nil)
}

// settings is the document of uiza_client_configure; nil members are left
// as they are.
type settings struct {
	BaseURL    *string `json:"base_url,omitempty"`
	TimeoutMS  *uint32 `json:"timeout_ms,omitempty"`
	MaxRetries *uint32 `json:"max_retries,omitempty"`
	CAFile     *string `json:"ca_file,omitempty"`
}

// configure applies s through uiza_client_configure (all or nothing) and,
// if it succeeds, records the change (record may be nil). A refusal is the
// library's error document.
func (c *Client) configure(s settings, record func()) error {
	doc, err := json.Marshal(s)
	if err != nil {
		return &Error{Status: StatusInternal, Message: err.Error(), ErrorType: "internal_error"}
	}
	cdoc := C.CString(string(doc))
	defer C.free(unsafe.Pointer(cdoc))
	if !c.hold() {
		return ErrClosed
	}
	defer c.life.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out *C.char
	st := Status(C.uiza_client_configure(c.native, cdoc, &out))
	defer C.uiza_string_free(out)
	if st != StatusOK {
		return errorFromJSON(st, out, readCall)
	}
	if record != nil {
		record()
	}
	return nil
}

// ResetStreamKey resets the ingest key of the live entity id and returns
// the entity with its new key. It is the plain reset: a retry after a
// dropped connection may rotate the key a second time (the key returned is
// always the current one). RotateStreamKey rotates exactly once and honours
// cancellation during the call; prefer it.
//
// The id must be 1 to 256 characters from A-Z a-z 0-9 - . _ ~ and not "."
// or ".." (Uiza ids are UUIDs); any other id is refused with an *Error
// matching ErrInvalidArgument, and nothing is sent.
//
// What the context does: if it is already done, ResetStreamKey returns
// ctx.Err() without sending anything; if its deadline comes before the
// client's timeout, the time left becomes the call's budget, and the
// *Error then matches both ErrTimeout and context.DeadlineExceeded. A
// cancellation once the call has started is not seen: the C library has
// no cancellable reset, and returning early would lose the new key of a
// reset that did happen. A failed reset's *Error says through Rotated
// whether the key may have changed.
func (c *Client) ResetStreamKey(ctx context.Context, id string) (*LiveEntity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if e := nulByte("live entity id", id); e != nil {
		return nil, unchanged(e)
	}
	if !c.hold() {
		return nil, ErrClosed
	}
	defer c.life.RUnlock()
	cid := C.CString(id)
	defer C.free(unsafe.Pointer(cid))
	var out *C.char
	var st Status
	fromDeadline := false
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, context.DeadlineExceeded
		}
		c.mu.Lock()
		timeout := c.timeout
		c.mu.Unlock()
		if left < timeout {
			// A budget for this call only; the shared client and its
			// kept-alive connections serve it like any other call.
			ms, _ := millis(left) // left < timeout < 2^32 ms
			fromDeadline = true
			st = Status(C.uiza_client_reset_stream_key_with_timeout(c.native, cid, C.uint32_t(ms), &out))
		}
	}
	if !fromDeadline {
		st = Status(C.uiza_client_reset_stream_key(c.native, cid, &out))
	}
	defer C.uiza_string_free(out)
	if st == StatusOK {
		return entityFromJSON(out)
	}
	e := errorFromJSON(st, out, keyCall)
	e.fromDeadline = fromDeadline && st == StatusTimeout
	return nil, e
}

// RotateStreamKey rotates the ingest key of the live entity id exactly
// once and returns the entity with its new key.
//
// currentKey is the key your encoder uses now; if it is "" the library
// first reads the entity to learn it. After a failure the server may have
// applied (a dropped connection, a timeout or a 5xx after the request was
// sent), the library reads the entity back before anything else: a new key
// there is returned as success, so the key is never rotated twice and the
// caller never keeps a dead key. A failed rotation's *Error says through
// Rotated whether the key is certainly unchanged.
//
// The id follows the rule of ResetStreamKey.
//
// The context cancels the call through a library cancel token: before each
// request is sent, during the first read and during any wait between
// attempts. The call then returns an *Error matching ErrCancelled and
// ctx.Err() (context.Canceled, or context.DeadlineExceeded when the
// deadline passed), with Rotated() == (true, false). A request already
// sent is seen through, since its outcome must be learned: a call that
// rotated the key returns the new key even if the context was cancelled
// meanwhile. The client's timeout bounds the whole call.
func (c *Client) RotateStreamKey(ctx context.Context, id, currentKey string) (*LiveEntity, error) {
	if e := nulByte("live entity id", id); e != nil {
		return nil, unchanged(e)
	}
	if e := nulByte("current key", currentKey); e != nil {
		return nil, unchanged(e)
	}
	if !c.hold() {
		return nil, ErrClosed
	}
	defer c.life.RUnlock()
	tok := C.uiza_cancel_token_new()
	if tok == nil {
		return nil, unchanged(outOfMemory())
	}
	defer C.uiza_cancel_token_free(tok) // after watch has stopped using it
	cid := C.CString(id)
	defer C.free(unsafe.Pointer(cid))
	var ckey *C.char // NULL: the library reads the entity first
	if currentKey != "" {
		ckey = C.CString(currentKey)
		defer C.free(unsafe.Pointer(ckey))
	}
	var out *C.char
	stop := watch(ctx, tok)
	st := Status(C.uiza_client_rotate_stream_key(c.native, cid, ckey, tok, &out))
	stop()
	defer C.uiza_string_free(out)
	if st == StatusOK {
		return entityFromJSON(out)
	}
	e := errorFromJSON(st, out, keyCall)
	if st == StatusCancelled {
		e.cause = ctx.Err()
	}
	return nil, e
}

// GetLiveEntity reads the live entity id (GET, retried like any idempotent
// request). It changes nothing. An entity in "init" state has an empty
// Ingest. The id follows the rule of ResetStreamKey; errors carry no
// "rotated", so their Rotated() is (false, false).
//
// The context cancels the read at any point, even mid-response (within a
// fraction of a second), with an *Error matching ErrCancelled and ctx.Err()
// (context.Canceled or context.DeadlineExceeded). To be cancellable the
// read runs on one of the library's worker threads (at most 4 at once by
// default, process-wide; see SetMaxWorkerThreads), and the calling
// goroutine waits for it. Calls beyond the bound wait in a queue, their
// budgets running.
func (c *Client) GetLiveEntity(ctx context.Context, id string) (*LiveEntity, error) {
	if e := nulByte("live entity id", id); e != nil {
		return nil, e
	}
	if !c.hold() {
		return nil, ErrClosed
	}
	defer c.life.RUnlock()
	tok := C.uiza_cancel_token_new()
	if tok == nil {
		return nil, outOfMemory()
	}
	defer C.uiza_cancel_token_free(tok)
	if ctx.Err() != nil {
		// The library answers CANCELLED at once, and sends nothing.
		C.uiza_cancel_token_cancel(tok)
	}
	cid := C.CString(id)
	defer C.free(unsafe.Pointer(cid))
	r := getAsync(ctx, c.native, cid, tok)
	if r.err != nil {
		if r.err.Status == StatusCancelled {
			r.err.cause = ctx.Err()
		}
		return nil, r.err
	}
	return r.entity, nil
}

// SetMaxWorkerThreads sets how many worker threads the library may run at
// once, process-wide, for the calls that run on them (GetLiveEntity).
// Default 4; n must be between 1 and 2^32-1. Workers start on demand and
// exit after 10 s without work.
func SetMaxWorkerThreads(n int) error {
	if n < 0 || uint64(n) > math.MaxUint32 {
		// Does not fit the library's uint32.
		return invalidArgument("the worker thread bound must be between 1 and 2^32-1")
	}
	if st := Status(C.uiza_set_max_worker_threads(C.uint32_t(n))); st != StatusOK {
		// The C function returns a status only, with no document to show.
		return &Error{Status: st, Message: "the worker thread bound must be at least 1", ErrorType: "invalid_argument"}
	}
	return nil
}

// watch cancels tok when ctx is done, until the returned stop is called.
// stop returns once the watching goroutine has finished, so that tok may
// be freed after it: the library forbids freeing a token while another
// thread is inside uiza_cancel_token_cancel on it.
func watch(ctx context.Context, tok *C.UizaCancelToken) (stop func()) {
	if ctx.Err() != nil {
		// Already done: the library returns CANCELLED before sending.
		C.uiza_cancel_token_cancel(tok)
		return func() {}
	}
	done := ctx.Done()
	if done == nil {
		return func() {} // context.Background() and the like never end
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-done:
			C.uiza_cancel_token_cancel(tok)
		case <-quit:
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}

func outOfMemory() *Error {
	return &Error{Status: StatusInternal, Message: "out of memory", ErrorType: "internal_error"}
}

// Version is the library's version, such as "0.3.0".
func Version() string { return C.GoString(C.uiza_version()) }

// newNative creates a native client from a key held in Go memory, through
// a C copy that is wiped before it is freed. A refused key is the
// library's error document (uiza_client_create); only a NUL byte, which C
// would cut the key at, is refused here.
func newNative(key []byte) (*C.UizaClient, error) {
	if bytes.IndexByte(key, 0) >= 0 {
		return nil, invalidArgument("the API key contains a NUL byte")
	}
	n := C.size_t(len(key))
	buf := C.malloc(n + 1)
	defer C.free(buf)
	defer C.memset(buf, 0, n+1)
	dst := unsafe.Slice((*byte)(buf), len(key)+1)
	copy(dst, key)
	dst[len(key)] = 0
	var native *C.UizaClient
	var out *C.char
	st := Status(C.uiza_client_create((*C.char)(buf), &native, &out))
	defer C.uiza_string_free(out)
	if st != StatusOK || native == nil {
		if st == StatusOK {
			st = StatusInternal
		}
		return nil, errorFromJSON(st, out, readCall)
	}
	return native, nil
}

// millis rounds d up to whole milliseconds; false unless 0 ≤ ms < 2^32
// (0 is for the library to refuse).
func millis(d time.Duration) (uint32, bool) {
	if d < 0 {
		return 0, false
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxUint32 {
		return 0, false
	}
	return uint32(ms), true
}

func zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
