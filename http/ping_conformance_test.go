package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/postgres"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// The /ping/ routes against healthchecks.io's own ping tests and views, on both stores:
// each row names the healthchecks.io test (hc/api/tests/test_ping.py, test_ping_by_slug.py)
// or view line (hc/api/views.py, hc/api/urls.py) it mirrors. Every row runs on a new check
// through the real edge, check actors, batcher and store.

// Values of hcRow.after that are not literal JSON values.
const (
	hcSet   = "<set>"   // not null
	hcUnset = "<unset>" // null
)

type hcCheck struct {
	id   int64
	uuid string
	slug string
	user apiUser
}

type hcRow struct {
	mirrors string
	options map[string]any // PATCHed onto the check first
	pause   bool
	prep    []string // pings sent first ("METHOD path-suffix"), e.g. "GET /start"
	method  string
	target  func(c hcCheck) string
	body    string
	hdr     []string
	status  int
	reply   string
	after   map[string]any // fields of the check's JSON afterwards
	kind    string         // kind of the newest ping in the log ("" = none logged by this row)
	exit    any            // its exit_status (nil = not checked)
	logged  map[string]any // other fields of the newest ping in the log
}

// Run ids of the run-pairing rows.
const (
	hcRunX = "6a3a28a4-8c1e-4a8f-9f4b-2e0d3a0e5d11"
	hcRunY = "0d8a57a1-3c1e-4e52-9a41-2f7c1b9e6d30"
)

func byUUID(suffix string) func(hcCheck) string {
	return func(c hcCheck) string { return "/ping/" + c.uuid + suffix }
}

func bySlug(suffix string) func(hcCheck) string {
	return func(c hcCheck) string { return "/ping/" + c.user.PingKey + "/" + c.slug + suffix }
}

func fixed(target string) func(hcCheck) string { return func(hcCheck) string { return target } }

var hcRows = []hcRow{
	{mirrors: "test_ping.py test_it_works", method: "GET", target: byUUID(""), status: 200, reply: "OK",
		after: map[string]any{"status": "up", "n_pings": 1.0, "last_ping": hcSet}, kind: "success", exit: nil},
	{mirrors: "test_ping.py test_it_changes_status_of_paused_check", pause: true, method: "GET", target: byUUID(""),
		status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "test_ping.py test_it_clears_last_start", prep: []string{"GET /start"}, method: "GET", target: byUUID(""),
		status: 200, reply: "OK", after: map[string]any{"last_start": hcUnset, "started": false}, kind: "success"},
	{mirrors: "test_ping.py test_post_works", method: "POST", target: byUUID(""), body: "hello world",
		status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "test_ping.py test_head_works", method: "HEAD", target: byUUID(""), status: 200,
		after: map[string]any{"n_pings": 1.0}, kind: "success"},
	{mirrors: "test_ping.py test_it_handles_bad_uuid", method: "GET", target: fixed("/ping/not-uuid/"), status: 404, reply: "not found"},
	{mirrors: "test_ping.py test_it_rejects_alternative_uuid_formats", method: "GET",
		target: fixed("/ping/07c2f54898504b27af5d6c9dc157ec02/"), status: 404, reply: "not found"},
	{mirrors: "test_ping.py test_it_handles_missing_check", method: "GET",
		target: fixed("/ping/07c2f548-9850-4b27-af5d-6c9dc157ec02/"), status: 404, reply: "not found"},
	{mirrors: "test_ping.py test_it_truncates_long_ua", method: "GET", target: byUUID(""),
		hdr: []string{"User-Agent", strings.Repeat("01234567890", 30)}, status: 200, reply: "OK", kind: "success"},
	{mirrors: "test_ping.py test_fail_endpoint_works", method: "GET", target: byUUID("/fail"), status: 200, reply: "OK",
		after: map[string]any{"status": "down", "next_deadline": hcUnset}, kind: "fail"},
	{mirrors: "test_ping.py test_start_endpoint_works", method: "GET", target: byUUID("/start"), status: 200, reply: "OK",
		after: map[string]any{"last_start": hcSet, "last_ping": hcUnset, "started": true}, kind: "start"},
	{mirrors: "test_ping.py test_start_does_not_change_status_of_paused_check", pause: true, method: "GET",
		target: byUUID("/start"), status: 200, reply: "OK",
		after: map[string]any{"status": "paused", "last_start": hcSet}, kind: "start"},
	{mirrors: "test_ping.py test_it_accepts_uppercase_rid", method: "GET",
		target: byUUID("/start?rid=04603D8B-EDF4-4E85-8F61-24BEDBCAAB59"), status: 200, reply: "OK",
		after: map[string]any{"last_start": hcSet}, kind: "start"},
	{mirrors: "test_ping.py test_it_requires_post", options: map[string]any{"methods": "POST"}, method: "GET",
		target: byUUID(""), status: 200, reply: "OK",
		after: map[string]any{"status": "new", "last_ping": hcUnset, "n_pings": 1.0}, kind: "ign"},
	{mirrors: "test_ping.py test_it_requires_post (a POST counts)", options: map[string]any{"methods": "POST"},
		method: "POST", target: byUUID(""), status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "test_ping.py test_it_handles_manual_resume_flag", options: map[string]any{"manual_resume": true}, pause: true,
		method: "GET", target: byUUID(""), status: 200, reply: "OK", after: map[string]any{"status": "paused"}, kind: "ign"},
	{mirrors: "test_ping.py test_zero_exit_status_works", method: "GET", target: byUUID("/0"), status: 200, reply: "OK",
		after: map[string]any{"status": "up"}, kind: "success", exit: 0.0},
	{mirrors: "test_ping.py test_nonzero_exit_status_works", method: "GET", target: byUUID("/123"), status: 200, reply: "OK",
		after: map[string]any{"status": "down"}, kind: "fail", exit: 123.0},
	{mirrors: "test_ping.py test_it_rejects_exit_status_over_255", method: "GET", target: byUUID("/256"),
		status: 400, reply: "invalid url format", after: map[string]any{"n_pings": 0.0}},
	{mirrors: "views.py ping: the check is looked up before the exit status", method: "GET",
		target: fixed("/ping/07c2f548-9850-4b27-af5d-6c9dc157ec02/256"), status: 404, reply: "not found"},
	{mirrors: "urls.py <int:exitstatus>: leading zeros", method: "GET", target: byUUID("/007"), status: 200, reply: "OK",
		after: map[string]any{"status": "down"}, kind: "fail", exit: 7.0},
	{mirrors: "urls.py <int:exitstatus>: no sign", method: "GET", target: byUUID("/-1"), status: 404, reply: "not found",
		after: map[string]any{"n_pings": 0.0}},
	{mirrors: `urls.py path("", views.ping): a trailing slash is a ping`, method: "GET", target: byUUID("/"),
		status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "test_ping.py test_it_accepts_bad_unicode", method: "POST", target: byUUID(""), body: "Hello \xe9 World",
		status: 200, reply: "OK", kind: "success"},
	{mirrors: "test_ping.py test_log_endpoint_works", method: "POST", target: byUUID("/log"), body: "hello",
		status: 200, reply: "OK", after: map[string]any{"status": "new", "last_ping": hcUnset, "next_deadline": hcUnset}, kind: "log"},
	{mirrors: "test_ping.py test_it_saves_run_id", method: "GET",
		target: byUUID("/start?rid=6a3a28a4-8c1e-4a8f-9f4b-2e0d3a0e5d11"), status: 200, reply: "OK", kind: "start"},
	{mirrors: "test_ping.py test_it_handles_invalid_rid (12345)", method: "GET", target: byUUID("/start?rid=12345"),
		status: 400, reply: "invalid uuid format", after: map[string]any{"n_pings": 0.0}},
	{mirrors: "test_ping.py test_it_handles_invalid_rid (37 hex digits)", method: "GET",
		target: byUUID("/start?rid=684e2e73-017e-465f-8149-d70b7c5aaa490"), status: 400, reply: "invalid uuid format"},
	{mirrors: "test_ping.py test_it_handles_120_char_ua", method: "GET", target: byUUID(""),
		hdr:    []string{"User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/44.0.2403.89 Safari/537.36"},
		status: 200, reply: "OK", kind: "success",
		logged: map[string]any{"user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/44.0.2403.89 Safari/537.36"}},
	{mirrors: "test_ping.py test_it_chops_long_body (at ttr's limit, 10,000 bytes)", method: "POST", target: byUUID(""),
		body: strings.Repeat("x", 10005), status: 200, reply: "OK", kind: "success"},
	{mirrors: "test_ping.py test_start_sets_last_start_rid", method: "GET", target: byUUID("/start?rid=" + hcRunX),
		status: 200, reply: "OK", after: map[string]any{"last_start": hcSet, "started": true}, kind: "start",
		logged: map[string]any{"rid": hcRunX}},
	{mirrors: "test_ping.py test_it_sets_last_duration", prep: []string{"GET /start"}, method: "GET", target: byUUID(""),
		status: 200, reply: "OK", after: map[string]any{"last_start": hcUnset, "last_duration_seconds": hcSet}, kind: "success"},
	{mirrors: "test_ping.py test_it_does_not_update_last_ping_on_rid_mismatch", prep: []string{"GET /start?rid=" + hcRunX},
		method: "GET", target: byUUID("?rid=" + hcRunY), status: 200, reply: "OK",
		after: map[string]any{"started": true, "last_start": hcSet, "last_duration_seconds": hcUnset, "status": "up"}, kind: "success"},
	{mirrors: "test_ping.py test_it_clears_last_ping_and_sets_last_duration_if_rid_matches", prep: []string{"GET /start?rid=" + hcRunX},
		method: "GET", target: byUUID("?rid=" + hcRunX), status: 200, reply: "OK",
		after: map[string]any{"started": false, "last_start": hcUnset, "last_duration_seconds": hcSet}, kind: "success"},
	// Intended differences (docs/api.md, "Remaining intended differences on /ping/"): a run id
	// given on one side only still pairs a start with its end, and a failure with another
	// run's id does not end the run in progress.
	{mirrors: "test_ping.py test_it_clears_last_ping_if_rid_is_absent (intended difference: the run is timed)",
		prep: []string{"GET /start?rid=" + hcRunX}, method: "GET", target: byUUID(""), status: 200, reply: "OK",
		after: map[string]any{"started": false, "last_start": hcUnset, "last_duration_seconds": hcSet}, kind: "success"},
	{mirrors: "test_ping.py test_it_clears_last_ping_on_failure (intended difference: run X goes on)",
		prep: []string{"GET /start?rid=" + hcRunX}, method: "GET", target: byUUID("/fail?rid=" + hcRunY), status: 200, reply: "OK",
		after: map[string]any{"started": true, "last_start": hcSet, "status": "down"}, kind: "fail"},
	{mirrors: "models.py Check.ping: last_duration = None on a success that ends no run (intended difference: the last run's duration stays)",
		prep: []string{"GET /start", "GET "}, method: "GET", target: byUUID(""), status: 200, reply: "OK",
		after: map[string]any{"started": false, "last_duration_seconds": hcSet}, kind: "success"},
	{mirrors: "views.py ping: every method pings (OPTIONS)", method: "OPTIONS", target: byUUID(""),
		status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "test_ping.py test_it_reads_forwarded_ip (intended difference: only --trust-proxy proxies are believed)",
		method: "GET", target: byUUID(""), hdr: []string{"X-Forwarded-For", "1.1.1.1, 2.2.2.2"}, status: 200, reply: "OK",
		kind: "success", logged: map[string]any{"remote_ip": "192.0.2.1"}},
	{mirrors: "test_ping.py test_it_handles_success_filter_match",
		options: map[string]any{"filter_http_body": true, "success_kw": "SUCCESS"},
		method:  "POST", target: byUUID(""), body: "SUCCESS!", status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "test_ping.py test_it_handles_success_filter_miss",
		options: map[string]any{"filter_http_body": true, "success_kw": "SUCCESS"},
		method:  "POST", target: byUUID(""), body: "hello world", status: 200, reply: "OK", after: map[string]any{"status": "new"}, kind: "ign"},
	{mirrors: "test_ping.py test_it_handles_failure_filter_match",
		options: map[string]any{"filter_http_body": true, "failure_kw": "FAIL"},
		method:  "POST", target: byUUID(""), body: "FAIL!", status: 200, reply: "OK", after: map[string]any{"status": "down"}, kind: "fail"},
	{mirrors: "test_ping.py test_it_handles_failure_filter_miss",
		options: map[string]any{"filter_http_body": true, "failure_kw": "FAIL"},
		method:  "POST", target: byUUID(""), body: "---", status: 200, reply: "OK", after: map[string]any{"status": "new"}, kind: "ign"},
	{mirrors: "test_ping.py test_it_handles_start_filter_match",
		options: map[string]any{"filter_http_body": true, "start_kw": "START"},
		method:  "POST", target: byUUID(""), body: "STARTING", status: 200, reply: "OK", after: map[string]any{"last_start": hcSet}, kind: "start"},
	{mirrors: "test_ping.py test_manual_resume_takes_precedence_over_keywords",
		options: map[string]any{"filter_http_body": true, "success_kw": "SUCCESS", "manual_resume": true}, pause: true,
		method: "POST", target: byUUID(""), body: "SUCCESS!", status: 200, reply: "OK", after: map[string]any{"status": "paused"}, kind: "ign"},
	{mirrors: "test_ping.py test_allowed_methods_takes_precedence_over_keywords",
		options: map[string]any{"filter_http_body": true, "filter_default_fail": true, "methods": "POST"},
		method:  "GET", target: byUUID(""), status: 200, reply: "OK", after: map[string]any{"status": "new"}, kind: "ign"},
	{mirrors: "test_ping.py test_it_handles_filter_default_fail",
		options: map[string]any{"filter_http_body": true, "success_kw": "SUCCESS", "filter_default_fail": true},
		method:  "POST", target: byUUID(""), body: "no keywords", status: 200, reply: "OK", after: map[string]any{"status": "down"}, kind: "fail"},
	{mirrors: "test_ping.py test_it_ignores_email_filters",
		options: map[string]any{"filter_subject": true, "success_kw": "SUCCESS", "filter_default_fail": true},
		method:  "GET", target: byUUID(""), status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "views.py ping: every method pings (PUT)", method: "PUT", target: byUUID(""), body: "x",
		status: 200, reply: "OK", after: map[string]any{"status": "up"}, kind: "success"},

	{mirrors: "test_ping_by_slug.py test_it_works", method: "GET", target: bySlug(""), status: 200, reply: "OK",
		after: map[string]any{"status": "up"}, kind: "success"},
	{mirrors: "test_ping_by_slug.py test_post_works", method: "POST", target: bySlug(""), body: "hello world",
		status: 200, reply: "OK", kind: "success"},
	{mirrors: "test_ping_by_slug.py test_head_works", method: "HEAD", target: bySlug(""), status: 200, kind: "success"},
	{mirrors: "test_ping_by_slug.py test_fail_endpoint_works", method: "GET", target: bySlug("/fail"), status: 200, reply: "OK", kind: "fail"},
	{mirrors: "test_ping_by_slug.py test_start_endpoint_works", method: "GET", target: bySlug("/start"), status: 200, reply: "OK", kind: "start"},
	{mirrors: "test_ping_by_slug.py test_zero_exit_status_works", method: "GET", target: bySlug("/0"), status: 200, reply: "OK",
		kind: "success", exit: 0.0},
	{mirrors: "test_ping_by_slug.py test_nonzero_exit_status_works", method: "GET", target: bySlug("/123"), status: 200, reply: "OK",
		kind: "fail", exit: 123.0},
	{mirrors: "test_ping_by_slug.py test_it_handles_wrong_ping_key", method: "GET", target: fixed("/ping/rrrrrrrrrrrrrrrrrrrrrr/foo"),
		status: 404, reply: "not found"},
	{mirrors: "test_ping_by_slug.py test_auto_provisioning_is_off_by_default", method: "GET",
		target: func(c hcCheck) string { return "/ping/" + c.user.PingKey + "/not-there-yet" }, status: 404, reply: "not found"},
	{mirrors: "test_ping_by_slug.py test_it_auto_provisions_missing_check", method: "GET",
		target: func(c hcCheck) string { return "/ping/" + c.user.PingKey + "/" + c.slug + "-new?create=1" },
		status: 201, reply: "Created"},
	{mirrors: "test_ping_by_slug.py test_it_rejects_uppercase_slug", method: "GET", target: bySlug("FOO"),
		status: 400, reply: "invalid url format"},
	{mirrors: `urls.py slug_urls: no "" route after a slug`, method: "GET", target: bySlug("/"), status: 404, reply: "not found"},
}

func TestHCPingConformance(t *testing.T) {
	stores := []struct {
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
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) {
			e := newRealEnvOn(t, store.open(t), nil)
			u := e.newUser()
			for i, row := range hcRows {
				t.Run(row.mirrors, func(t *testing.T) { runHCRow(t, e, u, i, row) })
			}
		})
	}
}

func runHCRow(t *testing.T, e *realEnv, u apiUser, i int, row hcRow) {
	slug := fmt.Sprintf("hc-%d", i)
	m := e.create(u, map[string]any{"slug": slug})
	c := hcCheck{id: apiID(t, m), uuid: m["uuid"].(string), slug: slug, user: u}
	path := "/api/v1/checks/" + apiItoa(c.id)
	if row.options != nil {
		if rec := e.do("PATCH", path, u.Key, row.options); rec.Code != 200 {
			t.Fatalf("PATCH %v: %d %s", row.options, rec.Code, rec.Body)
		}
	}
	if row.pause {
		if rec := e.do("POST", path+"/pause", u.Key, nil); rec.Code != 200 {
			t.Fatalf("pause: %d %s", rec.Code, rec.Body)
		}
	}
	for _, p := range row.prep {
		method, suffix, _ := strings.Cut(p, " ")
		if rec := e.raw(method, byUUID(suffix)(c), "", nil); rec.Code != 200 {
			t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
		}
	}
	before := e.pingCount(u, c)

	rec := e.raw(row.method, row.target(c), row.body, row.hdr)
	if rec.Code != row.status {
		t.Fatalf("%s %s = %d %q, want %d", row.method, row.target(c), rec.Code, rec.Body, row.status)
	}
	if row.method != "HEAD" && rec.Body.String() != row.reply {
		t.Errorf("body %q, want %q", rec.Body, row.reply)
	}
	h := rec.Header()
	if h.Get("Access-Control-Allow-Origin") != "*" ||
		h.Get("Cache-Control") != "max-age=0, no-cache, no-store, must-revalidate, private" || h.Get("Expires") == "" {
		t.Errorf("headers: CORS %q, Cache-Control %q, Expires %q", h.Get("Access-Control-Allow-Origin"),
			h.Get("Cache-Control"), h.Get("Expires"))
	}
	if (row.status == 200 || row.status == 201) && h.Get("Ping-Body-Limit") != "10000" {
		t.Errorf("Ping-Body-Limit %q", h.Get("Ping-Body-Limit"))
	}

	got, _ := e.get(u, c.id)
	for k, want := range row.after {
		switch v := got[k]; want {
		case hcSet:
			if v == nil {
				t.Errorf("%s is null, want set", k)
			}
		case hcUnset:
			if v != nil {
				t.Errorf("%s = %v, want null", k, v)
			}
		default:
			if fmt.Sprint(v) != fmt.Sprint(want) {
				t.Errorf("%s = %v, want %v", k, v, want)
			}
		}
	}
	pings := e.pings(u, c)
	if row.kind == "" {
		if len(pings) != before {
			t.Errorf("%d pings logged, want %d", len(pings), before)
		}
		return
	}
	if len(pings) != before+1 {
		t.Fatalf("%d pings logged, want %d", len(pings), before+1)
	}
	newest := pings[0]
	if newest["kind"] != row.kind {
		t.Errorf("ping kind %v, want %q", newest["kind"], row.kind)
	}
	if newest["method"] != row.method {
		t.Errorf("ping method %v, want %s", newest["method"], row.method)
	}
	if row.exit != nil && newest["exit_status"] != row.exit {
		t.Errorf("exit_status %v, want %v", newest["exit_status"], row.exit)
	}
	if want := int(min(len(row.body), 10000)); int(newest["body_size"].(float64)) != want {
		t.Errorf("body_size %v, want %d", newest["body_size"], want)
	}
	for k, want := range row.logged {
		if fmt.Sprint(newest[k]) != fmt.Sprint(want) {
			t.Errorf("logged %s = %v, want %v", k, newest[k], want)
		}
	}
	if ua := row.hdr; len(ua) == 2 && ua[0] == "User-Agent" && newest["user_agent"] != ua[1][:min(len(ua[1]), 200)] {
		t.Errorf("user agent %q, want the first 200 characters", newest["user_agent"])
	}
}

// raw sends a request without credentials (a ping).
func (e *realEnv) raw(method, target, body string, hdr []string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// pings reads a check's ping log, newest first.
func (e *realEnv) pings(u apiUser, c hcCheck) []map[string]any {
	e.t.Helper()
	rec := e.do("GET", "/api/v1/checks/"+apiItoa(c.id)+"/pings", u.Key, nil)
	if rec.Code != 200 {
		e.t.Fatalf("pings: %d %s", rec.Code, rec.Body)
	}
	var out struct {
		Pings []map[string]any `json:"pings"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Pings
}

func (e *realEnv) pingCount(u apiUser, c hcCheck) int { return len(e.pings(u, c)) }
