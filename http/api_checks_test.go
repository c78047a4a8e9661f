package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

func TestCreateCheckDefaults(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	rec := e.do("POST", "/api/v1/checks", u.Key, "{}")
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if cc, vary := rec.Header().Get("Cache-Control"), rec.Header().Get("Vary"); cc != "private, no-cache" || !strings.Contains(vary, "X-Auth-Key") {
		t.Errorf("Cache-Control %q, Vary %q", cc, vary)
	}
	var m map[string]any
	apiJSON(t, rec, &m)
	id := apiID(t, m)
	if loc := rec.Header().Get("Location"); loc != "/api/v1/checks/"+apiItoa(id) {
		t.Errorf("Location = %q", loc)
	}
	uuid := m["uuid"].(string)
	want := map[string]any{
		"slug": uuid, "name": "", "desc": "", "status": "new", "late": false, "started": false,
		"schedule_type": "interval", "schedule": "", "tz": "UTC",
		"interval_seconds": json.Number("86400"), "grace_seconds": json.Number("3600"),
		"max_runtime_seconds": json.Number("0"), "manual_resume": false,
		"notify_after_failures": json.Number("1"), "notify_on_up": true,
		"realert_interval_seconds": json.Number("0"), "content_rule": nil, "config_version": json.Number("1"),
		"badge_enabled": false, "badge_urls": nil,
		"last_ping": nil, "last_start": nil, "last_duration_seconds": nil, "next_deadline": nil,
		"n_pings": json.Number("0"), "failure_count": json.Number("0"),
		"created_at":  "2030-01-02T03:04:05.000Z",
		"ping_url":    "https://ttr.example/p/" + u.Slug + "/" + uuid,
		"hc_ping_url": "https://ttr.example/ping/" + uuid,
		"methods":     "", "filter_http_body": false, "start_kw": "", "success_kw": "", "failure_kw": "",
		"filter_default_fail": false, "filter_subject": false, "filter_body": false, "subject": "", "subject_fail": "",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if tags, ok := m["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("tags = %#v, want []", m["tags"])
	}
	wh := m["channels"].(map[string]any)["webhook"].(map[string]any)
	if wh["enabled"] != false || wh["configured"] != false || wh["last_notification_status"] != nil ||
		wh["last_notification_message"] != nil || wh["last_notification_timestamp"] != nil {
		t.Errorf("channels.webhook = %v", wh)
	}
	// Exactly the Check JSON's names.
	names := []string{"id", "uuid", "slug", "name", "desc", "tags", "created_at", "status", "late", "started",
		"schedule_type", "schedule", "tz", "interval_seconds", "grace_seconds", "max_runtime_seconds",
		"manual_resume", "notify_after_failures", "notify_on_up", "realert_interval_seconds", "content_rule",
		"last_ping", "last_start", "last_duration_seconds", "next_deadline", "n_pings", "failure_count",
		"last_reason", "ping_url", "hc_ping_url", "channels", "config_version", "badge_enabled", "badge_urls",
		"methods", "filter_http_body", "start_kw", "success_kw", "failure_kw", "filter_default_fail",
		"filter_subject", "filter_body", "subject", "subject_fail"}
	for k := range m {
		if !slices.Contains(names, k) {
			t.Errorf("unexpected field %q", k)
		}
	}
	if len(m) != len(names) {
		t.Errorf("%d fields, want %d", len(m), len(names))
	}
	c, ok := e.store.check(id)
	if !ok {
		t.Fatal("check not stored")
	}
	if c.UserID != u.ID || c.Status != messages.StatusNew || c.LastDuration != -1 || c.UUID != uuid ||
		!c.CreatedAt.Equal(apiEpoch) || !c.NextDeadline.IsZero() {
		t.Errorf("stored %+v", c)
	}
	if len(e.checks.Calls()) != 0 {
		t.Errorf("creation reached the actor: %v", e.checks.Calls())
	}
	// Only the hint that lets the owner count the new check.
	if got := e.checks.Creations(); !slices.Equal(got, []int64{id}) {
		t.Errorf("Created hints %v, want [%d]", got, id)
	}
}

func TestCreateCheckFull(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	m := e.create(u, map[string]any{
		"slug": "nightly-backup", "name": "Nightly backup", "desc": "db dump", "tags": "prod db prod",
		"schedule_type": "cron", "schedule": "0 3 * * *", "tz": "Europe/Berlin", "grace_seconds": 600,
		"max_runtime_seconds": 3600, "manual_resume": true, "notify_after_failures": 3, "notify_on_up": false,
		"realert_interval_seconds": 3600, "content_rule": map[string]any{"type": "absent", "pattern": "ERROR"},
	})
	c, _ := e.store.check(apiID(t, m))
	want := messages.CheckConfig{
		Slug: "nightly-backup", Name: "Nightly backup", Desc: "db dump", Tags: []string{"prod", "db"},
		ScheduleType: messages.ScheduleCron, Schedule: "0 3 * * *", TZ: "Europe/Berlin", IntervalSeconds: 86400,
		GraceSeconds: 600, MaxRuntimeSeconds: 3600, ManualResume: true, NotifyAfterFailures: 3,
		NotifyOnUp: false, RealertIntervalSeconds: 3600,
		ContentRule: &messages.ContentRule{Type: "absent", Pattern: "ERROR"},
	}
	if !configEqual(c.CheckConfig, want) {
		t.Errorf("stored config\n%+v\nwant\n%+v", c.CheckConfig, want)
	}
	if m["ping_url"] != "https://ttr.example/p/"+u.Slug+"/nightly-backup" {
		t.Errorf("ping_url = %v", m["ping_url"])
	}
	cr := m["content_rule"].(map[string]any)
	if cr["type"] != "absent" || cr["pattern"] != "ERROR" || cr["regex"] != false {
		t.Errorf("content_rule = %v", cr)
	}
}

func configEqual(a, b messages.CheckConfig) bool {
	return reflect.DeepEqual(a, b)
}

func TestCheckLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	m := e.create(u, map[string]any{"name": "a", "tags": []string{"x"}, "grace_seconds": 60})
	id := apiID(t, m)
	path := "/api/v1/checks/" + apiItoa(id)

	// GET
	rec := e.do("GET", path, u.Key, nil)
	if rec.Code != 200 {
		t.Fatalf("GET: %d %s", rec.Code, rec.Body)
	}

	// PATCH changes only what is given.
	rec = e.do("PATCH", path, u.Key, `{"name": "b", "content_rule": {"type": "present", "pattern": "ok", "regex": true}}`)
	if rec.Code != 200 {
		t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
	}
	var got map[string]any
	apiJSON(t, rec, &got)
	if got["name"] != "b" || got["grace_seconds"] != json.Number("60") || len(got["tags"].([]any)) != 1 {
		t.Errorf("after PATCH: %v", got)
	}
	c, _ := e.store.check(id)
	if c.Name != "b" || c.GraceSeconds != 60 || c.ContentRule == nil || !c.ContentRule.Regex {
		t.Errorf("stored after PATCH: %+v", c.CheckConfig)
	}

	// PATCH null restores a default.
	rec = e.do("PATCH", path, u.Key, `{"content_rule": null, "grace_seconds": null}`)
	if rec.Code != 200 {
		t.Fatalf("PATCH null: %d %s", rec.Code, rec.Body)
	}
	c, _ = e.store.check(id)
	if c.ContentRule != nil || c.GraceSeconds != 3600 || c.Name != "b" {
		t.Errorf("stored after PATCH null: %+v", c.CheckConfig)
	}

	// PUT changes only what is given too (the original's clients send partial PUTs).
	rec = e.do("PUT", path, u.Key, `{"name": "c", "slug": "c"}`)
	if rec.Code != 200 {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	c, _ = e.store.check(id)
	if c.Name != "c" || c.Slug != "c" || !slices.Equal(c.Tags, []string{"x"}) || c.GraceSeconds != 3600 {
		t.Errorf("stored after PUT: %+v", c.CheckConfig)
	}
	rec = e.do("PUT", path, u.Key, `{}`)
	c, _ = e.store.check(id)
	if rec.Code != 200 || c.Slug != "c" || c.Name != "c" {
		t.Errorf("PUT {}: %d, slug %q name %q", rec.Code, c.Slug, c.Name)
	}
	rec = e.do("PUT", path, u.Key, `{"slug": null, "name": null}`)
	c, _ = e.store.check(id)
	if rec.Code != 200 || c.Slug != c.UUID || c.Name != "" {
		t.Errorf("PUT nulls: %d, slug %q name %q", rec.Code, c.Slug, c.Name)
	}

	// pause / resume go through the actor and answer the re-read check.
	rec = e.do("POST", path+"/pause", u.Key, nil)
	apiJSON(t, rec, &got)
	if rec.Code != 200 || got["status"] != "paused" {
		t.Errorf("pause: %d %v", rec.Code, got["status"])
	}
	rec = e.do("POST", path+"/resume", u.Key, nil)
	apiJSON(t, rec, &got)
	if rec.Code != 200 || got["status"] != "new" {
		t.Errorf("resume: %d %v", rec.Code, got["status"])
	}

	// DELETE answers 204, then the check is gone.
	rec = e.do("DELETE", path, u.Key, nil)
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Errorf("DELETE: %d %q", rec.Code, rec.Body)
	}
	if rec := e.do("GET", path, u.Key, nil); rec.Code != 404 {
		t.Errorf("GET after DELETE: %d", rec.Code)
	}
	if rec := e.do("DELETE", path, u.Key, nil); rec.Code != 404 {
		t.Errorf("second DELETE: %d", rec.Code)
	}

	wantCalls := []string{
		"edit 1 1", "edit 1 1", "edit 1 1", "edit 1 1", "edit 1 1", "pause 1 1", "resume 1 1", "delete 1 1", "delete 1 1",
	}
	if got := e.checks.Calls(); !slices.Equal(got, wantCalls) {
		t.Errorf("actor calls %v, want %v", got, wantCalls)
	}
}

func TestCheckJSONDerived(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	t0 := apiEpoch
	e.store.setCheck(id, func(c *messages.Check) {
		c.Status = messages.StatusUp
		c.LastPing = t0
		c.NextDue = t0.Add(time.Hour)
		c.NextDeadline = t0.Add(2 * time.Hour)
		c.LastDuration = 1500 * time.Millisecond
		c.NPings = 4
		c.LastStart = t0.Add(time.Minute)
	})
	tests := []struct {
		now  time.Time
		late bool
	}{
		{t0.Add(30 * time.Minute), false},
		{t0.Add(time.Hour), false},
		{t0.Add(time.Hour + time.Second), true},
		{t0.Add(2 * time.Hour), true},
		{t0.Add(2*time.Hour + time.Millisecond), false},
	}
	for _, tt := range tests {
		e.setNow(tt.now)
		var m map[string]any
		apiJSON(t, e.do("GET", "/api/v1/checks/"+apiItoa(id), u.Key, nil), &m)
		if m["late"] != tt.late {
			t.Errorf("at %v late = %v, want %v", tt.now, m["late"], tt.late)
		}
		if m["started"] != true || m["last_duration_seconds"] != json.Number("1.5") ||
			m["last_ping"] != "2030-01-02T03:04:05.000Z" || m["next_deadline"] != "2030-01-02T05:04:05.000Z" ||
			m["n_pings"] != json.Number("4") {
			t.Errorf("derived fields: %v", m)
		}
	}
}

func TestCrossUserIsNotFound(t *testing.T) {
	e := newAPIEnv(t)
	a, b := e.newUser(), e.newUser()
	id := apiID(t, e.create(a, map[string]any{"name": "mine"}))
	e.store.pings[id] = []messages.PingRecord{{CheckID: id, N: 1, Body: []byte("secret")}}
	p := "/api/v1/checks/" + apiItoa(id)
	for _, rq := range []struct{ method, path, body string }{
		{"GET", p, ""},
		{"PUT", p, `{"name":"x"}`},
		{"PATCH", p, `{"name":"x"}`},
		{"DELETE", p, ""},
		{"POST", p + "/pause", ""},
		{"POST", p + "/resume", ""},
		{"GET", p + "/pings", ""},
		{"GET", p + "/pings/1/body", ""},
		{"GET", p + "/flips", ""},
		{"GET", p + "/deliveries", ""},
		{"PUT", p + "/webhook", `{"webhook_url":"https://example.com/hook"}`},
		{"PUT", p + "/webhook", `{"webhook_enabled":true}`},
		{"GET", "/api/v1/checks/slug-check?slug=abc&check_id=" + apiItoa(id), ""},
	} {
		var body any
		if rq.body != "" {
			body = rq.body
		}
		rec := e.do(rq.method, rq.path, b.Key, body)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s %s as another user: %d %s", rq.method, rq.path, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "mine") || strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("%s %s leaks: %s", rq.method, rq.path, rec.Body)
		}
	}
	c, ok := e.store.check(id)
	if !ok || c.Name != "mine" || c.Status != messages.StatusNew || len(e.store.channels[id]) != 0 {
		t.Errorf("the owner's check changed: %+v", c)
	}
	// B's list, stats and tags do not include it.
	var page struct{ Items []any }
	apiJSON(t, e.do("GET", "/api/v1/checks", b.Key, nil), &page)
	if len(page.Items) != 0 {
		t.Errorf("B lists %d checks", len(page.Items))
	}
}

func TestDuplicateSlugConflict(t *testing.T) {
	e := newAPIEnv(t)
	a, b := e.newUser(), e.newUser()
	e.create(a, map[string]any{"slug": "backup"})
	other := apiID(t, e.create(a, map[string]any{"slug": "other"}))
	rec := e.do("POST", "/api/v1/checks", a.Key, `{"slug":"backup"}`)
	if rec.Code != http.StatusConflict || !strings.Contains(apiDetail(t, rec), `"backup" is already used`) {
		t.Errorf("create duplicate: %d %s", rec.Code, rec.Body)
	}
	rec = e.do("PATCH", "/api/v1/checks/"+apiItoa(other), a.Key, `{"slug":"backup"}`)
	if rec.Code != http.StatusConflict {
		t.Errorf("rename to duplicate: %d %s", rec.Code, rec.Body)
	}
	// Another user may use the same slug.
	e.create(b, map[string]any{"slug": "backup"})
}

func TestActorErrors(t *testing.T) {
	var logs syncBuffer
	e := newAPIEnv(t, func(_ *ttrhttp.Config, d *ttrhttp.Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	p := "/api/v1/checks/" + apiItoa(id) + "/pause"
	tests := []struct {
		name       string
		err        error
		status     int
		detail     string
		retryAfter string
		logged     bool
	}{
		{"unavailable", &messages.Error{Code: messages.EUnavailable, Message: "store unavailable", RetryAfter: 3 * time.Second}, 503, "store unavailable", "3", false},
		{"invalid", messages.Errorf(messages.EInvalid, "schedule: bad"), 400, "schedule: bad", "", false},
		{"not found", messages.ErrNotFound, 404, "not found", "", false},
		{"stale", messages.Errorf(messages.EStale, "stale"), 503, "stale", "1", false},
		{"internal", errors.New("boom: secret detail"), 500, "internal error", "", true},
		{"internal coded", messages.Errorf(messages.EInternal, "boom: secret detail"), 500, "internal error", "", true},
		{"timeout", fmt.Errorf("ask actor: %w", context.DeadlineExceeded), 503, "request timed out", "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			e.checks.PauseFn = func(context.Context, int64, int64) error { return tt.err }
			rec := e.do("POST", p, u.Key, nil)
			if rec.Code != tt.status || apiDetail(t, rec) != tt.detail {
				t.Errorf("got %d %s, want %d %q", rec.Code, rec.Body, tt.status, tt.detail)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			out := logs.String()
			if n := strings.Count(out, "api request failed"); (n == 1) != tt.logged || n > 1 {
				t.Errorf("logged %d times: %s", n, out)
			}
			if tt.logged && (!strings.Contains(out, "boom: secret detail") || !strings.Contains(out, "request_id=")) {
				t.Errorf("log lacks the error or request id: %s", out)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (log handlers).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}

func apiItoa(n int64) string { return strconv.FormatInt(n, 10) }

var errBoom = errors.New("boom")

func slogDebug(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
