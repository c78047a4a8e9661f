package waittest_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/waittest"
)

// recorder is a testing.TB that records a failure instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	r := &recorder{TB: t}
	waittest.Until(r, 5*time.Second, "three polls", func() bool { return n.Add(1) >= 3 })
	if r.failed != "" || n.Load() != 3 {
		t.Fatalf("failed %q after %d polls; want success after 3", r.failed, n.Load())
	}
}

func TestUntilWhyFailsWithTheLastExplanation(t *testing.T) {
	r := &recorder{TB: t}
	calls := 0
	waittest.UntilWhy(r, 20*time.Millisecond, "the impossible", func() (bool, string) {
		calls++
		if r.failed != "" {
			panic("polled after failing") // a real Fatalf ends the goroutine
		}
		return calls > 1_000_000, fmt.Sprintf("poll %d", calls)
	})
	if !strings.Contains(r.failed, "waiting for the impossible: poll ") {
		t.Fatalf("failure %q: want what and the last explanation", r.failed)
	}
}
