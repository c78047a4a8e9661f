package persistence

import (
	"errors"

	"github.com/ttr-rip/ttr/messages"
)

// Unavailable wraps err as a store-unreachable error (code EUnavailable) keeping the cause.
func Unavailable(err error) error {
	return &unavailableError{err: err}
}

type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "store unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() []error {
	return []error{e.err, &messages.Error{Code: messages.EUnavailable, Message: "store unavailable"}}
}

// IsUnavailable reports whether err says the store could not be reached.
func IsUnavailable(err error) bool {
	var u *unavailableError
	return errors.As(err, &u)
}
