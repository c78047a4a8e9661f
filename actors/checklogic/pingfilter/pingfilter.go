package pingfilter

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
)

// Reasons a verdict gives, recorded on the ping's row in the log.
const (
	// ReasonMethod: the check takes POST pings only.
	ReasonMethod = "ignored: the check takes POST pings only"
	// ReasonNoKeyword: no keyword matched and the check ignores such pings.
	ReasonNoKeyword = "ignored: no keyword in the body"
	// ReasonFailureKeyword: a failure keyword matched.
	ReasonFailureKeyword = "failure keyword in the body"
	// ReasonDefaultFail: no keyword matched and the check counts such pings as failures.
	ReasonDefaultFail = "no keyword in the body (filter_default_fail)"
)

// Verdict is what a check's options make of a ping.
type Verdict struct {
	// Kind is the ping's kind by the options: "" when they leave the URL's kind as it is,
	// else messages.KindIgnored, KindStart, KindSuccess or KindFail. A keyword verdict
	// replaces whatever the URL said, its action and its exit status alike.
	Kind messages.PingLogKind
	// Reason says why for an ignored ping and a failure ("" for the others).
	Reason string
}

// Classify sorts a ping that came with method and body (already cut to the body limit) by
// f, in healthchecks.io's order: a check that takes POST only ignores every other method,
// before anything else; then, with FilterHTTPBody, the first of failure, success and start
// keywords found in the body decides, and a body with none of them is a failure under
// FilterDefaultFail and ignored otherwise. The email options (FilterSubject, FilterBody,
// Subject, SubjectFail) play no part: ttr receives no email.
//
// A body that is not valid UTF-8 is read with its invalid bytes replaced (healthchecks.io
// fails the request there), so a keyword still matches the text around them.
func Classify(f messages.PingFilter, method string, body []byte) Verdict {
	if f.Methods == messages.MethodsPOST && method != "POST" {
		return Verdict{Kind: messages.KindIgnored, Reason: ReasonMethod}
	}
	if !f.FilterHTTPBody {
		return Verdict{}
	}
	text := string(body)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	switch {
	case f.FailureKw != "" && MatchKeywords(text, f.FailureKw):
		return Verdict{Kind: messages.KindFail, Reason: ReasonFailureKeyword}
	case f.SuccessKw != "" && MatchKeywords(text, f.SuccessKw):
		return Verdict{Kind: messages.KindSuccess}
	case f.StartKw != "" && MatchKeywords(text, f.StartKw):
		return Verdict{Kind: messages.KindStart}
	case f.FilterDefaultFail:
		return Verdict{Kind: messages.KindFail, Reason: ReasonDefaultFail}
	}
	return Verdict{Kind: messages.KindIgnored, Reason: ReasonNoKeyword}
}

// MatchKeywords reports whether text contains any of keywords, a comma-separated list whose
// items are trimmed of white space (empty items match nothing). Matching is case-sensitive,
// by substring. "White space" is Python's str.strip() set, which healthchecks.io uses: Go's
// unicode.IsSpace plus the information separators U+001C..U+001F.
func MatchKeywords(text, keywords string) bool {
	for kw := range strings.SplitSeq(keywords, ",") {
		kw = strings.TrimFunc(kw, isPySpace)
		if kw != "" && strings.Contains(text, kw) {
			return true
		}
	}
	return false
}

func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }
