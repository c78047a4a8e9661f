package http_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// No input makes the API answer 500 or anything but a JSON {"detail"} error: random bodies,
// wrong methods, odd paths and query strings, over every route.
func TestGarbageNever500(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiItoa(apiID(t, e.create(u, map[string]any{"slug": "mine"})))
	paths := []string{
		"/api/v1/users",
		"/api/v1/schedule/preview",
		"/api/v1/checks",
		"/api/v1/checks?size=abc&sort_by=%00&cursor=%ff%fe",
		"/api/v1/checks?tag=%2C%2C&size=100&sort_direction=desc",
		"/api/v1/checks/",
		"/api/v1/checks/stats",
		"/api/v1/checks/tags",
		"/api/v1/checks/slug-check?slug=%00&check_id=1e3",
		"/api/v1/checks/" + id,
		"/api/v1/checks/" + id + "/pause",
		"/api/v1/checks/" + id + "/resume",
		"/api/v1/checks/" + id + "/pings?limit=%20",
		"/api/v1/checks/" + id + "/pings/1/body",
		"/api/v1/checks/" + id + "/flips",
		"/api/v1/checks/" + id + "/deliveries",
		"/api/v1/checks/" + id + "/webhook",
		"/api/v1/checks/abc",
		"/api/v1/checks/-1",
		"/api/v1/checks/0",
		"/api/v1/checks/99999999999999999999",
		"/api/v1/checks/" + id + "/pings/-1/body",
		"/api/v1/checks/%2F",
		"/api/v1/checks/" + id + "/../stats",
		"/api/v1/nope",
		"/api/v0/checks", // /api/v2 and /api/v3 are healthchecks.io's (http/hcapi)
	}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO"}
	rng := rand.New(rand.NewPCG(1, 2))
	bodies := garbageBodies(rng)
	for _, p := range paths {
		for _, m := range methods {
			for i, body := range bodies {
				if m != "POST" && m != "PUT" && m != "PATCH" && i > 2 {
					continue // bodies matter where they are read
				}
				rec := e.do(m, p, u.Key, body)
				name := fmt.Sprintf("%s %s body#%d", m, p, i)
				if rec.Code >= 500 {
					t.Fatalf("%s: %d %s", name, rec.Code, rec.Body)
				}
				if rec.Code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
					t.Errorf("%s: 405 without Allow", name)
				}
				if rec.Code >= 400 && m != "HEAD" {
					var d struct {
						Detail string `json:"detail"`
					}
					if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || d.Detail == "" {
						t.Errorf("%s: %d not a JSON detail: %q", name, rec.Code, rec.Body)
					}
				}
			}
		}
	}
}

func TestWrongMethods(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	tests := []struct {
		method, path, allow string
	}{
		{"GET", "/api/v1/users", "OPTIONS, POST"},
		{"DELETE", "/api/v1/checks", "GET, OPTIONS, POST"},
		{"GET", "/api/v1/schedule/preview", "OPTIONS, POST"},
		{"POST", "/api/v1/checks/stats", "GET"},
		{"PUT", "/api/v1/checks/tags", "GET"},
		{"POST", "/api/v1/checks/1", "DELETE, GET, PATCH, PUT"},
		{"GET", "/api/v1/checks/1/pause", "POST"},
		{"DELETE", "/api/v1/checks/1/resume", "POST"},
		{"POST", "/api/v1/checks/1/pings", "GET"},
		{"PUT", "/api/v1/checks/1/pings/1/body", "GET"},
		{"POST", "/api/v1/checks/1/webhook", "PUT"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := e.do(tt.method, tt.path, u.Key, nil)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			allow := strings.Split(rec.Header().Get("Allow"), ", ")
			want := strings.Split(tt.allow, ", ")
			for _, m := range want {
				if !contains(allow, m) {
					t.Errorf("Allow %q lacks %s", rec.Header().Get("Allow"), m)
				}
			}
			if apiDetail(t, rec) != "method not allowed" {
				t.Errorf("detail %s", rec.Body)
			}
		})
	}
	// An unknown path is a JSON 404.
	rec := e.do("GET", "/api/v1/nope", u.Key, nil)
	if rec.Code != 404 || apiDetail(t, rec) != "not found" {
		t.Errorf("unknown path: %d %s", rec.Code, rec.Body)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func garbageBodies(rng *rand.Rand) []string {
	fields := []string{"slug", "name", "desc", "tags", "schedule_type", "schedule", "tz", "interval_seconds",
		"grace_seconds", "max_runtime_seconds", "manual_resume", "notify_after_failures", "notify_on_up",
		"realert_interval_seconds", "content_rule", "webhook_url", "webhook_enabled", "id", "channels", "x"}
	values := []string{`null`, `true`, `0`, `-1`, `1e400`, `1.5`, `9223372036854775808`, `""`, `"\u0000"`,
		`"x"`, `[]`, `{}`, `[null]`, `{"type": "present", "pattern": "("}`, `"` + strings.Repeat("☃", 300) + `"`,
		`"0 0 30 2 *"`, `"Mars/Olympus"`, `"https://example.com"`, `"\ud800"`, `{"type": {}}`}
	bodies := []string{
		``, `{}`, `null`, `{`, `}`, `[`, `"`, `0`, `[]`, `{"a":`, `{"name":"a",}`, `{"name":"a"}{"name":"b"}`,
		strings.Repeat("[", 10001), strings.Repeat(`{"a":`, 2000), "\xff\xfe\x00", `{"name":"\xff"}`,
		`{"name": "a", "name": 1}`, `{"tags": "` + strings.Repeat("a ", 5000) + `"}`,
	}
	for range 60 {
		var b strings.Builder
		b.WriteString("{")
		for j := range rng.IntN(5) {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q: %s", fields[rng.IntN(len(fields))], values[rng.IntN(len(values))])
		}
		b.WriteString("}")
		bodies = append(bodies, b.String())
	}
	for range 15 {
		raw := make([]byte, rng.IntN(64))
		for i := range raw {
			raw[i] = byte(rng.IntN(256))
		}
		bodies = append(bodies, string(raw))
	}
	return bodies
}
