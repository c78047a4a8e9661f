package http_test

import (
	"net/netip"
	"strings"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

// TestNoSilentMisconfiguration: each setting the server could never honour is refused when it
// is saved, with a message naming the problem, instead of being accepted and dropped or
// failing later.
func TestNoSilentMisconfiguration(t *testing.T) {
	noSMTP := func(c *ttrhttp.Config, _ *ttrhttp.Deps) { c.EmailEnabled = false }
	tests := []struct {
		name         string
		edit         func(*ttrhttp.Config, *ttrhttp.Deps)
		method, path string // path under the check ("" = the check; POST /api/v1/checks when method is CREATE)
		body         string
		detail       []string
	}{
		{"email without SMTP", noSMTP, "PUT", "/email", `{"email_to": "ops@example.com"}`,
			[]string{"email alerts are not available on this server", "no SMTP settings"}},
		{"email enabled without SMTP", noSMTP, "PUT", "/email", `{"email_enabled": true}`,
			[]string{"email alerts are not available"}},
		{"interval with a cron schedule on create", nil, "CREATE", "",
			`{"schedule_type": "interval", "schedule": "*/5 * * * *"}`,
			[]string{`schedule_type "interval" does not take a schedule expression`}},
		{"interval with a cron schedule on PATCH", nil, "PATCH", "",
			`{"schedule_type": "interval", "schedule": "*/5 * * * *"}`,
			[]string{`schedule_type "interval" does not take a schedule expression`}},
		{"a cron schedule for an interval check", nil, "PUT", "", `{"schedule": "*/5 * * * *"}`,
			[]string{`schedule is given but the check's schedule_type is "interval"`}},
		{"a schedule alone on create", nil, "CREATE", "", `{"schedule": "0 3 * * *"}`,
			[]string{`schedule is given but the check's schedule_type is "interval"`}},
		{"unknown field", nil, "PATCH", "", `{"name": null, "slug": "x", "slug ": 1}`,
			[]string{`unknown field "slug "`}},
		{"name with NUL, newline and ESC", nil, "PATCH", "", `{"name": "a\u0000b\nc\u001b[31m"}`,
			[]string{"NUL", "line breaks", "ESC"}},
		{"name with NUL, newline and ESC on create", nil, "CREATE", "", `{"name": "a\u0000b\nc\u001b[31m"}`,
			[]string{"name must not contain NUL, line breaks and ESC (escape sequences)"}},
		{"webhook to a loopback address", nil, "PUT", "/webhook", `{"webhook_url": "http://127.0.0.1:9000/hook"}`,
			[]string{"webhook_url: alerts may not be sent to 127.0.0.1", "--webhook-allow-nets"}},
		{"webhook to localhost", nil, "PUT", "/webhook", `{"webhook_url": "http://localhost:9000/hook"}`,
			[]string{"webhook_url: alerts may not be sent to localhost (127.0.0.1)"}},
		{"slack to a private address", nil, "PUT", "/slack", `{"slack_webhook_url": "https://10.0.0.7/hook"}`,
			[]string{"slack_webhook_url: alerts may not be sent to 10.0.0.7"}},
		{"webhook to the metadata address", nil, "PUT", "/webhook", `{"webhook_url": "http://169.254.169.254/latest"}`,
			[]string{"169.254.169.254"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edits []func(*ttrhttp.Config, *ttrhttp.Deps)
			if tt.edit != nil {
				edits = append(edits, tt.edit)
			}
			e := newAPIEnv(t, edits...)
			u := e.newUser()
			id := apiID(t, e.create(u, nil))
			method, path := tt.method, "/api/v1/checks/"+apiItoa(id)+tt.path
			if method == "CREATE" {
				method, path = "POST", "/api/v1/checks"
			}
			rec := e.do(method, path, u.Key, tt.body)
			if rec.Code != 400 {
				t.Fatalf("%d %s, want 400", rec.Code, rec.Body)
			}
			d := apiDetail(t, rec)
			for _, want := range tt.detail {
				if !strings.Contains(d, want) {
					t.Errorf("detail %q does not say %q", d, want)
				}
			}
			c, _ := e.store.check(id)
			if c.ConfigVersion != 1 || len(e.store.channels[id]) != 0 {
				t.Errorf("a refused request changed the check: config version %d, channels %v", c.ConfigVersion, e.store.channels[id])
			}
		})
	}
}

// TestAllowedNetsAndNamesAreAccepted: what the operator allows, and host names (checked after
// DNS resolution when delivering), are accepted; so is switching an email channel off on a
// server without SMTP settings.
func TestAllowedNetsAndNamesAreAccepted(t *testing.T) {
	e := newAPIEnv(t, func(c *ttrhttp.Config, _ *ttrhttp.Deps) {
		c.EmailEnabled = false
		c.WebhookAllowNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	for _, rq := range []struct{ path, body string }{
		{"/webhook", `{"webhook_url": "http://127.0.0.1:9000/hook"}`},
		{"/webhook", `{"webhook_url": "http://localhost:9000/hook"}`},
		{"/webhook", `{"webhook_url": "http://hooks.internal.example/x"}`},
		{"/email", `{"email_enabled": false}`},
		{"/email", `{"email_to": null}`},
	} {
		if rec := e.do("PUT", "/api/v1/checks/"+apiItoa(id)+rq.path, u.Key, rq.body); rec.Code != 200 {
			t.Errorf("PUT %s %s: %d %s", rq.path, rq.body, rec.Code, rec.Body)
		}
	}
	// A check that was cron switches to interval without sending its old expression.
	rec := e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, `{"schedule_type": "cron", "schedule": "0 3 * * *"}`)
	if rec.Code != 200 {
		t.Fatalf("to cron: %d %s", rec.Code, rec.Body)
	}
	rec = e.do("PATCH", "/api/v1/checks/"+apiItoa(id), u.Key, `{"schedule_type": "interval"}`)
	if c, _ := e.store.check(id); rec.Code != 200 || c.ScheduleType != messages.ScheduleInterval || c.Schedule != "" {
		t.Errorf("to interval: %d %s; stored %q %q", rec.Code, rec.Body, c.ScheduleType, c.Schedule)
	}
}
