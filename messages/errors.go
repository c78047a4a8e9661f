package messages

import (
	"errors"
	"fmt"
	"time"
)

// ErrCode classifies an application error. It maps to an HTTP status in one table (package
// http) and to a Reply code between nodes.
type ErrCode string

// The application error codes.
const (
	ENotFound     ErrCode = "not_found"
	EInvalid      ErrCode = "invalid"
	EConflict     ErrCode = "conflict"
	EUnauthorized ErrCode = "unauthorized"
	EForbidden    ErrCode = "forbidden"
	ERateLimited  ErrCode = "rate_limited"
	EUnavailable  ErrCode = "unavailable"
	ETooLarge     ErrCode = "too_large"
	EInternal     ErrCode = "internal"
	// EStale says the lookup that routed a request is out of date (a renamed slug, a deleted
	// check): the edge evicts its cache entry and resolves again.
	EStale ErrCode = "stale"
	// EPrecondition says a request's If-Match no longer names the record's version: it
	// changed since the client read it.
	EPrecondition ErrCode = "precondition_failed"
)

// Error is the one application error type: a machine code and a message safe to show a user.
type Error struct {
	Code    ErrCode
	Message string
	// RetryAfter tells the client when to try again (EUnavailable, ERateLimited).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code ErrCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, EInternal for any other error
// and "" for nil.
func CodeOf(err error) ErrCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// MessageOf returns the user-safe message of err: an *Error's message, or a generic text
// for anything else (internal details never reach a client).
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned by stores and actors when a record does not exist or belongs to
// another user (the two are never distinguished to a caller).
var ErrNotFound = &Error{Code: ENotFound, Message: "not found"}
