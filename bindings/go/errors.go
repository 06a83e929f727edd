package uiza

// #include "uiza.h"
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Status is the library's status code (UizaStatus in uiza.h). The values
// come from the header, so they cannot drift from the C ABI.
type Status int32

// The statuses of uiza.h.
const (
	StatusOK               Status = C.UIZA_STATUS_OK
	StatusInvalidArgument  Status = C.UIZA_STATUS_INVALID_ARGUMENT
	StatusBadRequest       Status = C.UIZA_STATUS_BAD_REQUEST
	StatusUnauthorized     Status = C.UIZA_STATUS_UNAUTHORIZED
	StatusNotFound         Status = C.UIZA_STATUS_NOT_FOUND
	StatusRateLimited      Status = C.UIZA_STATUS_RATE_LIMITED
	StatusServerError      Status = C.UIZA_STATUS_SERVER_ERROR
	StatusUnexpectedStatus Status = C.UIZA_STATUS_UNEXPECTED_STATUS
	StatusTimeout          Status = C.UIZA_STATUS_TIMEOUT
	StatusConnectionFailed Status = C.UIZA_STATUS_CONNECTION_FAILED
	StatusTLSFailed        Status = C.UIZA_STATUS_TLS_FAILED
	StatusInvalidResponse  Status = C.UIZA_STATUS_INVALID_RESPONSE
	StatusResponseTooLarge Status = C.UIZA_STATUS_RESPONSE_TOO_LARGE
	StatusInternal         Status = C.UIZA_STATUS_INTERNAL
	StatusCancelled        Status = C.UIZA_STATUS_CANCELLED
)

// String is the library's static description, such as
// "not found (HTTP 404)".
func (s Status) String() string {
	return C.GoString(C.uiza_status_str(C.int32_t(s)))
}

// Sentinel errors, one per failure status: match them with errors.Is.
var (
	ErrInvalidArgument  = errors.New("uiza: invalid argument")
	ErrBadRequest       = errors.New("uiza: bad request")
	ErrUnauthorized     = errors.New("uiza: unauthorized")
	ErrNotFound         = errors.New("uiza: not found")
	ErrRateLimited      = errors.New("uiza: rate limited")
	ErrServerError      = errors.New("uiza: server error")
	ErrUnexpectedStatus = errors.New("uiza: unexpected HTTP status")
	ErrTimeout          = errors.New("uiza: timeout")
	ErrConnectionFailed = errors.New("uiza: connection failed")
	ErrTLSFailed        = errors.New("uiza: TLS failed")
	ErrInvalidResponse  = errors.New("uiza: invalid response")
	ErrResponseTooLarge = errors.New("uiza: response too large")
	ErrInternal         = errors.New("uiza: internal error")

	// ErrCancelled matches a call that its context cancelled through the
	// library's cancel token (StatusCancelled): the key was not changed by
	// it. It wraps context.Canceled, so errors.Is(ErrCancelled,
	// context.Canceled) holds; see Error.Is for the errors themselves.
	ErrCancelled = fmt.Errorf("uiza: cancelled: %w", context.Canceled)

	// ErrClosed is returned by calls on a Client after Close. Nothing was
	// sent.
	ErrClosed = errors.New("uiza: client is closed")
)

var sentinels = map[Status]error{
	StatusInvalidArgument:  ErrInvalidArgument,
	StatusBadRequest:       ErrBadRequest,
	StatusUnauthorized:     ErrUnauthorized,
	StatusNotFound:         ErrNotFound,
	StatusRateLimited:      ErrRateLimited,
	StatusServerError:      ErrServerError,
	StatusUnexpectedStatus: ErrUnexpectedStatus,
	StatusTimeout:          ErrTimeout,
	StatusConnectionFailed: ErrConnectionFailed,
	StatusTLSFailed:        ErrTLSFailed,
	StatusInvalidResponse:  ErrInvalidResponse,
	StatusResponseTooLarge: ErrResponseTooLarge,
	StatusInternal:         ErrInternal,
	StatusCancelled:        ErrCancelled,
}

// rotation is the "rotated" member of an error document.
type rotation uint8

const (
	// No "rotated" member: a call that does not change a key.
	rotationNotApplicable rotation = iota
	// "rotated": false, the key is certainly unchanged by the call.
	rotationNo
	// "rotated": null, the key may have changed.
	rotationUnknown
	// "rotated": true; the library never sends it today.
	rotationYes
)

// callKind says whether a call changes the key: the error documents of
// those that do always carry "rotated".
type callKind uint8

const (
	readCall callKind = iota
	keyCall
)

// Error is a failed call: the library's status and its error document.
type Error struct {
	Status Status
	// HTTPStatus is the status of the response the error came with, or 0
	// when the call failed before a response (timeout, TLS, connection).
	HTTPStatus int
	// Message is human-readable; API errors carry the server's text.
	Message string
	// ErrorType is machine-readable: the API's own, such as
	// "invalid_request_error", or the library's, such as "timeout".
	ErrorType string
	// Attempts is how many HTTP exchanges the call began, read-backs
	// included, one whose connection or TLS handshake failed too (the
	// error document's "attempts"). 0 when it failed before trying to
	// connect, and for errors without those members: those of
	// the setters and NewClient, and the binding's own refusals.
	Attempts int
	// ElapsedMs is how long the call ran, in milliseconds, time queued
	// for a library worker included (the error document's "elapsed_ms");
	// 0 for the errors without it, as for Attempts.
	ElapsedMs int64

	// fromDeadline is set when the time budget that ran out was the
	// context's deadline, so that the error also matches
	// context.DeadlineExceeded.
	fromDeadline bool
	// cause is ctx.Err() when the context cancelled the call
	// (StatusCancelled): context.Canceled or context.DeadlineExceeded.
	cause error
	// rotated is the error document's "rotated" member.
	rotated rotation
}

func (e *Error) Error() string {
	return "uiza: " + e.Status.String() + ": " + e.Message
}

// Is makes errors.Is(err, ErrNotFound) and the like work. It also matches
// the context's errors:
//   - context.DeadlineExceeded when the context's deadline was the call's
//     time budget (ErrTimeout), or when the deadline cancelled the call
//     (ErrCancelled);
//   - context.Canceled when the context's cancellation cancelled the call
//     (ErrCancelled).
func (e *Error) Is(target error) bool {
	switch target {
	case context.DeadlineExceeded:
		return e.fromDeadline || (e.Status == StatusCancelled && e.cause == context.DeadlineExceeded)
	case context.Canceled:
		return e.Status == StatusCancelled && e.cause != context.DeadlineExceeded
	}
	sentinel, ok := sentinels[e.Status]
	return ok && sentinel == target
}

// Rotated says what a failed call did to the stream key, as the "rotated"
// member of the library's error document says it:
//
//   - known == true, rotated == false: the key is certainly unchanged by
//     this call ("rotated": false). Every failure of RotateStreamKey or
//     ResetStreamKey that happened before the request was sent, or that
//     the server answered definitely (such as a 404), is one.
//   - known == false: nobody can tell. Either the key may have changed
//     ("rotated": null: a reset whose connection dropped, or a rotation
//     whose entity could not be read back), so read it with GetLiveEntity
//     before you trust the key you hold; or the call does not change a key
//     at all (GetLiveEntity, the setters), whose errors carry no "rotated"
//     and also give (false, false).
//
// A call that did rotate the key returns the entity, not an error, so
// (true, true) does not occur with this library.
func (e *Error) Rotated() (known bool, rotated bool) {
	switch e.rotated {
	case rotationNo:
		return true, false
	case rotationYes:
		return true, true
	default:
		return false, false
	}
}

// documentMembers are the members of an error document that the C
// accessors (uiza_error_*) do not give.
type documentMembers struct {
	rotated   rotation
	attempts  int
	elapsedMs int64
}

// parseDocument reads the top-level "rotated", "attempts" and
// "elapsed_ms" members of an error document.
func parseDocument(doc string) documentMembers {
	var members map[string]json.RawMessage
	if json.Unmarshal([]byte(doc), &members) != nil {
		return documentMembers{}
	}
	var d documentMembers
	// Absent or not a number: 0.
	_ = json.Unmarshal(members["attempts"], &d.attempts)
	_ = json.Unmarshal(members["elapsed_ms"], &d.elapsedMs)
	raw, ok := members["rotated"]
	if !ok {
		return d
	}
	switch strings.TrimSpace(string(raw)) {
	case "false":
		d.rotated = rotationNo
	case "true":
		d.rotated = rotationYes
	default:
		d.rotated = rotationUnknown
	}
	return d
}

// Timeout reports whether the call's time budget ran out, like net.Error.
func (e *Error) Timeout() bool {
	return e.Status == StatusTimeout
}

// invalidArgument is an error found by the binding before calling the
// library, shaped like the library's own.
func invalidArgument(message string) *Error {
	return &Error{Status: StatusInvalidArgument, Message: message, ErrorType: "invalid_argument"}
}

// unchanged marks an error found before anything was sent by a call that
// changes the key: the key is certainly unchanged.
func unchanged(e *Error) *Error {
	e.rotated = rotationNo
	return e
}
