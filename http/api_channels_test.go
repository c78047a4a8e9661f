package http_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

const (
	testBotToken  = "123456789:AAEs3cretTokenValue_0123456789"
	testBotToken2 = "987654321:BBEs3cretTokenValue_9876543210"
)

// channelCase configures one channel: set gives every field, alt changes one of them.
type channelCase struct {
	name     string
	enabled  string
	set      map[string]any
	want     messages.ChannelConfig
	alt      map[string]any
	altWant  messages.ChannelConfig
	clear    string   // a field whose null clears the channel
	secrets  []string // never in a response
	required string   // for a partial first configuration: the field it lacks ("" = one field)
	partial  map[string]any
}

var channelCases = []channelCase{
	{
		name: "telegram", enabled: "telegram_enabled",
		set:      map[string]any{"telegram_bot_token": testBotToken, "telegram_chat_id": "-1001234567890"},
		want:     messages.ChannelConfig{BotToken: testBotToken, ChatID: "-1001234567890"},
		alt:      map[string]any{"telegram_chat_id": "@ops_alerts"},
		altWant:  messages.ChannelConfig{BotToken: testBotToken, ChatID: "@ops_alerts"},
		clear:    "telegram_chat_id",
		secrets:  []string{"s3cretToken", "1001234567890", "ops_alerts"},
		required: "telegram_bot_token",
		partial:  map[string]any{"telegram_chat_id": "42"},
	},
	{
		name: "slack", enabled: "slack_enabled",
		set:     map[string]any{"slack_webhook_url": "https://hooks.slack.com/services/T0/B0/s3cretSlack"},
		want:    messages.ChannelConfig{URL: "https://hooks.slack.com/services/T0/B0/s3cretSlack"},
		alt:     map[string]any{"slack_webhook_url": "https://hooks.slack.com/services/T1/B1/s3cretSlack2"},
		altWant: messages.ChannelConfig{URL: "https://hooks.slack.com/services/T1/B1/s3cretSlack2"},
		clear:   "slack_webhook_url",
		secrets: []string{"s3cretSlack", "hooks.slack.com"},
	},
	{
		name: "discord", enabled: "discord_enabled",
		set:     map[string]any{"discord_webhook_url": "https://discord.com/api/webhooks/1/s3cretDiscord"},
		want:    messages.ChannelConfig{URL: "https://discord.com/api/webhooks/1/s3cretDiscord"},
		alt:     map[string]any{"discord_webhook_url": "https://discord.com/api/webhooks/2/s3cretDiscord2"},
		altWant: messages.ChannelConfig{URL: "https://discord.com/api/webhooks/2/s3cretDiscord2"},
		clear:   "discord_webhook_url",
		secrets: []string{"s3cretDiscord", "discord.com"},
	},
	{
		name: "webhook", enabled: "webhook_enabled",
		set:     map[string]any{"webhook_url": "https://hooks.example.com/ttr?token=s3cret"},
		want:    messages.ChannelConfig{URL: "https://hooks.example.com/ttr?token=s3cret"},
		alt:     map[string]any{"webhook_url": "http://alerts.internal.example:8080/x"},
		altWant: messages.ChannelConfig{URL: "http://alerts.internal.example:8080/x"},
		clear:   "webhook_url",
		secrets: []string{"s3cret", "hooks.example.com", "alerts.internal.example"},
	},
	{
		name: "email", enabled: "email_enabled",
		set:     map[string]any{"email_to": "Ops Team <ops-s3cret@example.com>"},
		want:    messages.ChannelConfig{EmailTo: "ops-s3cret@example.com"},
		alt:     map[string]any{"email_to": "oncall-s3cret@example.org"},
		altWant: messages.ChannelConfig{EmailTo: "oncall-s3cret@example.org"},
		clear:   "email_to",
		secrets: []string{"s3cret", "example.org", "Ops Team"},
	},
}

// channelPath is /api/v1/checks/{id}/{channel}[/suffix].
func channelPath(id int64, channel string, suffix ...string) string {
	return "/api/v1/checks/" + apiItoa(id) + "/" + strings.Join(append([]string{channel}, suffix...), "/")
}

// channelJSON returns channels[name] of a check's JSON answer.
func channelJSONOf(tb testing.TB, rec *httptest.ResponseRecorder, name string) map[string]any {
	tb.Helper()
	var m map[string]any
	apiJSON(tb, rec, &m)
	chans, ok := m["channels"].(map[string]any)
	if !ok {
		tb.Fatalf("no channels in %s", rec.Body)
	}
	ch, ok := chans[name].(map[string]any)
	if !ok {
		tb.Fatalf("no channels.%s in %s", name, rec.Body)
	}
	return ch
}

// noSecrets fails when a response shows any of the secrets.
func noSecrets(tb testing.TB, rec *httptest.ResponseRecorder, secrets []string) {
	tb.Helper()
	for _, s := range secrets {
		if strings.Contains(rec.Body.String(), s) {
			tb.Errorf("the answer shows %q: %s", s, rec.Body)
		}
		for k, vs := range rec.Header() {
			for _, v := range vs {
				if strings.Contains(v, s) {
					tb.Errorf("header %s shows %q", k, s)
				}
			}
		}
	}
}

// storedChannel returns the stored row of a check's channel.
func (e *apiEnv) storedChannel(checkID int64, name string) (messages.Channel, bool) {
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	for _, ch := range e.store.channels[checkID] {
		if ch.Name == messages.ChannelKind(name) {
			return ch, true
		}
	}
	return messages.Channel{}, false
}

// putStoredChannel replaces a check's channel row in the store.
func (e *apiEnv) putStoredChannel(ch messages.Channel) {
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	chans := slices.DeleteFunc(e.store.channels[ch.CheckID], func(c messages.Channel) bool { return c.Name == ch.Name })
	e.store.channels[ch.CheckID] = append(chans, ch)
}

// openStored opens a channel's stored settings under its ChannelAD.
func (e *apiEnv) openStored(tb testing.TB, userID, checkID int64, name string) messages.ChannelConfig {
	tb.Helper()
	ch, ok := e.storedChannel(checkID, name)
	if !ok || len(ch.ConfigEnc) == 0 {
		tb.Fatalf("%s: nothing stored (%+v)", name, ch)
	}
	plain, err := e.ring.Open(ch.ConfigEnc, keyring.ChannelAD(userID, checkID, name))
	if err != nil {
		tb.Fatalf("%s: open under ChannelAD: %v", name, err)
	}
	var cfg messages.ChannelConfig
	if err := json.Unmarshal(plain, &cfg); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// wantChannel checks the channels entry of a check answer.
func wantChannel(tb testing.TB, rec *httptest.ResponseRecorder, name string, enabled, configured bool) {
	tb.Helper()
	if rec.Code != 200 {
		tb.Fatalf("%d %s", rec.Code, rec.Body)
	}
	ch := channelJSONOf(tb, rec, name)
	if ch["enabled"] != enabled || ch["configured"] != configured {
		tb.Errorf("channels.%s = %v, want enabled %v configured %v", name, ch, enabled, configured)
	}
}

func TestChannelPut(t *testing.T) {
	for _, tc := range channelCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newAPIEnv(t)
			u := e.newUser()
			id := apiID(t, e.create(u, map[string]any{"name": "nightly backup"}))
			path := channelPath(id, tc.name)
			do := func(body any) *httptest.ResponseRecorder {
				t.Helper()
				rec := e.do("PUT", path, u.Key, body)
				noSecrets(t, rec, tc.secrets)
				return rec
			}

			// Set: sealed under the channel's AD, enabled, configured.
			rec := do(tc.set)
			wantChannel(t, rec, tc.name, true, true)
			if got := e.openStored(t, u.ID, id, tc.name); got != tc.want {
				t.Errorf("sealed %+v, want %+v", got, tc.want)
			}
			stored, _ := e.storedChannel(id, tc.name)
			for _, s := range tc.secrets {
				if bytes.Contains(stored.ConfigEnc, []byte(s)) {
					t.Errorf("%q stored in plaintext", s)
				}
			}
			for _, ad := range [][]byte{
				keyring.ChannelAD(u.ID, id+1, tc.name),
				keyring.ChannelAD(u.ID+1, id, tc.name),
				keyring.ChannelAD(u.ID, id, tc.name+"x"),
			} {
				if _, err := e.ring.Open(stored.ConfigEnc, ad); err == nil {
					t.Errorf("opens under another row's AD %q", ad)
				}
			}

			// Toggle off: the settings stay as they were.
			wantChannel(t, do(map[string]any{tc.enabled: false}), tc.name, false, true)
			if again, _ := e.storedChannel(id, tc.name); !bytes.Equal(again.ConfigEnc, stored.ConfigEnc) {
				t.Error("disabling changed the stored settings")
			}

			// Change a setting: merged with the stored ones; enabled stays off.
			wantChannel(t, do(tc.alt), tc.name, false, true)
			if got := e.openStored(t, u.ID, id, tc.name); got != tc.altWant {
				t.Errorf("after merge %+v, want %+v", got, tc.altWant)
			}

			// Toggle on.
			wantChannel(t, do(map[string]any{tc.enabled: true}), tc.name, true, true)

			// A setting and enabled together.
			body := map[string]any{tc.enabled: false}
			for k, v := range tc.set {
				body[k] = v
			}
			wantChannel(t, do(body), tc.name, false, true)
			if got := e.openStored(t, u.ID, id, tc.name); got != tc.want {
				t.Errorf("sealed %+v, want %+v", got, tc.want)
			}

			// null clears the settings and disables.
			wantChannel(t, do(map[string]any{tc.enabled: true}), tc.name, true, true)
			wantChannel(t, do(map[string]any{tc.clear: nil}), tc.name, false, false)
			if ch, _ := e.storedChannel(id, tc.name); ch.Enabled || ch.ConfigEnc != nil {
				t.Errorf("after clear %+v", ch)
			}

			// Enabling an unconfigured channel is refused.
			rec = do(map[string]any{tc.enabled: true})
			if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), tc.enabled+": "+tc.name+" is not configured") {
				t.Errorf("enable unconfigured: %d %s", rec.Code, rec.Body)
			}

			// Configuring again enables it; "" clears like null.
			wantChannel(t, do(tc.set), tc.name, true, true)
			wantChannel(t, do(map[string]any{tc.clear: ""}), tc.name, false, false)

			// A setting cleared cannot be enabled at once.
			rec = do(map[string]any{tc.clear: nil, tc.enabled: true})
			if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), tc.enabled+" cannot be true when "+tc.clear+" is cleared") {
				t.Errorf("clear+enable: %d %s", rec.Code, rec.Body)
			}

			// The check's GET never shows a secret either.
			wantChannel(t, do(tc.set), tc.name, true, true)
			rec = e.do("GET", "/api/v1/checks/"+apiItoa(id), u.Key, nil)
			noSecrets(t, rec, tc.secrets)
			wantChannel(t, rec, tc.name, true, true)

			want := []string{
				"set_channel %d %d " + tc.name + " enabled=true config=true keep=false",
				"set_channel %d %d " + tc.name + " enabled=false config=false keep=true",
				"set_channel %d %d " + tc.name + " enabled=false config=true keep=false",
				"set_channel %d %d " + tc.name + " enabled=true config=false keep=true",
				"set_channel %d %d " + tc.name + " enabled=false config=true keep=false",
				"set_channel %d %d " + tc.name + " enabled=true config=false keep=true",
				"set_channel %d %d " + tc.name + " enabled=false config=false keep=false",
				"set_channel %d %d " + tc.name + " enabled=true config=true keep=false",
				"set_channel %d %d " + tc.name + " enabled=false config=false keep=false",
				"set_channel %d %d " + tc.name + " enabled=true config=true keep=false",
			}
			for i := range want {
				want[i] = strings.Replace(strings.Replace(want[i], "%d", apiItoa(u.ID), 1), "%d", apiItoa(id), 1)
			}
			if got := e.checks.Calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// Telegram has two settings: one may change alone once both are stored, not before.
func TestChannelPutTelegramMerge(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	path := channelPath(id, "telegram")

	rec := e.do("PUT", path, u.Key, map[string]any{"telegram_chat_id": "42"})
	if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "telegram_bot_token is required (telegram is not configured yet)") {
		t.Errorf("partial first configuration: %d %s", rec.Code, rec.Body)
	}
	rec = e.do("PUT", path, u.Key, map[string]any{"telegram_bot_token": testBotToken, "telegram_enabled": true})
	if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), "telegram_chat_id is required") {
		t.Errorf("partial first configuration: %d %s", rec.Code, rec.Body)
	}
	if len(e.checks.Calls()) != 0 {
		t.Fatalf("calls %v", e.checks.Calls())
	}

	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_bot_token": testBotToken, "telegram_chat_id": "42"}), "telegram", true, true)
	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_bot_token": testBotToken2}), "telegram", true, true)
	if got, want := e.openStored(t, u.ID, id, "telegram"), (messages.ChannelConfig{BotToken: testBotToken2, ChatID: "42"}); got != want {
		t.Errorf("token changed alone: %+v, want %+v", got, want)
	}
	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_chat_id": "@ops_alerts"}), "telegram", true, true)
	if got, want := e.openStored(t, u.ID, id, "telegram"), (messages.ChannelConfig{BotToken: testBotToken2, ChatID: "@ops_alerts"}); got != want {
		t.Errorf("chat id changed alone: %+v, want %+v", got, want)
	}
	// Clearing either one unconfigures the channel, whatever else the body sets.
	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_bot_token": nil, "telegram_chat_id": "7"}), "telegram", false, false)
	if ch, _ := e.storedChannel(id, "telegram"); ch.ConfigEnc != nil {
		t.Errorf("not cleared: %+v", ch)
	}
	// Another channel's settings do not leak into a merge.
	e.putStoredChannel(messages.Channel{CheckID: id, UserID: u.ID, Name: "telegram", Enabled: true,
		ConfigEnc: e.seal(t, u.ID, id, "telegram", messages.ChannelConfig{BotToken: testBotToken, ChatID: "1", URL: "https://stray"})})
	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_chat_id": "2"}), "telegram", true, true)
	if got, want := e.openStored(t, u.ID, id, "telegram"), (messages.ChannelConfig{BotToken: testBotToken, ChatID: "2"}); got != want {
		t.Errorf("merged %+v, want %+v", got, want)
	}
}

// seal seals settings as the edge stores them.
func (e *apiEnv) seal(tb testing.TB, userID, checkID int64, name string, cfg messages.ChannelConfig) []byte {
	tb.Helper()
	plain, err := json.Marshal(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	sealed, err := e.ring.Seal(plain, keyring.ChannelAD(userID, checkID, name))
	if err != nil {
		tb.Fatal(err)
	}
	return sealed
}

// Stored settings the key ring cannot open: changes that need them are refused with a way
// out, changes that do not go through.
func TestChannelPutUndecryptable(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	path := channelPath(id, "telegram")
	const detail = "stored settings cannot be decrypted; set every field again"
	broken := func() {
		// Sealed for another check: it does not open here (as after a key was removed).
		e.putStoredChannel(messages.Channel{CheckID: id, UserID: u.ID, Name: "telegram", Enabled: true,
			ConfigEnc: e.seal(t, u.ID, id+1, "telegram", messages.ChannelConfig{BotToken: testBotToken, ChatID: "1"})})
	}
	broken()
	for _, body := range []map[string]any{
		{"telegram_chat_id": "2"},
		{"telegram_bot_token": testBotToken2, "telegram_enabled": true},
		{"telegram_enabled": true},
	} {
		rec := e.do("PUT", path, u.Key, body)
		if rec.Code != 409 || apiDetail(t, rec) != detail {
			t.Errorf("%v: %d %s", body, rec.Code, rec.Body)
		}
	}
	for _, send := range []struct{ method, suffix string }{{"POST", "test"}, {"POST", "test-queue"}, {"GET", "rate"}} {
		rec := e.do(send.method, channelPath(id, "telegram", send.suffix), u.Key, nil)
		if rec.Code != 409 || apiDetail(t, rec) != detail {
			t.Errorf("%s: %d %s", send.suffix, rec.Code, rec.Body)
		}
	}
	if len(e.checks.Calls()) != 0 {
		t.Fatalf("calls %v", e.checks.Calls())
	}
	// Disabling and clearing need nothing stored.
	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_enabled": false}), "telegram", false, true)
	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_chat_id": nil}), "telegram", false, false)
	// Setting every field again replaces them.
	broken()
	wantChannel(t, e.do("PUT", path, u.Key, map[string]any{"telegram_bot_token": testBotToken2, "telegram_chat_id": "3"}), "telegram", true, true)
	if got, want := e.openStored(t, u.ID, id, "telegram"), (messages.ChannelConfig{BotToken: testBotToken2, ChatID: "3"}); got != want {
		t.Errorf("replaced %+v, want %+v", got, want)
	}
}

func TestChannelPutValidation(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 2000)
	tests := []struct {
		channel, body, detail string
	}{
		{"telegram", `{}`, "give at least one of telegram_bot_token, telegram_chat_id, telegram_enabled"},
		{"telegram", `{"telegram_bot_token": "abc:def", "telegram_chat_id": "1"}`, "telegram_bot_token must look like"},
		{"telegram", `{"telegram_bot_token": "12345:short", "telegram_chat_id": "1"}`, "telegram_bot_token must look like"},
		{"telegram", `{"telegram_bot_token": 123456789, "telegram_chat_id": "1"}`, "telegram_bot_token must be a string or null"},
		{"telegram", `{"telegram_bot_token": "` + testBotToken + `", "telegram_chat_id": "chat"}`, "telegram_chat_id must be an integer chat id"},
		{"telegram", `{"telegram_bot_token": "` + testBotToken + `", "telegram_chat_id": 42}`, "telegram_chat_id must be a string or null"},
		{"telegram", `{"telegram_bot_token": "` + testBotToken + `", "telegram_chat_id": "1.5"}`, "telegram_chat_id must be an integer chat id"},
		{"telegram", `{"telegram_bot_token": "` + testBotToken + `", "telegram_chat_id": "@ab"}`, "telegram_chat_id must be an integer chat id"},
		{"telegram", `{"telegram_chat_id": "\u0000"}`, "telegram_chat_id must not contain NUL"},
		{"telegram", `{"telegram_enabled": "yes"}`, "telegram_enabled must be true or false"},
		{"telegram", `{"telegram_enabled": null}`, "telegram_enabled must be true or false"},
		{"telegram", `{"webhook_url": "https://example.com"}`, `unknown field "webhook_url"`},
		{"telegram", `{"bot_token": "x"}`, `unknown field "bot_token"`},
		{"slack", `{}`, "give at least one of slack_webhook_url, slack_enabled"},
		{"slack", `{"slack_webhook_url": "ftp://hooks.slack.com/x"}`, "slack_webhook_url must be an http or https URL with a host"},
		{"slack", `{"slack_webhook_url": "` + long + `"}`, "slack_webhook_url must be at most 2000 characters"},
		{"slack", `{"slack_webhook_url": ["https://x"]}`, "slack_webhook_url must be a string or null"},
		{"slack", `{"discord_webhook_url": "https://x"}`, `unknown field "discord_webhook_url"`},
		{"discord", `{"discord_webhook_url": "discord.com/api/webhooks/1"}`, "discord_webhook_url must be an http or https URL"},
		{"discord", `{"discord_webhook_url": "https://"}`, "with a host"},
		{"discord", `{"discord_webhook_url": "` + long + `"}`, "at most 2000 characters"},
		{"webhook", `{}`, "give at least one of webhook_url, webhook_enabled"},
		{"webhook", `{"webhook_url": 5}`, "webhook_url must be a string or null"},
		{"webhook", `{"webhook_enabled": "yes"}`, "webhook_enabled must be true or false"},
		{"webhook", `{"webhook_url": "ftp://example.com/"}`, "webhook_url must be an http or https URL with a host"},
		{"webhook", `{"webhook_url": "javascript:alert(1)"}`, "must be an http or https URL"},
		{"webhook", `{"webhook_url": "https:///path"}`, "with a host"},
		{"webhook", `{"webhook_url": "https://exa mple.com"}`, "must not contain spaces"},
		{"webhook", `{"webhook_url": "https://example.com/\n"}`, "must not contain spaces or control characters"},
		{"webhook", `{"webhook_url": "https://example.com/%zz"}`, "must be an http or https URL"},
		{"webhook", `{"webhook_url": "` + long + `"}`, "at most 2000 characters"},
		{"webhook", `{"webhook_url": null, "webhook_enabled": true}`, "webhook_enabled cannot be true when webhook_url is cleared"},
		{"webhook", `{"webhook_url": "https://example.com", "extra": 1}`, `unknown field "extra"`},
		{"webhook", `{"url": "https://example.com"}`, `unknown field "url"`},
		{"email", `{}`, "give at least one of email_to, email_enabled"},
		{"email", `{"email_to": "a@example.com, b@example.com"}`, "email_to must be a single email address"},
		{"email", `{"email_to": "example.com"}`, "email_to must be a single email address"},
		{"email", `{"email_to": "a@example.com\r\nBcc: b@example.com"}`, "email_to must be a single email address"},
		{"email", `{"email_to": "` + strings.Repeat("a", 250) + `@example.com"}`, "email_to must be at most 254 characters"},
		{"email", `{"email_to": ["a@example.com"]}`, "email_to must be a string or null"},
		{"email", `{"email_enabled": true, "email_to": "a@example.com", "smtp_host": "x"}`, `unknown field "smtp_host"`},
		{"email", `[]`, "request body must be a JSON object"},
		{"email", `null`, "request body must be a JSON object"},
		{"email", `{"email_to": "a@example.com"} {}`, "request body must hold one JSON object"},
	}
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	for _, tt := range tests {
		t.Run(tt.channel+" "+tt.body, func(t *testing.T) {
			rec := e.do("PUT", channelPath(id, tt.channel), u.Key, tt.body)
			if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), tt.detail) {
				t.Errorf("got %d %s, want 400 containing %q", rec.Code, rec.Body, tt.detail)
			}
		})
	}
	if len(e.checks.Calls()) != 0 {
		t.Errorf("invalid input reached the actor: %v", e.checks.Calls())
	}
	// Accepted shapes.
	for _, rq := range []struct{ channel, body string }{
		{"webhook", `{"webhook_url": "http://example.com"}`},
		{"webhook", `{"webhook_url": "HTTPS://Example.com:8443/a?b=c#d"}`},
		{"webhook", `{"webhook_url": "https://user:pass@example.com/"}`},
		{"webhook", `{"webhook_url": "https://[2606:4700::1111]:9/x"}`},
		{"slack", `{"slack_webhook_url": "https://example.com/` + strings.Repeat("a", 1980) + `"}`},
		{"telegram", `{"telegram_bot_token": "` + testBotToken + `", "telegram_chat_id": "-100"}`},
		{"telegram", `{"telegram_chat_id": "@channel_name"}`},
		{"telegram", `{"telegram_chat_id": "9223372036854775807"}`},
		{"email", `{"email_to": "user+tag@sub.example.co.uk"}`},
		{"email", `{"email_to": "\"Jane Doe\" <jane@example.com>", "email_enabled": false}`},
		{"discord", `{"discord_enabled": false}`},
	} {
		if rec := e.do("PUT", channelPath(id, rq.channel), u.Key, rq.body); rec.Code != 200 {
			t.Errorf("%s %s: %d %s", rq.channel, rq.body, rec.Code, rec.Body)
		}
	}
}

// The check JSON's channels object has all five channels, configured or not, each with the
// fields of docs/api.md#the-check-json and nothing else.
func TestChannelsInCheckJSON(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	id := apiID(t, e.create(u, nil))
	at := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)
	e.putStoredChannel(messages.Channel{CheckID: id, UserID: u.ID, Name: "slack", Enabled: true,
		ConfigEnc: []byte("sealed"), LastStatus: messages.DeliveryError, LastMessage: "receiver answered 400", LastAt: at})
	e.putStoredChannel(messages.Channel{CheckID: id, UserID: u.ID, Name: "sms", Enabled: true, ConfigEnc: []byte("x")})

	rec := e.do("GET", "/api/v1/checks/"+apiItoa(id), u.Key, nil)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var m struct {
		Channels map[string]map[string]any `json:"channels"`
	}
	apiJSON(t, rec, &m)
	names := make([]string, 0, len(m.Channels))
	for n := range m.Channels {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"discord", "email", "slack", "telegram", "webhook"}; !slices.Equal(names, want) {
		t.Fatalf("channels %v, want %v", names, want)
	}
	fields := []string{"enabled", "configured", "last_notification_status", "last_notification_message", "last_notification_timestamp"}
	for name, ch := range m.Channels {
		if len(ch) != len(fields) {
			t.Errorf("%s: %v", name, ch)
		}
		for _, f := range fields {
			if _, ok := ch[f]; !ok {
				t.Errorf("%s lacks %s", name, f)
			}
		}
		if name == "slack" {
			continue
		}
		if ch["enabled"] != false || ch["configured"] != false || ch["last_notification_status"] != nil ||
			ch["last_notification_message"] != nil || ch["last_notification_timestamp"] != nil {
			t.Errorf("%s = %v", name, ch)
		}
	}
	if sl := m.Channels["slack"]; sl["enabled"] != true || sl["configured"] != true || sl["last_notification_status"] != "error" ||
		sl["last_notification_message"] != "receiver answered 400" || sl["last_notification_timestamp"] != "2030-01-02T03:00:00.000Z" {
		t.Errorf("slack = %v", sl)
	}
}

// Another user's check is not found, whatever the channel route; an unknown channel is no
// route at all.
func TestChannelRoutesScopedAndKnown(t *testing.T) {
	var log sendLog
	n, o := log.recording(nil, nil, nil)
	e := newAPIEnv(t, withNotifiers(n, o))
	owner, other := e.newUser(), e.newUser()
	id := apiID(t, e.create(owner, nil))
	for _, tc := range channelCases {
		if rec := e.do("PUT", channelPath(id, tc.name), owner.Key, tc.set); rec.Code != 200 {
			t.Fatalf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
	}
	calls := len(e.checks.Calls())
	for _, tc := range channelCases {
		for _, rq := range []struct {
			method, path string
			body         any
		}{
			{"PUT", channelPath(id, tc.name), tc.set},
			{"PUT", channelPath(id, tc.name), map[string]any{tc.enabled: false}},
			{"PUT", channelPath(id, tc.name), map[string]any{tc.clear: nil}},
			{"POST", channelPath(id, tc.name, "test"), nil},
			{"POST", channelPath(id, tc.name, "test-queue"), nil},
			{"GET", channelPath(id, tc.name, "rate"), nil},
		} {
			rec := e.do(rq.method, rq.path, other.Key, rq.body)
			if rec.Code != 404 || apiDetail(t, rec) != "not found" {
				t.Errorf("%s %s as another user: %d %s", rq.method, rq.path, rec.Code, rec.Body)
			}
			noSecrets(t, rec, tc.secrets)
		}
	}
	for _, rq := range []struct{ method, path string }{
		{"PUT", channelPath(id, "sms")},
		{"PUT", channelPath(id, "Telegram")},
		{"POST", channelPath(id, "sms", "test")},
		{"POST", channelPath(id, "pagerduty", "test-queue")},
		{"GET", channelPath(id, "sms", "rate")},
		{"POST", channelPath(id, "telegram", "send")},
	} {
		rec := e.do(rq.method, rq.path, owner.Key, `{}`)
		if rec.Code != 404 || apiDetail(t, rec) != "not found" {
			t.Errorf("%s %s: %d %s", rq.method, rq.path, rec.Code, rec.Body)
		}
	}
	for _, rq := range []struct{ method, path, allow string }{
		{"GET", channelPath(id, "telegram"), "PUT"},
		{"POST", channelPath(id, "email"), "PUT"},
		{"GET", channelPath(id, "slack", "test"), "POST"},
		{"PUT", channelPath(id, "discord", "test-queue"), "POST"},
		{"POST", channelPath(id, "webhook", "rate"), "GET"},
	} {
		rec := e.do(rq.method, rq.path, owner.Key, nil)
		if rec.Code != 405 || rec.Header().Get("Allow") != rq.allow {
			t.Errorf("%s %s: %d Allow %q", rq.method, rq.path, rec.Code, rec.Header().Get("Allow"))
		}
	}
	if got := len(e.checks.Calls()); got != calls {
		t.Errorf("another user's requests reached the actor: %v", e.checks.Calls()[calls:])
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.sent)+len(log.inserted)+len(log.pokes)+len(log.rates) != 0 {
		t.Errorf("another user's requests reached the notifiers: %d sends, %d rows, %d pokes, %d rate queries",
			len(log.sent), len(log.inserted), len(log.pokes), len(log.rates))
	}
}
