package activity_test

import (
	"bytes"
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/messages"
)

func TestFamily(t *testing.T) {
	tests := []struct{ ua, want string }{
		{"", ""},
		{"curl/8.5.0", "curl"},
		{"python-requests/2.31.0", "python-requests"},
		{"Go-http-client/1.1", "Go"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox"},
		{"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", "Chrome"},
		{"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0", "Edge"},
		{"Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari"},
		{"Mozilla/5.0 HeadlessChrome/126.0 Safari/537.36", "Chrome (headless)"},
		{"my-own-script", "other"},
	}
	for _, tc := range tests {
		if got := activity.Family(tc.ua); got != tc.want {
			t.Errorf("Family(%q) = %q, want %q", tc.ua, got, tc.want)
		}
	}
}

// fakeAudit is an AuditStore that keeps rows in memory.
type fakeAudit struct {
	mu   sync.Mutex
	rows []messages.AuditEvent
}

func (f *fakeAudit) InsertAudit(_ context.Context, e *messages.AuditEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.ID = int64(len(f.rows) + 1)
	f.rows = append(f.rows, *e)
	return nil
}
func (f *fakeAudit) ListAudit(context.Context, int64, int64, int) ([]messages.AuditEvent, error) {
	return nil, nil
}
func (f *fakeAudit) ListAllAudit(context.Context, int64, int) ([]messages.AuditEvent, error) {
	return nil, nil
}
func (f *fakeAudit) PruneAudit(context.Context, time.Time, int) (int64, error) { return 0, nil }

func (f *fakeAudit) count(outcome string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.rows {
		if r.Outcome == outcome {
			n++
		}
	}
	return n
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newRecorder(t *testing.T, store *fakeAudit, c *clock) *activity.Recorder {
	t.Helper()
	r, err := activity.New(activity.Config{SuccessEvery: time.Hour, FailuresPerWindow: 3, Window: time.Hour},
		activity.Deps{Store: store, IPKey: []byte("k"), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSuccessOncePerCredentialAddressAndHour(t *testing.T) {
	store, c := &fakeAudit{}, &clock{time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := newRecorder(t, store, c)
	a := activity.Attempt{UserID: 1, Method: "token", Credential: "token:5", IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "curl/8"}
	steps := []struct {
		name    string
		advance time.Duration
		edit    func(*activity.Attempt)
		total   int
	}{
		{"first use", 0, nil, 1},
		{"again at once", time.Minute, nil, 1},
		{"from another address", 0, func(a *activity.Attempt) { a.IP = netip.MustParseAddr("192.0.2.2") }, 2},
		{"another credential", 0, func(a *activity.Attempt) { a.Credential = "token:6" }, 3},
		{"the user's key", 0, func(a *activity.Attempt) { a.Method, a.Credential = "key", "" }, 4},
		{"59 minutes later", 58 * time.Minute, nil, 4},
		{"an hour later", time.Minute, nil, 5},
	}
	for _, s := range steps {
		c.t = c.t.Add(s.advance)
		at := a
		if s.edit != nil {
			s.edit(&at)
		}
		r.Succeeded(context.Background(), at)
		if got := store.count(activity.OutcomeSuccess); got != s.total {
			t.Fatalf("%s: %d rows, want %d", s.name, got, s.total)
		}
	}
	if row := store.rows[0]; row.UAFamily != "curl" || row.Event != activity.EventAuth || len(row.IPHash) != 16 {
		t.Errorf("row = %+v", row)
	}
}

func TestFailuresCappedPerAddress(t *testing.T) {
	store, c := &fakeAudit{}, &clock{time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := newRecorder(t, store, c)
	flood := activity.Attempt{Method: "token", Reason: "unknown", IP: netip.MustParseAddr("203.0.113.7")}
	for range 1000 {
		r.Failed(context.Background(), flood)
	}
	if got := store.count(activity.OutcomeFailure); got != 3 {
		t.Fatalf("flood recorded %d failures, want the cap 3", got)
	}
	// Another address has its own allowance; the flooding one gets a new window an hour on.
	if !r.Failed(context.Background(), activity.Attempt{Reason: "unknown", IP: netip.MustParseAddr("198.51.100.1")}) {
		t.Error("another address's failure not recorded")
	}
	c.t = c.t.Add(time.Hour)
	if !r.Failed(context.Background(), flood) {
		t.Error("failure in the next window not recorded")
	}
	if got := store.count(activity.OutcomeFailure); got != 5 {
		t.Errorf("%d failures, want 5", got)
	}
}

func TestIPHashHidesTheAddress(t *testing.T) {
	r1, err1 := activity.New(activity.Config{}, activity.Deps{Store: &fakeAudit{}, IPKey: []byte("one")})
	r2, err2 := activity.New(activity.Config{}, activity.Deps{Store: &fakeAudit{}, IPKey: []byte("two")})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	ip := netip.MustParseAddr("203.0.113.7")
	h := r1.IPHash(ip)
	if len(h) != 16 || bytes.Contains(h, ip.AsSlice()) {
		t.Fatalf("hash %x", h)
	}
	if !bytes.Equal(h, r1.IPHash(netip.MustParseAddr("::ffff:203.0.113.7"))) {
		t.Error("a mapped address hashes differently")
	}
	if bytes.Equal(h, r2.IPHash(ip)) || bytes.Equal(h, r1.IPHash(netip.MustParseAddr("203.0.113.8"))) {
		t.Error("hash does not depend on key and address")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := activity.New(activity.Config{Window: -time.Hour}, activity.Deps{Store: &fakeAudit{}}); err == nil {
		t.Error("a negative window was accepted")
	}
	if _, err := activity.New(activity.Config{}, activity.Deps{}); err == nil {
		t.Error("a recorder without a store was accepted")
	}
}
