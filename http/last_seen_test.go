package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// TestLastSeen: authenticated API use records when the user was last seen (the cleanup of
// inactive accounts reads it), at most once an hour.
func TestLastSeen(t *testing.T) {
	st := openSQLite(t)
	ctx := context.Background()
	const key = "k3y-of-the-user-000000000000000a"
	u := messages.User{Slug: "seen0001", AuthKeyHash: keyring.Hash([]byte(key)), PingKeyIndex: []byte("idx"), SlugPings: true,
		CreatedAt: time.Now().UTC()}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	now := t0
	h := ttrhttp.NewServer(ttrhttp.DefaultConfig(), ttrhttp.Deps{Store: st, Ring: apiRing(t), Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}}).Handler()

	steps := []struct {
		name string
		at   time.Time
		key  string
		want time.Time
	}{
		{"a wrong key records nothing", t0, "not-the-key", time.Time{}},
		{"the first request is recorded", t0, key, t0},
		{"within the hour nothing is written", t0.Add(59 * time.Minute), key, t0},
		{"an hour later it is written again", t0.Add(61 * time.Minute), key, t0.Add(61 * time.Minute)},
	}
	for _, s := range steps {
		mu.Lock()
		now = s.at
		mu.Unlock()
		req := httptest.NewRequest(http.MethodGet, "/api/v1/checks", nil)
		req.Header.Set(ttrhttp.HeaderAuthKey, s.key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if s.key == key && w.Code != http.StatusOK {
			t.Fatalf("%s: GET /api/v1/checks = %d %s", s.name, w.Code, w.Body)
		}
		got, err := st.UserBySlug(ctx, u.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if !got.LastSeenAt.Equal(s.want) {
			t.Errorf("%s: last seen %v, want %v", s.name, got.LastSeenAt, s.want)
		}
	}
}
