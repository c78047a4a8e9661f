package contentrule

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
)

// Rule types.
const (
	TypePresent = "present"
	TypeAbsent  = "absent"
)

// MaxPatternLen is the longest pattern accepted, in characters.
const MaxPatternLen = 1000

// Bounds on what a regular expression may cost. RE2 matching takes time proportional to the
// input times the size of the compiled program, so a short pattern with large counted
// repeats (twenty [a-z]{1,1000} groups) can burn seconds on one ping; these bounds keep the
// worst accepted pattern to milliseconds on a 10 KB ping (see the benchmark in rule_test.go
// and docs/operations.md "Abuse limits").
const (
	// MaxProgramInsts is the largest compiled program (regexp/syntax instructions) accepted
	// in a new or edited rule: the worst pattern within it costs about 20 ms on a 10 KB ping.
	MaxProgramInsts = 150
	// MaxRepeat is the largest count accepted in a counted repeat such as {1,100}.
	MaxRepeat = 100
	// storedProgramInsts is the bound of the releases before MaxProgramInsts was lowered:
	// a rule they accepted still loads (CompileStored), so its check keeps working.
	storedProgramInsts = 300
)

// DefaultSubjectLimit is how many bytes of a ping are matched when the caller names no
// limit: the default ping body limit.
const DefaultSubjectLimit = 10000

// ReasonBudget is recorded on a ping whose rule was not evaluated because its user spent
// their matching budget (see Budget).
const ReasonBudget = "rule not evaluated: budget"

// maxReasonPattern bounds how much of the pattern a failure reason quotes, so a long pattern
// does not swamp an alert message.
const maxReasonPattern = 100

// Rule is a compiled content rule. A nil *Rule is valid and passes every ping.
type Rule struct {
	present bool
	pattern string
	re      *regexp.Regexp // nil for a substring rule
	quoted  string         // the pattern as quoted in reasons
}

// Compile validates r, a rule a user gives, and compiles it. A nil r means "no rule":
// Compile returns nil and no error. Errors are messages.EInvalid and name the problem.
func Compile(r *messages.ContentRule) (*Rule, error) { return compile(r, MaxProgramInsts) }

// CompileStored compiles a stored rule as Compile does, but accepts the larger programs
// earlier releases accepted (storedProgramInsts), so no stored check stops loading.
func CompileStored(r *messages.ContentRule) (*Rule, error) { return compile(r, storedProgramInsts) }

func compile(r *messages.ContentRule, maxInsts int) (*Rule, error) {
	if r == nil {
		return nil, nil
	}
	var present bool
	switch r.Type {
	case TypePresent:
		present = true
	case TypeAbsent:
	default:
		return nil, messages.Errorf(messages.EInvalid, "content rule: type must be %q or %q, not %q", TypePresent, TypeAbsent, r.Type)
	}
	if r.Pattern == "" {
		return nil, messages.Errorf(messages.EInvalid, "content rule: pattern is empty")
	}
	if !utf8.ValidString(r.Pattern) {
		return nil, messages.Errorf(messages.EInvalid, "content rule: pattern is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(r.Pattern); n > MaxPatternLen {
		return nil, messages.Errorf(messages.EInvalid, "content rule: pattern is %d characters long, at most %d allowed", n, MaxPatternLen)
	}
	rule := &Rule{present: present, pattern: r.Pattern, quoted: quote(r.Pattern)}
	if r.Regex {
		if err := checkCost(r.Pattern, maxInsts); err != nil {
			return nil, err
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return nil, messages.Errorf(messages.EInvalid, "content rule: invalid regular expression: %v", err)
		}
		rule.re = re
	}
	return rule, nil
}

// checkCost refuses a pattern whose counted repeats or compiled program exceed the bounds.
// It parses as regexp.Compile does (Perl syntax), so what it measures is what would run.
func checkCost(pattern string, maxInsts int) error {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		// regexp's messages name the problem and the offending fragment.
		return messages.Errorf(messages.EInvalid, "content rule: invalid regular expression: %v", err)
	}
	if n := maxRepeat(re); n > MaxRepeat {
		return messages.Errorf(messages.EInvalid, "content rule: regular expression repeat count %d exceeds the limit of %d", n, MaxRepeat)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return messages.Errorf(messages.EInvalid, "content rule: invalid regular expression: %v", err)
	}
	if n := len(prog.Inst); n > maxInsts {
		return messages.Errorf(messages.EInvalid, "content rule: regular expression too complex: it compiles to %d instructions, the limit is %d", n, maxInsts)
	}
	return nil
}

// maxRepeat is the largest count of any counted repeat in re.
func maxRepeat(re *syntax.Regexp) int {
	n := 0
	if re.Op == syntax.OpRepeat {
		n = max(re.Min, re.Max)
	}
	for _, sub := range re.Sub {
		n = max(n, maxRepeat(sub))
	}
	return n
}

// Meter bounds what matching may cost (see Budget).
type Meter interface {
	// Run calls match unless the budget is spent, charging the time it took, and reports
	// whether it ran.
	Run(match func()) bool
}

// Options tune one evaluation.
type Options struct {
	// Limit is how many bytes of the subject are matched (DefaultSubjectLimit when <= 0).
	Limit int
	// Meter, when set, may refuse to run the match (the ping's user spent their budget).
	Meter Meter
}

// Check is CheckWith and the default options.
func (r *Rule) Check(body []byte, query string) (ok bool, reason string) {
	return r.CheckWith(body, query, Options{})
}

// CheckWith evaluates the rule against a ping's body and raw query string, matching once
// over Subject(body, query, o.Limit): a present rule fails when the pattern is not found, an
// absent rule when it is. reason is "" when ok, except that a rule the meter did not let run
// passes with reason ReasonBudget.
func (r *Rule) CheckWith(body []byte, query string, o Options) (ok bool, reason string) {
	if r == nil {
		return true, ""
	}
	subject := Subject(body, query, o.Limit)
	var found bool
	match := func() { found = r.match(subject) }
	if o.Meter == nil {
		match()
	} else if !o.Meter.Run(match) {
		return true, ReasonBudget
	}
	switch {
	case r.present && !found:
		return false, "content rule: " + r.quoted + " not found"
	case !r.present && found:
		return false, "content rule: " + r.quoted + " found"
	}
	return true, ""
}

// Subject is what a rule is matched against: the kept body, then, when the ping has a query
// string, a newline and the query URL-decoded (as sent when it does not decode), so
// "backup ok" matches "?msg=backup%20ok". It is cut to limit bytes (DefaultSubjectLimit when
// limit <= 0): one match over a bounded input, whatever the ping.
func Subject(body []byte, query string, limit int) []byte {
	if limit <= 0 {
		limit = DefaultSubjectLimit
	}
	if query == "" {
		return body[:min(len(body), limit)]
	}
	if dec, err := url.QueryUnescape(query); err == nil {
		query = dec
	}
	n := min(len(body)+1+len(query), limit)
	s := make([]byte, 0, n)
	s = append(s, body[:min(len(body), n)]...)
	if len(s) < n {
		s = append(s, '\n')
		s = append(s, query[:n-len(s)]...)
	}
	return s
}

func (r *Rule) match(subject []byte) bool {
	if r.re != nil {
		return r.re.Match(subject)
	}
	return bytes.Contains(subject, []byte(r.pattern))
}

// quote renders a pattern for a reason, cut to maxReasonPattern characters.
func quote(p string) string {
	if utf8.RuneCountInString(p) <= maxReasonPattern {
		return fmt.Sprintf("%q", p)
	}
	runes := []rune(p)
	return fmt.Sprintf("%q…", string(runes[:maxReasonPattern]))
}
