// Package schema holds what both SQL stores share about the checks table: its column lists,
// in the order sqlstore's scanner and argument builders use. One list, so a column added by
// a migration is added to both dialects at once.
package schema

import "github.com/ttr-rip/ttr/messages"

// CheckColumns is the select list sqlstore.ScanCheck reads, in its order.
const CheckColumns = `id, user_id, uuid, slug, created_at, version,
	name, description, tags, schedule_type, schedule, tz, interval_seconds, grace_seconds,
	max_runtime_seconds, manual_resume, notify_after_failures, notify_on_up,
	realert_interval_seconds, content_type, content_pattern, content_regex,
	status, last_ping, last_ping_kind, last_start, last_start_rid, last_duration_ms, next_due,
	next_deadline, run_deadline, realert_due, next_wake_at, n_pings, failure_count, down_flip,
	down_alerted, realert_count, flip_seq, last_reason, flap_history, flap_since, suppress_until,
	last_sent_status, config_version, badge_id,
	methods, filter_http_body, start_kw, success_kw, failure_kw, filter_default_fail,
	filter_subject, filter_body, subject, subject_fail`

// ConfigColumns and StateColumns are written, in their order, by sqlstore's ConfigArgs and
// StateArgs. config_version goes with the configuration: every write that changes it (an
// edit, a pause, a resume) sets it. badge_id is the check's badge (NULL while disabled). The
// ping filter's columns (messages.PingFilter) follow them, in PingFilterArgs' order.
var (
	ConfigColumns = []string{"slug", "name", "description", "tags", "schedule_type", "schedule",
		"tz", "interval_seconds", "grace_seconds", "max_runtime_seconds", "manual_resume",
		"notify_after_failures", "notify_on_up", "realert_interval_seconds", "content_type",
		"content_pattern", "content_regex", "config_version", "badge_id",
		"methods", "filter_http_body", "start_kw", "success_kw", "failure_kw",
		"filter_default_fail", "filter_subject", "filter_body", "subject", "subject_fail"}
	StateColumns = []string{"status", "last_ping", "last_ping_kind", "last_start",
		"last_start_rid", "last_duration_ms", "next_due", "next_deadline", "run_deadline",
		"realert_due", "next_wake_at", "n_pings", "failure_count", "down_flip", "down_alerted",
		"realert_count", "flip_seq", "last_reason", "flap_history", "flap_since",
		"suppress_until", "last_sent_status"}
)

// PingFilterArgs are the values of the ping filter's columns, in the order both lists name
// them (after config_version).
func PingFilterArgs(f *messages.PingFilter) []any {
	return []any{f.Methods, f.FilterHTTPBody, f.StartKw, f.SuccessKw, f.FailureKw,
		f.FilterDefaultFail, f.FilterSubject, f.FilterBody, f.Subject, f.SubjectFail}
}

// PingFilterDest are the scan destinations of the ping filter's columns, in the same order.
func PingFilterDest(f *messages.PingFilter) []any {
	return []any{&f.Methods, &f.FilterHTTPBody, &f.StartKw, &f.SuccessKw, &f.FailureKw,
		&f.FilterDefaultFail, &f.FilterSubject, &f.FilterBody, &f.Subject, &f.SubjectFail}
}
