package contentrule_test

import (
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/messages"
)

func TestCompile(t *testing.T) {
	tests := []struct {
		name    string
		rule    *messages.ContentRule
		wantNil bool
		wantErr string // substring of the error; "" = no error
	}{
		{name: "nil rule", rule: nil, wantNil: true},
		{name: "present substring", rule: &messages.ContentRule{Type: "present", Pattern: "ok"}},
		{name: "absent regex", rule: &messages.ContentRule{Type: "absent", Pattern: `ERR(OR)?\d+`, Regex: true}},
		{name: "empty type", rule: &messages.ContentRule{Pattern: "ok"}, wantErr: `type must be "present" or "absent"`},
		{name: "unknown type", rule: &messages.ContentRule{Type: "contains", Pattern: "ok"}, wantErr: `not "contains"`},
		{name: "empty pattern", rule: &messages.ContentRule{Type: "present"}, wantErr: "pattern is empty"},
		{name: "pattern at limit", rule: &messages.ContentRule{Type: "present", Pattern: strings.Repeat("é", 1000)}},
		{name: "pattern too long", rule: &messages.ContentRule{Type: "present", Pattern: strings.Repeat("a", 1001)}, wantErr: "1001 characters long, at most 1000"},
		{name: "invalid utf-8", rule: &messages.ContentRule{Type: "present", Pattern: "a\xffb"}, wantErr: "not valid UTF-8"},
		{name: "bad regex", rule: &messages.ContentRule{Type: "absent", Pattern: "a(b", Regex: true}, wantErr: "invalid regular expression"},
		{name: "backreference is not RE2", rule: &messages.ContentRule{Type: "absent", Pattern: `(a)\1`, Regex: true}, wantErr: "invalid regular expression"},
		{name: "regex syntax as substring is fine", rule: &messages.ContentRule{Type: "absent", Pattern: "a(b"}},
		{name: "the audit's costly pattern", rule: &messages.ContentRule{Type: "absent", Pattern: strings.Repeat("[a-z]{1,1000}", 20) + "Q", Regex: true}, wantErr: "repeat count 1000 exceeds the limit of 100"},
		{name: "repeat count at the limit", rule: &messages.ContentRule{Type: "absent", Pattern: "x{100}", Regex: true}},
		{name: "repeat count over the limit", rule: &messages.ContentRule{Type: "absent", Pattern: "x{2,101}", Regex: true}, wantErr: "repeat count 101 exceeds the limit of 100"},
		{name: "repeated repeats compile too large", rule: &messages.ContentRule{Type: "absent", Pattern: "(?:[a-z]{1,100}){3}Q", Regex: true}, wantErr: "compiles to 600 instructions, the limit is 150"},
		{name: "nested small repeats compile too large", rule: &messages.ContentRule{Type: "absent", Pattern: "((a{10}){10}){10}", Regex: true}, wantErr: "the limit is 150"},
		{name: "the previous bound's worst pattern", rule: &messages.ContentRule{Type: "absent", Pattern: strings.Repeat("[a-z]{1,15}", 10) + "Q", Regex: true}, wantErr: "compiles to 293 instructions, the limit is 150"},
		{name: "worst accepted pattern", rule: &messages.ContentRule{Type: "absent", Pattern: worstAccepted, Regex: true}},
		{name: "one optional more is refused", rule: &messages.ContentRule{Type: "absent", Pattern: strings.Repeat("[a-z]?", 150) + "Q", Regex: true}, wantErr: "compiles to 303 instructions"},
		{name: "a long substring is no regex", rule: &messages.ContentRule{Type: "absent", Pattern: strings.Repeat("[a-z]{1,1000}", 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := contentrule.Compile(tt.rule)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Compile() error = nil, want one containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Compile() error = %q, want it to contain %q", err, tt.wantErr)
				}
				if code := messages.CodeOf(err); code != messages.EInvalid {
					t.Errorf("CodeOf(err) = %q, want %q", code, messages.EInvalid)
				}
				return
			}
			if err != nil {
				t.Fatalf("Compile() error = %v", err)
			}
			if (r == nil) != tt.wantNil {
				t.Errorf("Compile() = %v, want nil: %v", r, tt.wantNil)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	present := func(p string, regex bool) *messages.ContentRule {
		return &messages.ContentRule{Type: "present", Pattern: p, Regex: regex}
	}
	absent := func(p string, regex bool) *messages.ContentRule {
		return &messages.ContentRule{Type: "absent", Pattern: p, Regex: regex}
	}
	tests := []struct {
		name       string
		rule       *messages.ContentRule
		body       string
		query      string
		wantOK     bool
		wantReason string
	}{
		{name: "no rule passes", rule: nil, body: "ERROR", wantOK: true},
		{name: "present found in body", rule: present("backup ok", false), body: "nightly: backup ok\n", wantOK: true},
		{name: "present found in query", rule: present("backup ok", false), query: "msg=backup ok", wantOK: true},
		{name: "present found in escaped query", rule: present("backup ok", false), query: "msg=backup%20ok", wantOK: true},
		{name: "present found in plus-escaped query", rule: present("backup ok", false), query: "msg=backup+ok", wantOK: true},
		{name: "present found nowhere", rule: present("backup ok", false), body: "backup failed", query: "rid=1", wantReason: `content rule: "backup ok" not found`},
		{name: "present empty ping", rule: present("backup ok", false), wantReason: `content rule: "backup ok" not found`},
		{name: "present is case sensitive", rule: present("OK", false), body: "ok", wantReason: `content rule: "OK" not found`},
		{name: "absent not found", rule: absent("ERROR", false), body: "all good", query: "x=1", wantOK: true},
		{name: "absent found in body", rule: absent("ERROR", false), body: "line 3: ERROR disk full", wantReason: `content rule: "ERROR" found`},
		{name: "absent found in query", rule: absent("ERROR", false), body: "fine", query: "status=ERROR", wantReason: `content rule: "ERROR" found`},
		{name: "absent found in escaped query", rule: absent("disk full", false), query: "m=disk%20full", wantReason: `content rule: "disk full" found`},
		{name: "malformed escape in query is searched raw", rule: absent("%zz", false), query: "a=%zz", wantReason: `content rule: "%zz" found`},
		{name: "substring treats regex syntax literally", rule: present("a.c", false), body: "abc", wantReason: `content rule: "a.c" not found`},
		{name: "regex present", rule: present(`exit=0\b`, true), body: "exit=0\n", wantOK: true},
		{name: "regex present missing", rule: present(`^done$`, true), body: "not done yet", wantReason: `content rule: "^done$" not found`},
		{name: "regex multiline flag", rule: present(`(?m)^done$`, true), body: "x\ndone\ny", wantOK: true},
		{name: "regex case-insensitive flag", rule: absent(`(?i)error`, true), body: "Error: x", wantReason: `content rule: "(?i)error" found`},
		{name: "regex absent in query", rule: absent(`code=[1-9]`, true), query: "code=3", wantReason: `content rule: "code=[1-9]" found`},
		{name: "regex absent passes", rule: absent(`code=[1-9]`, true), query: "code=0", wantOK: true},
		{name: "binary body with NUL", rule: present("ok", false), body: "\x00\xffok\x00", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := contentrule.Compile(tt.rule)
			if err != nil {
				t.Fatalf("Compile() error = %v", err)
			}
			ok, reason := r.Check([]byte(tt.body), tt.query)
			if ok != tt.wantOK || reason != tt.wantReason {
				t.Errorf("Check() = (%v, %q), want (%v, %q)", ok, reason, tt.wantOK, tt.wantReason)
			}
		})
	}
}

// worstAccepted is the costliest pattern found within the bounds (148 instructions): counted
// repeats of a class that matches every byte of the input, so every thread of the match
// stays alive (the audit's pattern cut down to the bounds costs about the same per
// instruction).
var worstAccepted = strings.Repeat("[^Q]{1,15}", 5) + "Q"

func TestSubject(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		query string
		limit int
		want  string
	}{
		{name: "body only", body: "done", want: "done"},
		{name: "query only", query: "msg=backup%20ok", want: "\nmsg=backup ok"},
		{name: "body and query", body: "done", query: "a=1+2", want: "done\na=1 2"},
		{name: "undecodable query as sent", body: "x", query: "a=%zz", want: "x\na=%zz"},
		{name: "cut in the query", body: "0123", query: "abcdef", limit: 8, want: "0123\nabc"},
		{name: "cut at the newline", body: "0123", query: "abcdef", limit: 5, want: "0123\n"},
		{name: "cut in the body", body: "0123456789", query: "abc", limit: 4, want: "0123"},
		{name: "body alone cut", body: "0123456789", limit: 4, want: "0123"},
		{name: "default limit", body: strings.Repeat("b", 20000), want: strings.Repeat("b", contentrule.DefaultSubjectLimit)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(contentrule.Subject([]byte(tt.body), tt.query, tt.limit)); got != tt.want {
				t.Errorf("Subject() = %q, want %q", got, tt.want)
			}
		})
	}
}

// countingMeter counts matches and can refuse them.
type countingMeter struct {
	runs   int
	refuse bool
}

func (m *countingMeter) Run(match func()) bool {
	if m.refuse {
		return false
	}
	m.runs++
	match()
	return true
}

func TestCheckWithMatchesOnce(t *testing.T) {
	for _, regex := range []bool{false, true} {
		r, err := contentrule.Compile(&messages.ContentRule{Type: "absent", Pattern: "ERROR", Regex: regex})
		if err != nil {
			t.Fatal(err)
		}
		m := &countingMeter{}
		ok, reason := r.CheckWith([]byte("all good"), "status=ERROR%21", contentrule.Options{Meter: m})
		if ok || reason != `content rule: "ERROR" found` {
			t.Errorf("regex %v: CheckWith() = (%v, %q), want the query's ERROR found", regex, ok, reason)
		}
		if m.runs != 1 {
			t.Errorf("regex %v: %d matches for one ping, want exactly 1", regex, m.runs)
		}
	}
}

func TestCheckWithBudgetSpent(t *testing.T) {
	r, err := contentrule.Compile(&messages.ContentRule{Type: "present", Pattern: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	ok, reason := r.CheckWith([]byte("failed"), "", contentrule.Options{Meter: &countingMeter{refuse: true}})
	if !ok || reason != contentrule.ReasonBudget {
		t.Errorf("CheckWith() = (%v, %q), want (true, %q)", ok, reason, contentrule.ReasonBudget)
	}
}

func TestCheckWithLimit(t *testing.T) {
	r, err := contentrule.Compile(&messages.ContentRule{Type: "present", Pattern: "tail"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.Repeat("x", 100) + "tail")
	if ok, _ := r.CheckWith(body, "", contentrule.Options{Limit: 100}); ok {
		t.Error("a pattern beyond the limit was found")
	}
	if ok, _ := r.CheckWith(body, "", contentrule.Options{Limit: 104}); !ok {
		t.Error("a pattern within the limit was not found")
	}
}

// BenchmarkWorstAcceptedPattern measures the costliest accepted pattern on a 10 KB ping of
// lowercase letters, which keeps every thread of the match alive (docs/operations.md
// "Abuse limits" records the result).
func BenchmarkWorstAcceptedPattern(b *testing.B) {
	r, err := contentrule.Compile(&messages.ContentRule{Type: "absent", Pattern: worstAccepted, Regex: true})
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 10000)
	for i := range body {
		body[i] = byte('a' + i*7%26)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if ok, _ := r.Check(body, ""); !ok {
			b.Fatal("the pattern matched")
		}
	}
}

func TestCheckReasonTruncatesLongPattern(t *testing.T) {
	p := strings.Repeat("x", 500)
	r, err := contentrule.Compile(&messages.ContentRule{Type: "present", Pattern: p})
	if err != nil {
		t.Fatal(err)
	}
	ok, reason := r.Check(nil, "")
	want := `content rule: "` + strings.Repeat("x", 100) + `"… not found`
	if ok || reason != want {
		t.Errorf("Check() = (%v, %q), want (false, %q)", ok, reason, want)
	}
}

// TestCompileStoredKeepsEarlierRules: a rule saved under the earlier bound of 300
// instructions still compiles for its check (so the check keeps loading), though a new
// rule that large is refused.
func TestCompileStoredKeepsEarlierRules(t *testing.T) {
	earlier := &messages.ContentRule{Type: "absent", Pattern: strings.Repeat("[a-z]{1,15}", 10) + "Q", Regex: true}
	if _, err := contentrule.Compile(earlier); err == nil {
		t.Error("Compile accepted a 293-instruction pattern")
	}
	if r, err := contentrule.CompileStored(earlier); err != nil || r == nil {
		t.Errorf("CompileStored: %v", err)
	}
	if _, err := contentrule.CompileStored(&messages.ContentRule{Type: "absent", Pattern: "(?:[a-z]{1,100}){3}Q", Regex: true}); err == nil {
		t.Error("CompileStored accepted a 600-instruction pattern")
	}
}
