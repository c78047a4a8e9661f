package checklogic_test

import (
	"testing"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/messages"
)

// meter counts the matches it runs, or refuses them all.
type meter struct {
	runs   int
	refuse bool
}

func (m *meter) Run(match func()) bool {
	if m.refuse {
		return false
	}
	m.runs++
	match()
	return true
}

func withRule(t *testing.T, typ, pattern string) checklogic.Config {
	t.Helper()
	r, err := contentrule.Compile(&messages.ContentRule{Type: typ, Pattern: pattern, Regex: true})
	if err != nil {
		t.Fatal(err)
	}
	return with(func(c *checklogic.Config) { c.Rule = r })
}

func TestOnPingMatchesTheRuleOnce(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		query      string
		wantReason string
	}{
		{name: "found in the body", body: "ERROR 5", wantReason: `content rule: "ERROR" found`},
		{name: "found in the decoded query", body: "fine", query: "m=disk%20ERROR", wantReason: `content rule: "ERROR" found`},
		{name: "found nowhere", body: "fine", query: "m=ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &meter{}
			in := checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Body: []byte(tt.body), Query: tt.query,
				Rule: contentrule.Options{Meter: m}}
			eff := checklogic.OnPing(withRule(t, "absent", "ERROR"), checklogic.Initial(), in, at(30))
			if eff.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", eff.Reason, tt.wantReason)
			}
			if m.runs != 1 {
				t.Errorf("the rule was matched %d times for one ping, want exactly once", m.runs)
			}
		})
	}
}

func TestOnPingBudgetSpent(t *testing.T) {
	in := checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Body: []byte("ERROR"),
		Rule: contentrule.Options{Meter: &meter{refuse: true}}}
	eff := checklogic.OnPing(withRule(t, "absent", "ERROR"), checklogic.Initial(), in, at(30))
	if eff.Reason != "" || eff.Note != contentrule.ReasonBudget {
		t.Errorf("(Reason, Note) = (%q, %q), want (\"\", %q)", eff.Reason, eff.Note, contentrule.ReasonBudget)
	}
	if eff.State.Status != messages.StatusUp {
		t.Errorf("status = %s, want up: a rule not evaluated does not fail the ping", eff.State.Status)
	}
}
