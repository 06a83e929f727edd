package uiza

// This file holds the Go function that the library's worker threads call
// back. A file with //export may only declare C in its preamble; the C
// side of the callback is in trampoline.go.

/*
#include <stdint.h>
#include "uiza.h"
*/
import "C"

import "runtime/cgo"

// asyncCall is what an async call's user_data refers to, through a
// cgo.Handle: the kind of call and where its outcome goes.
type asyncCall struct {
	kind callKind
	done chan asyncResult // buffered (1): the callback never blocks
}

// asyncResult is an async call's outcome, copied out of the borrowed
// document inside the callback.
type asyncResult struct {
	entity *LiveEntity
	err    *Error
}

// uizaGoAsyncDone receives the outcome of an async call on a library worker
// thread; the library calls it exactly once per accepted call. The
// document is borrowed until it returns, so it is read here.
//
//export uizaGoAsyncDone
func uizaGoAsyncDone(handle C.uintptr_t, status C.int, doc *C.char) {
	h := cgo.Handle(handle)
	call := h.Value().(*asyncCall)
	h.Delete()
	st := Status(status)
	var r asyncResult
	if st == StatusOK {
		entity, err := entityFromJSON(doc)
		if err != nil {
			r.err = err.(*Error)
		}
		r.entity = entity
	} else {
		r.err = errorFromJSON(st, doc, call.kind)
	}
	call.done <- r
}
