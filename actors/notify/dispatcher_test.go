package notify_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// dueFunc is a DueStore made of a function.
type dueFunc func(ctx context.Context, now time.Time, limit int) ([]string, error)

func (f dueFunc) DueDestinations(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return f(ctx, now, limit)
}

// recordingPoker records pokes.
type recordingPoker struct {
	mu    sync.Mutex
	pokes []string
}

func (p *recordingPoker) Poke(h string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pokes = append(p.pokes, h)
}

func (p *recordingPoker) count(h string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, x := range p.pokes {
		if x == h {
			n++
		}
	}
	return n
}

func TestDispatcherPokesDueDestinations(t *testing.T) {
	store := &fakeStore{}
	now := time.Now()
	store.insert(messages.OutboxRow{DestHash: "due"})
	store.insert(messages.OutboxRow{DestHash: "later", NextAttemptAt: now.Add(time.Hour)})
	store.insert(messages.OutboxRow{DestHash: "expired-claim", ClaimedBy: "dead", ClaimUntil: now.Add(-time.Second)})
	store.insert(messages.OutboxRow{DestHash: "live-claim", ClaimedBy: "other", ClaimUntil: now.Add(time.Hour)})
	store.insert(messages.OutboxRow{DestHash: "done", Status: messages.OutboxDelivered})

	poker := &recordingPoker{}
	d, err := notify.NewDispatcher(notify.DispatcherConfig{Interval: 10 * time.Millisecond}, notify.DispatcherDeps{Store: store, Poker: poker})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waittest.Until(t, 5*time.Second, "two sweeps", func() bool { return poker.count("due") >= 2 })
	d.Stop()

	after := poker.count("due")
	for _, h := range []string{"later", "live-claim", "done"} {
		if n := poker.count(h); n != 0 {
			t.Errorf("%s poked %d times", h, n)
		}
	}
	if poker.count("expired-claim") == 0 {
		t.Error("a destination whose claim expired was not poked")
	}
	time.Sleep(30 * time.Millisecond) // three intervals: a stopped dispatcher pokes no more
	if n := poker.count("due"); n != after {
		t.Errorf("poked %d times after Stop", n-after)
	}
	d.Stop() // a second Stop is harmless
}

func TestDispatcherSurvivesStoreErrors(t *testing.T) {
	var calls atomic.Int32
	store := dueFunc(func(_ context.Context, _ time.Time, limit int) ([]string, error) {
		if limit != 1000 {
			t.Errorf("limit = %d, want 1000", limit)
		}
		if calls.Add(1) <= 2 {
			return nil, errors.New("store unavailable")
		}
		return []string{"a", "b"}, nil
	})
	poker := &recordingPoker{}
	d, err := notify.NewDispatcher(notify.DispatcherConfig{Interval: 5 * time.Millisecond}, notify.DispatcherDeps{Store: store, Poker: poker})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	waittest.Until(t, 5*time.Second, "pokes after the store recovers", func() bool { return poker.count("b") > 0 })
}

func TestDispatcherSweep(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var gotNow time.Time
	store := dueFunc(func(_ context.Context, now time.Time, _ int) ([]string, error) {
		gotNow = now
		return []string{"x", "y"}, nil
	})
	poker := &recordingPoker{}
	d, err := notify.NewDispatcher(notify.DispatcherConfig{}, notify.DispatcherDeps{Store: store, Poker: poker, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.Sweep(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	if !gotNow.Equal(at) {
		t.Errorf("store asked at %s, want the injected clock's %s", gotNow, at)
	}
	if !slices.Equal(poker.pokes, []string{"x", "y"}) {
		t.Errorf("pokes = %v", poker.pokes)
	}
}

// fakeRouter records what a RouterPoker sends.
type fakeRouter struct {
	identity, typ string
	version       uint32
	body          proto.Message
}

func (r *fakeRouter) Send(identity, typ string, version uint32, body proto.Message) error {
	r.identity, r.typ, r.version, r.body = identity, typ, version, body
	return errors.New("no route") // errors are only logged
}

func TestRouterPoker(t *testing.T) {
	r := &fakeRouter{}
	notify.NewRouterPoker(r, nil).Poke("ab12")
	if r.identity != "notifier/ab12" || r.typ != messages.TypePoke || r.version != 1 {
		t.Errorf("sent %q %q v%d", r.identity, r.typ, r.version)
	}
	if _, ok := r.body.(*messages.Poke); !ok {
		t.Errorf("body = %T, want *messages.Poke", r.body)
	}
}

func TestNewDispatcherRefusesBadConfig(t *testing.T) {
	if _, err := notify.NewDispatcher(notify.DispatcherConfig{Interval: -time.Second}, notify.DispatcherDeps{Store: &fakeStore{}, Poker: &recordingPoker{}}); err == nil {
		t.Error("a negative interval was accepted")
	}
	if _, err := notify.NewDispatcher(notify.DispatcherConfig{}, notify.DispatcherDeps{Poker: &recordingPoker{}}); err == nil {
		t.Error("a dispatcher without a store was accepted")
	}
}
