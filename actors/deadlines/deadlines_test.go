package deadlines_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/census"
	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/deadlines"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// fakeStore holds check entries; ExtendDeadlines moves the wake-ups inside the outage.
type fakeStore struct {
	mu       sync.Mutex
	entries  []persistence.CheckEntry
	extended [][2]time.Time
}

func (f *fakeStore) ForEachCheck(_ context.Context, fn func(persistence.CheckEntry) error) error {
	f.mu.Lock()
	entries := slices.Clone(f.entries)
	f.mu.Unlock()
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) DueChecks(_ context.Context, t time.Time, limit int) ([]persistence.Wake, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []persistence.Wake
	for _, e := range f.entries {
		if !e.WakeAt.IsZero() && !e.WakeAt.After(t) && len(out) < limit {
			out = append(out, persistence.Wake{CheckID: e.CheckID, At: e.WakeAt})
		}
	}
	return out, nil
}

func (f *fakeStore) ExtendDeadlines(_ context.Context, from, to time.Time, by time.Duration) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.extended = append(f.extended, [2]time.Time{from, to})
	var n int64
	for i, e := range f.entries {
		if !e.WakeAt.Before(from) && !e.WakeAt.After(to) {
			f.entries[i].WakeAt = e.WakeAt.Add(by)
			n++
		}
	}
	return n, nil
}

// sent records the Ticks the service sends.
type sent struct {
	mu    sync.Mutex
	ticks map[int64][]time.Time // every Tick, in order
}

func (s *sent) Send(identity, typ string, _ uint32, body proto.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ != messages.TypeTick {
		panic("unexpected message " + typ)
	}
	for id := int64(1); id < 100; id++ {
		if check.Identity(id) == identity {
			s.ticks[id] = append(s.ticks[id], time.UnixMilli(body.(*messages.Tick).WakeUnixMs).UTC())
		}
	}
	return nil
}

func (s *sent) ids() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id := range s.ticks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// even owns the even check ids.
func even(id int64) bool { return id%2 == 0 }

func newService(t *testing.T, store *fakeStore, now func() time.Time) (*deadlines.Service, *census.Checks, *sent) {
	t.Helper()
	c := census.NewChecks(even)
	out := &sent{ticks: map[int64][]time.Time{}}
	s, err := deadlines.New(deadlines.Config{SweepInterval: time.Second, SweepSlack: time.Second},
		deadlines.Deps{Store: store, Sender: out, Owns: even, Census: c, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, out
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestArmHoldsOnlyOwnedChecks(t *testing.T) {
	store := &fakeStore{entries: []persistence.CheckEntry{
		{CheckID: 1, Status: messages.StatusUp, WakeAt: t0.Add(time.Minute)},       // not owned
		{CheckID: 2, Status: messages.StatusUp, WakeAt: t0.Add(time.Minute)},       // owned
		{CheckID: 4, Status: messages.StatusNew},                                   // owned, no wake-up
		{CheckID: 6, Status: messages.StatusDown, WakeAt: t0.Add(2 * time.Minute)}, // owned
	}}
	s, c, _ := newService(t, store, func() time.Time { return t0 })
	n, err := s.Arm(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || s.Len() != 2 {
		t.Fatalf("armed %d, wheel holds %d; want 2 and 2", n, s.Len())
	}
	for id, want := range map[int64]bool{1: false, 2: true, 4: false, 6: true} {
		if _, ok := s.Wheel().Get(id); ok != want {
			t.Errorf("wheel holds check %d: %v, want %v", id, ok, want)
		}
	}
	if c.Count(messages.StatusUp) != 1 || c.Count(messages.StatusNew) != 1 || c.Count(messages.StatusDown) != 1 {
		t.Errorf("census up/new/down = %d/%d/%d, want 1/1/1 (the unowned check not counted)",
			c.Count(messages.StatusUp), c.Count(messages.StatusNew), c.Count(messages.StatusDown))
	}
}

func TestDropUnownedAndDropAll(t *testing.T) {
	store := &fakeStore{entries: []persistence.CheckEntry{
		{CheckID: 2, Status: messages.StatusUp, WakeAt: t0.Add(time.Minute)},
		{CheckID: 4, Status: messages.StatusUp, WakeAt: t0.Add(time.Minute)},
	}}
	s, c, _ := newService(t, store, func() time.Time { return t0 })
	if _, err := s.Arm(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Wheel().Set(3, t0.Add(time.Minute)) // an entry whose check moved away meanwhile
	if got := s.DropUnowned(); got != 1 {
		t.Errorf("DropUnowned dropped %d, want 1", got)
	}
	if s.Len() != 2 || c.Len() != 2 {
		t.Errorf("after DropUnowned: wheel %d, census %d; want 2, 2", s.Len(), c.Len())
	}
	s.DropAll()
	if s.Len() != 0 || c.Len() != 0 {
		t.Errorf("after DropAll: wheel %d, census %d; want 0, 0", s.Len(), c.Len())
	}
}

func TestRecoveredExtendsAndRearms(t *testing.T) {
	from, to := t0.Add(-10*time.Minute), t0
	store := &fakeStore{entries: []persistence.CheckEntry{
		{CheckID: 2, Status: messages.StatusUp, WakeAt: t0.Add(-5 * time.Minute)}, // fell inside the outage
		{CheckID: 3, Status: messages.StatusUp, WakeAt: t0.Add(-5 * time.Minute)}, // inside, not owned
		{CheckID: 4, Status: messages.StatusUp, WakeAt: t0.Add(time.Hour)},        // after it
	}}
	s, _, _ := newService(t, store, func() time.Time { return t0 })
	// Nothing armed before the outage: recovery alone must fill the wheel.
	s.Recovered(from, to)
	if len(store.extended) != 1 || store.extended[0] != [2]time.Time{from, to} {
		t.Fatalf("ExtendDeadlines calls %v, want one for [%v, %v]", store.extended, from, to)
	}
	want := map[int64]time.Time{2: t0.Add(5 * time.Minute), 4: t0.Add(time.Hour)}
	if s.Len() != len(want) {
		t.Fatalf("wheel holds %d after recovery, want %d", s.Len(), len(want))
	}
	for id, at := range want {
		if got, ok := s.Wheel().Get(id); !ok || !got.Equal(at) {
			t.Errorf("check %d armed at %v (%v), want %v", id, got, ok, at)
		}
	}
}

// The wheel ticks owned checks on time; the sweeper pokes overdue ones, owned only.
func TestStartTicksOwnedChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		store := &fakeStore{entries: []persistence.CheckEntry{
			{CheckID: 2, Status: messages.StatusUp, WakeAt: start.Add(time.Minute)},  // armed: the wheel fires it
			{CheckID: 4, Status: messages.StatusUp, WakeAt: start.Add(-time.Minute)}, // overdue, owned: swept
			{CheckID: 5, Status: messages.StatusUp, WakeAt: start.Add(-time.Minute)}, // overdue, not owned
		}}
		s, _, out := newService(t, store, nil)
		s.Wheel().Set(2, start.Add(time.Minute))
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := out.ids(); !slices.Equal(got, []int64{4}) {
			t.Errorf("after the first sweeps ticked %v, want [4]", got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := out.ids(); !slices.Equal(got, []int64{2, 4}) {
			t.Errorf("after the wake-up ticked %v, want [2 4]", got)
		}
		// The wheel's Tick names the wake-up (the sweeper may poke it again later: the fake
		// store never moves it).
		if at := out.ticks[2][0]; !at.Equal(start.Add(time.Minute).Truncate(time.Millisecond)) {
			t.Errorf("check 2 first ticked for %v, want its wake-up %v", at, start.Add(time.Minute))
		}
	})
}

// joiner is a membership that is still joining and answers as if active.
type joiner struct {
	state cluster.State
	as    *cluster.Static
}

func (j joiner) State() cluster.State { return j.state }
func (j joiner) OwnerIfActive(identity string) (cluster.Member, bool) {
	return j.as.Owner(identity)
}

func TestOwner(t *testing.T) {
	self, other := cluster.Member{ID: "self"}, cluster.Member{ID: "other"}
	alone, err := cluster.NewStatic(self, []cluster.Member{self})
	if err != nil {
		t.Fatal(err)
	}
	shared, err := cluster.NewStatic(self, []cluster.Member{self, other})
	if err != nil {
		t.Fatal(err)
	}
	notActive, err := cluster.NewStatic(self, []cluster.Member{other}) // self not yet active
	if err != nil {
		t.Fatal(err)
	}
	ownedInShared := func(id int64) bool { o, _ := shared.Owner(check.Identity(id)); return o.ID == self.ID }

	for _, tc := range []struct {
		name  string
		owner deadlines.Owner
		want  func(id int64) bool
	}{
		{"alone owns everything", deadlines.Owner{Membership: alone}, func(int64) bool { return true }},
		{"two members share", deadlines.Owner{Membership: shared}, ownedInShared},
		{"not active owns nothing", deadlines.Owner{Membership: notActive}, func(int64) bool { return false }},
		{"a joiner owns what it will own",
			deadlines.Owner{Membership: notActive, Joiner: joiner{cluster.StateJoining, shared}}, ownedInShared},
		{"an active node ignores the joining view",
			deadlines.Owner{Membership: notActive, Joiner: joiner{cluster.StateActive, shared}}, func(int64) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owned := 0
			for id := int64(1); id <= 64; id++ {
				if got := tc.owner.Owns(id); got != tc.want(id) {
					t.Errorf("Owns(%d) = %v, want %v", id, got, !got)
				}
				if tc.owner.Owns(id) {
					owned++
				}
			}
			t.Logf("owns %d of 64", owned)
		})
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := deadlines.New(deadlines.DefaultConfig(), deadlines.Deps{}); err == nil {
		t.Error("New without Store, Sender, Owns, Census: no error")
	}
	if err := (deadlines.Config{SweepInterval: -time.Second}).Validate(); err == nil {
		t.Error("negative sweep interval: no error")
	}
}
