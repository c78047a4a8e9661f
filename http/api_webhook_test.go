package http_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

func TestWebhook(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	path := "/api/v1/checks/" + apiItoa(id) + "/webhook"
	const hook = "https://hooks.example.com/ttr?token=s3cret"

	webhookOf := func(rec string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(rec), &m); err != nil {
			t.Fatal(err)
		}
		return m["channels"].(map[string]any)["webhook"].(map[string]any)
	}

	rec := e.do("PUT", path, u.Key, map[string]any{"webhook_url": hook})
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "s3cret") || strings.Contains(rec.Body.String(), "hooks.example.com") {
		t.Errorf("the URL is echoed: %s", rec.Body)
	}
	if wh := webhookOf(rec.Body.String()); wh["enabled"] != true || wh["configured"] != true {
		t.Errorf("webhook %v", wh)
	}
	ch := e.store.channels[id]
	if len(ch) != 1 || ch[0].Name != "webhook" || !ch[0].Enabled {
		t.Fatalf("channels %+v", ch)
	}
	if strings.Contains(string(ch[0].ConfigEnc), "s3cret") {
		t.Error("the URL is stored in plaintext")
	}
	plain, err := e.ring.Open(ch[0].ConfigEnc, keyring.ChannelAD(u.ID, id, "webhook"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var cfg messages.ChannelConfig
	if err := json.Unmarshal(plain, &cfg); err != nil || cfg.URL != hook {
		t.Errorf("sealed config %s (%v)", plain, err)
	}
	// Bound to its row: another check's AD does not open it.
	if _, err := e.ring.Open(ch[0].ConfigEnc, keyring.ChannelAD(u.ID, id+1, "webhook")); err == nil {
		t.Error("opens under another check's AD")
	}

	// Disable only: the URL stays.
	rec = e.do("PUT", path, u.Key, `{"webhook_enabled": false}`)
	if wh := webhookOf(rec.Body.String()); rec.Code != 200 || wh["enabled"] != false || wh["configured"] != true {
		t.Errorf("disable: %d %v", rec.Code, rec.Body)
	}
	// Re-enable.
	rec = e.do("PUT", path, u.Key, `{"webhook_enabled": true}`)
	if wh := webhookOf(rec.Body.String()); rec.Code != 200 || wh["enabled"] != true || wh["configured"] != true {
		t.Errorf("enable: %d %v", rec.Code, rec.Body)
	}
	// New URL, stored disabled.
	rec = e.do("PUT", path, u.Key, `{"webhook_url": "http://10.0.0.1:8080/x", "webhook_enabled": false}`)
	if wh := webhookOf(rec.Body.String()); rec.Code != 200 || wh["enabled"] != false || wh["configured"] != true {
		t.Errorf("new disabled: %d %v", rec.Code, rec.Body)
	}
	// null clears.
	rec = e.do("PUT", path, u.Key, `{"webhook_url": null}`)
	if wh := webhookOf(rec.Body.String()); rec.Code != 200 || wh["enabled"] != false || wh["configured"] != false {
		t.Errorf("clear: %d %v", rec.Code, rec.Body)
	}
	// Enabling with nothing configured is refused.
	rec = e.do("PUT", path, u.Key, `{"webhook_enabled": true}`)
	if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "no webhook_url is configured") {
		t.Errorf("enable unconfigured: %d %s", rec.Code, rec.Body)
	}
	want := []string{
		"set_channel 1 1 webhook enabled=true config=true keep=false",
		"set_channel 1 1 webhook enabled=false config=false keep=true",
		"set_channel 1 1 webhook enabled=true config=false keep=true",
		"set_channel 1 1 webhook enabled=false config=true keep=false",
		"set_channel 1 1 webhook enabled=false config=false keep=false",
	}
	if got := e.checks.Calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The check's GET never shows the URL either.
	if rec := e.do("GET", "/api/v1/checks/"+apiItoa(id), u.Key, nil); strings.Contains(rec.Body.String(), "10.0.0.1") {
		t.Error("GET shows the URL")
	}
}

func TestWebhookValidation(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	path := "/api/v1/checks/" + apiItoa(id) + "/webhook"
	tests := []struct {
		body, detail string
	}{
		{`{}`, "give webhook_url, webhook_enabled or both"},
		{`{"webhook_url": 5}`, "webhook_url must be a string or null"},
		{`{"webhook_url": ["https://x"]}`, "webhook_url must be a string or null"},
		{`{"webhook_enabled": "yes"}`, `field "webhook_enabled" must be true or false`},
		{`{"webhook_url": "ftp://example.com/"}`, "webhook_url must be an http or https URL with a host"},
		{`{"webhook_url": "javascript:alert(1)"}`, "must be an http or https URL"},
		{`{"webhook_url": "https://"}`, "with a host"},
		{`{"webhook_url": "https:///path"}`, "with a host"},
		{`{"webhook_url": "example.com/hook"}`, "must be an http or https URL"},
		{`{"webhook_url": "https://exa mple.com"}`, "must not contain spaces"},
		{`{"webhook_url": "https://example.com/\n"}`, "must not contain spaces or control characters"},
		{`{"webhook_url": "https://example.com/` + strings.Repeat("a", 2000) + `"}`, "at most 2000 characters"},
		{`{"webhook_url": "https://example.com/%zz"}`, "must be an http or https URL"},
		{`{"webhook_url": null, "webhook_enabled": true}`, "webhook_enabled cannot be true without a webhook_url"},
		{`{"webhook_url": "", "webhook_enabled": true}`, "webhook_enabled cannot be true without a webhook_url"},
		{`{"webhook_url": "https://example.com", "extra": 1}`, `unknown field "extra"`},
		{`{"url": "https://example.com"}`, `unknown field "url"`},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			rec := e.do("PUT", path, u.Key, tt.body)
			if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), tt.detail) {
				t.Errorf("got %d %s, want 400 containing %q", rec.Code, rec.Body, tt.detail)
			}
		})
	}
	if len(e.checks.Calls()) != 0 {
		t.Errorf("invalid input reached the actor: %v", e.checks.Calls())
	}
	// Accepted shapes.
	for _, body := range []string{
		`{"webhook_url": "http://example.com"}`,
		`{"webhook_url": "HTTPS://Example.com:8443/a?b=c#d"}`,
		`{"webhook_url": "https://user:pass@example.com/"}`,
		`{"webhook_url": "https://[::1]:9/x"}`,
		`{"webhook_url": "https://example.com/` + strings.Repeat("a", 1980) + `"}`,
	} {
		if rec := e.do("PUT", path, u.Key, body); rec.Code != 200 {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}
}
