package http_test

import (
	"context"
	"slices"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Badge and activity reads of the in-memory store, with the persistence contract's semantics.

func (s *apiStore) CheckByBadgeID(_ context.Context, badgeID string) (messages.Check, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.checks {
		if badgeID != "" && c.BadgeID == badgeID {
			return c, nil
		}
	}
	return messages.Check{}, messages.ErrNotFound
}

func (s *apiStore) TagBadge(_ context.Context, badgeKey, tag string, limit int) ([]messages.CheckState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []messages.CheckState
	for _, u := range s.users {
		if badgeKey == "" || s.badgeKeys[u.ID] != badgeKey {
			continue
		}
		for _, c := range s.checks {
			if c.UserID == u.ID && slices.Contains(c.Tags, tag) && len(out) < limit {
				out = append(out, c.CheckState)
			}
		}
	}
	return out, nil
}

func (s *apiStore) UserBadgeKey(_ context.Context, userID int64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return "", messages.ErrNotFound
	}
	return s.badgeKeys[userID], nil
}

func (s *apiStore) SetUserBadgeKey(_ context.Context, userID int64, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return messages.ErrNotFound
	}
	if s.badgeKeys == nil {
		s.badgeKeys = map[int64]string{}
	}
	s.badgeKeys[userID] = key
	return nil
}

func (s *apiStore) CheckActivity(_ context.Context, userID int64, since time.Time) (persistence.Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		a   persistence.Activity
		sum time.Duration
	)
	for _, c := range s.checks {
		if c.UserID != userID {
			continue
		}
		if c.LastDuration >= 0 {
			a.DurationChecks++
			sum += c.LastDuration
		}
		for _, p := range s.pings[c.ID] {
			if !p.At.Before(since) {
				a.Pings++
			}
		}
		for _, d := range s.deliveries[c.ID] {
			if d.Kind != messages.AlertTest && !d.CreatedAt.Before(since) {
				a.Alerts++
			}
		}
	}
	if a.DurationChecks > 0 {
		a.AvgDuration = sum / time.Duration(a.DurationChecks)
	}
	return a, nil
}

// The ping edge never reads badges or activity: the ping fake answers that it was not set.

func (f *fakePingStore) CheckByBadgeID(context.Context, string) (messages.Check, error) {
	return messages.Check{}, notSet("CheckByBadgeID")
}

func (f *fakePingStore) TagBadge(context.Context, string, string, int) ([]messages.CheckState, error) {
	return nil, notSet("TagBadge")
}

func (f *fakePingStore) UserBadgeKey(context.Context, int64) (string, error) {
	return "", notSet("UserBadgeKey")
}

func (f *fakePingStore) SetUserBadgeKey(context.Context, int64, string) error {
	return notSet("SetUserBadgeKey")
}

func (f *fakePingStore) CheckActivity(context.Context, int64, time.Time) (persistence.Activity, error) {
	return persistence.Activity{}, notSet("CheckActivity")
}
