package http_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

func TestStatsAndTags(t *testing.T) {
	e := newAPIEnv(t)
	u, other := e.newUser(), e.newUser()
	var m map[string]any
	apiJSON(t, e.do("GET", "/api/v1/checks/tags", u.Key, nil), &m)
	if tags, ok := m["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("no tags: %v", m)
	}
	a := apiID(t, e.create(u, map[string]any{"tags": "prod db"}))
	e.create(u, map[string]any{"tags": []string{"prod"}})
	e.create(other, map[string]any{"tags": "secret"})
	e.store.setCheck(a, func(c *messages.Check) {
		c.Status = messages.StatusUp
		c.NextDue = apiEpoch.Add(-time.Minute)
		c.NextDeadline = apiEpoch.Add(time.Minute)
	})
	rec := e.do("GET", "/api/v1/checks/stats", u.Key, nil)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"total":2,"new":1,"up":1,"down":0,"paused":0,"late":1,`+
		`"avg_duration_seconds":null,"pings_24h":0,"alerts_24h":0,"avg_pings_per_check_24h":0,"avg_alerts_per_check_24h":0}` {
		t.Errorf("stats: %d %s", rec.Code, rec.Body)
	}
	rec = e.do("GET", "/api/v1/checks/tags", u.Key, nil)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"tags":[{"tag":"db","count":1},{"tag":"prod","count":2}]}` {
		t.Errorf("tags: %d %s", rec.Code, rec.Body)
	}
}

func TestSlugCheck(t *testing.T) {
	e := newAPIEnv(t)
	u, other := e.newUser(), e.newUser()
	a := e.create(u, map[string]any{"slug": "taken"})
	e.create(other, map[string]any{"slug": "theirs"})
	aID := apiItoa(apiID(t, a))
	tests := []struct {
		query     string
		status    int
		available bool
		detail    string
	}{
		{"slug=free", 200, true, "slug is available"},
		{"slug=theirs", 200, true, "available"}, // another user's slug is no conflict
		{"slug=taken", 200, false, `slug "taken" is already used by another of your checks`},
		{"slug=taken&check_id=" + aID, 200, true, "available"},
		{"slug=Bad!", 200, false, "slug must be 1 to 64 characters"},
		{"slug=", 200, false, "slug must be 1 to 64 characters"},
		{"slug=start", 200, false, "reserved"},
		{"slug=123", 200, false, "all digits"},
		{"slug=" + a["uuid"].(string), 200, false, "UUID"},
		{"slug=" + a["uuid"].(string) + "&check_id=" + aID, 200, true, "available"},
		{"", 400, false, "slug is required"},
		{"slug=x&check_id=abc", 400, false, "check_id must be a positive integer"},
		{"slug=x&check_id=-1", 400, false, "check_id must be a positive integer"},
		{"slug=x&check_id=999", 404, false, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := e.do("GET", "/api/v1/checks/slug-check?"+tt.query, u.Key, nil)
			var got struct {
				Available bool   `json:"available"`
				Detail    string `json:"detail"`
			}
			apiJSON(t, rec, &got)
			if rec.Code != tt.status || got.Available != tt.available || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("got %d %s, want %d available=%v detail~%q", rec.Code, rec.Body, tt.status, tt.available, tt.detail)
			}
		})
	}
}

func TestPingsFlipsDeliveries(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	base := "/api/v1/checks/" + apiItoa(id)
	at := apiEpoch.Add(time.Second)
	e.store.pings[id] = []messages.PingRecord{
		{CheckID: id, N: 1, At: at, Kind: "start", ExitStatus: -1, RID: "r1", Method: "GET", RemoteIP: "192.0.2.1", UserAgent: "curl", ForwardedProto: "https"},
		{CheckID: id, N: 2, At: at.Add(time.Second), Kind: "fail", ExitStatus: 3, Method: "POST", Body: []byte("<script>\x00x"), Reason: "exit status 3", RequestID: "req"},
		{CheckID: id, N: 3, At: at.Add(2 * time.Second), Kind: "success", ExitStatus: 0, Method: "POST", Body: []byte("ok")},
	}
	e.store.flips[id] = []messages.Flip{
		{ID: apiItoa(id) + ".1", CheckID: id, At: at, From: "new", To: "up", Node: "n1"},
		{ID: apiItoa(id) + ".2", CheckID: id, At: at.Add(time.Second), From: "up", To: "down", Reason: "exit status 3", Node: "n1"},
	}
	e.store.deliveries[id] = []messages.OutboxRow{
		{ID: 10, CheckID: id, UserID: u.ID, Kind: messages.AlertDown, Channel: "webhook", DestHash: "dh", DestEnc: []byte("SEALED-DEST"),
			Payload: []byte(`{"secret-payload":1}`), IdempotencyKey: "down:1.2:webhook", Status: messages.OutboxPending, Attempts: 2,
			NextAttemptAt: at.Add(time.Minute), LastError: "503 Service Unavailable", CreatedAt: at, ClaimedBy: "node-x"},
		{ID: 11, CheckID: id, Kind: messages.AlertUp, Channel: "webhook", DestEnc: []byte("SEALED-DEST"), Status: messages.OutboxDelivered, Attempts: 1,
			CreatedAt: at, DeliveredAt: at.Add(time.Second), NextAttemptAt: at},
	}

	// Pings, newest first, with limit.
	var pings struct {
		Pings []map[string]any `json:"pings"`
	}
	apiJSON(t, e.do("GET", base+"/pings", u.Key, nil), &pings)
	if len(pings.Pings) != 3 || pings.Pings[0]["n"] != json.Number("3") || pings.Pings[2]["n"] != json.Number("1") {
		t.Fatalf("pings %v", pings)
	}
	p2 := pings.Pings[1]
	if p2["kind"] != "fail" || p2["exit_status"] != json.Number("3") || p2["body_size"] != json.Number("10") ||
		p2["body_url"] != base+"/pings/2/body" || p2["reason"] != "exit status 3" || p2["request_id"] != "req" ||
		p2["at"] != "2030-01-02T03:04:07.000Z" || p2["rid"] != nil || p2["forwarded_proto"] != nil {
		t.Errorf("ping 2 %v", p2)
	}
	if p1 := pings.Pings[2]; p1["exit_status"] != nil || p1["body_url"] != nil || p1["rid"] != "r1" || p1["remote_ip"] != "192.0.2.1" || p1["forwarded_proto"] != "https" {
		t.Errorf("ping 1 %v", p1)
	}
	apiJSON(t, e.do("GET", base+"/pings?limit=1", u.Key, nil), &pings)
	if len(pings.Pings) != 1 {
		t.Errorf("limit=1: %d", len(pings.Pings))
	}

	// The raw body, never rendered.
	rec := e.do("GET", base+"/pings/2/body", u.Key, nil)
	if rec.Code != 200 || rec.Body.String() != "<script>\x00x" {
		t.Errorf("body: %d %q", rec.Code, rec.Body)
	}
	h := rec.Header()
	if h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("Content-Length") != "10" {
		t.Errorf("body headers %v", h)
	}
	if rec := e.do("GET", base+"/pings/9/body", u.Key, nil); rec.Code != 404 {
		t.Errorf("missing ping body: %d", rec.Code)
	}

	// Flips.
	var flips struct {
		Flips []map[string]any `json:"flips"`
	}
	apiJSON(t, e.do("GET", base+"/flips?limit=5", u.Key, nil), &flips)
	if len(flips.Flips) != 2 || flips.Flips[0]["to"] != "down" || flips.Flips[0]["reason"] != "exit status 3" ||
		flips.Flips[0]["id"] != apiItoa(id)+".2" || flips.Flips[0]["node"] != "n1" {
		t.Errorf("flips %v", flips)
	}

	// Deliveries, without secrets.
	rec = e.do("GET", base+"/deliveries", u.Key, nil)
	for _, secret := range []string{"SEALED", "secret-payload", "dh", "node-x", "DestEnc", "payload"} {
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("deliveries show %q: %s", secret, rec.Body)
		}
	}
	var dels struct {
		Deliveries []map[string]any `json:"deliveries"`
	}
	apiJSON(t, rec, &dels)
	if len(dels.Deliveries) != 2 {
		t.Fatalf("deliveries %v", dels)
	}
	d := dels.Deliveries[1] // newest first: 11, 10
	want := map[string]any{
		"id": json.Number("10"), "kind": "down", "channel": "webhook", "status": "pending", "attempts": json.Number("2"),
		"last_error": "503 Service Unavailable", "created_at": "2030-01-02T03:04:06.000Z", "delivered_at": nil,
		"next_attempt_at": "2030-01-02T03:05:06.000Z",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("delivery %s = %v, want %v", k, d[k], v)
		}
	}
	if len(d) != len(want) {
		t.Errorf("delivery fields %v", d)
	}
	if d := dels.Deliveries[0]; d["next_attempt_at"] != nil || d["last_error"] != nil || d["delivered_at"] != "2030-01-02T03:04:07.000Z" {
		t.Errorf("delivered row %v", d)
	}

	// Bad limits.
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "limit=-1"} {
		for _, p := range []string{"/pings", "/flips", "/deliveries"} {
			rec := e.do("GET", base+p+"?"+q, u.Key, nil)
			if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "limit must be an integer from 1 to 1000") {
				t.Errorf("%s?%s: %d %s", p, q, rec.Code, rec.Body)
			}
		}
	}
	// Unknown check.
	for _, p := range []string{"/pings", "/flips", "/deliveries", "/pings/1/body"} {
		if rec := e.do("GET", "/api/v1/checks/999"+p, u.Key, nil); rec.Code != 404 {
			t.Errorf("%s of a missing check: %d", p, rec.Code)
		}
	}
}

func TestPreview(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	tests := []struct {
		name   string
		body   string
		status int
		want   string // first time, or detail substring
		tz     string // the zone the local times are in
		offset string
	}{
		{"interval", `{"schedule_type": "interval", "interval_seconds": 60}`, 200, "2030-01-02T03:05:05.000Z", "UTC", "+00:00"},
		{"defaults", `{}`, 200, "2030-01-03T03:04:05.000Z", "UTC", "+00:00"},
		{"cron", `{"schedule_type": "cron", "schedule": "0 12 * * *", "tz": "UTC"}`, 200, "2030-01-02T12:00:00.000Z", "UTC", "+00:00"},
		{"cron tz", `{"schedule_type": "cron", "schedule": "0 12 * * *", "tz": "Asia/Tokyo"}`, 200, "2030-01-03T03:00:00.000Z", "Asia/Tokyo", "+09:00"},
		{"cron Berlin", `{"schedule_type": "cron", "schedule": "0 3 * * *", "tz": "Europe/Berlin"}`, 200, "2030-01-03T02:00:00.000Z", "Europe/Berlin", "+01:00"},
		{"oncalendar", `{"schedule_type": "oncalendar", "schedule": "*-*-* 06:00:00"}`, 200, "2030-01-02T06:00:00.000Z", "UTC", "+00:00"},
		{"bad cron", `{"schedule_type": "cron", "schedule": "* * *"}`, 400, "schedule: ", "", ""},
		{"never", `{"schedule_type": "cron", "schedule": "0 0 30 2 *"}`, 400, "never", "", ""},
		{"no expression", `{"schedule_type": "cron"}`, 400, "schedule is required", "", ""},
		{"bad type", `{"schedule_type": "hourly"}`, 400, "schedule_type must be", "", ""},
		{"bad tz", `{"schedule_type": "cron", "schedule": "* * * * *", "tz": "Nowhere/City"}`, 400, "tz: unknown time zone", "", ""},
		{"interval 0", `{"interval_seconds": 0}`, 400, "interval_seconds must be between 1 and", "", ""},
		{"interval string", `{"interval_seconds": "60"}`, 400, `field "interval_seconds" must be an integer`, "", ""},
		{"unknown field", `{"grace_seconds": 5}`, 400, `unknown field "grace_seconds"`, "", ""},
		{"malformed", `{"schedule_type": `, 400, "malformed JSON", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", "/api/v1/schedule/preview", u.Key, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if tt.status != 200 {
				if d := apiDetail(t, rec); !strings.Contains(d, tt.want) {
					t.Errorf("detail %q, want %q", d, tt.want)
				}
				return
			}
			var got struct {
				Next      []string `json:"next"`
				TZ        string   `json:"tz"`
				NextLocal []string `json:"next_local"`
			}
			apiJSON(t, rec, &got)
			if len(got.Next) != 5 || got.Next[0] != tt.want {
				t.Errorf("next %v, want 5 starting %s", got.Next, tt.want)
			}
			// The same instants in the zone, with its offset.
			for i, l := range got.NextLocal {
				lt, err := time.Parse(time.RFC3339, l)
				ut, _ := time.Parse(time.RFC3339, got.Next[i])
				if err != nil || !lt.Equal(ut) || !strings.HasSuffix(l, tt.offset) {
					t.Errorf("next_local[%d] %q, want %s with offset %s", i, l, got.Next[i], tt.offset)
				}
			}
			if len(got.NextLocal) != 5 || got.TZ != tt.tz {
				t.Errorf("tz %q next_local %v, want %s", got.TZ, got.NextLocal, tt.tz)
			}
			for i := 1; i < len(got.Next); i++ {
				a, _ := time.Parse(time.RFC3339, got.Next[i-1])
				b, err := time.Parse(time.RFC3339, got.Next[i])
				if err != nil || !b.After(a) {
					t.Errorf("next %v not increasing RFC 3339", got.Next)
				}
			}
		})
	}
}
