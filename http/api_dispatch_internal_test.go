package http

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/messages"
)

func TestMatchCheckRoute(t *testing.T) {
	const (
		GET, POST, PUT, PATCH, DELETE = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	)
	tests := []struct {
		method, rest string
		op           checkOp
		pattern      string
		id, n        int64
		channel      messages.ChannelKind
		status       int
		allow        []string
	}{
		{method: GET, rest: "/stats", op: opStats, pattern: "/api/v1/checks/stats"},
		{method: GET, rest: "/tags", op: opTags, pattern: "/api/v1/checks/tags"},
		{method: GET, rest: "/slug-check", op: opSlugCheck, pattern: "/api/v1/checks/slug-check"},
		{method: GET, rest: "/export", op: opExport, pattern: "/api/v1/checks/export"},
		{method: POST, rest: "/import", op: opImport, pattern: "/api/v1/checks/import"},
		{method: POST, rest: "/import/healthchecks", op: opImportHC, pattern: "/api/v1/checks/import/healthchecks"},
		{method: GET, rest: "/aggregate", op: opAggregate, pattern: "/api/v1/checks/aggregate"},
		{method: GET, rest: "/1", op: opGet, pattern: "/api/v1/checks/{id}", id: 1},
		{method: PUT, rest: "/42", op: opPut, pattern: "/api/v1/checks/{id}", id: 42},
		{method: PATCH, rest: "/42", op: opPatch, pattern: "/api/v1/checks/{id}", id: 42},
		{method: DELETE, rest: "/9223372036854775807", op: opDelete, pattern: "/api/v1/checks/{id}", id: 9223372036854775807},
		{method: POST, rest: "/7/pause", op: opPause, pattern: "/api/v1/checks/{id}/pause", id: 7},
		{method: POST, rest: "/7/resume", op: opResume, pattern: "/api/v1/checks/{id}/resume", id: 7},
		{method: GET, rest: "/7/pings", op: opPings, pattern: "/api/v1/checks/{id}/pings", id: 7},
		{method: GET, rest: "/7/pings/3/body", op: opPingBody, pattern: "/api/v1/checks/{id}/pings/{n}/body", id: 7, n: 3},
		{method: GET, rest: "/7/flips", op: opFlips, pattern: "/api/v1/checks/{id}/flips", id: 7},
		{method: GET, rest: "/7/deliveries", op: opDeliveries, pattern: "/api/v1/checks/{id}/deliveries", id: 7},
		{method: PUT, rest: "/7/webhook", op: opChannelPut, pattern: "/api/v1/checks/{id}/{channel}", id: 7, channel: "webhook"},
		{method: PUT, rest: "/7/telegram", op: opChannelPut, pattern: "/api/v1/checks/{id}/{channel}", id: 7, channel: "telegram"},
		{method: PUT, rest: "/7/slack", op: opChannelPut, pattern: "/api/v1/checks/{id}/{channel}", id: 7, channel: "slack"},
		{method: PUT, rest: "/7/discord", op: opChannelPut, pattern: "/api/v1/checks/{id}/{channel}", id: 7, channel: "discord"},
		{method: PUT, rest: "/7/email", op: opChannelPut, pattern: "/api/v1/checks/{id}/{channel}", id: 7, channel: "email"},
		{method: POST, rest: "/7/telegram/test", op: opChannelTest, pattern: "/api/v1/checks/{id}/{channel}/test", id: 7, channel: "telegram"},
		{method: POST, rest: "/8/email/test", op: opChannelTest, pattern: "/api/v1/checks/{id}/{channel}/test", id: 8, channel: "email"},
		{method: POST, rest: "/7/slack/test-queue", op: opChannelTestQueue, pattern: "/api/v1/checks/{id}/{channel}/test-queue", id: 7, channel: "slack"},
		{method: GET, rest: "/7/discord/rate", op: opChannelRate, pattern: "/api/v1/checks/{id}/{channel}/rate", id: 7, channel: "discord"},
		{method: GET, rest: "/7/webhook/rate", op: opChannelRate, pattern: "/api/v1/checks/{id}/{channel}/rate", id: 7, channel: "webhook"},

		// 405: the path exists, the method does not.
		{method: POST, rest: "/stats", status: 405, allow: []string{GET}},
		{method: DELETE, rest: "/tags", status: 405, allow: []string{GET}},
		{method: POST, rest: "/1", status: 405, allow: []string{DELETE, GET, PATCH, PUT}},
		{method: GET, rest: "/1/pause", status: 405, allow: []string{POST}},
		{method: PUT, rest: "/1/resume", status: 405, allow: []string{POST}},
		{method: DELETE, rest: "/1/pings", status: 405, allow: []string{GET}},
		{method: POST, rest: "/1/pings/2/body", status: 405, allow: []string{GET}},
		{method: GET, rest: "/1/webhook", status: 405, allow: []string{PUT}},
		{method: POST, rest: "/1/telegram", status: 405, allow: []string{PUT}},
		{method: DELETE, rest: "/1/email", status: 405, allow: []string{PUT}},
		{method: GET, rest: "/1/slack/test", status: 405, allow: []string{POST}},
		{method: PUT, rest: "/1/discord/test-queue", status: 405, allow: []string{POST}},
		{method: POST, rest: "/1/webhook/rate", status: 405, allow: []string{GET}},
		{method: DELETE, rest: "/1/telegram/rate", status: 405, allow: []string{GET}},
		{method: "HEAD", rest: "/1", status: 405, allow: []string{DELETE, GET, PATCH, PUT}},

		// 404: no such path, or an id that is not a canonical positive decimal.
		{method: GET, rest: "", status: 404},
		{method: GET, rest: "/", status: 404},
		{method: GET, rest: "stats", status: 404},
		{method: GET, rest: "/stats/", status: 404},
		{method: GET, rest: "/1/", status: 404},
		{method: GET, rest: "//1", status: 404},
		{method: GET, rest: "/abc", status: 404},
		{method: GET, rest: "/0", status: 404},
		{method: GET, rest: "/-1", status: 404},
		{method: GET, rest: "/+1", status: 404},
		{method: GET, rest: "/01", status: 404},
		{method: GET, rest: "/1.0", status: 404},
		{method: GET, rest: "/1e3", status: 404},
		{method: GET, rest: "/9223372036854775808", status: 404},
		{method: GET, rest: "/99999999999999999999", status: 404},
		{method: GET, rest: "/ 1", status: 404},
		{method: GET, rest: "/1/pings/0/body", status: 404},
		{method: GET, rest: "/1/pings/x/body", status: 404},
		{method: GET, rest: "/1/pings/2", status: 404},
		{method: GET, rest: "/1/pings/2/body/x", status: 404},
		{method: GET, rest: "/1/unknown", status: 404},
		{method: GET, rest: "/1/Pause", status: 404},
		{method: POST, rest: "/export", status: 405, allow: []string{GET}},
		{method: GET, rest: "/import", status: 405, allow: []string{POST}},
		{method: POST, rest: "/import/other", status: 404},
		{method: GET, rest: "/aggregate/1", status: 404},
		{method: PUT, rest: "/1/sms", status: 404},
		{method: PUT, rest: "/1/Telegram", status: 404},
		{method: PUT, rest: "/1/telegram/", status: 404},
		{method: POST, rest: "/1/sms/test", status: 404},
		{method: GET, rest: "/1/pings/rate", status: 404},
		{method: POST, rest: "/1/telegram/send", status: 404},
		{method: POST, rest: "/1/telegram/test/x", status: 404},
		{method: POST, rest: "/telegram/test", status: 404},
		{method: POST, rest: "/0/telegram/test", status: 404},
		{method: PUT, rest: "/webhook", status: 404},
		{method: GET, rest: "/1/webhook/webhook", status: 404},
		{method: GET, rest: "/stats/1", status: 404},
		{method: GET, rest: "/00000000-0000-4000-8000-000000000000", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.rest, func(t *testing.T) {
			got := matchCheckRoute(tt.method, tt.rest)
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d (%+v)", got.status, tt.status, got)
			}
			if got.op != tt.op || got.pattern != tt.pattern || got.checkID != tt.id || got.n != tt.n || got.channel != tt.channel {
				t.Errorf("got op %d pattern %q id %d n %d channel %q, want op %d pattern %q id %d n %d channel %q",
					got.op, got.pattern, got.checkID, got.n, got.channel, tt.op, tt.pattern, tt.id, tt.n, tt.channel)
			}
			if !slices.Equal(got.allow, tt.allow) {
				t.Errorf("allow = %v, want %v", got.allow, tt.allow)
			}
		})
	}
}

// Every operation in the route table has a handler.
func TestCheckRoutesHaveHandlers(t *testing.T) {
	s := NewServer(DefaultConfig(), Deps{})
	for _, rt := range checkRoutes {
		for m, op := range rt.methods {
			if s.checkHandler(op) == nil {
				t.Errorf("%s %v: no handler", m, rt.shape)
			}
			if !slices.Contains(checkMethods, m) {
				t.Errorf("%s %v: the catch-all is not registered for %s", m, rt.shape, m)
			}
		}
	}
}

func FuzzMatchCheckRoute(f *testing.F) {
	for _, s := range []string{"/stats", "/1", "/1/pings/2/body", "//", "/0", "/1/x/y/z", "/1/telegram/test"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, rest string) {
		got := matchCheckRoute(method, rest)
		switch got.status {
		case 0:
			if got.op == opNone || got.pattern == "" {
				t.Fatalf("matched without op/pattern: %+v", got)
			}
			if strings.Contains(got.pattern, segChannel) != slices.Contains(apiChannels, got.channel) {
				t.Fatalf("channel %q for pattern %q", got.channel, got.pattern)
			}
		case http.StatusNotFound:
		case http.StatusMethodNotAllowed:
			if len(got.allow) == 0 {
				t.Fatal("405 without Allow")
			}
		default:
			t.Fatalf("status %d", got.status)
		}
	})
}
