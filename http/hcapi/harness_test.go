package hcapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/http/hcapi"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// site is the public URL of the test server (healthchecks.io's SITE_ROOT).
const site = "https://ttr.example.com"

// actorChecks stands in for the check actors over the real store: it applies an edit with
// checkconfig (the merge the actor runs) and commits each change as a conditional write, the
// way the actor does.
type actorChecks struct {
	s   persistence.Store
	now func() time.Time
}

var _ hcapi.Checks = (*actorChecks)(nil)

func (a *actorChecks) write(ctx context.Context, userID, checkID int64, f func(c *messages.Check, w *persistence.Write) error) error {
	c, err := a.s.GetCheck(ctx, userID, checkID)
	if err != nil {
		return err
	}
	w := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState}
	if err := f(&c, &w); err != nil {
		return err
	}
	out, err := a.s.Commit(ctx, []persistence.Write{w})
	if err != nil {
		return err
	}
	switch out[0].Kind {
	case persistence.OutcomeCommitted:
		return nil
	case persistence.OutcomeConflict:
		return messages.Errorf(messages.EConflict, "slug taken")
	}
	return out[0].Err
}

func (a *actorChecks) Edit(ctx context.Context, checkID int64, e *messages.CheckEdit) error {
	return a.write(ctx, e.GetUserId(), checkID, func(c *messages.Check, w *persistence.Write) error {
		cfg, err := checkconfig.Edit(c.CheckConfig, e, c.UUID, a.now())
		if err != nil {
			return err
		}
		w.Config, w.ConfigVersion = &cfg, c.ConfigVersion+1
		return nil
	})
}

func (a *actorChecks) Pause(ctx context.Context, userID, checkID int64, _ []int64) error {
	return a.write(ctx, userID, checkID, func(c *messages.Check, w *persistence.Write) error {
		w.State.Status = messages.StatusPaused
		w.State.NextDue, w.State.NextDeadline, w.State.NextWakeAt, w.State.LastStart = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		w.Config, w.ConfigVersion = &c.CheckConfig, c.ConfigVersion+1
		return nil
	})
}

func (a *actorChecks) Resume(ctx context.Context, userID, checkID int64, _ []int64) error {
	return a.write(ctx, userID, checkID, func(c *messages.Check, w *persistence.Write) error {
		if c.Status == messages.StatusPaused {
			w.State.Status = messages.StatusNew
		}
		w.Config, w.ConfigVersion = &c.CheckConfig, c.ConfigVersion+1
		return nil
	})
}

func (a *actorChecks) Delete(ctx context.Context, userID, checkID int64, _ []int64) error {
	return a.write(ctx, userID, checkID, func(_ *messages.Check, w *persistence.Write) error {
		w.Delete = true
		return nil
	})
}

func (a *actorChecks) SetChannel(ctx context.Context, userID, checkID int64, channel messages.ChannelKind, enabled bool, configEnc []byte, keep bool) error {
	chans, err := a.s.Channels(ctx, userID, checkID)
	if err != nil && messages.CodeOf(err) != messages.ENotFound {
		return err
	}
	return a.write(ctx, userID, checkID, func(_ *messages.Check, w *persistence.Write) error {
		ch := messages.Channel{CheckID: checkID, UserID: userID, Name: channel, Enabled: enabled, ConfigEnc: configEnc}
		if keep {
			for _, old := range chans {
				if old.Name == channel {
					ch.ConfigEnc = old.ConfigEnc
				}
			}
		}
		w.Channel = &ch
		return nil
	})
}

// keys resolves the user's access key (read-write) and a read-only key, as a ttr_ro_ token
// will resolve.
type keys struct {
	access hcapi.AccessKeys
	ro     map[string]messages.User
}

func (k keys) ResolveAPIKey(ctx context.Context, key string, ip netip.Addr) (hcapi.Credential, error) {
	if u, ok := k.ro[key]; ok {
		return hcapi.Credential{User: u, ReadOnly: true, Via: "token"}, nil
	}
	return k.access.ResolveAPIKey(ctx, key, ip)
}

// env is a handler over a real SQLite store, with one user and its keys.
type env struct {
	t      *testing.T
	store  *sqlite.Store
	ring   *keyring.Ring
	user   messages.User
	rw, ro string // the user's access key, and a read-only key
	now    time.Time
	srv    *httptest.Server
	other  messages.User
	oKey   string
}

// ttrOwn is what the stand-in for ttr's own router answers.
const ttrOwn = "ttr's own API"

func newEnv(t *testing.T) *env {
	t.Helper()
	st := sqlitetest.Open(t)
	ring, err := keyring.Parse("t1:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), strings.Repeat("s", 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, ring: ring, rw: "rw-key-0123456789abcdefghijklmno", ro: "ttr_ro_readonly0123456789abcdefg",
		now: time.Date(2026, 3, 24, 14, 2, 3, 0, time.UTC), oKey: "other-key-0123456789abcdefghijkl"}
	e.user = e.newUser(e.rw, "alice")
	e.other = e.newUser(e.oKey, "bob")
	now := func() time.Time { return e.now }
	h := hcapi.New(hcapi.Config{PublicURL: site, BodyLimit: 64 << 10}, hcapi.Deps{
		Store: st, Checks: &actorChecks{s: st, now: now}, Ring: ring, Now: now,
		Resolver: keys{access: hcapi.AccessKeys{Store: st}, ro: map[string]messages.User{e.ro: e.user}},
	})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.Owns(r) {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body) // the body must reach ttr's router as it was sent
		w.Header().Set("X-Body", string(body))
		_, _ = io.WriteString(w, ttrOwn)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) newUser(key, slug string) messages.User {
	u := messages.User{Slug: slug, AuthKeyHash: keyring.Hash([]byte(key)), SlugPings: true, CreatedAt: e.now}
	if err := e.store.CreateUser(context.Background(), &u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// do sends a request; headers alternate name, value.
func (e *env) do(method, path, body string, headers ...string) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// json sends a request and decodes a JSON object answer (failing on another status).
func (e *env) json(want int, method, path, body string, headers ...string) map[string]any {
	e.t.Helper()
	code, _, b := e.do(method, path, body, headers...)
	if code != want {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, code, b, want)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
	}
	return m
}

// setChannel configures a channel of a check as ttr's REST API does (sealed settings).
func (e *env) setChannel(checkID int64, kind messages.ChannelKind, cfg messages.ChannelConfig, enabled bool) {
	e.t.Helper()
	plain, _ := json.Marshal(cfg)
	enc, err := e.ring.Seal(plain, keyring.ChannelAD(e.user.ID, checkID, string(kind)))
	if err != nil {
		e.t.Fatal(err)
	}
	a := &actorChecks{s: e.store, now: func() time.Time { return e.now }}
	if err := a.SetChannel(context.Background(), e.user.ID, checkID, kind, enabled, enc, false); err != nil {
		e.t.Fatal(err)
	}
}

// checkID returns the store id of the user's check with uuid.
func (e *env) checkID(uuid string) int64 {
	e.t.Helper()
	ref, err := e.store.ResolveUUID(context.Background(), uuid)
	if err != nil {
		e.t.Fatal(err)
	}
	return ref.ID
}

// diffMaps fails on every key whose value differs, is missing or is extra.
func diffMaps(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: field %q missing (want %v)", what, k, w)
			continue
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s: %s = %s, want %s", what, k, gj, wj)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected field %q = %v", what, k, g)
		}
	}
}
