package alert_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/messages"
)

func TestMessages(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		in   alert.Input
		want string
	}{
		{"down", alert.Input{Kind: messages.AlertDown, CheckName: "backup", Reason: "missed deadline", At: at},
			"🔴 Check Failed: [backup] reported a failure. Reason: missed deadline."},
		{"up", alert.Input{Kind: messages.AlertUp, CheckName: "backup", LastDuration: 90 * time.Second, At: at},
			"🟢 Check Up: [backup] is back up. Last run took 1m30s."},
		{"up without duration", alert.Input{Kind: messages.AlertUp, CheckName: "backup", LastDuration: -1, At: at},
			"🟢 Check Up: [backup] is back up. Last run took unknown."},
		{"test", alert.Input{Kind: messages.AlertTest, CheckName: "backup", At: at},
			"🔔 This is a test notification for your check '[backup]'."},
		{"unnamed uses uuid", alert.Input{Kind: messages.AlertDown, CheckUUID: "u-1", Reason: "fail ping", At: at},
			"🔴 Check Failed: [u-1] reported a failure. Reason: fail ping."},
		{"realert", alert.Input{Kind: messages.AlertRealert, CheckName: "backup", Reason: "fail ping", At: at},
			"🔴 Check Still Down: [backup] reported a failure. Reason: fail ping."},
		{"flapping", alert.Input{Kind: messages.AlertFlapping, CheckName: "backup", FlapChanges: 6,
			FlapWindow: 120 * time.Second, FlapSuppress: 180 * time.Second, At: at},
			"⚠️ Check Flapping: [backup] changed status 6 times in 2m; alerts are paused for 3m."},
		{"flapping, odd lengths", alert.Input{Kind: messages.AlertFlapping, CheckName: "backup", FlapChanges: 3,
			FlapWindow: 90 * time.Second, FlapSuppress: 3*time.Hour + 45*time.Second, At: at},
			"⚠️ Check Flapping: [backup] changed status 3 times in 1m30s; alerts are paused for 3h45s."},
		{"flap end, down", alert.Input{Kind: messages.AlertFlapEnd, CheckName: "backup", From: "down", To: "down", At: at},
			"✅ Check Stable: [backup] stopped flapping; it is down."},
		{"flap end, up", alert.Input{Kind: messages.AlertFlapEnd, CheckName: "backup", From: "up", To: "up", At: at},
			"✅ Check Stable: [backup] stopped flapping; it is up."},
		{"flap end, paused", alert.Input{Kind: messages.AlertFlapEnd, CheckName: "backup", From: "paused", To: "paused", At: at},
			"✅ Check Stable: [backup] stopped flapping; it is paused."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alert.Message(tt.in); got != tt.want {
				t.Fatalf("Message = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildPayload(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b := alert.Build(alert.Input{CheckID: 7, CheckUUID: "u", CheckName: "n", Kind: messages.AlertDown,
		From: "up", To: "down", Reason: "fail ping", At: at})
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"check_id": 7.0, "check_uuid": "u", "check_name": "n", "status": "down",
		"previous_status": "up", "reason": "fail ping", "timestamp": "2026-01-02T03:04:05Z"} {
		if p[k] != want {
			t.Errorf("%s = %v, want %v", k, p[k], want)
		}
	}
	if p["message"] == "" {
		t.Error("message missing")
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{400 * time.Millisecond, "0s"},
		{time.Second, "1s"},
		{45 * time.Second, "45s"},
		{120 * time.Second, "2m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{26*time.Hour + 30*time.Second, "26h30s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := alert.Span(tt.d); got != tt.want {
				t.Errorf("Span(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestBuildFlapPayloads(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, in := range []alert.Input{
		{CheckID: 7, CheckName: "n", Kind: messages.AlertFlapping, From: "up", To: "down", Reason: "flapping",
			FlapChanges: 6, FlapWindow: 2 * time.Minute, FlapSuppress: 3 * time.Minute, At: at},
		{CheckID: 7, CheckName: "n", Kind: messages.AlertFlapEnd, From: "up", To: "up", Reason: "stopped flapping", At: at},
	} {
		t.Run(string(in.Kind), func(t *testing.T) {
			var p alert.Payload
			if err := json.Unmarshal(alert.Build(in), &p); err != nil {
				t.Fatal(err)
			}
			want := alert.Payload{CheckID: 7, CheckName: "n", Kind: in.Kind, Status: in.To, PreviousStatus: in.From,
				Reason: in.Reason, Message: alert.Message(in), Timestamp: "2026-01-02T03:04:05Z"}
			if p != want {
				t.Errorf("payload = %+v, want %+v", p, want)
			}
		})
	}
}
