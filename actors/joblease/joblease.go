package joblease

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store takes, renews and releases named leases (persistence.Store implements it).
type Store interface {
	AcquireJobLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	ReleaseJobLease(ctx context.Context, name, holder string) error
}

// ErrLost says another node took the lease during the run.
var ErrLost = errors.New("lost the job lease")

// Lease is one run's hold on a named lease.
type Lease struct {
	Store  Store
	Name   string
	Holder string
	TTL    time.Duration
	Now    func() time.Time // the wall clock written into the store; nil = time.Now

	renewed time.Time // by the local monotonic clock
}

// Acquire takes or renews the lease and reports whether this holder has it.
func (l *Lease) Acquire(ctx context.Context) (bool, error) {
	start := time.Now()
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	ok, err := l.Store.AcquireJobLease(ctx, l.Name, l.Holder, now, now.Add(l.TTL))
	if err != nil {
		return false, fmt.Errorf("job lease %s: %w", l.Name, err)
	}
	if ok {
		l.renewed = start
	}
	return ok, nil
}

// Run takes the lease, runs job while holding it and releases it. busy reports that another
// holder has the lease: job did not run. job keeps the lease with Hold between its steps.
func (l *Lease) Run(ctx context.Context, job func() error) (busy bool, err error) {
	ok, err := l.Acquire(ctx)
	if err != nil || !ok {
		return !ok && err == nil, err
	}
	defer l.Release()
	return false, job()
}

// Hold renews the lease once half its TTL has passed; ErrLost when another holder has taken
// it.
func (l *Lease) Hold(ctx context.Context) error {
	if time.Since(l.renewed) < l.TTL/2 {
		return nil
	}
	ok, err := l.Acquire(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrLost
	}
	return nil
}

// Release ends the lease so that the next run, on any node, need not wait for it to lapse.
func (l *Lease) Release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.Store.ReleaseJobLease(ctx, l.Name, l.Holder)
}

// Outcome names how a run ended, for a job's runs-by-outcome metric: "unhealthy" (the job's
// own error for "this node may not act now"), "error", "held" (busy: another node has the
// lease) or "done".
func Outcome(busy bool, err, unhealthy error) string {
	switch {
	case errors.Is(err, unhealthy):
		return "unhealthy"
	case err != nil:
		return "error"
	case busy:
		return "held"
	}
	return "done"
}
