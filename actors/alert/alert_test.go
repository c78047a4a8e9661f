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
