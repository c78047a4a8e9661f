package http_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

const pingTestLimit = 1000

// pingEnv is an edge over newLookupWorld's users and checks and a recording fake Checks.
type pingEnv struct {
	t     *testing.T
	world *pingWorld
	clk   *pingClock
	reg   *prometheus.Registry
	logs  *pingLogs
	h     nethttp.Handler

	mu    sync.Mutex
	pings []deliveredPing
	// answer decides the actor's reply; nil = OK.
	answer func(ctx context.Context, checkID int64, p *messages.Ping) (string, error)
}

type deliveredPing struct {
	checkID int64
	ping    *messages.Ping
}

func newPingEnv(t *testing.T, cfgs ...func(*http.Config)) *pingEnv {
	t.Helper()
	e := &pingEnv{t: t, world: newLookupWorld(t), clk: newPingClock(), reg: prometheus.NewRegistry(), logs: &pingLogs{}}
	cfg := http.DefaultConfig()
	cfg.PingBodyLimit = pingTestLimit
	for _, f := range cfgs {
		f(&cfg)
	}
	checks := &fakePingChecks{PingFunc: func(ctx context.Context, checkID int64, p *messages.Ping) (string, error) {
		e.mu.Lock()
		answer := e.answer
		e.mu.Unlock()
		reason, err := "", error(nil)
		if answer != nil {
			reason, err = answer(ctx, checkID, p)
		}
		if err == nil {
			e.mu.Lock()
			e.pings = append(e.pings, deliveredPing{checkID: checkID, ping: p})
			e.mu.Unlock()
		}
		return reason, err
	}}
	srv := http.NewServer(cfg, http.Deps{
		Store:      e.world.store(),
		Checks:     checks,
		Ring:       e.world.ring,
		Logger:     slog.New(e.logs),
		Registerer: e.reg,
		Now:        e.clk.Now,
	})
	e.h = srv.Handler()
	return e
}

func (e *pingEnv) setAnswer(f func(ctx context.Context, checkID int64, p *messages.Ping) (string, error)) {
	e.mu.Lock()
	e.answer = f
	e.mu.Unlock()
}

func (e *pingEnv) delivered() []deliveredPing {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]deliveredPing(nil), e.pings...)
}

// do serves one request; body may be nil.
func (e *pingEnv) do(method, target string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// pingLogs collects log records.
type pingLogs struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *pingLogs) Enabled(context.Context, slog.Level) bool { return true }
func (l *pingLogs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.records = append(l.records, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *pingLogs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *pingLogs) WithGroup(string) slog.Handler      { return l }

func (l *pingLogs) count(level slog.Level, msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

func assertReply(t *testing.T, w *httptest.ResponseRecorder, method string, status int, body string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d (%q), want %d", w.Code, w.Body.String(), status)
	}
	if method == nethttp.MethodHead {
		body = ""
	}
	if got := w.Body.String(); got != body {
		t.Fatalf("body = %q, want %q", got, body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestPingShapes(t *testing.T) {
	const (
		rid      = "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"
		ridLower = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	)
	succ, start, fail, logk := messages.PingKind_PING_KIND_SUCCESS, messages.PingKind_PING_KIND_START, messages.PingKind_PING_KIND_FAIL, messages.PingKind_PING_KIND_LOG
	byUUID, byKey, bySlug := messages.LookupKind_LOOKUP_KIND_UUID, messages.LookupKind_LOOKUP_KIND_PING_KEY, messages.LookupKind_LOOKUP_KIND_USER_SLUG
	tests := []struct {
		path    string
		kind    messages.PingKind
		exit    int32
		lookup  messages.LookupKind
		ref     string
		checkID int64
		userID  int64
	}{
		{"/ping/" + lkUUID1, succ, -1, byUUID, lkUUID1, 11, 1},
		{"/ping/" + lkUUID1 + "/start", start, -1, byUUID, lkUUID1, 11, 1},
		{"/ping/" + lkUUID1 + "/", succ, -1, byUUID, lkUUID1, 11, 1},
		{"/ping/" + lkUUID1 + "/007", fail, 7, byUUID, lkUUID1, 11, 1},
		{"/ping/" + lkUUID1 + "/fail", fail, -1, byUUID, lkUUID1, 11, 1},
		{"/ping/" + lkUUID3 + "/log", logk, -1, byUUID, lkUUID3, 21, 2},
		{"/ping/" + lkUUID1 + "/0", succ, 0, byUUID, lkUUID1, 11, 1},
		{"/ping/" + lkUUID1 + "/255", fail, 255, byUUID, lkUUID1, 11, 1},
		{"/ping/" + lkKey1 + "/backup", succ, -1, byKey, "backup", 11, 1},
		{"/ping/" + lkKey1 + "/backup/start", start, -1, byKey, "backup", 11, 1},
		{"/ping/" + lkKey2 + "/backup/fail", fail, -1, byKey, "backup", 21, 2},
		{"/ping/" + lkKey1 + "/backup/log", logk, -1, byKey, "backup", 11, 1},
		{"/ping/" + lkKey1 + "/backup/1", fail, 1, byKey, "backup", 11, 1},
		{"/ping/" + lkKey1 + "/" + lkUUID2 + "/0", succ, 0, byKey, lkUUID2, 12, 1},
		{"/p/alice/backup", succ, -1, bySlug, "backup", 11, 1},
		{"/p/alice/backup/start", start, -1, bySlug, "backup", 11, 1},
		{"/p/bob/backup/fail", fail, -1, bySlug, "backup", 21, 2},
		{"/p/alice/backup/log", logk, -1, bySlug, "backup", 11, 1},
		{"/p/alice/backup/0", succ, 0, bySlug, "backup", 11, 1},
		{"/p/alice/backup/42", fail, 42, bySlug, "backup", 11, 1},
		{"/p/alice/" + strings.ToUpper(lkUUID2) + "/start", start, -1, bySlug, lkUUID2, 12, 1},
	}
	body := "line 1\x00line 2 ✓"
	for _, tt := range tests {
		for _, method := range []string{nethttp.MethodGet, nethttp.MethodPost, nethttp.MethodHead} {
			t.Run(method+" "+tt.path, func(t *testing.T) {
				e := newPingEnv(t)
				query := "rid=" + rid + "&x=1"
				w := e.do(method, tt.path+"?"+query, strings.NewReader(body), "User-Agent", "curl/8.5")
				assertReply(t, w, method, nethttp.StatusOK, "OK")
				if got := w.Header().Get("Ping-Body-Limit"); got != "1000" {
					t.Errorf("Ping-Body-Limit = %q", got)
				}
				got := e.delivered()
				if len(got) != 1 {
					t.Fatalf("%d pings delivered, want 1", len(got))
				}
				p := got[0].ping
				if got[0].checkID != tt.checkID || p.GetKind() != tt.kind || p.GetExitStatus() != tt.exit ||
					p.GetLookupKind() != tt.lookup || p.GetLookupRef() != tt.ref || p.GetUserId() != tt.userID {
					t.Errorf("ping to %d = kind %v exit %d lookup %v ref %q user %d; want %d %v %d %v %q %d",
						got[0].checkID, p.GetKind(), p.GetExitStatus(), p.GetLookupKind(), p.GetLookupRef(), p.GetUserId(),
						tt.checkID, tt.kind, tt.exit, tt.lookup, tt.ref, tt.userID)
				}
				if p.GetRid() != ridLower || p.GetMethod() != method || p.GetRemoteIp() != "192.0.2.1" ||
					p.GetUserAgent() != "curl/8.5" || p.GetQuery() != query {
					t.Errorf("ping = rid %q method %q ip %q ua %q query %q", p.GetRid(), p.GetMethod(), p.GetRemoteIp(), p.GetUserAgent(), p.GetQuery())
				}
				// /ping/ reads every method's body, as healthchecks.io does; /p/ a POST's.
				wantBody := ""
				if method == nethttp.MethodPost || strings.HasPrefix(tt.path, "/ping/") {
					wantBody = body
				}
				if string(p.GetBody()) != wantBody {
					t.Errorf("body = %q, want %q", p.GetBody(), wantBody)
				}
			})
		}
	}
}

func TestPingRejects(t *testing.T) {
	tests := []struct {
		name   string
		target string
		status int
		body   string
	}{
		{"unknown uuid", "/ping/44444444-4444-4444-8444-444444444444", 404, "not found"},
		{"unknown slug", "/ping/" + lkKey1 + "/nope", 404, "not found"},
		{"unknown ping key", "/ping/nokey/backup", 404, "not found"},
		{"unknown user slug", "/p/carol/backup", 404, "not found"},
		{"other user's uuid", "/p/alice/" + lkUUID3, 404, "not found"},
		{"unknown action", "/ping/" + lkUUID1 + "/finish", 404, "not found"},
		{"badge is not a ping", "/p/alice/backup/badge.svg", 404, "not found"},
		{"trailing slash on /p/", "/p/alice/backup/", 404, "not found"},
		{"trailing slash after a slug", "/ping/" + lkKey1 + "/backup/", 404, "not found"},
		{"empty segment", "/p/alice//backup", 404, "not found"},
		{"encoded slash", "/ping/" + lkKey1 + "/back%2Fup", 404, "not found"},
		{"encoded letter on /p/", "/p/alice/b%61ckup", 404, "not found"},
		{"too many segments", "/ping/" + lkKey1 + "/backup/start/now", 404, "not found"},
		{"upper-case slug", "/ping/" + lkKey1 + "/Backup", 400, "invalid url format"},
		{"exit 256", "/ping/" + lkUUID1 + "/256", 400, "invalid url format"},
		{"exit 256 on an unknown check", "/ping/44444444-4444-4444-8444-444444444444/256", 404, "not found"},
		{"exit 00 on /p/", "/p/alice/backup/00", 400, "exit code must be 0..255"},
		{"exit +1 on /p/", "/p/alice/backup/+1", 400, "exit code must be 0..255"},
		{"exit 256 on /p/", "/p/alice/backup/256", 400, "exit code must be 0..255"},
		{"exit +1", "/ping/" + lkKey1 + "/backup/+1", 404, "not found"},
		{"exit 1e2", "/ping/" + lkUUID1 + "/1e2", 404, "not found"},
		{"exit -1", "/ping/" + lkUUID1 + "/-1", 404, "not found"},
		{"bad rid", "/ping/" + lkUUID1 + "?rid=123", 400, "invalid uuid format"},
		{"empty rid", "/ping/" + lkUUID1 + "?rid=", 400, "invalid uuid format"},
		{"bad rid escape", "/ping/" + lkUUID1 + "?rid=%zz", 400, "invalid uuid format"},
		{"bad rid on unknown check", "/ping/44444444-4444-4444-8444-444444444444?rid=x", 404, "not found"},
		{"bad rid on /p/", "/p/alice/backup?rid=123", 400, "rid must be a UUID"},
		{"bad rid on /p/ unknown check", "/p/alice/nope?rid=x", 400, "rid must be a UUID"},
	}
	for _, tt := range tests {
		for _, method := range []string{nethttp.MethodGet, nethttp.MethodPost, nethttp.MethodHead} {
			t.Run(method+" "+tt.name, func(t *testing.T) {
				e := newPingEnv(t)
				w := e.do(method, tt.target, nil)
				assertReply(t, w, method, tt.status, tt.body)
				if n := len(e.delivered()); n != 0 {
					t.Fatalf("%d pings delivered, want 0", n)
				}
			})
		}
	}
}

func TestPingEncodedRid(t *testing.T) {
	// /p/: the first rid wins; /ping/: the last, as Django's request.GET.get reads it.
	for _, target := range []string{
		"/p/alice/backup?rid=aaaaaaaa%2Dbbbb-4ccc-8ddd-eeeeeeeeeeee&rid=ignored",
		"/ping/" + lkUUID1 + "?rid=ignored&r%69d=aaaaaaaa%2Dbbbb-4ccc-8ddd-eeeeeeeeeeee",
	} {
		e := newPingEnv(t)
		w := e.do("GET", target, nil)
		assertReply(t, w, "GET", 200, "OK")
		if got := e.delivered()[0].ping.GetRid(); got != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
			t.Fatalf("%s: rid = %q", target, got)
		}
	}
}

func TestPingRoutes(t *testing.T) {
	e := newPingEnv(t)
	for _, tt := range []struct {
		method, target string
		status         int
	}{
		{"PUT", "/ping/" + lkUUID1, nethttp.StatusOK}, // healthchecks.io's ping view takes any method
		{"OPTIONS", "/ping/" + lkUUID1, nethttp.StatusOK},
		{"DELETE", "/p/alice/backup", nethttp.StatusMethodNotAllowed},
		{"GET", "/ping", nethttp.StatusNotFound},
		{"GET", "/p", nethttp.StatusNotFound},
		{"GET", "/p/", nethttp.StatusNotFound},
		{"GET", "/ping/", nethttp.StatusNotFound},
	} {
		if w := e.do(tt.method, tt.target, nil); w.Code != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.target, w.Code, tt.status)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// patternReader yields an endless run of 'x'.
type patternReader struct{}

func (patternReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestPingBodyLimit(t *testing.T) {
	tests := []struct {
		name string
		size int64
		want int
	}{
		{"empty", 0, 0},
		{"small", 10, 10},
		{"at the limit", pingTestLimit, pingTestLimit},
		{"one over", pingTestLimit + 1, pingTestLimit},
		{"10 MB", 10 << 20, pingTestLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPingEnv(t)
			body := &countingReader{r: io.LimitReader(patternReader{}, tt.size)}
			w := e.do("POST", "/ping/"+lkKey1+"/backup", body)
			assertReply(t, w, "POST", nethttp.StatusOK, "OK")
			if body.n > pingTestLimit+1 {
				t.Errorf("read %d body bytes, want at most %d", body.n, pingTestLimit+1)
			}
			got := e.delivered()[0].ping.GetBody()
			if len(got) != tt.want || !bytes.Equal(got, bytes.Repeat([]byte("x"), tt.want)) {
				t.Errorf("delivered %d body bytes, want %d", len(got), tt.want)
			}
		})
	}
}

func TestPingBodyIsACopy(t *testing.T) {
	e := newPingEnv(t)
	e.do("POST", "/ping/"+lkUUID1, strings.NewReader("first"))
	e.do("POST", "/ping/"+lkUUID1, strings.NewReader("SECOND!"))
	got := e.delivered()
	if string(got[0].ping.GetBody()) != "first" || string(got[1].ping.GetBody()) != "SECOND!" {
		t.Fatalf("bodies = %q, %q: a pooled buffer leaked into a delivered ping", got[0].ping.GetBody(), got[1].ping.GetBody())
	}
}

func TestPingUserAgent(t *testing.T) {
	e := newPingEnv(t)
	e.do("GET", "/ping/"+lkUUID1, nil, "User-Agent", strings.Repeat("é", 300))
	e.do("GET", "/ping/"+lkUUID1, nil, "User-Agent", "bad\xffbytes")
	got := e.delivered()
	if ua := got[0].ping.GetUserAgent(); utf8.RuneCountInString(ua) != 200 || ua != strings.Repeat("é", 200) {
		t.Errorf("user agent kept %d characters, want 200", utf8.RuneCountInString(ua))
	}
	if ua := got[1].ping.GetUserAgent(); !utf8.ValidString(ua) || !strings.HasPrefix(ua, "bad") {
		t.Errorf("user agent %q is not valid UTF-8", ua)
	}
}

func TestPingContentRuleReason(t *testing.T) {
	e := newPingEnv(t)
	e.setAnswer(func(_ context.Context, _ int64, p *messages.Ping) (string, error) {
		return `body contains "ERROR"`, nil
	})
	w := e.do("POST", "/p/alice/backup", strings.NewReader("ERROR: disk full"))
	assertReply(t, w, "POST", 200, `OK (body contains "ERROR")`)
	w = e.do("GET", "/p/alice/backup/0", nil)
	assertReply(t, w, "GET", 200, `OK (body contains "ERROR")`)
	// A fail ping is a failure by its kind: nothing to explain.
	w = e.do("GET", "/p/alice/backup/fail", nil)
	assertReply(t, w, "GET", 200, "OK")
	// /ping/ answers OK, as healthchecks.io does whatever the check made of the ping.
	w = e.do("POST", "/ping/"+lkUUID1, strings.NewReader("ERROR: disk full"))
	assertReply(t, w, "POST", 200, "OK")

	e.setAnswer(func(context.Context, int64, *messages.Ping) (string, error) {
		return `content rule: body lacks "done"`, nil
	})
	w = e.do("GET", "/p/alice/backup", nil)
	assertReply(t, w, "GET", 200, `OK (content rule: body lacks "done")`)
}

func TestPingCreate(t *testing.T) {
	t.Run("ping key", func(t *testing.T) {
		e := newPingEnv(t)
		w := e.do("POST", "/ping/"+lkKey1+"/nightly/start?create=1", strings.NewReader("hi"))
		assertReply(t, w, "POST", nethttp.StatusCreated, "Created")
		if got := w.Header().Get("Ping-Body-Limit"); got != "1000" {
			t.Errorf("Ping-Body-Limit = %q", got)
		}
		created := e.world.createdChecks()
		if len(created) != 1 || created[0].Slug != "nightly" || created[0].UserID != 1 ||
			created[0].IntervalSeconds != 86400 || created[0].GraceSeconds != 3600 {
			t.Fatalf("created = %+v", created)
		}
		got := e.delivered()
		if len(got) != 1 || got[0].checkID != created[0].ID || got[0].ping.GetKind() != messages.PingKind_PING_KIND_START {
			t.Fatalf("delivered = %+v, want one start ping to check %d", got, created[0].ID)
		}
		w = e.do("GET", "/ping/"+lkKey1+"/nightly?create=1", nil)
		assertReply(t, w, "GET", nethttp.StatusOK, "OK")
		w = e.do("HEAD", "/ping/"+lkKey1+"/weekly?create=1", nil)
		assertReply(t, w, "HEAD", nethttp.StatusCreated, "Created")
		if n := len(e.world.createdChecks()); n != 2 {
			t.Fatalf("created %d checks, want 2", n)
		}
	})
	t.Run("not on other schemes", func(t *testing.T) {
		e := newPingEnv(t)
		for _, target := range []string{"/p/alice/nightly?create=1", "/ping/77777777-7777-4777-8777-777777777777?create=1"} {
			assertReply(t, e.do("GET", target, nil), "GET", nethttp.StatusNotFound, "not found")
		}
		if n := e.world.count("CreateCheckIfMissing"); n != 0 {
			t.Fatalf("CreateCheckIfMissing calls = %d, want 0", n)
		}
	})
	t.Run("create must be 1", func(t *testing.T) {
		e := newPingEnv(t)
		for _, target := range []string{"/ping/" + lkKey1 + "/nightly?create=true", "/ping/" + lkKey1 + "/nightly?create=0"} {
			assertReply(t, e.do("GET", target, nil), "GET", nethttp.StatusNotFound, "not found")
		}
	})
	t.Run("invalid slugs", func(t *testing.T) {
		e := newPingEnv(t)
		for _, slug := range []string{"123", "start", "log", "fail", lkUUID3} {
			w := e.do("GET", "/ping/"+lkKey1+"/"+slug+"?create=1", nil)
			if w.Code != nethttp.StatusBadRequest || !strings.HasPrefix(w.Body.String(), "slug must be") {
				t.Errorf("%s: %d %q, want 400 naming the slug rule", slug, w.Code, w.Body.String())
			}
		}
		// Refused as paths before any lookup, as healthchecks.io refuses them.
		for slug, want := range map[string]string{"Nightly": "invalid url format", "a.b": "not found", "~x": "not found"} {
			w := e.do("GET", "/ping/"+lkKey1+"/"+slug+"?create=1", nil)
			if w.Body.String() != want {
				t.Errorf("%s: %d %q, want %q", slug, w.Code, w.Body.String(), want)
			}
		}
		if n := len(e.world.createdChecks()); n != 0 || len(e.delivered()) != 0 {
			t.Fatalf("created %d checks, delivered %d pings; want none", n, len(e.delivered()))
		}
	})
	t.Run("unknown ping key", func(t *testing.T) {
		e := newPingEnv(t)
		assertReply(t, e.do("GET", "/ping/nokey/nightly?create=1", nil), "GET", nethttp.StatusNotFound, "not found")
	})
}

func TestPingCreateConcurrent(t *testing.T) {
	e := newPingEnv(t)
	const n = 20
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i] = e.do("POST", "/ping/"+lkKey1+"/fresh?create=1", strings.NewReader("x")).Code
		})
	}
	wg.Wait()
	created := e.world.createdChecks()
	if len(created) != 1 {
		t.Fatalf("created %d checks, want exactly 1", len(created))
	}
	counts := map[int]int{}
	for _, c := range codes {
		counts[c]++
	}
	if counts[201] != 1 || counts[200] != n-1 {
		t.Fatalf("status counts = %v, want one 201 and %d 200", counts, n-1)
	}
	got := e.delivered()
	if len(got) != n {
		t.Fatalf("%d pings delivered, want %d", len(got), n)
	}
	for _, d := range got {
		if d.checkID != created[0].ID {
			t.Fatalf("ping delivered to %d, want %d", d.checkID, created[0].ID)
		}
	}
}

func TestPingSlugPingsOff(t *testing.T) {
	e := newPingEnv(t)
	e.world.setSlugPings(1, false)
	assertReply(t, e.do("GET", "/p/alice/backup", nil), "GET", 404, "not found")
	assertReply(t, e.do("GET", "/p/alice/"+lkUUID1, nil), "GET", 404, "not found")
	assertReply(t, e.do("GET", "/ping/"+lkUUID1, nil), "GET", 200, "OK")
	assertReply(t, e.do("GET", "/ping/"+lkKey1+"/backup", nil), "GET", 200, "OK")
	assertReply(t, e.do("GET", "/p/bob/backup", nil), "GET", 200, "OK")
}

func TestPingStale(t *testing.T) {
	t.Run("re-resolved once", func(t *testing.T) {
		e := newPingEnv(t)
		assertReply(t, e.do("GET", "/p/alice/backup", nil), "GET", 200, "OK")
		// The slug moves to a new check; this node's cache still says check 11.
		e.world.renameCheck(11, "old-backup")
		e.world.addCheck(15, 1, "55555555-5555-4555-8555-555555555555", "backup")
		var attempts []int64
		e.setAnswer(func(_ context.Context, id int64, p *messages.Ping) (string, error) {
			attempts = append(attempts, id)
			if id == 11 {
				return "", &messages.Error{Code: messages.EStale, Message: "stale lookup"}
			}
			return "", nil
		})
		assertReply(t, e.do("GET", "/p/alice/backup/fail", nil), "GET", 200, "OK")
		if len(attempts) != 2 || attempts[0] != 11 || attempts[1] != 15 {
			t.Fatalf("pinged %v, want [11 15]", attempts)
		}
		if n := e.world.count("ResolveSlug"); n != 2 {
			t.Fatalf("ResolveSlug calls = %d, want 2", n)
		}
		// The new answer is cached.
		assertReply(t, e.do("GET", "/p/alice/backup", nil), "GET", 200, "OK")
		if n := e.world.count("ResolveSlug"); n != 2 {
			t.Fatalf("ResolveSlug calls = %d, want 2 (cached)", n)
		}
	})
	t.Run("stale twice", func(t *testing.T) {
		e := newPingEnv(t)
		var attempts int
		e.setAnswer(func(context.Context, int64, *messages.Ping) (string, error) {
			attempts++
			return "", &messages.Error{Code: messages.EStale, Message: "stale lookup"}
		})
		w := e.do("GET", "/ping/"+lkKey1+"/backup", nil)
		if w.Code != 503 || w.Header().Get("Retry-After") != "1" {
			t.Fatalf("got %d Retry-After %q, want 503 with Retry-After 1", w.Code, w.Header().Get("Retry-After"))
		}
		if attempts != 2 || e.world.count("ResolveSlug") != 2 {
			t.Fatalf("attempts = %d, ResolveSlug calls = %d; want 2 and 2", attempts, e.world.count("ResolveSlug"))
		}
	})
	t.Run("deleted check", func(t *testing.T) {
		e := newPingEnv(t)
		assertReply(t, e.do("GET", "/ping/"+lkUUID1, nil), "GET", 200, "OK")
		e.setAnswer(func(context.Context, int64, *messages.Ping) (string, error) {
			return "", messages.ErrNotFound
		})
		assertReply(t, e.do("GET", "/ping/"+lkUUID1, nil), "GET", 404, "not found")
		if n := e.world.count("ResolveUUID"); n != 2 {
			t.Fatalf("ResolveUUID calls = %d, want 2 (evicted and re-resolved)", n)
		}
	})
}

func TestPingNeverOKWithoutActor(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
	}{
		{"unavailable", &messages.Error{Code: messages.EUnavailable, Message: "owner unreachable", RetryAfter: 2500 * time.Millisecond}, 503, "3"},
		{"unavailable no hint", &messages.Error{Code: messages.EUnavailable, Message: "owner unreachable"}, 503, "1"},
		{"store down in the actor", persistence.Unavailable(errors.New("disk")), 503, "1"},
		{"invalid", &messages.Error{Code: messages.EInvalid, Message: "bad ping"}, 400, ""},
		{"internal", errors.New("boom"), 500, ""},
		{"deadline", context.DeadlineExceeded, 503, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPingEnv(t)
			e.setAnswer(func(context.Context, int64, *messages.Ping) (string, error) { return "", tt.err })
			for _, method := range []string{"GET", "POST", "HEAD"} {
				w := e.do(method, "/ping/"+lkUUID1, nil)
				if w.Code != tt.status || w.Header().Get("Retry-After") != tt.retryAfter {
					t.Errorf("%s: %d Retry-After %q, want %d %q", method, w.Code, w.Header().Get("Retry-After"), tt.status, tt.retryAfter)
				}
				if w.Header().Get("Ping-Body-Limit") != "" {
					t.Errorf("%s: Ping-Body-Limit on a failed ping", method)
				}
			}
			if tt.status == 500 {
				if n := e.logs.count(slog.LevelError, "ping failed"); n != 3 {
					t.Errorf("logged %d errors for 3 failed pings, want 3", n)
				}
				if w := e.do("GET", "/ping/"+lkUUID1, nil); strings.Contains(w.Body.String(), "boom") {
					t.Error("internal detail reached the client")
				}
			}
		})
	}
}

func TestPingStoreUnavailable(t *testing.T) {
	e := newPingEnv(t)
	e.world.setDown(true)
	for _, target := range []string{"/ping/" + lkUUID1, "/ping/" + lkKey1 + "/backup", "/p/alice/backup", "/ping/" + lkKey1 + "/new?create=1"} {
		w := e.do("GET", target, nil)
		if w.Code != 503 || w.Header().Get("Retry-After") != "1" {
			t.Errorf("%s: %d Retry-After %q, want 503 with Retry-After 1", target, w.Code, w.Header().Get("Retry-After"))
		}
	}
	if n := len(e.delivered()); n != 0 {
		t.Fatalf("%d pings delivered while the store is down", n)
	}
	e.world.setDown(false)
	assertReply(t, e.do("GET", "/ping/"+lkUUID1, nil), "GET", 200, "OK")
}

func TestPingTimeout(t *testing.T) {
	e := newPingEnv(t, func(c *http.Config) { c.RequestTimeout = 20 * time.Millisecond })
	e.setAnswer(func(ctx context.Context, _ int64, _ *messages.Ping) (string, error) {
		if _, ok := ctx.Deadline(); !ok {
			return "", errors.New("no deadline on the actor request")
		}
		<-ctx.Done()
		return "", ctx.Err()
	})
	w := e.do("GET", "/ping/"+lkUUID1, nil)
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("got %d %q, want 503 with Retry-After 1", w.Code, w.Body.String())
	}
}

func TestPingMetrics(t *testing.T) {
	e := newPingEnv(t)
	e.do("GET", "/ping/"+lkUUID1, nil)
	e.do("GET", "/ping/"+lkUUID1, nil)
	e.do("GET", "/p/alice/nope", nil)
	e.do("GET", "/ping/"+lkUUID1+"/999", nil)
	// An exit status above 255 is refused after the check was found: its scheme is known.
	want := map[[2]string]float64{{"uuid", "ok"}: 2, {"user_slug", "not_found"}: 1, {"uuid", "bad_request"}: 1}
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sawDuration bool
	for _, mf := range mfs {
		switch mf.GetName() {
		case "ttr_pings_total":
			for _, m := range mf.GetMetric() {
				var k [2]string
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "scheme":
						k[0] = l.GetValue()
					case "result":
						k[1] = l.GetValue()
					}
				}
				if got := m.GetCounter().GetValue(); got != want[k] {
					t.Errorf("ttr_pings_total%v = %v, want %v", k, got, want[k])
				}
			}
		case "ttr_ping_duration_seconds":
			sawDuration = mf.GetMetric()[0].GetHistogram().GetSampleCount() == 4
		}
	}
	if !sawDuration {
		t.Error("ttr_ping_duration_seconds did not count 4 pings")
	}
	// A second edge on the same registry reuses the collectors.
	_ = http.NewServer(http.DefaultConfig(), http.Deps{Store: e.world.store(), Checks: &fakePingChecks{}, Ring: e.world.ring, Registerer: e.reg})
}

// TestPingErrorsMapLikeTheAPI: a ping answers an error code with the status of the one table
// the API uses (http.StatusOf); a code a ping cannot cause is internal, its detail hidden.
// (The healthchecks-compatible /ping/ routes answer a quota with 404, as the original does.)
func TestPingErrorsMapLikeTheAPI(t *testing.T) {
	for _, tc := range []struct {
		code messages.ErrCode
		want int
	}{
		{messages.ENotFound, 404}, {messages.EInvalid, 400}, {messages.EForbidden, 403},
		{messages.EUnavailable, 503}, {messages.ERateLimited, 429}, {messages.EConflict, 500},
	} {
		t.Run(string(tc.code), func(t *testing.T) {
			e := newPingEnv(t)
			err := &messages.Error{Code: tc.code, Message: "detail"}
			e.setAnswer(func(context.Context, int64, *messages.Ping) (string, error) { return "", err })
			w := e.do("GET", "/p/alice/backup", nil)
			if w.Code != tc.want || (tc.want != 500 && http.StatusOf(err) != tc.want) {
				t.Errorf("ping: %d %q, API: %d, want %d", w.Code, w.Body.String(), http.StatusOf(err), tc.want)
			}
			if retry := w.Header().Get("Retry-After"); (tc.want == 503 || tc.want == 429) != (retry != "") {
				t.Errorf("Retry-After %q", retry)
			}
		})
	}
}
