package checklogic_test

import (
	"testing"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/actors/checklogic/pingfilter"
	"github.com/ttr-rip/ttr/messages"
)

// TestPingFilterInOnPing: the check's ping filter decides before everything else, an ignored
// ping changes nothing and is noted with its reason, a keyword verdict replaces the URL's
// kind and exit status, and the content rule still fails a ping the keywords made a success.
func TestPingFilterInOnPing(t *testing.T) {
	postOnly := func(c *checklogic.Config) { c.Cfg.Methods = messages.MethodsPOST }
	keywords := func(c *checklogic.Config) {
		c.Cfg.FilterHTTPBody, c.Cfg.SuccessKw, c.Cfg.FailureKw, c.Cfg.StartKw = true, "SUCCESS", "FAIL", "START"
	}
	ping := func(kind messages.PingLogKind, method, body string, exit int32) checklogic.PingInput {
		return checklogic.PingInput{Kind: kind, Method: method, Body: []byte(body), ExitStatus: exit}
	}
	tests := []struct {
		name       string
		cfg        checklogic.Config
		st         messages.CheckState
		in         checklogic.PingInput
		kind       messages.PingLogKind
		note       string
		reason     string
		status     messages.CheckStatus
		changed    bool
		runStarted bool
	}{
		{"POST-only check ignores a GET", with(postOnly), upState(),
			ping(messages.KindSuccess, "GET", "", -1), messages.KindIgnored, pingfilter.ReasonMethod, "", messages.StatusUp, false, false},
		{"POST-only check ignores a GET fail", with(postOnly), upState(),
			ping(messages.KindFail, "GET", "", -1), messages.KindIgnored, pingfilter.ReasonMethod, "", messages.StatusUp, false, false},
		{"POST-only check ignores a HEAD on a new check", with(postOnly), checklogic.Initial(),
			ping(messages.KindSuccess, "HEAD", "", -1), messages.KindIgnored, pingfilter.ReasonMethod, "", messages.StatusNew, false, false},
		{"POST-only check counts a POST", with(postOnly), checklogic.Initial(),
			ping(messages.KindSuccess, "POST", "", -1), messages.KindSuccess, "", "", messages.StatusUp, true, false},
		{"no keyword: ignored", with(keywords), upState(),
			ping(messages.KindSuccess, "POST", "hello", -1), messages.KindIgnored, pingfilter.ReasonNoKeyword, "", messages.StatusUp, false, false},
		{"no keyword on a down check: still down, nothing counted", with(keywords), downCountingState(),
			ping(messages.KindSuccess, "POST", "hello", -1), messages.KindIgnored, pingfilter.ReasonNoKeyword, "", messages.StatusDown, false, false},
		{"failure keyword on a success URL", with(keywords), upState(),
			ping(messages.KindSuccess, "POST", "FAIL!", -1), messages.KindFail, "", pingfilter.ReasonFailureKeyword, messages.StatusDown, true, false},
		{"success keyword over a non-zero exit status", with(keywords), upState(),
			ping(messages.KindFail, "POST", "SUCCESS", 3), messages.KindSuccess, "", "", messages.StatusUp, true, false},
		{"start keyword on a /fail URL", with(keywords), upState(),
			ping(messages.KindFail, "POST", "STARTING", -1), messages.KindStart, "", "", messages.StatusUp, true, true},
		{"keywords decide a /log ping too", with(keywords), upState(),
			ping(messages.KindLog, "POST", "FAIL", -1), messages.KindFail, "", pingfilter.ReasonFailureKeyword, messages.StatusDown, true, false},
		{"default fail", with(keywords, func(c *checklogic.Config) { c.Cfg.FilterDefaultFail = true }), upState(),
			ping(messages.KindSuccess, "POST", "hello", -1), messages.KindFail, "", pingfilter.ReasonDefaultFail, messages.StatusDown, true, false},
		{"success keyword, content rule broken", with(keywords, rule(t, "present", "OK")), upState(),
			ping(messages.KindSuccess, "POST", "SUCCESS", -1), messages.KindFail, "", `content rule: "OK" not found`, messages.StatusDown, true, false},
		{"method before keywords", with(keywords, postOnly, func(c *checklogic.Config) { c.Cfg.FilterDefaultFail = true }), upState(),
			ping(messages.KindSuccess, "GET", "", -1), messages.KindIgnored, pingfilter.ReasonMethod, "", messages.StatusUp, false, false},
		// healthchecks.io test_it_handles_manual_resume_flag and
		// test_manual_resume_takes_precedence_over_keywords.
		{"paused, manual resume", with(manualResume), pausedState(),
			ping(messages.KindSuccess, "GET", "", -1), messages.KindIgnored, checklogic.ReasonManualResume, "", messages.StatusPaused, false, false},
		{"paused, manual resume, success keyword", with(manualResume, keywords), pausedState(),
			ping(messages.KindSuccess, "POST", "SUCCESS!", -1), messages.KindIgnored, checklogic.ReasonManualResume, "", messages.StatusPaused, false, false},
		{"paused, manual resume, log", with(manualResume), pausedState(),
			ping(messages.KindLog, "POST", "x", -1), messages.KindIgnored, checklogic.ReasonManualResume, "", messages.StatusPaused, false, false},
		{"paused, manual resume, GET to a POST-only check: the method's reason", with(manualResume, postOnly), pausedState(),
			ping(messages.KindSuccess, "GET", "", -1), messages.KindIgnored, pingfilter.ReasonMethod, "", messages.StatusPaused, false, false},
		{"paused, start keyword: run recorded, still paused", with(keywords), pausedState(),
			ping(messages.KindSuccess, "POST", "START", -1), messages.KindStart, "", "", messages.StatusPaused, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eff := checklogic.OnPing(tt.cfg, tt.st, tt.in, at(30))
			if eff.Kind != tt.kind || eff.Note != tt.note || eff.Reason != tt.reason {
				t.Errorf("kind %q note %q reason %q, want %q %q %q", eff.Kind, eff.Note, eff.Reason, tt.kind, tt.note, tt.reason)
			}
			if eff.State.Status != tt.status {
				t.Errorf("status %q, want %q", eff.State.Status, tt.status)
			}
			if eff.Changed != tt.changed {
				t.Errorf("Changed = %v, want %v", eff.Changed, tt.changed)
			}
			if !tt.changed && (!checklogic.SameState(eff.State, tt.st) || eff.Flip != nil || len(eff.Alerts) > 0) {
				t.Errorf("an ignored ping changed something: %+v", eff)
			}
			if started := !eff.State.LastStart.IsZero(); started != tt.runStarted {
				t.Errorf("run started = %v, want %v", started, tt.runStarted)
			}
		})
	}
}
