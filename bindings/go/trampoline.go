package uiza

// The C side of the async callback (see async.go): a function of the exact
// UizaCallback type that passes the outcome on to the exported Go function,
// and the Go functions that start async calls with it. Likewise the C side
// of the log callback (see logging.go).

/*
#include <stdint.h>
#include "uiza.h"

// Exported by async.go; its declaration in _cgo_export.h is the same.
extern void uizaGoAsyncDone(uintptr_t handle, int status, char *doc);
// Exported by logging.go.
extern void uizaGoLog(uintptr_t handle, int level, char *message);

static void uiza_go_trampoline(void *user_data, UizaStatus status, const char *json) {
	uizaGoAsyncDone((uintptr_t)user_data, (int)status, (char *)json);
}

// user_data carries a cgo.Handle (an integer), never a Go pointer.
static UizaStatus uiza_go_get_live_entity_async(UizaClient *client, const char *id,
                                                const UizaCancelToken *token, uintptr_t handle) {
	return uiza_client_get_live_entity_async(client, id, token, uiza_go_trampoline,
	                                         (void *)handle);
}

static void uiza_go_log_trampoline(void *user_data, UizaLogLevel level, const char *message) {
	uizaGoLog((uintptr_t)user_data, (int)level, (char *)message);
}

// Not static: logging.go calls them (it declares them, since a file with
// //export may not define C functions). user_data is a cgo.Handle.
void uiza_go_log_on(uintptr_t handle, int max_level) {
	uiza_set_log_callback(uiza_go_log_trampoline, (void *)handle, (UizaLogLevel)max_level);
}

void uiza_go_log_off(void) {
	uiza_set_log_callback(NULL, NULL, UIZA_LOG_ERROR);
}
*/
import "C"

import (
	"context"
	"runtime/cgo"
)

// getAsync runs uiza_client_get_live_entity_async with tok and waits for
// its callback. When ctx is done first it cancels tok and still waits, so
// that the callback has run (and the handle is released) on return.
func getAsync(ctx context.Context, client *C.UizaClient, id *C.char, tok *C.UizaCancelToken) asyncResult {
	call := &asyncCall{kind: readCall, done: make(chan asyncResult, 1)}
	h := cgo.NewHandle(call)
	st := Status(C.uiza_go_get_live_entity_async(client, id, tok, C.uintptr_t(h)))
	if st != StatusOK {
		// Refused: the callback never runs.
		h.Delete()
		return asyncResult{err: refusedAsync(st, client, id)}
	}
	select {
	case r := <-call.done:
		return r
	case <-ctx.Done():
		C.uiza_cancel_token_cancel(tok)
		return <-call.done
	}
}

// refusedAsync is the *Error of a read the library refused to start with
// st. A refused async call comes with no document, so the library is
// asked why through the blocking rotation with the same client and id and
// a token that is already cancelled: it checks the id the same way and
// sends nothing (a cancelled token stops it before any request), and its
// error document says what is wrong in the library's own words.
func refusedAsync(st Status, client *C.UizaClient, id *C.char) *Error {
	if st == StatusInvalidArgument {
		if tok := C.uiza_cancel_token_new(); tok != nil {
			defer C.uiza_cancel_token_free(tok)
			C.uiza_cancel_token_cancel(tok)
			var out *C.char
			why := Status(C.uiza_client_rotate_stream_key(client, id, nil, tok, &out))
			defer C.uiza_string_free(out)
			if why == StatusInvalidArgument && out != nil {
				e := errorFromJSON(why, out, readCall)
				e.rotated = rotationNotApplicable // a read: its errors carry no "rotated"
				return e
			}
		}
	}
	e := &Error{Status: st, Message: "the read was refused: " + st.String(), ErrorType: "internal_error"}
	if st == StatusInvalidArgument {
		e.ErrorType = "invalid_argument"
	}
	return e
}
