package pingfilter_test

import (
	"testing"

	"github.com/ttr-rip/ttr/actors/checklogic/pingfilter"
	"github.com/ttr-rip/ttr/messages"
)

// TestClassify mirrors the keyword and method cases of healthchecks.io's
// hc/api/tests/test_ping.py (each row names its test) and the branches of views.ping.
func TestClassify(t *testing.T) {
	filter := func(mod func(*messages.PingFilter)) messages.PingFilter {
		f := messages.PingFilter{FilterHTTPBody: true}
		mod(&f)
		return f
	}
	tests := []struct {
		name   string
		f      messages.PingFilter
		method string
		body   string
		want   pingfilter.Verdict
	}{
		{"no options: the URL decides", messages.PingFilter{}, "GET", "FAIL", pingfilter.Verdict{}},
		{"test_it_requires_post", messages.PingFilter{Methods: "POST"}, "GET", "",
			pingfilter.Verdict{Kind: messages.KindIgnored, Reason: pingfilter.ReasonMethod}},
		{"POST-only check, HEAD", messages.PingFilter{Methods: "POST"}, "HEAD", "",
			pingfilter.Verdict{Kind: messages.KindIgnored, Reason: pingfilter.ReasonMethod}},
		{"POST-only check, PUT", messages.PingFilter{Methods: "POST"}, "PUT", "",
			pingfilter.Verdict{Kind: messages.KindIgnored, Reason: pingfilter.ReasonMethod}},
		{"POST-only check, POST", messages.PingFilter{Methods: "POST"}, "POST", "", pingfilter.Verdict{}},
		{"test_it_handles_success_filter_match", filter(func(f *messages.PingFilter) { f.SuccessKw = "SUCCESS" }),
			"POST", "SUCCESS!", pingfilter.Verdict{Kind: messages.KindSuccess}},
		{"test_it_handles_success_filter_miss", filter(func(f *messages.PingFilter) { f.SuccessKw = "SUCCESS" }),
			"POST", "hello world", pingfilter.Verdict{Kind: messages.KindIgnored, Reason: pingfilter.ReasonNoKeyword}},
		{"test_it_handles_failure_filter_match", filter(func(f *messages.PingFilter) { f.FailureKw = "FAIL" }),
			"POST", "FAIL!", pingfilter.Verdict{Kind: messages.KindFail, Reason: pingfilter.ReasonFailureKeyword}},
		{"test_it_handles_failure_filter_miss", filter(func(f *messages.PingFilter) { f.FailureKw = "FAIL" }),
			"POST", "---", pingfilter.Verdict{Kind: messages.KindIgnored, Reason: pingfilter.ReasonNoKeyword}},
		{"test_it_handles_start_filter_match", filter(func(f *messages.PingFilter) { f.StartKw = "START" }),
			"POST", "STARTING", pingfilter.Verdict{Kind: messages.KindStart}},
		{"test_allowed_methods_takes_precedence_over_keywords",
			filter(func(f *messages.PingFilter) { f.FilterDefaultFail, f.Methods = true, "POST" }),
			"GET", "", pingfilter.Verdict{Kind: messages.KindIgnored, Reason: pingfilter.ReasonMethod}},
		{"test_it_handles_filter_default_fail",
			filter(func(f *messages.PingFilter) { f.SuccessKw, f.FilterDefaultFail = "SUCCESS", true }),
			"POST", "no keywords", pingfilter.Verdict{Kind: messages.KindFail, Reason: pingfilter.ReasonDefaultFail}},
		{"test_it_ignores_email_filters",
			messages.PingFilter{FilterSubject: true, FilterBody: true, SuccessKw: "SUCCESS", FilterDefaultFail: true,
				Subject: "SUCCESS", SubjectFail: "FAIL"},
			"GET", "FAIL", pingfilter.Verdict{}},
		// views.ping: failure keywords first, then success, then start.
		{"failure before success", filter(func(f *messages.PingFilter) { f.SuccessKw, f.FailureKw = "done", "error" }),
			"POST", "done with error", pingfilter.Verdict{Kind: messages.KindFail, Reason: pingfilter.ReasonFailureKeyword}},
		{"success before start", filter(func(f *messages.PingFilter) { f.SuccessKw, f.StartKw = "done", "begin" }),
			"POST", "begin ... done", pingfilter.Verdict{Kind: messages.KindSuccess}},
		{"empty body, filter on, no default fail", filter(func(f *messages.PingFilter) { f.SuccessKw = "x" }),
			"GET", "", pingfilter.Verdict{Kind: messages.KindIgnored, Reason: pingfilter.ReasonNoKeyword}},
		{"filter on, no keywords, default fail", filter(func(f *messages.PingFilter) { f.FilterDefaultFail = true }),
			"POST", "anything", pingfilter.Verdict{Kind: messages.KindFail, Reason: pingfilter.ReasonDefaultFail}},
		{"keywords without the filter are not used", messages.PingFilter{FailureKw: "FAIL"}, "POST", "FAIL",
			pingfilter.Verdict{}},
		{"invalid UTF-8 around a keyword", filter(func(f *messages.PingFilter) { f.SuccessKw = "OK" }),
			"POST", "\xe9 OK \xff", pingfilter.Verdict{Kind: messages.KindSuccess}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pingfilter.Classify(tt.f, tt.method, []byte(tt.body)); got != tt.want {
				t.Errorf("Classify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestMatchKeywords mirrors hc/lib/string.py match_keywords: comma-separated, each item
// stripped of white space, empty items skipped, case-sensitive substrings.
func TestMatchKeywords(t *testing.T) {
	tests := []struct {
		text, keywords string
		want           bool
	}{
		{"SUCCESS!", "SUCCESS", true},
		{"success", "SUCCESS", false},
		{"all done", "failed, done", true},
		{"all done", " failed ,  done  ", true},
		{"all done", "failed,,", false},
		{"anything", ",", false},
		{"anything", "", false},
		{"anything", " , ", false},
		{"a b", "a b", true},
		{"ab", "\x1cab\x1f", true}, // Python strips the information separators too
		{"ab", "\u00a0ab\u3000", true},
		{"x\u200by", "\u200b", true}, // ZERO WIDTH SPACE is not white space in either
		{"über", "über", true},
	}
	for _, tt := range tests {
		if got := pingfilter.MatchKeywords(tt.text, tt.keywords); got != tt.want {
			t.Errorf("MatchKeywords(%q, %q) = %v, want %v", tt.text, tt.keywords, got, tt.want)
		}
	}
}
