package hcapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/messages"
)

// Bounds of healthchecks.io's check fields (its Spec model).
const (
	minSpan     = 60       // timeout, grace: one minute
	maxSpan     = 31536000 // 365 days
	maxNameLen  = 100
	maxKwLen    = 200
	maxSchedLen = 100
)

// spec is a create or update body as healthchecks.io's Spec model reads it: every field
// optional (nil = absent), unknown fields ignored.
type spec struct {
	channels, desc, failureKw, methods, name, schedule, slug, startKw *string
	subject, subjectFail, successKw, tags, tz                         *string
	filterSubject, filterBody, filterHTTPBody, filterDefaultFail      *bool
	manualResume                                                      *bool
	grace, timeout                                                    *int64
	unique                                                            []string
	hasUnique                                                         bool
}

// specError is healthchecks.io's first validation error: "json validation error: …".
func specError(format string, args ...any) error {
	return messages.Errorf(messages.EInvalid, "json validation error: "+format, args...)
}

// parseSpec validates body field by field in the order of healthchecks.io's model, so the
// error reported is the one it reports. A null is a type error there (strict validation).
func parseSpec(body map[string]json.RawMessage, now time.Time) (spec, error) {
	var s spec
	var err error
	str := func(name string, max int, dst **string) {
		raw, ok := body[name]
		if !ok || err != nil {
			return
		}
		var v string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
			err = specError("%s is not a string", name)
			return
		}
		if max > 0 && utf8.RuneCountInString(v) > max {
			err = specError("%s is too long", name)
			return
		}
		*dst = &v
	}
	boolean := func(name string, dst **bool) {
		raw, ok := body[name]
		if !ok || err != nil {
			return
		}
		switch string(bytes.TrimSpace(raw)) {
		case "true":
			t := true
			*dst = &t
		case "false":
			f := false
			*dst = &f
		default:
			err = specError("%s is not a boolean", name)
		}
	}
	seconds := func(name string, dst **int64) {
		raw, ok := body[name]
		if !ok || err != nil {
			return
		}
		t := string(bytes.TrimSpace(raw))
		if t == "" || strings.ContainsAny(t, `.eE"tfn[{`) {
			err = specError("%s is not a number", name)
			return
		}
		n, perr := strconv.ParseInt(t, 10, 64)
		switch {
		case perr != nil && strings.HasPrefix(t, "-"):
			err = specError("%s is too small", name)
		case perr != nil:
			err = specError("%s is too large", name)
		case n < minSpan:
			err = specError("%s is too small", name)
		case n > maxSpan:
			err = specError("%s is too large", name)
		default:
			*dst = &n
		}
	}
	str("channels", 0, &s.channels)
	str("desc", 0, &s.desc)
	str("failure_kw", maxKwLen, &s.failureKw)
	boolean("filter_subject", &s.filterSubject)
	boolean("filter_body", &s.filterBody)
	boolean("filter_http_body", &s.filterHTTPBody)
	boolean("filter_default_fail", &s.filterDefaultFail)
	seconds("grace", &s.grace)
	boolean("manual_resume", &s.manualResume)
	if raw, ok := body["methods"]; ok && err == nil {
		var m string
		if json.Unmarshal(raw, &m) != nil || raw[0] != '"' || (m != "" && m != messages.MethodsPOST) {
			err = specError("methods has unexpected value")
		} else {
			s.methods = &m
		}
	}
	str("name", maxNameLen, &s.name)
	str("schedule", maxSchedLen, &s.schedule)
	if err == nil && s.schedule != nil && !validSchedule(*s.schedule, now) {
		err = specError("schedule is not a valid cron or OnCalendar expression")
	}
	str("slug", maxNameLen, &s.slug)
	if err == nil && s.slug != nil && !slugPattern(*s.slug) {
		err = specError("slug does not match pattern")
	}
	str("start_kw", maxKwLen, &s.startKw)
	str("subject", maxKwLen, &s.subject)
	str("subject_fail", maxKwLen, &s.subjectFail)
	str("success_kw", maxKwLen, &s.successKw)
	str("tags", 0, &s.tags)
	seconds("timeout", &s.timeout)
	str("tz", 0, &s.tz)
	if err == nil && s.tz != nil && !validTZ(*s.tz, now) {
		err = specError("tz is not a valid timezone")
	}
	if raw, ok := body["unique"]; ok && err == nil {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil || raw[0] != '[' {
			err = specError("unique is not an array")
		} else {
			s.hasUnique = true
			for _, it := range items {
				var f string
				if json.Unmarshal(it, &f) != nil || it[0] != '"' {
					err = specError("an item in 'unique' has unexpected value")
					break
				}
				switch f {
				case "name", "slug", "tags", "timeout", "grace":
					s.unique = append(s.unique, f)
				default:
					err = specError("an item in 'unique' has unexpected value")
				}
				if err != nil {
					break
				}
			}
		}
	}
	return s, err
}

// slugPattern is healthchecks.io's ^[a-z0-9-_]*$ (ttr's own slug rules apply after it).
func slugPattern(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// scheduleKind guesses an expression's kind as healthchecks.io does: one line of five fields
// is cron, anything else OnCalendar.
func scheduleKind(expr string) messages.ScheduleType {
	if !strings.Contains(strings.TrimSpace(expr), "\n") && len(strings.Fields(expr)) == 5 {
		return messages.ScheduleCron
	}
	return messages.ScheduleOnCalendar
}

func validSchedule(expr string, now time.Time) bool {
	c := messages.CheckConfig{ScheduleType: scheduleKind(expr), Schedule: expr, TZ: checkconfig.DefaultTZ,
		IntervalSeconds: checkconfig.DefaultInterval}
	_, err := checkconfig.ValidateSchedule(&c, now)
	return strings.TrimSpace(expr) != "" && err == nil
}

func validTZ(tz string, now time.Time) bool {
	c := messages.CheckConfig{ScheduleType: messages.ScheduleInterval, IntervalSeconds: minSpan, TZ: tz}
	_, err := checkconfig.ValidateSchedule(&c, now)
	return tz != "" && err == nil
}

// splitTags reads healthchecks.io's space-separated tags.
func splitTags(s string) []string {
	return strings.Fields(s)
}

// toEdit turns a spec into an edit of a check whose configuration is cur, as healthchecks.io's
// _update applies it: v1 and v2 derive the slug from the name (derived reports that; an
// explicit slug wins), a schedule makes a cron or OnCalendar check and takes precedence over
// timeout, and the deprecated subject and subject_fail set success_kw and failure_kw and turn
// filter_subject on when either keyword is set.
func toEdit(s spec, v int, cur messages.CheckConfig) (e *messages.CheckEdit, derived bool) {
	e = &messages.CheckEdit{}
	if s.name != nil {
		e.Name = s.name
		if v < 3 {
			slug := Slugify(*s.name)
			e.Slug, derived = &slug, true
		}
	}
	switch {
	case s.schedule != nil && *s.schedule != "":
		typ, expr := string(scheduleKind(*s.schedule)), *s.schedule
		e.ScheduleType, e.Schedule = &typ, &expr
	case s.timeout != nil:
		typ := string(messages.ScheduleInterval)
		e.ScheduleType, e.IntervalSeconds = &typ, s.timeout
	}
	successKw, failureKw := cur.SuccessKw, cur.FailureKw
	if s.subject != nil {
		successKw = *s.subject
		f := successKw != "" || failureKw != ""
		e.SuccessKw, e.FilterSubject = &successKw, &f
	}
	if s.subjectFail != nil {
		failureKw = *s.subjectFail
		f := successKw != "" || failureKw != ""
		e.FailureKw, e.FilterSubject = &failureKw, &f
	}
	if s.slug != nil {
		e.Slug, derived = s.slug, false
	}
	if s.tags != nil {
		e.Tags = &messages.TagList{Tags: splitTags(*s.tags)}
	}
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	setB := func(dst **bool, v *bool) {
		if v != nil {
			*dst = v
		}
	}
	set(&e.Desc, s.desc)
	setB(&e.ManualResume, s.manualResume)
	set(&e.Methods, s.methods)
	set(&e.Tz, s.tz)
	set(&e.StartKw, s.startKw)
	set(&e.SuccessKw, s.successKw)
	set(&e.FailureKw, s.failureKw)
	setB(&e.FilterSubject, s.filterSubject)
	setB(&e.FilterBody, s.filterBody)
	setB(&e.FilterHttpBody, s.filterHTTPBody)
	setB(&e.FilterDefaultFail, s.filterDefaultFail)
	if s.grace != nil {
		e.GraceSeconds = s.grace
	}
	return e, derived
}

// matches reports whether c matches the spec's unique fields (healthchecks.io's _lookup: every
// field named must be given, and equal).
func (s spec) matches(c messages.Check) bool {
	for _, f := range s.unique {
		switch f {
		case "name":
			if c.Name != *s.name {
				return false
			}
		case "slug":
			if hcSlug(c) != *s.slug {
				return false
			}
		case "tags":
			if strings.Join(c.Tags, " ") != strings.Join(dedupe(splitTags(*s.tags)), " ") {
				return false
			}
		case "timeout":
			if c.IntervalSeconds != *s.timeout {
				return false
			}
		case "grace":
			if c.GraceSeconds != *s.grace {
				return false
			}
		}
	}
	return true
}

// lookupable reports whether the spec asks for an upsert and gives every field it names.
func (s spec) lookupable() bool {
	if len(s.unique) == 0 {
		return false
	}
	for _, f := range s.unique {
		switch {
		case f == "name" && s.name == nil, f == "slug" && s.slug == nil, f == "tags" && s.tags == nil,
			f == "timeout" && s.timeout == nil, f == "grace" && s.grace == nil:
			return false
		}
	}
	return true
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, t := range in {
		if !contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ImportEdit reads one check of a healthchecks.io check list (GET checks/, a read-write or
// read-only answer) as an edit, by the rules of a v3 create or update: name, slug, tags,
// desc, timeout or schedule and tz, grace, manual_resume, methods and the keyword filters.
// The fields that only describe the check's state (status, n_pings, last_ping, URLs …) and
// its channels are not part of it; paused reports whether it was paused.
func ImportEdit(body map[string]json.RawMessage, now time.Time) (e *messages.CheckEdit, paused bool, err error) {
	b := make(map[string]json.RawMessage, len(body))
	for k, v := range body {
		switch k {
		case "channels", "unique", "api_key":
		default:
			b[k] = v
		}
	}
	s, err := parseSpec(b, now)
	if err != nil {
		return nil, false, err
	}
	e, _ = toEdit(s, 3, checkconfig.Default(""))
	var status messages.CheckStatus
	_ = json.Unmarshal(body["status"], &status)
	return e, status == messages.StatusPaused, nil
}
