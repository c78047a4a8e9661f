// Package waittest is the one wait-until helper of the repository's tests: poll a condition
// until it holds, and fail the test, saying what it waited for, when it does not in time.
// It lives under messages, the package every layer may import, and imports only the
// standard library, so any test (actors, cluster, http, persistence, cmd) can use it.
//
// A test whose waiting is only on timers of its own should rather run in a testing/synctest
// bubble and wait for nothing.
package waittest

import (
	"testing"
	"time"
)

// Polling starts fast (a condition that holds almost at once is seen at once) and backs off
// to maxPoll, so that a condition that queries a database or a server is not hammered.
const (
	firstPoll = time.Millisecond
	maxPoll   = 50 * time.Millisecond
)

// Until polls cond until it holds, and fails tb after timeout naming what it waited for.
func Until(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	UntilWhy(tb, timeout, what, func() (bool, string) { return cond(), "" })
}

// UntilWhy is Until for a condition that explains why it does not hold yet: the failure
// carries its last explanation.
func UntilWhy(tb testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	poll := firstPoll
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			if why != "" {
				tb.Fatalf("timed out after %v waiting for %s: %s", timeout, what, why)
			} else {
				tb.Fatalf("timed out after %v waiting for %s", timeout, what)
			}
			return // for a TB whose Fatalf returns
		}
		time.Sleep(poll)
		poll = min(2*poll, maxPoll)
	}
}
