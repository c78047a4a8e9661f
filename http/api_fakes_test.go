package http_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// apiStore is an in-memory http.Store with the persistence contract's semantics (user
// scoping, conflicts, keyset order). Its function fields, when set, replace a method (failure
// injection).
type apiStore struct {
	// The account self-service is tested against the real store (api_account_test.go);
	// calling one of these methods on this fake panics.
	persistence.AccountStore

	mu         sync.Mutex
	users      map[int64]messages.User
	checks     map[int64]messages.Check
	channels   map[int64][]messages.Channel
	pings      map[int64][]messages.PingRecord
	flips      map[int64][]messages.Flip
	deliveries map[int64][]messages.OutboxRow
	badgeKeys  map[int64]string
	dests      []persistence.Destination
	nextUser   int64
	nextCheck  int64
	clock      func() time.Time // the edge's clock (schedules are validated against it)

	CreateUserFn  func(ctx context.Context, u *messages.User) error
	CreateCheckFn func(ctx context.Context, c *messages.Check) error
	GetCheckFn    func(ctx context.Context, userID, checkID int64) (messages.Check, error)
	ListChecksFn  func(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error)
	// calls counts ListChecks calls (N+1 checks).
	listCalls int
}

var _ ttrhttp.Store = (*apiStore)(nil)

func newAPIStore() *apiStore {
	return &apiStore{
		users:      map[int64]messages.User{},
		checks:     map[int64]messages.Check{},
		channels:   map[int64][]messages.Channel{},
		pings:      map[int64][]messages.PingRecord{},
		flips:      map[int64][]messages.Flip{},
		deliveries: map[int64][]messages.OutboxRow{},
	}
}

func (s *apiStore) now() time.Time {
	if s.clock == nil {
		return time.Now()
	}
	return s.clock()
}

func apiConflict(what string) error { return messages.Errorf(messages.EConflict, "%s taken", what) }

func (s *apiStore) CreateUser(ctx context.Context, u *messages.User) error {
	if s.CreateUserFn != nil {
		if err := s.CreateUserFn(ctx, u); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.users {
		if o.Slug == u.Slug {
			return apiConflict("user slug")
		}
	}
	s.nextUser++
	u.ID = s.nextUser
	s.users[u.ID] = *u
	return nil
}

func (s *apiStore) findUser(match func(messages.User) bool) (messages.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if match(u) {
			return u, nil
		}
	}
	return messages.User{}, messages.ErrNotFound
}

func (s *apiStore) UserByAuthKeyHash(_ context.Context, hash []byte) (messages.User, error) {
	return s.findUser(func(u messages.User) bool { return bytes.Equal(u.AuthKeyHash, hash) })
}

// SlugHeld: the fake holds no released slugs.
func (s *apiStore) SlugHeld(context.Context, string, int64, time.Time) (bool, error) {
	return false, nil
}

func (s *apiStore) UserBySlug(_ context.Context, slug string) (messages.User, error) {
	return s.findUser(func(u messages.User) bool { return u.Slug == slug })
}

func (s *apiStore) TouchUser(_ context.Context, userID int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok && (u.LastSeenAt.IsZero() || !u.LastSeenAt.After(at.Add(-persistence.SeenResolution))) {
		u.LastSeenAt = at
		s.users[userID] = u
	}
	return nil
}

func (s *apiStore) UserByPingKeyIndex(_ context.Context, index []byte) (messages.User, error) {
	return s.findUser(func(u messages.User) bool { return bytes.Equal(u.PingKeyIndex, index) })
}

func (s *apiStore) slugTakenLocked(userID int64, slug string, except int64) bool {
	for _, c := range s.checks {
		if c.UserID == userID && c.Slug == slug && c.ID != except {
			return true
		}
	}
	return false
}

func (s *apiStore) CreateCheck(ctx context.Context, c *messages.Check) error {
	if s.CreateCheckFn != nil {
		if err := s.CreateCheckFn(ctx, c); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slugTakenLocked(c.UserID, c.Slug, 0) {
		return apiConflict("slug")
	}
	s.nextCheck++
	c.ID = s.nextCheck
	c.Version, c.ConfigVersion = 1, 1
	cc := *c
	cc.Tags = slices.Clone(c.Tags)
	s.checks[c.ID] = cc
	return nil
}

func (s *apiStore) CreateCheckIfMissing(ctx context.Context, c *messages.Check) (messages.CheckRef, bool, error) {
	return messages.CheckRef{}, false, messages.Errorf(messages.EInternal, "not used by the API")
}

func (s *apiStore) GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error) {
	if s.GetCheckFn != nil {
		return s.GetCheckFn(ctx, userID, checkID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.checks[checkID]
	if !ok || c.UserID != userID {
		return messages.Check{}, messages.ErrNotFound
	}
	c.Tags = slices.Clone(c.Tags)
	return c, nil
}

// fakeKey mirrors persistence.Key's encoding.
func apiKeyOf(c messages.Check, sortBy string) persistence.Key {
	t := func(x time.Time) int64 {
		if x.IsZero() {
			return math.MaxInt64
		}
		return x.UnixMilli()
	}
	k := persistence.Key{ID: c.ID}
	switch sortBy {
	case "id":
		k.Int = c.ID
	case "name":
		k.Str = c.Name
	case "created_at":
		k.Int = t(c.CreatedAt)
	case "next_deadline":
		k.Int = t(c.NextDeadline)
	case "last_ping":
		k.Int = t(c.LastPing)
	case "status":
		k.Int = persistence.StatusKey(c.Status, c.NextDeadline)
	}
	return k
}

func apiCompareKeys(a, b persistence.Key, sortBy string) int {
	var c int
	if sortBy == "name" {
		c = strings.Compare(a.Str, b.Str)
	} else {
		c = cmp.Compare(a.Int, b.Int)
	}
	return cmp.Or(c, cmp.Compare(a.ID, b.ID))
}

func (s *apiStore) ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error) {
	s.mu.Lock()
	s.listCalls++
	s.mu.Unlock()
	if s.ListChecksFn != nil {
		return s.ListChecksFn(ctx, userID, q)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := 1
	if q.Desc {
		dir = -1
	}
	var out []messages.Check
	for _, c := range s.checks {
		if c.UserID != userID {
			continue
		}
		if !apiAllIn(q.Tags, c.Tags) {
			continue
		}
		if q.Search != "" && !strings.Contains(strings.ToLower(c.Name), strings.ToLower(q.Search)) {
			continue
		}
		switch q.Status {
		case "":
		case persistence.StatusLate:
			if c.Status != messages.StatusUp || !q.Now.After(c.NextDue) || q.Now.After(c.NextDeadline) {
				continue
			}
		default:
			if c.Status != q.Status {
				continue
			}
		}
		if q.After != nil && dir*apiCompareKeys(apiKeyOf(c, q.SortBy), *q.After, q.SortBy) <= 0 {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b messages.Check) int {
		return dir * apiCompareKeys(apiKeyOf(a, q.SortBy), apiKeyOf(b, q.SortBy), q.SortBy)
	})
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func apiAllIn(want, have []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

func (s *apiStore) CheckStats(_ context.Context, userID int64, now time.Time) (persistence.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st persistence.Stats
	for _, c := range s.checks {
		if c.UserID != userID {
			continue
		}
		st.Total++
		switch c.Status {
		case messages.StatusNew:
			st.New++
		case messages.StatusUp:
			st.Up++
			if now.After(c.NextDue) && !now.After(c.NextDeadline) {
				st.Late++
			}
		case messages.StatusDown:
			st.Down++
		case messages.StatusPaused:
			st.Paused++
		}
	}
	return st, nil
}

func (s *apiStore) CheckTags(_ context.Context, userID int64) ([]persistence.TagCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int64{}
	for _, c := range s.checks {
		if c.UserID == userID {
			for _, t := range c.Tags {
				counts[t]++
			}
		}
	}
	var out []persistence.TagCount
	for t, n := range counts {
		out = append(out, persistence.TagCount{Tag: t, Count: n})
	}
	slices.SortFunc(out, func(a, b persistence.TagCount) int { return strings.Compare(a.Tag, b.Tag) })
	return out, nil
}

func (s *apiStore) SlugTaken(_ context.Context, userID int64, slug string, exceptID int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slugTakenLocked(userID, slug, exceptID), nil
}

func (s *apiStore) ResolveSlug(_ context.Context, userID int64, slug string) (messages.CheckRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.checks {
		if c.UserID == userID && c.Slug == slug {
			return messages.CheckRef{ID: c.ID, UserID: c.UserID, UUID: c.UUID, Slug: c.Slug}, nil
		}
	}
	return messages.CheckRef{}, messages.ErrNotFound
}

func (s *apiStore) ResolveUUID(_ context.Context, uuid string) (messages.CheckRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.checks {
		if c.UUID == uuid {
			return messages.CheckRef{ID: c.ID, UserID: c.UserID, UUID: c.UUID, Slug: c.Slug}, nil
		}
	}
	return messages.CheckRef{}, messages.ErrNotFound
}

// owns reports whether checkID is userID's (callers hold mu).
func (s *apiStore) owns(userID, checkID int64) bool {
	c, ok := s.checks[checkID]
	return ok && c.UserID == userID
}

func (s *apiStore) ListPings(_ context.Context, userID, checkID int64, limit int) ([]messages.PingRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owns(userID, checkID) {
		return nil, nil
	}
	var out []messages.PingRecord
	ps := s.pings[checkID]
	for i := len(ps) - 1; i >= 0 && len(out) < limit; i-- {
		p := ps[i]
		p.BodySize = int64(len(p.Body))
		p.Body = nil
		out = append(out, p)
	}
	return out, nil
}

// PingLogStart is the n of the oldest ping the fake holds (pings are never pruned here
// unless a test removes them from s.pings).
func (s *apiStore) PingLogStart(_ context.Context, userID, checkID int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owns(userID, checkID) {
		return 0, messages.ErrNotFound
	}
	if ps := s.pings[checkID]; len(ps) > 0 {
		return ps[0].N, nil
	}
	return 0, nil
}

func (s *apiStore) GetPing(_ context.Context, userID, checkID, n int64) (messages.PingRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owns(userID, checkID) {
		return messages.PingRecord{}, messages.ErrNotFound
	}
	for _, p := range s.pings[checkID] {
		if p.N == n {
			p.BodySize = int64(len(p.Body))
			return p, nil
		}
	}
	return messages.PingRecord{}, messages.ErrNotFound
}

func (s *apiStore) ListFlips(_ context.Context, userID, checkID int64, limit int) ([]messages.Flip, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owns(userID, checkID) {
		return nil, nil
	}
	fs := slices.Clone(s.flips[checkID])
	slices.Reverse(fs)
	return fs[:min(limit, len(fs))], nil
}

func (s *apiStore) Channels(_ context.Context, userID, checkID int64) ([]messages.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owns(userID, checkID) {
		return nil, nil
	}
	return slices.Clone(s.channels[checkID]), nil
}

func (s *apiStore) PageChannels(_ context.Context, userID int64, ids []int64) ([]messages.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []messages.Channel
	for _, id := range ids {
		if s.owns(userID, id) {
			out = append(out, s.channels[id]...)
		}
	}
	return out, nil
}

func (s *apiStore) RecentPings(_ context.Context, userID int64, ids []int64, perCheck int) ([]messages.PingRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []messages.PingRecord
	for _, id := range slices.Sorted(slices.Values(ids)) {
		if !s.owns(userID, id) {
			continue
		}
		ps := s.pings[id]
		for i := len(ps) - 1; i >= 0 && i >= len(ps)-perCheck; i-- {
			p := ps[i]
			p.BodySize, p.Body = int64(len(p.Body)), nil
			out = append(out, p)
		}
	}
	return out, nil
}

// ChangeStamp follows the contract's definition (persistence.ChangeStamp) over the fake's
// maps; a change the tests make without setCheck must not matter to the dashboard.
func (s *apiStore) ChangeStamp(_ context.Context, userID int64, now time.Time) (persistence.ChangeStamp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st persistence.ChangeStamp
	ms := now.UnixMilli()
	for _, c := range s.checks {
		if c.UserID != userID {
			continue
		}
		st.Checks++
		st.IDSum += c.ID
		st.VersionSum += c.Version
		if c.Status == messages.StatusUp {
			due, deadline := c.NextDue.UnixMilli(), c.NextDeadline.UnixMilli()
			for _, passed := range []bool{!c.NextDue.IsZero() && due < ms, !c.NextDeadline.IsZero() && deadline < ms, !c.NextDeadline.IsZero() && deadline <= ms} {
				if passed {
					st.Passed++
				}
			}
		}
		for _, ch := range s.channels[c.ID] {
			st.Channels++
			if !ch.LastAt.IsZero() {
				st.DeliveryTimes += ch.LastAt.UnixMilli() % (1 << 32)
			}
			st.DeliveryTexts += int64(len(ch.LastStatus) + len(ch.LastMessage))
		}
	}
	return st, nil
}

func (s *apiStore) ListDeliveries(_ context.Context, userID, checkID int64, limit int) ([]messages.OutboxRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owns(userID, checkID) {
		return nil, nil
	}
	ds := slices.Clone(s.deliveries[checkID])
	slices.Reverse(ds)
	return ds[:min(limit, len(ds))], nil
}

// check returns a stored check (for assertions).
func (s *apiStore) check(id int64) (messages.Check, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.checks[id]
	return c, ok
}

// setCheck edits a stored check as an actor would (version + 1).
func (s *apiStore) setCheck(id int64, edit func(*messages.Check)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.checks[id]
	edit(&c)
	c.Version++
	s.checks[id] = c
}

// apiChecks is a fake http.Checks: it records every call and, unless a function field
// replaces a method, applies it to the store as the check's actor would.
type apiChecks struct {
	store *apiStore

	mu      sync.Mutex
	calls   []string
	created []int64 // Created hints, apart from calls: they change nothing

	PingFn       func(ctx context.Context, checkID int64, p *messages.Ping) (string, error)
	EditFn       func(ctx context.Context, checkID int64, e *messages.CheckEdit) error
	PauseFn      func(ctx context.Context, userID, checkID int64) error
	ResumeFn     func(ctx context.Context, userID, checkID int64) error
	DeleteFn     func(ctx context.Context, userID, checkID int64) error
	SetChannelFn func(ctx context.Context, userID, checkID int64, channel string, enabled bool, configEnc []byte, keepConfig bool) error
}

var _ ttrhttp.Checks = (*apiChecks)(nil)

func (c *apiChecks) record(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (c *apiChecks) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func (c *apiChecks) Ping(ctx context.Context, checkID int64, p *messages.Ping) (string, error) {
	c.record("ping %d", checkID)
	if c.PingFn != nil {
		return c.PingFn(ctx, checkID, p)
	}
	return "", messages.Errorf(messages.EInternal, "apiChecks: Ping not faked")
}

// apply runs edit on the user's check, ENotFound when it is not theirs.
func (c *apiChecks) apply(userID, checkID int64, edit func(*messages.Check) error) error {
	s := c.store
	s.mu.Lock()
	defer s.mu.Unlock()
	ck, ok := s.checks[checkID]
	if !ok || ck.UserID != userID {
		return messages.ErrNotFound
	}
	if err := edit(&ck); err != nil {
		return err
	}
	ck.Version++
	s.checks[checkID] = ck
	return nil
}

// Edit merges e into the stored configuration with checkconfig, as the check's actor does.
func (c *apiChecks) Edit(ctx context.Context, checkID int64, e *messages.CheckEdit) error {
	c.record("edit %d %d", e.GetUserId(), checkID)
	if c.EditFn != nil {
		return c.EditFn(ctx, checkID, e)
	}
	return c.apply(e.GetUserId(), checkID, func(ck *messages.Check) error {
		if err := checkconfig.MatchVersion(e.GetIfConfigVersions(), ck.ConfigVersion); err != nil {
			return err
		}
		cfg, err := checkconfig.Edit(ck.CheckConfig, e, ck.UUID, c.store.now())
		if err != nil {
			return err
		}
		if c.store.slugTakenLocked(ck.UserID, cfg.Slug, checkID) {
			return messages.Errorf(messages.EConflict, "slug taken")
		}
		ck.CheckConfig = cfg
		ck.ConfigVersion++
		return nil
	})
}

func (c *apiChecks) Pause(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	c.record("pause %d %d", userID, checkID)
	if c.PauseFn != nil {
		return c.PauseFn(ctx, userID, checkID)
	}
	return c.apply(userID, checkID, func(ck *messages.Check) error {
		if err := checkconfig.MatchVersion(ifMatch, ck.ConfigVersion); err != nil {
			return err
		}
		if ck.Status != messages.StatusPaused {
			ck.Status = messages.StatusPaused
			ck.NextDeadline, ck.NextDue = time.Time{}, time.Time{}
			ck.ConfigVersion++
		}
		return nil
	})
}

func (c *apiChecks) Resume(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	c.record("resume %d %d", userID, checkID)
	if c.ResumeFn != nil {
		return c.ResumeFn(ctx, userID, checkID)
	}
	return c.apply(userID, checkID, func(ck *messages.Check) error {
		if err := checkconfig.MatchVersion(ifMatch, ck.ConfigVersion); err != nil {
			return err
		}
		if ck.Status == messages.StatusPaused {
			ck.Status = messages.StatusNew
			ck.ConfigVersion++
		}
		return nil
	})
}

func (c *apiChecks) TogglePause(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	c.record("toggle_pause %d %d", userID, checkID)
	paused := false
	if ck, ok := c.store.check(checkID); ok {
		paused = ck.Status == messages.StatusPaused
	}
	if paused {
		return c.Resume(ctx, userID, checkID, ifMatch)
	}
	return c.Pause(ctx, userID, checkID, ifMatch)
}

func (c *apiChecks) Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	c.record("delete %d %d", userID, checkID)
	if c.DeleteFn != nil {
		return c.DeleteFn(ctx, userID, checkID)
	}
	s := c.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owns(userID, checkID) {
		return messages.ErrNotFound
	}
	if err := checkconfig.MatchVersion(ifMatch, s.checks[checkID].ConfigVersion); err != nil {
		return err
	}
	delete(s.checks, checkID)
	delete(s.channels, checkID)
	return nil
}

func (c *apiChecks) Created(checkID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.created = append(c.created, checkID)
}

func (c *apiChecks) Creations() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.created)
}

func (c *apiChecks) SetChannel(ctx context.Context, userID, checkID int64, channel messages.ChannelKind, enabled bool, configEnc []byte, keepConfig bool) error {
	c.record("set_channel %d %d %s enabled=%v config=%v keep=%v", userID, checkID, channel, enabled, configEnc != nil, keepConfig)
	if c.SetChannelFn != nil {
		return c.SetChannelFn(ctx, userID, checkID, string(channel), enabled, configEnc, keepConfig)
	}
	return c.apply(userID, checkID, func(ck *messages.Check) error {
		chans := c.store.channels[checkID]
		i := slices.IndexFunc(chans, func(ch messages.Channel) bool { return ch.Name == channel })
		if i < 0 {
			chans = append(chans, messages.Channel{CheckID: checkID, UserID: userID, Name: channel})
			i = len(chans) - 1
		}
		chans[i].Enabled = enabled
		if !keepConfig {
			chans[i].ConfigEnc = configEnc
		}
		c.store.channels[checkID] = chans
		return nil
	})
}

// apiEnv is an API server over the fakes, with a fixed clock.
type apiEnv struct {
	t      testing.TB
	h      http.Handler
	store  *apiStore
	checks *apiChecks
	ring   *keyring.Ring
	reg    *prometheus.Registry
	cfg    ttrhttp.Config
	// storeUser, when set, finds a user's id in a store other than the fake (realEnv).
	storeUser func(slug string) int64

	mu  sync.Mutex
	now time.Time
}

var apiEpoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// apiRing is a key ring for tests.
func apiRing(tb testing.TB) *keyring.Ring {
	tb.Helper()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	r, err := keyring.Parse("t1:"+key, strings.Repeat("s", 32))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func newAPIEnv(tb testing.TB, edit ...func(*ttrhttp.Config, *ttrhttp.Deps)) *apiEnv {
	tb.Helper()
	e := &apiEnv{t: tb, store: newAPIStore(), ring: apiRing(tb), reg: prometheus.NewRegistry(), now: apiEpoch}
	e.checks = &apiChecks{store: e.store}
	e.store.clock = e.clock
	cfg := ttrhttp.DefaultConfig()
	cfg.PublicURL = "https://ttr.example/"
	cfg.EmailEnabled = true // a server with SMTP settings, unless a test says otherwise
	deps := ttrhttp.Deps{
		Store:      e.store,
		Checks:     e.checks,
		Ring:       e.ring,
		Registerer: e.reg,
		Now:        e.clock,
	}
	for _, f := range edit {
		f(&cfg, &deps)
	}
	e.cfg = cfg
	e.h = ttrhttp.NewServer(cfg, deps).Handler()
	return e
}

func (e *apiEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *apiEnv) setNow(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

// do sends a request: body is nil, a string (sent as is) or anything else (sent as JSON).
func (e *apiEnv) do(method, path, key string, body any, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if key != "" {
		req.Header.Set("X-Auth-Key", key)
	}
	if rd != nil || path == "/api/v1/users" { // sign-up must declare JSON even without a body
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// apiUser is a user made through POST /api/v1/users.
type apiUser struct {
	Key     string `json:"auth_key"`
	Slug    string `json:"user_slug"`
	PingKey string `json:"ping_key"`
	ID      int64  `json:"-"`
}

func (e *apiEnv) newUser() apiUser {
	e.t.Helper()
	rec := e.do("POST", "/api/v1/users", "", nil)
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("POST /api/v1/users: %d %s", rec.Code, rec.Body)
	}
	var u apiUser
	apiJSON(e.t, rec, &u)
	if e.storeUser != nil {
		u.ID = e.storeUser(u.Slug)
		return u
	}
	su, err := e.store.UserBySlug(context.Background(), u.Slug)
	if err != nil {
		e.t.Fatal(err)
	}
	u.ID = su.ID
	return u
}

// create makes a check and returns its JSON.
func (e *apiEnv) create(u apiUser, body any) map[string]any {
	e.t.Helper()
	if body == nil {
		body = "{}"
	}
	rec := e.do("POST", "/api/v1/checks", u.Key, body)
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("POST /api/v1/checks: %d %s", rec.Code, rec.Body)
	}
	var m map[string]any
	apiJSON(e.t, rec, &m)
	return m
}

func apiJSON(tb testing.TB, rec *httptest.ResponseRecorder, v any) {
	tb.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type %q, body %s", ct, rec.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("decode %s: %v", rec.Body, err)
	}
}

// detail returns the {"detail"} of an error answer.
func apiDetail(tb testing.TB, rec *httptest.ResponseRecorder) string {
	tb.Helper()
	var d struct {
		Detail string `json:"detail"`
	}
	apiJSON(tb, rec, &d)
	return d.Detail
}

// idOf reads the id of a check's JSON.
func apiID(tb testing.TB, m map[string]any) int64 {
	tb.Helper()
	n, err := m["id"].(json.Number).Int64()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// UserChannels returns the channels of every check of the user.
func (s *apiStore) UserChannels(_ context.Context, userID int64) ([]messages.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []messages.Channel
	for id, chans := range s.channels {
		if s.checks[id].UserID == userID {
			out = append(out, chans...)
		}
	}
	return out, nil
}

// Destinations returns the user's destinations, oldest first.
func (s *apiStore) Destinations(_ context.Context, userID int64) ([]persistence.Destination, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []persistence.Destination
	for _, d := range s.dests {
		if d.UserID == userID {
			out = append(out, d)
		}
	}
	return out, nil
}

// CreateDestination appends d.
func (s *apiStore) CreateDestination(_ context.Context, d *persistence.Destination) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = int64(len(s.dests) + 1)
	s.dests = append(s.dests, *d)
	return nil
}
