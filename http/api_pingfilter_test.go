package http_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestPingFilterOptionsRoundTrip: the healthchecks.io check options a user sets through the
// API are stored and returned as set (the email ones too, which ttr does not use), survive
// a GET sent back with PUT and an edit of another field, reset with null, and are validated.
func TestPingFilterOptionsRoundTrip(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	opts := map[string]any{
		"methods": "POST", "filter_http_body": true, "start_kw": "begin", "success_kw": "done, ok",
		"failure_kw": "ERROR,FATAL", "filter_default_fail": true, "filter_subject": true,
		"filter_body": true, "subject": "[ok]", "subject_fail": "[failed]",
	}
	body := map[string]any{"slug": "filtered"}
	for k, v := range opts {
		body[k] = v
	}
	m := e.create(u, body)
	id := apiID(t, m)
	same := func(step string, got map[string]any, want map[string]any) {
		t.Helper()
		for k, v := range want {
			if fmt.Sprint(got[k]) != fmt.Sprint(v) {
				t.Errorf("%s: %s = %v, want %v", step, k, got[k], v)
			}
		}
	}
	same("create", m, opts)
	got, _ := e.get(u, id)
	same("GET", got, opts)

	// A GET sent back as it is changes nothing; an edit of another field keeps them.
	if rec := e.do("PUT", "/api/v1/checks/"+apiItoa(id), u.Key, got); rec.Code != 200 {
		t.Fatalf("PUT of a GET: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, map[string]any{"name": "renamed"}); rec.Code != 200 {
		t.Fatalf("PATCH name: %d %s", rec.Code, rec.Body)
	}
	got, _ = e.get(u, id)
	same("after PUT and PATCH", got, opts)

	// One option alone; then null resets each to its default.
	if rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, map[string]any{"success_kw": "fine"}); rec.Code != 200 {
		t.Fatalf("PATCH success_kw: %d %s", rec.Code, rec.Body)
	}
	got, _ = e.get(u, id)
	same("one option", got, map[string]any{"success_kw": "fine", "failure_kw": "ERROR,FATAL", "methods": "POST"})
	nulls := map[string]any{}
	defaults := map[string]any{}
	for k, v := range opts {
		nulls[k] = nil
		switch v.(type) {
		case bool:
			defaults[k] = false
		default:
			defaults[k] = ""
		}
	}
	if rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, nulls); rec.Code != 200 {
		t.Fatalf("PATCH nulls: %d %s", rec.Code, rec.Body)
	}
	got, _ = e.get(u, id)
	same("reset", got, defaults)

	for _, tt := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"methods": "GET"}, `methods must be "" (any method) or "POST"`},
		{map[string]any{"methods": 1}, "methods must be a string"},
		{map[string]any{"filter_http_body": "yes"}, "filter_http_body must be true or false"},
		{map[string]any{"start_kw": strings.Repeat("k", 201)}, "start_kw must be at most 200 characters"},
	} {
		rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, tt.body)
		if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), tt.want) {
			t.Errorf("PATCH %v: %d %s, want 400 %q", tt.body, rec.Code, rec.Body, tt.want)
		}
	}
}
