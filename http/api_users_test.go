package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"regexp"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

func TestCreateUser(t *testing.T) {
	e := newAPIEnv(t)
	rec := e.do("POST", "/api/v1/users", "", nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var got map[string]string
	apiJSON(t, rec, &got)
	if len(got) != 3 {
		t.Errorf("answer %v", got)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`).MatchString(got["auth_key"]) {
		t.Errorf("auth_key %q", got["auth_key"])
	}
	if !regexp.MustCompile(`^[a-z0-9]{8}$`).MatchString(got["user_slug"]) {
		t.Errorf("user_slug %q", got["user_slug"])
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(got["ping_key"]) {
		t.Errorf("ping_key %q", got["ping_key"])
	}
	u, err := e.store.UserBySlug(context.Background(), got["user_slug"])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(got["auth_key"]))
	if !bytes.Equal(u.AuthKeyHash, sum[:]) {
		t.Error("the store does not hold the key's SHA-256")
	}
	pk, err := e.ring.Open(u.PingKeyEnc, keyring.PingKeyAD(u.PingKeyIndex))
	if err != nil || string(pk) != got["ping_key"] {
		t.Errorf("sealed ping key opens to %q, %v", pk, err)
	}
	if !bytes.Equal(u.PingKeyIndex, e.ring.Index("ping_key", []byte(got["ping_key"]))) {
		t.Error("ping key index")
	}
	if !u.SlugPings || !u.CreatedAt.Equal(apiEpoch) {
		t.Errorf("user %+v", u)
	}
	// No secret is stored in plaintext.
	for _, b := range [][]byte{u.AuthKeyHash, u.PingKeyEnc, u.PingKeyIndex} {
		if bytes.Contains(b, []byte(got["auth_key"])) || bytes.Contains(b, []byte(got["ping_key"])) {
			t.Error("a secret is stored in plaintext")
		}
	}
	// The key authenticates.
	if rec := e.do("GET", "/api/v1/checks", got["auth_key"], nil); rec.Code != 200 {
		t.Errorf("GET with the new key: %d", rec.Code)
	}
	// Two users differ in everything.
	rec2 := e.do("POST", "/api/v1/users", "", `{"ignored": true}`)
	var got2 map[string]string
	apiJSON(t, rec2, &got2)
	for k := range got {
		if got[k] == got2[k] {
			t.Errorf("two users share %s", k)
		}
	}
}

func TestCreateUserRetriesTakenSlug(t *testing.T) {
	for _, tt := range []struct {
		conflicts int
		status    int
	}{{0, 201}, {1, 201}, {4, 201}, {5, http.StatusConflict}} { // five taken draws in a row: reported
		e := newAPIEnv(t)
		var slugs []string
		e.store.CreateUserFn = func(_ context.Context, u *messages.User) error {
			slugs = append(slugs, u.Slug)
			if len(slugs) <= tt.conflicts {
				return messages.Errorf(messages.EConflict, "user slug taken")
			}
			return nil
		}
		rec := e.do("POST", "/api/v1/users", "", nil)
		if rec.Code != tt.status {
			t.Errorf("%d conflicts: %d %s", tt.conflicts, rec.Code, rec.Body)
		}
		if want := min(tt.conflicts+1, 5); len(slugs) != want {
			t.Errorf("%d conflicts: %d attempts, want %d", tt.conflicts, len(slugs), want)
		}
	}
}

func TestCreateUserStoreDown(t *testing.T) {
	e := newAPIEnv(t)
	e.store.CreateUserFn = func(context.Context, *messages.User) error {
		return &messages.Error{Code: messages.EUnavailable, Message: "store unavailable"}
	}
	rec := e.do("POST", "/api/v1/users", "", nil)
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
	if strings.Contains(rec.Body.String(), "auth_key") {
		t.Error("a key was answered though nothing was stored")
	}
}

func TestCreateUserWithoutRing(t *testing.T) {
	e := newAPIEnv(t, func(_ *ttrhttp.Config, d *ttrhttp.Deps) { d.Ring = nil })
	if rec := e.do("POST", "/api/v1/users", "", nil); rec.Code != 500 {
		t.Errorf("%d", rec.Code)
	}
}

func TestAuth(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	paths := []struct{ method, path string }{
		{"GET", "/api/v1/checks"},
		{"POST", "/api/v1/checks"},
		{"GET", "/api/v1/checks/" + apiItoa(id)},
		{"PUT", "/api/v1/checks/" + apiItoa(id)},
		{"PATCH", "/api/v1/checks/" + apiItoa(id)},
		{"DELETE", "/api/v1/checks/" + apiItoa(id)},
		{"POST", "/api/v1/checks/" + apiItoa(id) + "/pause"},
		{"POST", "/api/v1/checks/" + apiItoa(id) + "/resume"},
		{"GET", "/api/v1/checks/" + apiItoa(id) + "/pings"},
		{"GET", "/api/v1/checks/" + apiItoa(id) + "/pings/1/body"},
		{"GET", "/api/v1/checks/" + apiItoa(id) + "/flips"},
		{"GET", "/api/v1/checks/" + apiItoa(id) + "/deliveries"},
		{"PUT", "/api/v1/checks/" + apiItoa(id) + "/webhook"},
		{"GET", "/api/v1/checks/stats"},
		{"GET", "/api/v1/checks/tags"},
		{"GET", "/api/v1/checks/slug-check?slug=a"},
		{"POST", "/api/v1/schedule/preview"},
	}
	creds := []struct {
		name string
		hdr  []string
	}{
		{"none", nil},
		{"empty", []string{"X-Auth-Key", ""}},
		{"unknown", []string{"X-Auth-Key", strings.Repeat("x", 32)}},
		{"near miss", []string{"X-Auth-Key", u.Key[:31] + "!"}},
		{"too long", []string{"X-Auth-Key", strings.Repeat(u.Key, 20)}},
		{"bearer only", []string{"Authorization", "Bearer " + u.Key}},
		{"key as cookie", []string{"Cookie", "auth_key=" + u.Key}},
	}
	for _, p := range paths {
		for _, c := range creds {
			rec := e.do(p.method, p.path, "", `{}`, c.hdr...)
			if rec.Code != http.StatusUnauthorized || apiDetail(t, rec) != "missing or invalid X-Auth-Key" {
				t.Errorf("%s %s with %s: %d %s", p.method, p.path, c.name, rec.Code, rec.Body)
			}
		}
	}
	if len(e.checks.Calls()) != 0 {
		t.Errorf("unauthenticated calls reached the actor: %v", e.checks.Calls())
	}
	// A store outage during authentication is 503, not 401.
	e2 := newAPIEnv(t)
	e2.store.mu.Lock()
	e2.store.users = nil
	e2.store.mu.Unlock()
	down := &downStore{apiStore: e2.store}
	h := ttrhttp.NewServer(e2.cfg, ttrhttp.Deps{Store: down, Checks: e2.checks, Ring: e2.ring}).Handler()
	e2.h = h
	if rec := e2.do("GET", "/api/v1/checks", "k", nil); rec.Code != 503 {
		t.Errorf("store down: %d %s", rec.Code, rec.Body)
	}
}

// downStore fails user lookups as an unreachable store does.
type downStore struct{ *apiStore }

func (d *downStore) UserByAuthKeyHash(context.Context, []byte) (messages.User, error) {
	return messages.User{}, &messages.Error{Code: messages.EUnavailable, Message: "store unavailable"}
}

func TestAuthKeyNeverLogged(t *testing.T) {
	var logs syncBuffer
	e := newAPIEnv(t, func(_ *ttrhttp.Config, d *ttrhttp.Deps) {
		d.Logger = slogDebug(&logs)
	})
	u := e.newUser()
	e.do("GET", "/api/v1/checks", u.Key, nil)
	e.do("GET", "/api/v1/checks", u.Key+"x", nil)
	e.checks.PauseFn = func(context.Context, int64, int64) error { return errBoom }
	id := apiID(t, e.create(u, nil))
	e.do("POST", "/api/v1/checks/"+apiItoa(id)+"/pause", u.Key, nil)
	out := logs.String()
	if !strings.Contains(out, "http request") {
		t.Fatalf("no access log: %s", out)
	}
	if strings.Contains(out, u.Key) || strings.Contains(out, u.PingKey) {
		t.Errorf("a key was logged: %s", out)
	}
}
