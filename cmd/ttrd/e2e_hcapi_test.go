package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// healthchecks.io's Management API against the daemon: real store, real check actors. A
// destination configured through ttr's API is a channel the Terraform client can attach; its
// requests create (with unique), update, pause and delete; pings show; ttr's own /api/v1
// answers as before beside it.
func TestHealthchecksAPIAgainstTheDaemon(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	u := d.newUser()
	hc := func(method, path, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Api-Key", u.AuthKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
			}
		}
		return res.StatusCode
	}

	own := d.createCheck(u.AuthKey, map[string]any{"name": "own"})
	if code := d.api(u.AuthKey, "PUT", "/api/v1/checks/"+strconv.FormatInt(own.ID, 10)+"/webhook", map[string]any{"webhook_url": "https://hooks.example.com/x"}, nil); code != 200 {
		t.Fatalf("set webhook: %d", code)
	}
	var chans struct {
		Channels []struct{ ID, Name, Kind string } `json:"channels"`
	}
	if code := hc("GET", "/api/v1/channels/", "", &chans); code != 200 || len(chans.Channels) != 1 || chans.Channels[0].Kind != "webhook" {
		t.Fatalf("channels: %d %+v", code, chans)
	}
	id := chans.Channels[0].ID

	type check struct {
		UUID, Slug, Status, Channels, UpdateURL string
		NPings                                  int64   `json:"n_pings"`
		LastPing                                *string `json:"last_ping"`
		Timeout                                 *int64  `json:"timeout"`
		Schedule                                *string `json:"schedule"`
	}
	create := `{"channels":"` + id + `","grace":120,"methods":"","name":"TF Backup","tags":"prod db","timeout":300,"unique":["name"]}`
	var c, again check
	if code := hc("POST", "/api/v1/checks/", create, &c); code != 201 || c.Channels != id || c.Slug != "tf-backup" || *c.Timeout != 300 {
		t.Fatalf("create: %d %+v", code, c)
	}
	if code := hc("POST", "/api/v1/checks/", create, &again); code != 200 || again.UUID != c.UUID {
		t.Fatalf("create again: %d %+v", code, again)
	}
	var upd check
	if code := hc("POST", "/api/v1/checks/"+c.UUID, `{"channels":"","methods":"","name":"TF Backup","schedule":"0 5 * * *","tz":"UTC"}`, &upd); code != 200 ||
		upd.Channels != "" || upd.Schedule == nil || *upd.Schedule != "0 5 * * *" || upd.Timeout != nil {
		t.Fatalf("update: %d %+v", code, upd)
	}
	if code, _, _ := d.ping("GET", "/ping/"+c.UUID, ""); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	var got check
	if hc("GET", "/api/v3/checks/"+c.UUID, "", &got); got.Status != "up" || got.NPings != 1 || got.LastPing == nil {
		t.Errorf("after a ping: %+v", got)
	}
	var pings struct {
		Pings []struct{ Type string } `json:"pings"`
	}
	if hc("GET", "/api/v3/checks/"+c.UUID+"/pings/", "", &pings); len(pings.Pings) != 1 || pings.Pings[0].Type != "success" {
		t.Errorf("pings: %+v", pings)
	}
	var p check
	if code := hc("POST", "/api/v1/checks/"+c.UUID+"/pause", "", &p); code != 200 || p.Status != "paused" {
		t.Errorf("pause: %d %+v", code, p)
	}
	if code := hc("POST", "/api/v1/checks/"+c.UUID+"/resume", "", &p); code != 200 || p.Status != "up" {
		t.Errorf("resume: %d %+v", code, p)
	}
	if code := hc("POST", "/api/v1/checks/"+c.UUID+"/resume", "", nil); code != 409 {
		t.Errorf("resume of an active check: %d", code)
	}
	var del check
	if code := hc("DELETE", "/api/v1/checks/"+c.UUID, "", &del); code != 200 || del.UUID != c.UUID {
		t.Errorf("delete: %d %+v", code, del)
	}
	if code := hc("GET", "/api/v1/checks/"+c.UUID, "", nil); code != 404 {
		t.Errorf("get after delete: %d", code)
	}
	var list struct {
		Items []checkJSON `json:"items"`
	}
	if code := d.api(u.AuthKey, "GET", "/api/v1/checks", nil, &list); code != 200 || len(list.Items) != 1 || list.Items[0].ID != own.ID {
		t.Errorf("ttr's own list: %d %+v", code, list)
	}
}

// ttr's scoped API tokens are what healthchecks.io's clients send as their API key: a token
// holding every scope is a read-write key, any other token a read-only key (it sees
// unique_key, is refused writes, and opens the Prometheus endpoint); a revoked token is a
// wrong key.
func TestHealthchecksAPIKeysAreTTRTokens(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	u := d.newUser()
	owner := cred{key: u.AuthKey}
	rw := newToken(t, d.URL, owner, "terraform", []string{"read", "write", "delete", "channels"}, nil)
	ro := newToken(t, d.URL, owner, "grafana", []string{"read"}, nil)
	partial := newToken(t, d.URL, owner, "ci", []string{"read", "write"}, nil)
	hc := func(key, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
		req.Header.Set("X-Api-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, b := hc(rw.Token, "POST", "/api/v3/checks/", `{"name":"nightly","timeout":3600}`); code != 201 {
		t.Fatalf("read-write token creates: %d %s", code, b)
	}
	for _, k := range []struct{ name, key string }{{"read-only", ro.Token}, {"read+write", partial.Token}} {
		if code, b := hc(k.key, "POST", "/api/v3/checks/", `{"name":"x"}`); code != 401 || !strings.Contains(b, "wrong api key") {
			t.Errorf("%s token creates: %d %s, want 401 wrong api key", k.name, code, b)
		}
		code, b := hc(k.key, "GET", "/api/v3/checks/", "")
		if code != 200 || !strings.Contains(b, `"unique_key"`) || strings.Contains(b, `"ping_url"`) {
			t.Errorf("%s token lists: %d %s, want unique_key and no ping_url", k.name, code, b)
		}
	}
	if code, b := hc(ro.Token, "GET", "/projects/any/metrics/"+ro.Token, ""); code != 200 || !strings.Contains(b, "hc_check_up") {
		t.Errorf("metrics with a read-only token: %d %s", code, b)
	}
	if code, _ := call(t, d.URL, owner, "DELETE", "/api/v1/user/api-tokens/"+strconv.FormatInt(rw.ID, 10), nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, b := hc(rw.Token, "GET", "/api/v3/checks/", ""); code != 401 {
		t.Errorf("revoked token: %d %s, want 401", code, b)
	}
}
