package checklogic_test

import (
	"testing"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

// TestPingKindIsHowItCounted: the ping log shows a ping as what it counted as, so a success
// ping that broke the content rule reads as a failure beside the reason, not as a success
// while the check went down.
func TestPingKindIsHowItCounted(t *testing.T) {
	cfg := with(rule(t, "present", "OK"))
	tests := []struct {
		name   string
		in     checklogic.PingInput
		kind   messages.PingLogKind
		reason string
	}{
		{"success with the content", checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Body: []byte("all OK")}, messages.KindSuccess, ""},
		{"success without the content", checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Body: []byte("boom")}, messages.KindFail, "required content not found"},
		{"exit status 3", checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: 3, Body: []byte("OK")}, messages.KindFail, "exit code 3"},
		{"fail ping", checklogic.PingInput{Kind: messages.KindFail, ExitStatus: -1, Body: []byte("OK")}, messages.KindFail, checklogic.ReasonFailPing},
		{"start", checklogic.PingInput{Kind: messages.KindStart, ExitStatus: -1}, messages.KindStart, ""},
		{"log", checklogic.PingInput{Kind: messages.KindLog, ExitStatus: -1, Body: []byte("boom")}, messages.KindLog, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eff := checklogic.OnPing(cfg, upState(), tt.in, at(30))
			if eff.Kind != tt.kind {
				t.Errorf("kind %q, want %q", eff.Kind, tt.kind)
			}
			if tt.reason == "" && eff.Reason != "" || tt.reason != "" && eff.Reason == "" {
				t.Errorf("reason %q, want %q", eff.Reason, tt.reason)
			}
			if tt.kind == messages.KindFail && eff.State.Status != messages.StatusDown {
				t.Errorf("status %q after a failure, want down", eff.State.Status)
			}
		})
	}
}
