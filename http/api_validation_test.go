package http_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

func TestCheckValidation(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	rep := strings.Repeat
	tags := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(" t" + apiItoa(int64(i)))
		}
		return `"` + strings.TrimSpace(b.String()) + `"`
	}
	tests := []struct {
		name   string
		body   string
		status int
		detail string // substring of {"detail"}
	}{
		// The body itself.
		{"malformed", `{`, 400, "malformed JSON"},
		{"malformed value", `{"name": nope}`, 400, "malformed JSON"},
		{"empty body", ``, 400, "request body is empty"},
		{"array", `[]`, 400, "must be a JSON object"},
		{"null body", `null`, 400, "must be a JSON object"},
		{"string body", `"x"`, 400, "must be a JSON object"},
		{"two objects", `{} {}`, 400, "one JSON object"},
		{"unknown field", `{"name": "a", "foo": 1}`, 400, `unknown field "foo"`},
		{"unknown field case", `{"Name": "a"}`, 400, `unknown field "Name"`},
		{"read-only fields ignored", `{"id": 99, "uuid": "x", "created_at": "2000-01-01T00:00:00Z", "status": "down",
			"late": true, "started": true, "last_ping": null, "last_start": "x", "last_duration_seconds": 3,
			"next_deadline": null, "n_pings": 5, "failure_count": 2, "last_reason": "r", "ping_url": "u",
			"hc_ping_url": "u", "channels": {"webhook": {"enabled": true}}, "owner_node": "n1"}`, 201, ""},

		// Types.
		{"name number", `{"name": 1}`, 400, "name must be a string"},
		{"name object", `{"name": {}}`, 400, "name must be a string"},
		{"tags number", `{"tags": 5}`, 400, "tags must be a list of strings or a space-separated string"},
		{"tags numbers", `{"tags": [1]}`, 400, "tags must be a list of strings"},
		{"tags nested", `{"tags": [["a"]]}`, 400, "tags must be a list of strings"},
		{"interval string", `{"interval_seconds": "60"}`, 400, "interval_seconds must be an integer"},
		{"interval fraction", `{"interval_seconds": 1.5}`, 400, "interval_seconds must be an integer"},
		{"interval exponent", `{"interval_seconds": 1e3}`, 400, "interval_seconds must be an integer"},
		{"interval bool", `{"interval_seconds": true}`, 400, "interval_seconds must be an integer"},
		{"interval overflow", `{"interval_seconds": 99999999999999999999}`, 400, "interval_seconds is out of range"},
		{"grace string", `{"grace_seconds": "x"}`, 400, "grace_seconds must be an integer"},
		{"notify string", `{"notify_after_failures": "2"}`, 400, "notify_after_failures must be an integer"},
		{"notify overflow int32", `{"notify_after_failures": 4294967297}`, 400, "notify_after_failures must be between 1 and 1000"},
		{"manual_resume string", `{"manual_resume": "yes"}`, 400, "manual_resume must be true or false"},
		{"notify_on_up number", `{"notify_on_up": 1}`, 400, "notify_on_up must be true or false"},
		{"schedule number", `{"schedule_type": "cron", "schedule": 5}`, 400, "schedule must be a string"},

		// name, desc.
		{"name 100", `{"name": "` + rep("n", 100) + `"}`, 201, ""},
		{"name 100 runes", `{"name": "` + rep("☃", 100) + `"}`, 201, ""},
		{"name 101", `{"name": "` + rep("n", 101) + `"}`, 400, "name must be at most 100 characters"},
		{"desc 10000", `{"desc": "` + rep("d", 10000) + `"}`, 201, ""},
		{"desc 10001", `{"desc": "` + rep("d", 10001) + `"}`, 400, "desc must be at most 10000 characters"},

		// tags.
		{"tags 20", `{"tags": ` + tags(20) + `}`, 201, ""},
		{"tags 21", `{"tags": ` + tags(21) + `}`, 400, "at most 20 tags"},
		{"tags repeated count once", `{"tags": "a a a a a a a a a a a a a a a a a a a a a a a a a"}`, 201, ""},
		{"tag charset", `{"tags": ["ok", "no way"]}`, 400, `tags: "no way" is not a tag`},
		{"tag symbol", `{"tags": ["a/b"]}`, 400, `"a/b" is not a tag`},
		{"tag empty", `{"tags": [""]}`, 400, `"" is not a tag`},
		{"tag 50", `{"tags": ["` + rep("t", 50) + `"]}`, 201, ""},
		{"tag 51", `{"tags": ["` + rep("t", 51) + `"]}`, 400, "is not a tag"},
		{"tag punctuation", `{"tags": ["env:prod", "v1.2", "a_b-c", "UPPER"]}`, 201, ""},
		{"tags null", `{"tags": null}`, 201, ""},

		// slug.
		{"slug ok", `{"slug": "my_slug-1"}`, 201, ""},
		{"slug empty is default", `{"slug": ""}`, 201, ""},
		{"slug null is default", `{"slug": null}`, 201, ""},
		{"slug 64", `{"slug": "` + rep("s", 64) + `"}`, 201, ""},
		{"slug 65", `{"slug": "` + rep("s", 65) + `"}`, 400, "slug must be 1 to 64 characters"},
		{"slug upper", `{"slug": "Backup"}`, 400, "slug must be 1 to 64 characters of a-z, 0-9, _ and -"},
		{"slug space", `{"slug": "a b"}`, 400, "slug must be"},
		{"slug slash", `{"slug": "a/b"}`, 400, "slug must be"},
		{"slug dot", `{"slug": "a.b"}`, 400, "slug must be"},
		{"slug unicode", `{"slug": "é"}`, 400, "slug must be"},
		{"slug start", `{"slug": "start"}`, 400, `slug "start" is reserved`},
		{"slug fail", `{"slug": "fail"}`, 400, `slug "fail" is reserved`},
		{"slug log", `{"slug": "log"}`, 400, `slug "log" is reserved`},
		{"slug badge.svg", `{"slug": "badge.svg"}`, 400, "slug must be"},
		{"slug digits", `{"slug": "12345"}`, 400, "slug must not be all digits"},
		{"slug zero", `{"slug": "0"}`, 400, "slug must not be all digits"},
		{"slug digits and dash", `{"slug": "123-45"}`, 201, ""},
		{"slug uuid", `{"slug": "0f0e0d0c-0b0a-4909-8807-060504030201"}`, 400, "slug must not look like a UUID"},
		{"slug uuid no dashes", `{"slug": "0f0e0d0c0b0a49098807060504030201"}`, 400, "slug must not look like a UUID"},
		{"slug almost uuid", `{"slug": "0f0e0d0c-0b0a-4909-8807-06050403020g"}`, 201, ""},

		// schedule.
		{"schedule_type unknown", `{"schedule_type": "weekly"}`, 400, `schedule_type must be "interval", "cron" or "oncalendar"`},
		{"schedule_type empty", `{"schedule_type": ""}`, 400, "schedule_type must be"},
		{"cron without expression", `{"schedule_type": "cron"}`, 400, `schedule is required when schedule_type is "cron"`},
		{"cron blank expression", `{"schedule_type": "cron", "schedule": "  "}`, 400, "schedule is required"},
		{"cron bad", `{"schedule_type": "cron", "schedule": "61 * * * *"}`, 400, "schedule: "},
		{"cron garbage", `{"schedule_type": "cron", "schedule": "every day"}`, 400, "schedule: "},
		{"cron never", `{"schedule_type": "cron", "schedule": "0 0 30 2 *"}`, 400, "never"},
		{"cron ok", `{"schedule_type": "cron", "schedule": "*/5 * * * *", "tz": "America/New_York"}`, 201, ""},
		{"oncalendar ok", `{"schedule_type": "oncalendar", "schedule": "*-*-* 03:00:00"}`, 201, ""},
		{"oncalendar bad", `{"schedule_type": "oncalendar", "schedule": "someday"}`, 400, "schedule: "},
		{"oncalendar without expression", `{"schedule_type": "oncalendar"}`, 400, "schedule is required"},
		{"tz unknown", `{"tz": "Mars/Olympus"}`, 400, `tz: unknown time zone "Mars/Olympus"`},
		{"tz path", `{"tz": "../../etc/passwd"}`, 400, "tz: "},
		{"tz Local", `{"tz": "Local"}`, 400, "tz: "},
		{"tz empty is UTC", `{"tz": ""}`, 201, ""},
		{"interval 0", `{"interval_seconds": 0}`, 400, "interval_seconds must be between 1 and 31536000"},
		{"interval negative", `{"interval_seconds": -5}`, 400, "interval_seconds must be between"},
		{"interval 365d+1", `{"interval_seconds": 31536001}`, 400, "interval_seconds must be between"},
		{"interval 1", `{"interval_seconds": 1}`, 201, ""},
		{"interval 365d", `{"interval_seconds": 31536000}`, 201, ""},

		// grace, runtime, alerting.
		{"grace negative", `{"grace_seconds": -1}`, 400, "grace_seconds must be between 0 and 31536000"},
		{"grace too long", `{"grace_seconds": 31536001}`, 400, "grace_seconds must be between"},
		{"grace 0", `{"grace_seconds": 0}`, 201, ""},
		{"max_runtime negative", `{"max_runtime_seconds": -1}`, 400, "max_runtime_seconds must be between 0 and"},
		{"max_runtime too long", `{"max_runtime_seconds": 31536001}`, 400, "max_runtime_seconds must be between"},
		{"max_runtime ok", `{"max_runtime_seconds": 600}`, 201, ""},
		{"notify 0", `{"notify_after_failures": 0}`, 400, "notify_after_failures must be between 1 and 1000"},
		{"notify 1001", `{"notify_after_failures": 1001}`, 400, "notify_after_failures must be between 1 and 1000"},
		{"notify 1000", `{"notify_after_failures": 1000}`, 201, ""},
		{"realert 30", `{"realert_interval_seconds": 30}`, 400, "realert_interval_seconds must be 0 (never) or between 60 and 31536000"},
		{"realert negative", `{"realert_interval_seconds": -60}`, 400, "realert_interval_seconds must be 0"},
		{"realert too long", `{"realert_interval_seconds": 31536001}`, 400, "realert_interval_seconds must be 0"},
		{"realert 60", `{"realert_interval_seconds": 60}`, 201, ""},

		// content rule.
		{"rule string", `{"content_rule": "x"}`, 400, "content_rule must be an object {type, pattern, regex} or null"},
		{"rule array", `{"content_rule": []}`, 400, "content_rule must be an object"},
		{"rule empty", `{"content_rule": {}}`, 400, "content_rule.type is required"},
		{"rule no pattern", `{"content_rule": {"type": "present"}}`, 400, "content_rule.pattern is required"},
		{"rule bad type", `{"content_rule": {"type": "maybe", "pattern": "x"}}`, 400, "content_rule: type must be"},
		{"rule type number", `{"content_rule": {"type": 1, "pattern": "x"}}`, 400, `content_rule: field "type" must be a string`},
		{"rule regex string", `{"content_rule": {"type": "present", "pattern": "x", "regex": "yes"}}`, 400, `content_rule: field "regex" must be true or false`},
		{"rule unknown field", `{"content_rule": {"type": "present", "pattern": "x", "x": 1}}`, 400, `content_rule: unknown field "x"`},
		{"rule empty pattern", `{"content_rule": {"type": "present", "pattern": ""}}`, 400, "content_rule: pattern is empty"},
		{"rule bad regex", `{"content_rule": {"type": "present", "pattern": "(", "regex": true}}`, 400, "content_rule: invalid regular expression"},
		{"rule long pattern", `{"content_rule": {"type": "absent", "pattern": "` + rep("p", 1001) + `"}}`, 400, "content_rule: pattern is 1001 characters long"},
		{"rule ok", `{"content_rule": {"type": "present", "pattern": "^OK$", "regex": true}}`, 201, ""},
		{"rule null", `{"content_rule": null}`, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", "/api/v1/checks", u.Key, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.detail != "" {
				if d := apiDetail(t, rec); !strings.Contains(d, tt.detail) {
					t.Errorf("detail %q, want it to contain %q", d, tt.detail)
				}
			}
		})
	}
}

func TestReadOnlyFieldsRoundTrip(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	created := e.create(u, map[string]any{"name": "a", "tags": []string{"x", "y"}, "schedule_type": "cron", "schedule": "0 * * * *"})
	id := apiID(t, created)
	e.store.setCheck(id, func(c *messages.Check) { c.Status = messages.StatusDown; c.FailureCount = 3 })
	got := e.do("GET", "/api/v1/checks/"+apiItoa(id), u.Key, nil)
	// Sending the GET back unchanged, with PUT and with PATCH, changes nothing but the
	// config_version (every edit counts) and is no error.
	version := func(s string) string {
		return regexp.MustCompile(`"config_version":[0-9]+`).ReplaceAllString(s, `"config_version":N`)
	}
	for _, m := range []string{"PUT", "PATCH"} {
		rec := e.do(m, "/api/v1/checks/"+apiItoa(id), u.Key, got.Body.String())
		if rec.Code != 200 {
			t.Fatalf("%s of the GET body: %d %s", m, rec.Code, rec.Body)
		}
		if version(rec.Body.String()) != version(got.Body.String()) {
			t.Errorf("%s changed the check:\n%s\n%s", m, got.Body, rec.Body)
		}
	}
	c, _ := e.store.check(id)
	if c.Status != messages.StatusDown || c.FailureCount != 3 {
		t.Errorf("read-only fields were applied: %+v", c.CheckState)
	}
}

func TestSlugOwnUUID(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	a := e.create(u, map[string]any{"slug": "a"})
	b := e.create(u, nil)
	// A check may take its own uuid back as its slug, not another's.
	rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(apiID(t, a)), u.Key, map[string]any{"slug": a["uuid"]})
	if rec.Code != 200 {
		t.Errorf("own uuid: %d %s", rec.Code, rec.Body)
	}
	rec = e.do("PATCH", "/api/v1/checks/"+apiItoa(apiID(t, a)), u.Key, map[string]any{"slug": b["uuid"]})
	if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "UUID") {
		t.Errorf("other's uuid: %d %s", rec.Code, rec.Body)
	}
	// PATCH slug null goes back to the uuid.
	rec = e.do("PATCH", "/api/v1/checks/"+apiItoa(apiID(t, a)), u.Key, `{"slug": null}`)
	var m map[string]any
	apiJSON(t, rec, &m)
	if m["slug"] != a["uuid"] {
		t.Errorf("slug after null = %v, want %v", m["slug"], a["uuid"])
	}
}

func TestIntervalDropsExpression(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, map[string]any{"schedule_type": "cron", "schedule": "0 * * * *"}))
	rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, `{"schedule_type": "interval", "interval_seconds": 60}`)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	c, _ := e.store.check(id)
	if c.ScheduleType != messages.ScheduleInterval || c.Schedule != "" || c.IntervalSeconds != 60 {
		t.Errorf("config %+v", c.CheckConfig)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newAPIEnv(t, func(c *ttrhttp.Config, _ *ttrhttp.Deps) { c.APIBodyLimit = 1000 })
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	big := `{"desc": "` + strings.Repeat("d", 2000) + `"}`
	for _, rq := range []struct{ method, path string }{
		{"POST", "/api/v1/checks"},
		{"PUT", "/api/v1/checks/" + apiItoa(id)},
		{"PATCH", "/api/v1/checks/" + apiItoa(id)},
		{"PUT", "/api/v1/checks/" + apiItoa(id) + "/webhook"},
		{"POST", "/api/v1/schedule/preview"},
	} {
		rec := e.do(rq.method, rq.path, u.Key, big)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(apiDetail(t, rec), "larger than 1000 bytes") {
			t.Errorf("%s %s: %d %s", rq.method, rq.path, rec.Code, rec.Body)
		}
	}
	// Trailing garbage beyond the limit after one valid object is 413 too, not 400.
	rec := e.do("POST", "/api/v1/checks", u.Key, `{}`+strings.Repeat(" ", 2000)+`x`)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("trailing: %d %s", rec.Code, rec.Body)
	}
}

func TestContentTypeMustBeJSON(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	rec := e.do("POST", "/api/v1/checks", u.Key, `{}`, "Content-Type", "text/plain")
	if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "application/json") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	rec = e.do("POST", "/api/v1/checks", u.Key, `{}`, "Content-Type", "application/json; charset=utf-8")
	if rec.Code != 201 {
		t.Errorf("with charset: %d %s", rec.Code, rec.Body)
	}
}
