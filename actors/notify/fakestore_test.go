package notify_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// fakeStore is an in-memory outbox with the claim semantics of persistence.SystemStore: a
// claim succeeds on a pending row that is unclaimed, claimed by the same node, or whose claim
// expired; a finish succeeds only for the claim holder and releases the claim.
type fakeStore struct {
	mu       sync.Mutex
	rows     []messages.OutboxRow // ID order
	nextID   int64
	finishes []persistence.OutboxResult

	rates     map[string]messages.RateState
	rateSaves int

	// PendingErr, when set, is called by PendingOutbox; a non-nil error is returned.
	PendingErr func() error
	// RateErr, when set, is called by LoadRateState and SaveRateState; a non-nil error is
	// returned.
	RateErr func() error
}

var (
	_ notify.Store    = (*fakeStore)(nil)
	_ notify.DueStore = (*fakeStore)(nil)
)

func (s *fakeStore) insert(r messages.OutboxRow) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	r.ID = s.nextID
	if r.Status == "" {
		r.Status = messages.OutboxPending
	}
	s.rows = append(s.rows, r)
	return r.ID
}

func (s *fakeStore) row(id int64) messages.OutboxRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows {
		if r.ID == id {
			return r
		}
	}
	return messages.OutboxRow{}
}

// update changes a row in place (a test playing another node).
func (s *fakeStore) update(id int64, fn func(*messages.OutboxRow)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.rows {
		if s.rows[i].ID == id {
			fn(&s.rows[i])
		}
	}
}

func (s *fakeStore) status(id int64) messages.OutboxStatus { return s.row(id).Status }

func (s *fakeStore) finished(id int64) []persistence.OutboxResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []persistence.OutboxResult
	for _, f := range s.finishes {
		if f.ID == id {
			out = append(out, f)
		}
	}
	return out
}

func (s *fakeStore) PendingOutbox(_ context.Context, destHash string, limit int) ([]messages.OutboxRow, error) {
	if s.PendingErr != nil {
		if err := s.PendingErr(); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []messages.OutboxRow
	for _, r := range s.rows {
		if r.DestHash == destHash && r.Status == messages.OutboxPending && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *fakeStore) CountPendingOutbox(_ context.Context, destHash string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.rows {
		if r.DestHash == destHash && r.Status == messages.OutboxPending {
			n++
		}
	}
	return n, nil
}

func (s *fakeStore) ClaimOutbox(_ context.Context, id int64, node string, now, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.rows {
		r := &s.rows[i]
		if r.ID != id {
			continue
		}
		if r.Status != messages.OutboxPending {
			return false, nil
		}
		if r.ClaimedBy != "" && r.ClaimedBy != node && !r.ClaimUntil.Before(now) {
			return false, nil
		}
		r.ClaimedBy, r.ClaimUntil = node, until
		return true, nil
	}
	return false, nil
}

func (s *fakeStore) FinishOutbox(_ context.Context, f persistence.OutboxResult) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.rows {
		r := &s.rows[i]
		if r.ID != f.ID {
			continue
		}
		if r.ClaimedBy != f.Node {
			return false, nil
		}
		r.Status, r.Attempts, r.NextAttemptAt = f.Status, f.Attempts, f.NextAttemptAt
		r.LastError, r.DeliveredAt = f.LastError, f.DeliveredAt
		r.ClaimedBy, r.ClaimUntil = "", time.Time{}
		s.finishes = append(s.finishes, f)
		return true, nil
	}
	return false, nil
}

func (s *fakeStore) DueDestinations(_ context.Context, now time.Time, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.rows {
		due := r.Status == messages.OutboxPending && !r.NextAttemptAt.After(now) &&
			(r.ClaimedBy == "" || r.ClaimUntil.Before(now))
		if due && !slices.Contains(out, r.DestHash) && len(out) < limit {
			out = append(out, r.DestHash)
		}
	}
	return out, nil
}

func (s *fakeStore) LoadRateState(_ context.Context, destHash string) (messages.RateState, bool, error) {
	if s.RateErr != nil {
		if err := s.RateErr(); err != nil {
			return messages.RateState{}, false, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.rates[destHash]
	return st, ok, nil
}

func (s *fakeStore) SaveRateState(_ context.Context, destHash string, st messages.RateState) error {
	if s.RateErr != nil {
		if err := s.RateErr(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rates == nil {
		s.rates = map[string]messages.RateState{}
	}
	s.rates[destHash] = st
	s.rateSaves++
	return nil
}

// rate returns the saved rate state of destHash and how many saves there were in all.
func (s *fakeStore) rate(destHash string) (messages.RateState, bool, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.rates[destHash]
	return st, ok, s.rateSaves
}

// setRate stores a rate state as another node would have.
func (s *fakeStore) setRate(destHash string, st messages.RateState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rates == nil {
		s.rates = map[string]messages.RateState{}
	}
	s.rates[destHash] = st
}
