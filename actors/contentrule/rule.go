package contentrule

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
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

// Compile validates r and compiles it. A nil r means "no rule": Compile returns nil and no
// error. Errors are messages.EInvalid and name the problem.
func Compile(r *messages.ContentRule) (*Rule, error) {
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
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			// regexp's messages name the problem and the offending fragment.
			return nil, messages.Errorf(messages.EInvalid, "content rule: invalid regular expression: %v", err)
		}
		rule.re = re
	}
	return rule, nil
}

// Check evaluates the rule against a ping's body and raw query string. A present rule fails
// when the pattern is found in neither, an absent rule when it is found in either. The query
// is searched both as sent and URL-decoded, so "backup ok" matches "?msg=backup%20ok". reason
// is "" when ok.
func (r *Rule) Check(body []byte, query string) (ok bool, reason string) {
	if r == nil {
		return true, ""
	}
	found := r.found(body, query)
	switch {
	case r.present && !found:
		return false, "content rule: " + r.quoted + " not found"
	case !r.present && found:
		return false, "content rule: " + r.quoted + " found"
	}
	return true, ""
}

func (r *Rule) found(body []byte, query string) bool {
	if r.matchBytes(body) || r.matchString(query) {
		return true
	}
	dec, err := url.QueryUnescape(query)
	return err == nil && dec != query && r.matchString(dec)
}

func (r *Rule) matchBytes(b []byte) bool {
	if r.re != nil {
		return r.re.Match(b)
	}
	return bytes.Contains(b, []byte(r.pattern))
}

func (r *Rule) matchString(s string) bool {
	if r.re != nil {
		return r.re.MatchString(s)
	}
	return strings.Contains(s, r.pattern)
}

// quote renders a pattern for a reason, cut to maxReasonPattern characters.
func quote(p string) string {
	if utf8.RuneCountInString(p) <= maxReasonPattern {
		return fmt.Sprintf("%q", p)
	}
	runes := []rune(p)
	return fmt.Sprintf("%q…", string(runes[:maxReasonPattern]))
}
