package http_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// fakePingStore is a Store of function fields; a nil field answers an error naming it.
type fakePingStore struct {
	// The ping path never touches accounts; calling one of these panics.
	persistence.AccountStore
	CreateUserFunc           func(ctx context.Context, u *messages.User) error
	UserByAuthKeyHashFunc    func(ctx context.Context, hash []byte) (messages.User, error)
	UserBySlugFunc           func(ctx context.Context, slug string) (messages.User, error)
	UserByPingKeyIndexFunc   func(ctx context.Context, index []byte) (messages.User, error)
	CreateCheckFunc          func(ctx context.Context, c *messages.Check) error
	CreateCheckIfMissingFunc func(ctx context.Context, c *messages.Check) (messages.CheckRef, bool, error)
	GetCheckFunc             func(ctx context.Context, userID, checkID int64) (messages.Check, error)
	ListChecksFunc           func(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error)
	CheckStatsFunc           func(ctx context.Context, userID int64, now time.Time) (persistence.Stats, error)
	CheckTagsFunc            func(ctx context.Context, userID int64) ([]persistence.TagCount, error)
	SlugTakenFunc            func(ctx context.Context, userID int64, slug string, exceptID int64) (bool, error)
	ResolveSlugFunc          func(ctx context.Context, userID int64, slug string) (messages.CheckRef, error)
	ResolveUUIDFunc          func(ctx context.Context, uuid string) (messages.CheckRef, error)
	ListPingsFunc            func(ctx context.Context, userID, checkID int64, limit int) ([]messages.PingRecord, error)
	GetPingFunc              func(ctx context.Context, userID, checkID, n int64) (messages.PingRecord, error)
	PingLogStartFunc         func(ctx context.Context, userID, checkID int64) (int64, error)
	ListFlipsFunc            func(ctx context.Context, userID, checkID int64, limit int) ([]messages.Flip, error)
	ChannelsFunc             func(ctx context.Context, userID, checkID int64) ([]messages.Channel, error)
	ListDeliveriesFunc       func(ctx context.Context, userID, checkID int64, limit int) ([]messages.OutboxRow, error)
}

var _ http.Store = (*fakePingStore)(nil)

func notSet(name string) error { return errors.New("fakePingStore: " + name + " not set") }

func (f *fakePingStore) CreateUser(ctx context.Context, u *messages.User) error {
	if f.CreateUserFunc == nil {
		return notSet("CreateUser")
	}
	return f.CreateUserFunc(ctx, u)
}

func (f *fakePingStore) UserByAuthKeyHash(ctx context.Context, hash []byte) (messages.User, error) {
	if f.UserByAuthKeyHashFunc == nil {
		return messages.User{}, notSet("UserByAuthKeyHash")
	}
	return f.UserByAuthKeyHashFunc(ctx, hash)
}

func (f *fakePingStore) UserBySlug(ctx context.Context, slug string) (messages.User, error) {
	if f.UserBySlugFunc == nil {
		return messages.User{}, notSet("UserBySlug")
	}
	return f.UserBySlugFunc(ctx, slug)
}

func (f *fakePingStore) UserByPingKeyIndex(ctx context.Context, index []byte) (messages.User, error) {
	if f.UserByPingKeyIndexFunc == nil {
		return messages.User{}, notSet("UserByPingKeyIndex")
	}
	return f.UserByPingKeyIndexFunc(ctx, index)
}

// TouchUser records nothing: the ping path never authenticates a user.
func (f *fakePingStore) TouchUser(context.Context, int64, time.Time) error { return nil }

func (f *fakePingStore) CreateCheck(ctx context.Context, c *messages.Check) error {
	if f.CreateCheckFunc == nil {
		return notSet("CreateCheck")
	}
	return f.CreateCheckFunc(ctx, c)
}

func (f *fakePingStore) CreateCheckIfMissing(ctx context.Context, c *messages.Check) (messages.CheckRef, bool, error) {
	if f.CreateCheckIfMissingFunc == nil {
		return messages.CheckRef{}, false, notSet("CreateCheckIfMissing")
	}
	return f.CreateCheckIfMissingFunc(ctx, c)
}

func (f *fakePingStore) GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error) {
	if f.GetCheckFunc == nil {
		return messages.Check{}, notSet("GetCheck")
	}
	return f.GetCheckFunc(ctx, userID, checkID)
}

func (f *fakePingStore) ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error) {
	if f.ListChecksFunc == nil {
		return nil, notSet("ListChecks")
	}
	return f.ListChecksFunc(ctx, userID, q)
}

func (f *fakePingStore) CheckStats(ctx context.Context, userID int64, now time.Time) (persistence.Stats, error) {
	if f.CheckStatsFunc == nil {
		return persistence.Stats{}, notSet("CheckStats")
	}
	return f.CheckStatsFunc(ctx, userID, now)
}

func (f *fakePingStore) CheckTags(ctx context.Context, userID int64) ([]persistence.TagCount, error) {
	if f.CheckTagsFunc == nil {
		return nil, notSet("CheckTags")
	}
	return f.CheckTagsFunc(ctx, userID)
}

func (f *fakePingStore) SlugTaken(ctx context.Context, userID int64, slug string, exceptID int64) (bool, error) {
	if f.SlugTakenFunc == nil {
		return false, notSet("SlugTaken")
	}
	return f.SlugTakenFunc(ctx, userID, slug, exceptID)
}

func (f *fakePingStore) ResolveSlug(ctx context.Context, userID int64, slug string) (messages.CheckRef, error) {
	if f.ResolveSlugFunc == nil {
		return messages.CheckRef{}, notSet("ResolveSlug")
	}
	return f.ResolveSlugFunc(ctx, userID, slug)
}

func (f *fakePingStore) ResolveUUID(ctx context.Context, uuid string) (messages.CheckRef, error) {
	if f.ResolveUUIDFunc == nil {
		return messages.CheckRef{}, notSet("ResolveUUID")
	}
	return f.ResolveUUIDFunc(ctx, uuid)
}

func (f *fakePingStore) ListPings(ctx context.Context, userID, checkID int64, limit int) ([]messages.PingRecord, error) {
	if f.ListPingsFunc == nil {
		return nil, notSet("ListPings")
	}
	return f.ListPingsFunc(ctx, userID, checkID, limit)
}

func (f *fakePingStore) PingLogStart(ctx context.Context, userID, checkID int64) (int64, error) {
	if f.PingLogStartFunc == nil {
		return 0, notSet("PingLogStart")
	}
	return f.PingLogStartFunc(ctx, userID, checkID)
}

func (f *fakePingStore) GetPing(ctx context.Context, userID, checkID, n int64) (messages.PingRecord, error) {
	if f.GetPingFunc == nil {
		return messages.PingRecord{}, notSet("GetPing")
	}
	return f.GetPingFunc(ctx, userID, checkID, n)
}

func (f *fakePingStore) ListFlips(ctx context.Context, userID, checkID int64, limit int) ([]messages.Flip, error) {
	if f.ListFlipsFunc == nil {
		return nil, notSet("ListFlips")
	}
	return f.ListFlipsFunc(ctx, userID, checkID, limit)
}

func (f *fakePingStore) Channels(ctx context.Context, userID, checkID int64) ([]messages.Channel, error) {
	if f.ChannelsFunc == nil {
		return nil, notSet("Channels")
	}
	return f.ChannelsFunc(ctx, userID, checkID)
}

func (f *fakePingStore) PageChannels(context.Context, int64, []int64) ([]messages.Channel, error) {
	return nil, notSet("PageChannels")
}

func (f *fakePingStore) RecentPings(context.Context, int64, []int64, int) ([]messages.PingRecord, error) {
	return nil, notSet("RecentPings")
}

func (f *fakePingStore) ChangeStamp(context.Context, int64, time.Time) (persistence.ChangeStamp, error) {
	return persistence.ChangeStamp{}, notSet("ChangeStamp")
}

func (f *fakePingStore) ListDeliveries(ctx context.Context, userID, checkID int64, limit int) ([]messages.OutboxRow, error) {
	if f.ListDeliveriesFunc == nil {
		return nil, notSet("ListDeliveries")
	}
	return f.ListDeliveriesFunc(ctx, userID, checkID, limit)
}

// fakePingChecks is a Checks of function fields; a nil field answers an error naming it.
type fakePingChecks struct {
	PingFunc       func(ctx context.Context, checkID int64, p *messages.Ping) (string, error)
	SetChannelFunc func(ctx context.Context, userID, checkID int64, channel string, enabled bool, configEnc []byte, keepConfig bool) error
}

var _ http.Checks = (*fakePingChecks)(nil)

func (f *fakePingChecks) Ping(ctx context.Context, checkID int64, p *messages.Ping) (string, error) {
	if f.PingFunc == nil {
		return "", errors.New("fakePingChecks: Ping not set")
	}
	return f.PingFunc(ctx, checkID, p)
}

// The ping tests send no API command: these answer that they were not expected.

func (f *fakePingChecks) Edit(context.Context, int64, *messages.CheckEdit) error {
	return errors.New("fakePingChecks: Edit not expected")
}

func (f *fakePingChecks) Pause(context.Context, int64, int64, []int64) error {
	return errors.New("fakePingChecks: Pause not expected")
}

func (f *fakePingChecks) Resume(context.Context, int64, int64, []int64) error {
	return errors.New("fakePingChecks: Resume not expected")
}

func (f *fakePingChecks) TogglePause(context.Context, int64, int64, []int64) error {
	return errors.New("fakePingChecks: TogglePause not expected")
}

func (f *fakePingChecks) Delete(context.Context, int64, int64, []int64) error {
	return errors.New("fakePingChecks: Delete not expected")
}

func (f *fakePingChecks) Created(int64) {}

func (f *fakePingChecks) SetChannel(ctx context.Context, userID, checkID int64, channel messages.ChannelKind, enabled bool, configEnc []byte, keepConfig bool) error {
	if f.SetChannelFunc == nil {
		return errors.New("fakePingChecks: SetChannel not set")
	}
	return f.SetChannelFunc(ctx, userID, checkID, string(channel), enabled, configEnc, keepConfig)
}

// pingClock is an injected clock tests move by hand.
type pingClock struct {
	mu sync.Mutex
	t  time.Time
}

func newPingClock() *pingClock {
	return &pingClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *pingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *pingClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mustPingRing returns a key ring with fixed test secrets.
func mustPingRing(tb testing.TB) *keyring.Ring {
	tb.Helper()
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	r, err := keyring.Parse("k1:"+key, strings.Repeat("s", 32))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// pingWorld is an in-memory, race-safe store of users and checks behind a fakePingStore,
// counting the calls the resolver makes.
type pingWorld struct {
	ring *keyring.Ring

	mu      sync.Mutex
	users   []messages.User
	checks  []messages.Check
	nextID  int64
	calls   map[string]int
	created []messages.Check // what CreateCheckIfMissing inserted
	down    bool             // every call answers persistence.Unavailable
}

func newPingWorld(tb testing.TB) *pingWorld {
	tb.Helper()
	return &pingWorld{ring: mustPingRing(tb), nextID: 100, calls: map[string]int{}}
}

// addUser adds a user with slug pings on and the given ping key.
func (w *pingWorld) addUser(id int64, slug, pingKey string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.users = append(w.users, messages.User{
		ID: id, Slug: slug, SlugPings: true,
		PingKeyIndex: w.ring.Index("ping_key", []byte(pingKey)),
	})
}

func (w *pingWorld) setSlugPings(userID int64, on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.users {
		if w.users[i].ID == userID {
			w.users[i].SlugPings = on
		}
	}
}

func (w *pingWorld) addCheck(id, userID int64, uuid, slug string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := messages.Check{ID: id, UserID: userID, UUID: uuid}
	c.Slug = slug
	w.checks = append(w.checks, c)
}

// renameCheck changes a check's slug.
func (w *pingWorld) renameCheck(id int64, slug string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.checks {
		if w.checks[i].ID == id {
			w.checks[i].Slug = slug
		}
	}
}

func (w *pingWorld) setDown(down bool) {
	w.mu.Lock()
	w.down = down
	w.mu.Unlock()
}

func (w *pingWorld) count(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[name]
}

func (w *pingWorld) totalCalls() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.calls {
		n += c
	}
	return n
}

func (w *pingWorld) createdChecks() []messages.Check {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]messages.Check(nil), w.created...)
}

// enter counts a call and reports whether the store is down; the caller holds w.mu after.
func (w *pingWorld) enter(name string) error {
	w.mu.Lock()
	w.calls[name]++
	if w.down {
		return persistence.Unavailable(errors.New("connection refused"))
	}
	return nil
}

func refOf(c messages.Check) messages.CheckRef {
	return messages.CheckRef{ID: c.ID, UserID: c.UserID, UUID: c.UUID, Slug: c.Slug}
}

func (w *pingWorld) store() *fakePingStore {
	return &fakePingStore{
		UserBySlugFunc: func(_ context.Context, slug string) (messages.User, error) {
			err := w.enter("UserBySlug")
			defer w.mu.Unlock()
			if err != nil {
				return messages.User{}, err
			}
			for _, u := range w.users {
				if u.Slug == slug {
					return u, nil
				}
			}
			return messages.User{}, messages.ErrNotFound
		},
		UserByPingKeyIndexFunc: func(_ context.Context, index []byte) (messages.User, error) {
			err := w.enter("UserByPingKeyIndex")
			defer w.mu.Unlock()
			if err != nil {
				return messages.User{}, err
			}
			for _, u := range w.users {
				if string(u.PingKeyIndex) == string(index) {
					return u, nil
				}
			}
			return messages.User{}, messages.ErrNotFound
		},
		ResolveSlugFunc: func(_ context.Context, userID int64, slug string) (messages.CheckRef, error) {
			err := w.enter("ResolveSlug")
			defer w.mu.Unlock()
			if err != nil {
				return messages.CheckRef{}, err
			}
			for _, c := range w.checks {
				if c.UserID == userID && c.Slug == slug {
					return refOf(c), nil
				}
			}
			return messages.CheckRef{}, messages.ErrNotFound
		},
		ResolveUUIDFunc: func(_ context.Context, uuid string) (messages.CheckRef, error) {
			err := w.enter("ResolveUUID")
			defer w.mu.Unlock()
			if err != nil {
				return messages.CheckRef{}, err
			}
			for _, c := range w.checks {
				if c.UUID == uuid {
					return refOf(c), nil
				}
			}
			return messages.CheckRef{}, messages.ErrNotFound
		},
		CreateCheckIfMissingFunc: func(_ context.Context, c *messages.Check) (messages.CheckRef, bool, error) {
			err := w.enter("CreateCheckIfMissing")
			defer w.mu.Unlock()
			if err != nil {
				return messages.CheckRef{}, false, err
			}
			for _, have := range w.checks {
				if have.UserID == c.UserID && have.Slug == c.Slug {
					return refOf(have), false, nil
				}
			}
			w.nextID++
			c.ID = w.nextID
			w.checks = append(w.checks, *c)
			w.created = append(w.created, *c)
			return refOf(*c), true, nil
		},
	}
}

func (f *fakePingStore) UserChannels(context.Context, int64) ([]messages.Channel, error) {
	return nil, notSet("UserChannels")
}

func (f *fakePingStore) Destinations(context.Context, int64) ([]persistence.Destination, error) {
	return nil, notSet("Destinations")
}

func (f *fakePingStore) CreateDestination(context.Context, *persistence.Destination) error {
	return notSet("CreateDestination")
}
