package health_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/health"
	"github.com/ttr-rip/ttr/persistence"
)

func TestOutageAndRecovery(t *testing.T) {
	var reachable atomic.Bool
	var mu sync.Mutex
	var from, to time.Time
	recovered := make(chan struct{})
	m := health.New(func(context.Context) error {
		if reachable.Load() {
			return nil
		}
		return errors.New("refused")
	}, func(f, tt time.Time) {
		mu.Lock()
		from, to = f, tt
		mu.Unlock()
		close(recovered)
	}, nil, 10*time.Millisecond, nil)
	defer m.Close()

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
	deadline := time.Now().Add(time.Second)
	for !m.OK() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !m.OK() {
		t.Fatal("still down after recovery")
	}
	mu.Lock()
	defer mu.Unlock()
	if from.Before(start.Add(-time.Millisecond)) || to.Sub(from) < 100*time.Millisecond {
		t.Fatalf("outage window %v..%v does not cover the outage", from, to)
	}
}

func TestWatchNoticesAnIdleOutage(t *testing.T) {
	var reachable atomic.Bool
	reachable.Store(true)
	m := health.New(func(context.Context) error {
		if reachable.Load() {
			return nil
		}
		return errors.New("refused")
	}, nil, nil, 10*time.Millisecond, nil)
	defer m.Close()
	m.Watch(20 * time.Millisecond)
	time.Sleep(60 * time.Millisecond)
	if !m.OK() {
		t.Fatal("down while the store answers")
	}
	reachable.Store(false)
	deadline := time.Now().Add(2 * time.Second)
	for m.OK() {
		if time.Now().After(deadline) {
			t.Fatal("an outage without failed writes went unnoticed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
