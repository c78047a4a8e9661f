package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// realEnv is the edge over the real parts: the SQLite store on a temporary directory, a
// write batcher, a one-node actor system with the check host, and the router — what ttrd
// wires, without the process. Edits and pings reach real check actors.
type realEnv struct {
	*apiEnv
	router *cluster.Router
	st     persistence.Store
}

// routeFunc lets a test stand in for an owner: it may answer a request itself.
type routeFunc func(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error)

// Send drops one-way hints (a new check's Created): these tests count nothing.
func (routeFunc) Send(string, string, uint32, proto.Message) error { return nil }

func newRealEnv(t *testing.T, intercept func(next routeFunc) routeFunc, edit ...func(*ttrhttp.Config, *ttrhttp.Deps)) *realEnv {
	t.Helper()
	return newRealEnvOn(t, openSQLite(t), intercept, edit...)
}

// openSQLite opens the SQLite store on a temporary directory.
func openSQLite(t *testing.T) persistence.Store {
	t.Helper()
	st := sqlitetest.Open(t)
	return st
}

// newRealEnvOn is newRealEnv over the store st.
func newRealEnvOn(t *testing.T, st persistence.Store, intercept func(next routeFunc) routeFunc, edit ...func(*ttrhttp.Config, *ttrhttp.Deps)) *realEnv {
	t.Helper()
	b, err := batcher.New(batcher.Config{}, batcher.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	cl := clustertest.Start(t, 1, clustertest.Options{})
	ring := apiRing(t)
	deps := check.Deps{Store: st, Batcher: b, Wheel: noWheel{}, Ring: ring, Poker: noPoker{}, Passivate: cluster.RequestPassivation}
	if _, err := cluster.SpawnHost(cl.Nodes[0], messages.KindCheck, cl.Memberships[0], check.NewProducer(deps), cluster.HostOptions{}); err != nil {
		t.Fatal(err)
	}
	router := cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{})
	var route routeFunc = router.Request
	if intercept != nil {
		route = intercept(route)
	}
	cfg := ttrhttp.DefaultConfig()
	cfg.PublicURL = "https://ttr.example/"
	cfg.EmailEnabled = true
	e := &apiEnv{t: t, ring: ring, now: time.Now()}
	d := ttrhttp.Deps{Store: st, Checks: check.NewClient(route), Ring: ring}
	for _, f := range edit {
		f(&cfg, &d)
	}
	e.cfg = cfg
	e.h = ttrhttp.NewServer(cfg, d).Handler()
	e.storeUser = func(slug string) int64 {
		u, err := st.UserBySlug(context.Background(), slug)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	return &realEnv{apiEnv: e, router: router, st: st}
}

// Request lets a routeFunc serve as the check client's router.
func (f routeFunc) Request(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error) {
	return f(ctx, identity, typ, version, body, requestID)
}

type noWheel struct{}

func (noWheel) Set(int64, time.Time) {}
func (noWheel) Remove(int64)         {}

type noPoker struct{}

func (noPoker) PokeRows(string, int) {}

// get reads a check's JSON and its ETag.
func (e *realEnv) get(u apiUser, id int64) (map[string]any, string) {
	e.t.Helper()
	rec := e.do("GET", "/api/v1/checks/"+apiItoa(id), u.Key, nil)
	if rec.Code != 200 {
		e.t.Fatalf("GET: %d %s", rec.Code, rec.Body)
	}
	var m map[string]any
	apiJSON(e.t, rec, &m)
	return m, rec.Header().Get("ETag")
}

// ping sends a ping through the edge's ping routes.
func (e *realEnv) ping(path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// originalCheck is a check configured as in the original's documentation, with the fields
// its partial PUT leaves out away from their defaults.
func (e *realEnv) originalCheck(u apiUser) int64 {
	e.t.Helper()
	m := e.create(u, map[string]any{
		"name": "My Job", "slug": "my-job", "tags": "prod nightly", "schedule_type": "interval",
		"interval_seconds": 60, "grace_seconds": 30, "notify_after_failures": 3,
		"content_rule": map[string]any{"type": "absent", "pattern": "ERROR"},
	})
	return apiID(e.t, m)
}

func TestPartialPutKeepsWhatItOmits(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	id := e.originalCheck(u)
	pingURL := "/p/" + u.Slug + "/my-job"
	if rec := e.ping(pingURL, "all good"); rec.Code != 200 {
		t.Fatalf("ping before the PUT: %d %s", rec.Code, rec.Body)
	}

	// The original's own example of an update.
	rec := e.do("PUT", "/api/v1/checks/"+apiItoa(id), u.Key,
		`{"name":"My Job (renamed)","schedule_type":"interval","interval_seconds":120,"grace_seconds":30}`)
	if rec.Code != 200 {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	m, _ := e.get(u, id)
	want := map[string]any{
		"name": "My Job (renamed)", "slug": "my-job", "interval_seconds": json.Number("120"),
		"grace_seconds": json.Number("30"), "notify_after_failures": json.Number("3"),
		"ping_url": "https://ttr.example/p/" + u.Slug + "/my-job",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v after the PUT, want %v", k, m[k], v)
		}
	}
	if fmt.Sprint(m["tags"]) != "[prod nightly]" {
		t.Errorf("tags = %v after the PUT, want [prod nightly]", m["tags"])
	}
	if r, _ := m["content_rule"].(map[string]any); r == nil || r["type"] != "absent" || r["pattern"] != "ERROR" {
		t.Errorf("content_rule = %v after the PUT, want the absent ERROR rule", m["content_rule"])
	}
	if rec := e.ping(pingURL, "still good"); rec.Code != 200 {
		t.Errorf("ping by slug after the PUT: %d %s", rec.Code, rec.Body)
	}
}

func TestConcurrentPatchesOfDifferentFieldsBothSurvive(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	id := e.originalCheck(u)
	path := "/api/v1/checks/" + apiItoa(id)
	for i := range 10 {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for j, body := range []string{
			fmt.Sprintf(`{"name": "name %d"}`, i),
			fmt.Sprintf(`{"grace_seconds": %d}`, 100+i),
		} {
			wg.Go(func() { codes[j] = e.do("PATCH", path, u.Key, body).Code })
		}
		wg.Wait()
		if codes[0] != 200 || codes[1] != 200 {
			t.Fatalf("round %d: PATCH answers %v", i, codes)
		}
		m, _ := e.get(u, id)
		if m["name"] != fmt.Sprintf("name %d", i) || m["grace_seconds"] != json.Number(fmt.Sprint(100+i)) {
			t.Fatalf("round %d: name %v, grace %v: an edit was lost", i, m["name"], m["grace_seconds"])
		}
	}
}

func TestIfMatch(t *testing.T) {
	e := newRealEnv(t, nil)
	u := e.newUser()
	id := e.originalCheck(u)
	path := "/api/v1/checks/" + apiItoa(id)

	m, etag := e.get(u, id)
	if etag != `"1"` || m["config_version"] != json.Number("1") {
		t.Fatalf("new check: ETag %s, config_version %v; want \"1\"", etag, m["config_version"])
	}
	// A ping between the GET and the PATCH changes the body, not the ETag.
	if rec := e.ping("/p/"+u.Slug+"/my-job", "ok"); rec.Code != 200 {
		t.Fatalf("ping: %d", rec.Code)
	}
	if m2, etag2 := e.get(u, id); etag2 != etag || m2["n_pings"] != json.Number("1") {
		t.Fatalf("after a ping: ETag %s (was %s), n_pings %v", etag2, etag, m2["n_pings"])
	}
	// The route never answers 304, even to If-None-Match with the current ETag.
	if rec := e.do("GET", path, u.Key, nil, "If-None-Match", etag); rec.Code != 200 {
		t.Errorf("GET with If-None-Match: %d, want 200", rec.Code)
	}

	rec := e.do("PATCH", path, u.Key, `{"name": "first"}`, "If-Match", etag)
	if rec.Code != 200 || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("PATCH with the current ETag: %d, ETag %s; want 200 and \"2\"", rec.Code, rec.Header().Get("ETag"))
	}
	stale := etag
	tests := []struct {
		method, path, body string
	}{
		{"PATCH", path, `{"name": "lost update"}`},
		{"PUT", path, `{"name": "lost update"}`},
		{"POST", path + "/pause", ""},
		{"POST", path + "/resume", ""},
		{"POST", path + "/toggle-pause", ""},
		{"DELETE", path, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path[len(path):]+" stale", func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			rec := e.do(tt.method, tt.path, u.Key, body, "If-Match", stale)
			if rec.Code != http.StatusPreconditionFailed {
				t.Fatalf("%d %s, want 412", rec.Code, rec.Body)
			}
			if d := apiDetail(t, rec); !strings.Contains(d, `now "2"`) {
				t.Errorf("detail %q does not give the current ETag", d)
			}
		})
	}
	for _, h := range []string{`W/"2"`, `"two"`} {
		if rec := e.do("PATCH", path, u.Key, `{"name": "x"}`, "If-Match", h); rec.Code != http.StatusPreconditionFailed {
			t.Errorf("If-Match %s: %d, want 412 (strong comparison)", h, rec.Code)
		}
	}
	if rec := e.do("PATCH", path, u.Key, `{"name": "x"}`, "If-Match", "2"); rec.Code != 400 {
		t.Errorf("If-Match without quotes: %d, want 400", rec.Code)
	}
	if m, _ := e.get(u, id); m["name"] != "first" || m["status"] == "paused" {
		t.Fatalf("a refused request changed the check: name %v, status %v", m["name"], m["status"])
	}
	// Pause and resume count as changes; a list and "*" match.
	rec = e.do("POST", path+"/pause", u.Key, nil, "If-Match", `"9", "2"`)
	if rec.Code != 200 || rec.Header().Get("ETag") != `"3"` {
		t.Fatalf("pause with a matching list: %d, ETag %s", rec.Code, rec.Header().Get("ETag"))
	}
	rec = e.do("POST", path+"/resume", u.Key, nil, "If-Match", "*")
	if rec.Code != 200 || rec.Header().Get("ETag") != `"4"` {
		t.Fatalf("resume with *: %d, ETag %s", rec.Code, rec.Header().Get("ETag"))
	}
	if rec := e.do("DELETE", path, u.Key, nil, "If-Match", `"4"`); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE with the current ETag: %d %s", rec.Code, rec.Body)
	}
}

func TestTogglePauseAndContent(t *testing.T) {
	e := newRealEnv(t, nil)
	u, other := e.newUser(), e.newUser()
	id := e.originalCheck(u)
	path := "/api/v1/checks/" + apiItoa(id)

	var c map[string]any
	rec := e.do("GET", path+"/content", u.Key, nil)
	apiJSON(t, rec, &c)
	if rec.Code != 200 || c["content"] != nil || c["at"] != nil || c["kind"] != nil {
		t.Fatalf("content before any ping: %d %v", rec.Code, c)
	}
	if rec := e.ping("/p/"+u.Slug+"/my-job", "line 1\nline 2"); rec.Code != 200 {
		t.Fatalf("ping: %d", rec.Code)
	}
	rec = e.do("GET", path+"/content", u.Key, nil)
	apiJSON(t, rec, &c)
	if c["content"] != "line 1\nline 2" || c["kind"] != "success" || c["encoding"] != "text" || c["at"] == nil || c["n"] != json.Number("1") {
		t.Errorf("content after a ping: %v", c)
	}
	// A ping that breaks the content rule is logged as a failure with the rule as its reason.
	if rec := e.ping("/p/"+u.Slug+"/my-job", "ERROR: disk full"); rec.Code != 200 {
		t.Fatalf("ping: %d", rec.Code)
	}
	rec = e.do("GET", path+"/content", u.Key, nil)
	apiJSON(t, rec, &c)
	if c["kind"] != "fail" || c["reason"] == nil || !strings.Contains(c["reason"].(string), "ERROR") {
		t.Errorf("content after a content-rule failure: %v", c)
	}
	var pings struct {
		Pings []map[string]any `json:"pings"`
	}
	apiJSON(t, e.do("GET", path+"/pings", u.Key, nil), &pings)
	if len(pings.Pings) != 2 || pings.Pings[0]["kind"] != "fail" || pings.Pings[0]["reason"] == nil {
		t.Errorf("ping log: %v, want the newest as kind fail with a reason", pings.Pings)
	}
	// Binary bodies come back in base64.
	if rec := e.ping("/p/"+u.Slug+"/my-job/log", "\xff\x00ok"); rec.Code != 200 {
		t.Fatalf("ping: %d", rec.Code)
	}
	apiJSON(t, e.do("GET", path+"/content", u.Key, nil), &c)
	if c["encoding"] != "base64" || c["content"] != "/wBvaw==" || c["kind"] != "log" {
		t.Errorf("binary content: %v", c)
	}

	for i, want := range []string{"paused", "up", "paused"} {
		rec := e.do("POST", path+"/toggle-pause", u.Key, nil)
		var m map[string]any
		apiJSON(t, rec, &m)
		if rec.Code != 200 || m["status"] != want {
			t.Fatalf("toggle %d: %d, status %v; want %s", i+1, rec.Code, m["status"], want)
		}
	}

	// Another user's check is not found, whatever the route.
	for _, rq := range []struct{ method, path string }{
		{"POST", path + "/toggle-pause"},
		{"GET", path + "/content"},
		{"PATCH", path},
		{"POST", path + "/pause"},
	} {
		var body any
		if rq.method == "PATCH" {
			body = `{"name": "mine now"}`
		}
		if rec := e.do(rq.method, rq.path, other.Key, body); rec.Code != 404 {
			t.Errorf("%s %s as another user: %d %s, want 404", rq.method, rq.path, rec.Code, rec.Body)
		}
	}
	if m, _ := e.get(u, id); m["status"] != "paused" || m["name"] != "My Job" {
		t.Errorf("another user's requests changed the check: %v %v", m["status"], m["name"])
	}
}

// TestEditRefusedByAnOlderOwner: during a rolling upgrade the owner of a check may still run
// the release before edits were messages of their own. That release answers a type it does
// not know as below; the edge must answer 503 with Retry-After, and nothing may be applied
// (in particular not as a replace of the whole configuration).
func TestEditRefusedByAnOlderOwner(t *testing.T) {
	previousRelease := func(next routeFunc) routeFunc {
		return func(ctx context.Context, identity, typ string, version uint32, body proto.Message, requestID string) (*messages.Reply, error) {
			switch typ {
			case messages.TypePing, messages.TypePause, messages.TypeResume, messages.TypeDelete,
				messages.TypeUpdate, messages.TypeSetChannel, messages.TypeTick, messages.TypeReload:
				return next(ctx, identity, typ, version, body, requestID)
			}
			// The check actor of the previous release: invalid("unknown message type " + quoted type).
			return &messages.Reply{Code: messages.Code_CODE_INVALID, Detail: fmt.Sprintf("unknown message type %q", typ)}, nil
		}
	}
	e := newRealEnv(t, previousRelease)
	u := e.newUser()
	id := e.originalCheck(u)
	path := "/api/v1/checks/" + apiItoa(id)
	for _, rq := range []struct{ method, path, body, ifMatch string }{
		{"PUT", path, `{"name": "My Job (renamed)"}`, ""},
		{"PATCH", path, `{"name": "My Job (renamed)"}`, ""},
		{"PATCH", path, `{"name": "My Job (renamed)"}`, `"1"`},
		{"POST", path + "/toggle-pause", "", ""},
		{"POST", path + "/pause", "", `"1"`}, // a precondition must not be dropped
		{"DELETE", path, "", `"1"`},
	} {
		var body any
		if rq.body != "" {
			body = rq.body
		}
		var hdr []string
		if rq.ifMatch != "" {
			hdr = []string{"If-Match", rq.ifMatch}
		}
		rec := e.do(rq.method, rq.path, u.Key, body, hdr...)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" {
			t.Errorf("%s %s (If-Match %s): %d (Retry-After %q) %s, want 503 with Retry-After 5",
				rq.method, rq.path, rq.ifMatch, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	m, etag := e.get(u, id)
	if m["name"] != "My Job" || m["slug"] != "my-job" || m["status"] != "new" || etag != `"1"` {
		t.Errorf("a refused request was applied: %v %v %v %s", m["name"], m["slug"], m["status"], etag)
	}
	// Without a precondition, a pause is a message every release knows: it is applied.
	if rec := e.do("POST", path+"/pause", u.Key, nil); rec.Code != 200 {
		t.Errorf("plain pause through the older owner: %d %s", rec.Code, rec.Body)
	}
}
