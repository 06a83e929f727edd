package uiza

// #include "uiza.h"
import "C"

import (
	"context"
	"errors"
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

	// ErrClosed is returned by calls on a Client after Close.
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
}

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

	// fromDeadline is set when the time budget that ran out was the
	// context's deadline, so that the error also matches
	// context.DeadlineExceeded.
	fromDeadline bool
}

func (e *Error) Error() string {
	return "uiza: " + e.Status.String() + ": " + e.Message
}

// Is makes errors.Is(err, ErrNotFound) and the like work, and
// errors.Is(err, context.DeadlineExceeded) when the context's deadline was
// the call's time budget.
func (e *Error) Is(target error) bool {
	if target == context.DeadlineExceeded {
		return e.fromDeadline
	}
	sentinel, ok := sentinels[e.Status]
	return ok && sentinel == target
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
