package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/postgres"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// bothStores opens each store in turn: SQLite takes any text, PostgreSQL refuses a NUL, so
// input checks that only SQLite was tried against can hide a 500.
var bothStores = []struct {
	name string
	open func(t *testing.T) persistence.Store
}{
	{"sqlite", openSQLite},
	{"postgres", func(t *testing.T) persistence.Store {
		st, err := postgres.Open(context.Background(), storetest.PostgresSchema(t, storetest.PostgresURL(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

// TestUnstorableInputRefused: a NUL (or another control character) in an admin's username or
// a token's name, and a token expiry past the year 9999, are answered as bad input on both
// stores — never a 500, and never a token made whose answer (and the token list after it)
// JSON cannot carry.
func TestUnstorableInputRefused(t *testing.T) {
	for _, store := range bothStores {
		t.Run(store.name, func(t *testing.T) {
			e := newAdminEnvOn(t, store.open(t), nil)
			unknown := apiDetail(t, e.signInAs("nobody", "wrong password 1", ""))
			for _, name := range []string{"ro\x00ot", "root\n", "ro ot", "röot"} {
				rec := e.signInAs(name, adminPassword, "")
				if rec.Code != 401 || apiDetail(t, rec) != unknown {
					t.Errorf("sign-in as %q: %d %s; want 401 as for an unknown admin", name, rec.Code, rec.Body)
				}
			}

			u := e.newUser()
			const tokens = "/api/v1/user/api-tokens"
			far := "9999-12-31T23:59:59-23:59" // the year 10000 in UTC
			for _, tc := range []struct {
				what string
				body map[string]any
			}{
				{"a NUL in the name", map[string]any{"name": "ci\x00", "scopes": []string{"read"}}},
				{"a line break in the name", map[string]any{"name": "ci\nreader", "scopes": []string{"read"}}},
				{"an expiry in the year 10000", map[string]any{"name": "ci", "scopes": []string{"read"}, "expires_at": far}},
			} {
				if rec := e.do("POST", tokens, u.Key, tc.body); rec.Code != 400 {
					t.Errorf("create with %s: %d %s, want 400", tc.what, rec.Code, rec.Body)
				}
			}
			rec := e.do("POST", tokens, u.Key, map[string]any{"name": "ci", "scopes": []string{"read"}, "expires_at": "9999-12-31T23:59:59Z"})
			if rec.Code != 201 {
				t.Fatalf("create with the last expiry there is: %d %s", rec.Code, rec.Body)
			}
			var made struct{ ID int64 }
			apiJSON(t, rec, &made)
			one := fmt.Sprintf("%s/%d", tokens, made.ID)
			for what, body := range map[string]map[string]any{
				"a NUL in the name":           {"name": "\x00"},
				"an expiry in the year 10000": {"expires_at": far},
			} {
				if rec := e.do("PATCH", one, u.Key, body); rec.Code != 400 {
					t.Errorf("change to %s: %d %s, want 400", what, rec.Code, rec.Body)
				}
			}
			rec = e.do("GET", tokens, u.Key, nil)
			var list struct {
				Items []struct {
					Name      string `json:"name"`
					ExpiresAt string `json:"expires_at"`
				} `json:"items"`
			}
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Items) != 1 || list.Items[0].ExpiresAt != "9999-12-31T23:59:59Z" {
				t.Errorf("the token list: %d %q; want the one token", rec.Code, rec.Body)
			}
		})
	}
}
