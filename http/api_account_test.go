package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// storeDeleter deletes checks as their actor would: one write with the check's version.
type storeDeleter struct {
	store   persistence.Store
	deleted []int64
}

func (d *storeDeleter) Delete(ctx context.Context, userID, checkID int64, _ []int64) error {
	c, err := d.store.GetCheck(ctx, userID, checkID)
	if err != nil {
		return err
	}
	d.deleted = append(d.deleted, checkID)
	_, err = d.store.Commit(ctx, []persistence.Write{{CheckID: c.ID, ExpectVersion: c.Version, Delete: true}})
	return err
}

// accountEnv is the edge on the real embedded store.
type accountEnv struct {
	t       *testing.T
	store   *sqlite.Store
	deleter *storeDeleter
	h       http.Handler
}

type accountChecks struct {
	*apiChecks
	d *storeDeleter
}

func (c accountChecks) Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error {
	return c.d.Delete(ctx, userID, checkID, ifMatch)
}

func newAccountEnv(t *testing.T) *accountEnv {
	t.Helper()
	st := sqlitetest.Open(t)
	e := &accountEnv{t: t, store: st, deleter: &storeDeleter{store: st}}
	cfg := ttrhttp.DefaultConfig()
	cfg.PublicURL = "https://ttr.example"
	e.h = ttrhttp.NewServer(cfg, ttrhttp.Deps{Store: st, Credentials: st, Checks: accountChecks{d: e.deleter}, Ring: apiRing(t)}).Handler()
	return e
}

func (e *accountEnv) do(method, path, key, body string) (int, map[string]any) {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		r.Header.Set("X-Auth-Key", key)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: %d %q", method, path, rec.Code, rec.Body)
		}
	}
	if rec.Code != http.StatusNoContent && rec.Header().Get("Cache-Control") != "no-store" && rec.Code < 400 {
		e.t.Errorf("%s %s: Cache-Control %q, want no-store", method, path, rec.Header().Get("Cache-Control"))
	}
	return rec.Code, out
}

func (e *accountEnv) newUser() (key, slug string) {
	e.t.Helper()
	code, out := e.do("POST", "/api/v1/users", "", "{}")
	if code != 201 {
		e.t.Fatalf("create user: %d", code)
	}
	return out["auth_key"].(string), out["user_slug"].(string)
}

func TestAccountMe(t *testing.T) {
	e := newAccountEnv(t)
	key, slug := e.newUser()
	code, me := e.do("GET", "/api/v1/user/me", key, "")
	if code != 200 || me["user_slug"] != slug || me["slug_pings"] != true || me["theme"] != "retro" || me["mode"] != "system" || me["tz"] != "UTC" {
		t.Fatalf("%d %v", code, me)
	}
	if me["ping_url_base"] != "https://ttr.example/p/"+slug+"/" || !strings.HasPrefix(me["ping_key_url_base"].(string), "https://ttr.example/ping/"+me["ping_key"].(string)) {
		t.Errorf("URL bases %v", me)
	}
	if _, ok := me["auth_key"]; ok {
		t.Error("the access key is shown again")
	}
	if code, _ := e.do("GET", "/api/v1/user/me", "", ""); code != 401 {
		t.Errorf("without a key: %d", code)
	}
}

func TestAccountRotateKeys(t *testing.T) {
	e := newAccountEnv(t)
	key, _ := e.newUser()
	_, me := e.do("GET", "/api/v1/user/me", key, "")
	code, out := e.do("POST", "/api/v1/user/rotate-key", key, "")
	newKey, _ := out["auth_key"].(string)
	if code != 200 || len(newKey) != 32 || newKey == key || out["warning"] == "" {
		t.Fatalf("rotate: %d %v", code, out)
	}
	if code, _ := e.do("GET", "/api/v1/user/me", key, ""); code != 401 {
		t.Errorf("old key: %d, want 401", code)
	}
	if code, _ := e.do("GET", "/api/v1/user/me", newKey, ""); code != 200 {
		t.Errorf("new key: %d", code)
	}
	code, out = e.do("POST", "/api/v1/user/rotate-ping-key", newKey, "")
	if code != 200 || out["ping_key"] == me["ping_key"] || out["ping_key"] == "" {
		t.Fatalf("rotate ping key: %d %v", code, out)
	}
	if _, me2 := e.do("GET", "/api/v1/user/me", newKey, ""); me2["ping_key"] != out["ping_key"] {
		t.Errorf("me shows ping key %v, want %v", me2["ping_key"], out["ping_key"])
	}
}

func TestAccountSlug(t *testing.T) {
	e := newAccountEnv(t)
	key, slug := e.newUser()
	other, otherSlug := e.newUser()
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"too short", `{"slug":"ab"}`, 400},
		{"upper case", `{"slug":"Abcdef"}`, 400},
		{"missing", `{}`, 400},
		{"unknown field", `{"slug":"abcdef","x":1}`, 400},
		{"not JSON", `slug=abc`, 400},
		{"another user's", `{"slug":"` + otherSlug + `"}`, 409},
		{"fine", `{"slug":"my-new_slug"}`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do("POST", "/api/v1/user/slug", key, tc.body)
			if code != tc.want {
				t.Fatalf("%d %v, want %d", code, out, tc.want)
			}
			if code == 200 && (out["previous_user_slug"] != slug || !strings.Contains(out["warning"].(string), "/p/")) {
				t.Errorf("answer %v", out)
			}
		})
	}
	// The released slug is held: another user cannot take it, its last owner can.
	if code, _ := e.do("POST", "/api/v1/user/slug", other, `{"slug":"`+slug+`"}`); code != 409 {
		t.Errorf("another user takes the released slug: %d, want 409", code)
	}
	if code, _ := e.do("POST", "/api/v1/user/slug", key, `{"slug":"`+slug+`"}`); code != 200 {
		t.Errorf("the owner takes the slug back: %d", code)
	}
}

func TestAccountPatch(t *testing.T) {
	e := newAccountEnv(t)
	key, _ := e.newUser()
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"empty", `{}`, 400},
		{"unknown theme", `{"theme":"neon"}`, 400},
		{"unknown mode", `{"mode":"sepia"}`, 400},
		{"bad tz", `{"tz":"Mars/Olympus"}`, 400},
		{"Local is not a zone", `{"tz":"Local"}`, 400},
		{"wrong type", `{"slug_pings":"no"}`, 400},
		{"unknown field", `{"colour":"red"}`, 400},
		{"all", `{"slug_pings":false,"theme":"terminal","mode":"dark","tz":"Europe/Berlin"}`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, out := e.do("PATCH", "/api/v1/user", key, tc.body); code != tc.want {
				t.Fatalf("%d %v, want %d", code, out, tc.want)
			}
		})
	}
	_, me := e.do("GET", "/api/v1/user/me", key, "")
	if me["slug_pings"] != false || me["theme"] != "terminal" || me["mode"] != "dark" || me["tz"] != "Europe/Berlin" {
		t.Errorf("after PATCH: %v", me)
	}
	// A partial PATCH keeps the rest.
	e.do("PATCH", "/api/v1/user", key, `{"theme":"arcade"}`)
	if _, me = e.do("GET", "/api/v1/user/me", key, ""); me["theme"] != "arcade" || me["mode"] != "dark" {
		t.Errorf("after a partial PATCH: %v", me)
	}
}

func TestAccountDelete(t *testing.T) {
	e := newAccountEnv(t)
	key, slug := e.newUser()
	u, err := e.store.UserBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := storetest.NewCheck(t, e.store, u.ID), storetest.NewCheck(t, e.store, u.ID)
	if code, _ := e.do("DELETE", "/api/v1/user", key, `{"confirm":"nope"}`); code != 400 {
		t.Fatalf("wrong confirmation: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/v1/user", key, `{"confirm":"`+slug+`"}`); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if len(e.deleter.deleted) != 2 || e.deleter.deleted[0] != c1.ID || e.deleter.deleted[1] != c2.ID {
		t.Errorf("checks deleted through their actors: %v, want %d and %d", e.deleter.deleted, c1.ID, c2.ID)
	}
	if code, _ := e.do("GET", "/api/v1/user/me", key, ""); code != 401 {
		t.Errorf("deleted account's key: %d", code)
	}
	if _, err := e.store.UserBySlug(context.Background(), slug); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("user still there: %v", err)
	}
	other, _ := e.newUser()
	if code, _ := e.do("POST", "/api/v1/user/slug", other, `{"slug":"`+slug+`"}`); code != 409 {
		t.Errorf("the deleted account's slug is free at once: %d", code)
	}
}
