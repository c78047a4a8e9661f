package health_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/health"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence"
)

func TestOutageAndRecovery(t *testing.T) {
	var reachable atomic.Bool
	var mu sync.Mutex
	var from, to time.Time
	recovered := make(chan struct{})
	m, err := health.New(health.Config{ProbeInterval: 10 * time.Millisecond}, health.Deps{
		Ping: func(context.Context) error {
			if reachable.Load() {
				return nil
			}
			return errors.New("refused")
		},
		OnRecover: func(f, tt time.Time) {
			mu.Lock()
			from, to = f, tt
			mu.Unlock()
			close(recovered)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()

	m.Failed(errors.New("a constraint error is not an outage"))
	if !m.OK() {
		t.Fatal("a non-connection error started an outage")
	}
	start := time.Now()
	m.Failed(persistence.Unavailable(errors.New("connection refused")))
	if m.OK() || !m.Down() {
		t.Fatal("outage not recorded")
	}
	time.Sleep(100 * time.Millisecond)
	if m.OK() {
		t.Fatal("recovered while the store is still unreachable")
	}
	reachable.Store(true)
	select {
	case <-recovered:
	case <-time.After(2 * time.Second):
		t.Fatal("no recovery")
	}
	waittest.Until(t, time.Second, "healthy after recovery", m.OK)
	mu.Lock()
	defer mu.Unlock()
	if from.Before(start.Add(-time.Millisecond)) || to.Sub(from) < 100*time.Millisecond {
		t.Fatalf("outage window %v..%v does not cover the outage", from, to)
	}
}

func TestWatchNoticesAnIdleOutage(t *testing.T) {
	var reachable atomic.Bool
	reachable.Store(true)
	m, err := health.New(health.Config{ProbeInterval: 10 * time.Millisecond, WatchInterval: 20 * time.Millisecond},
		health.Deps{Ping: func(context.Context) error {
			if reachable.Load() {
				return nil
			}
			return errors.New("refused")
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if !m.OK() {
		t.Fatal("down while the store answers")
	}
	reachable.Store(false)
	waittest.Until(t, 2*time.Second, "the watch to notice an outage without failed writes", m.Down)
}

func TestNewRefusesBadConfig(t *testing.T) {
	ping := func(context.Context) error { return nil }
	for name, tc := range map[string]struct {
		cfg health.Config
		d   health.Deps
	}{
		"negative probe": {health.Config{ProbeInterval: -time.Second}, health.Deps{Ping: ping}},
		"negative watch": {health.Config{WatchInterval: -time.Second}, health.Deps{Ping: ping}},
		"no ping":        {health.Config{}, health.Deps{}},
	} {
		if _, err := health.New(tc.cfg, tc.d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	m, err := health.New(health.Config{}, health.Deps{Ping: ping})
	if err != nil {
		t.Fatal(err)
	}
	m.Stop()
	m.Stop() // twice is fine
	if err := m.Start(context.Background()); err == nil {
		t.Error("Start after Stop accepted")
	}
}
