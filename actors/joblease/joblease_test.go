package joblease_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/joblease"
)

// memStore is one named lease in memory, as the store keeps it.
type memStore struct {
	holder string
	until  time.Time
	fail   error
}

func (s *memStore) AcquireJobLease(_ context.Context, _, holder string, now, until time.Time) (bool, error) {
	if s.fail != nil {
		return false, s.fail
	}
	if s.holder != "" && s.holder != holder && now.Before(s.until) {
		return false, nil
	}
	s.holder, s.until = holder, until
	return true, nil
}

func (s *memStore) ReleaseJobLease(_ context.Context, _, holder string) error {
	if s.holder == holder {
		s.holder = ""
	}
	return nil
}

func TestRun(t *testing.T) {
	st := &memStore{}
	lease := func(holder string) *joblease.Lease {
		return &joblease.Lease{Store: st, Name: "job", Holder: holder, TTL: time.Minute}
	}

	// The job runs holding the lease; another holder meanwhile is told it is busy and does
	// not run; the lease is released after the job.
	ran := false
	busy, err := lease("a").Run(context.Background(), func() error {
		ran = true
		other, err := lease("b").Run(context.Background(), func() error {
			t.Error("a second holder ran while the lease was held")
			return nil
		})
		if !other || err != nil {
			t.Errorf("second holder: busy %v, err %v; want busy", other, err)
		}
		return nil
	})
	if busy || err != nil || !ran {
		t.Fatalf("first run: busy %v, err %v, ran %v", busy, err, ran)
	}
	if st.holder != "" {
		t.Fatalf("lease still held by %q after the run", st.holder)
	}

	// The job's error is returned, and the lease released all the same.
	boom := errors.New("boom")
	if _, err := lease("b").Run(context.Background(), func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("job error: %v", err)
	}
	if st.holder != "" {
		t.Fatalf("lease still held by %q after a failed run", st.holder)
	}

	// A store that cannot be asked: not busy, the error, and the job does not run.
	st.fail = errors.New("store down")
	busy, err = lease("a").Run(context.Background(), func() error { t.Error("ran without the lease"); return nil })
	if busy || !errors.Is(err, st.fail) {
		t.Fatalf("store error: busy %v, err %v", busy, err)
	}
}

func TestOutcome(t *testing.T) {
	unhealthy := errors.New("unhealthy")
	for _, tc := range []struct {
		busy bool
		err  error
		want string
	}{
		{false, nil, "done"},
		{true, nil, "held"},
		{false, unhealthy, "unhealthy"},
		{false, fmt.Errorf("step: %w", unhealthy), "unhealthy"},
		{false, errors.New("store down"), "error"},
	} {
		if got := joblease.Outcome(tc.busy, tc.err, unhealthy); got != tc.want {
			t.Errorf("Outcome(%v, %v) = %q, want %q", tc.busy, tc.err, got, tc.want)
		}
	}
}
