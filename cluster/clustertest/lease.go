package clustertest

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/cluster"
)

// LeaseStore is a cluster.LeaseStore made of a function; nil succeeds.
type LeaseStore struct {
	RenewLeaseFn func(ctx context.Context, nodeID string, until time.Time) error
}

var _ cluster.LeaseStore = (*LeaseStore)(nil)

// RenewLease calls RenewLeaseFn.
func (s *LeaseStore) RenewLease(ctx context.Context, nodeID string, until time.Time) error {
	if s.RenewLeaseFn == nil {
		return nil
	}
	return s.RenewLeaseFn(ctx, nodeID, until)
}
