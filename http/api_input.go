package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/messages"
)

// editField reads one writable field's JSON value (never null: decodeCheckEdit turns null
// into a reset) into e.
type editField func(e *messages.CheckEdit, name string, raw json.RawMessage) error

// editFields are the writable names of the Check JSON. The rules of their values (ranges,
// slugs, schedules) are checkconfig's; this only reads each value as its type.
var editFields = map[string]editField{
	"slug":                     str(func(e *messages.CheckEdit, v *string) { e.Slug = v }),
	"name":                     name,
	"desc":                     str(func(e *messages.CheckEdit, v *string) { e.Desc = v }),
	"tags":                     tags,
	"schedule_type":            str(func(e *messages.CheckEdit, v *string) { e.ScheduleType = v }),
	"schedule":                 str(func(e *messages.CheckEdit, v *string) { e.Schedule = v }),
	"tz":                       str(func(e *messages.CheckEdit, v *string) { e.Tz = v }),
	"interval_seconds":         integer(func(e *messages.CheckEdit, v *int64) { e.IntervalSeconds = v }),
	"grace_seconds":            integer(func(e *messages.CheckEdit, v *int64) { e.GraceSeconds = v }),
	"max_runtime_seconds":      integer(func(e *messages.CheckEdit, v *int64) { e.MaxRuntimeSeconds = v }),
	"realert_interval_seconds": integer(func(e *messages.CheckEdit, v *int64) { e.RealertIntervalSeconds = v }),
	"notify_after_failures":    notifyAfter,
	"manual_resume":            boolean(func(e *messages.CheckEdit, v *bool) { e.ManualResume = v }),
	"notify_on_up":             boolean(func(e *messages.CheckEdit, v *bool) { e.NotifyOnUp = v }),
	"content_rule":             contentRule,
	"badge_enabled":            boolean(func(e *messages.CheckEdit, v *bool) { e.BadgeEnabled = v }),
	// The ping filter: healthchecks.io's check options of these names (messages.PingFilter).
	"methods":             str(func(e *messages.CheckEdit, v *string) { e.Methods = v }),
	"filter_http_body":    boolean(func(e *messages.CheckEdit, v *bool) { e.FilterHttpBody = v }),
	"start_kw":            str(func(e *messages.CheckEdit, v *string) { e.StartKw = v }),
	"success_kw":          str(func(e *messages.CheckEdit, v *string) { e.SuccessKw = v }),
	"failure_kw":          str(func(e *messages.CheckEdit, v *string) { e.FailureKw = v }),
	"filter_default_fail": boolean(func(e *messages.CheckEdit, v *bool) { e.FilterDefaultFail = v }),
	"filter_subject":      boolean(func(e *messages.CheckEdit, v *bool) { e.FilterSubject = v }),
	"filter_body":         boolean(func(e *messages.CheckEdit, v *bool) { e.FilterBody = v }),
	"subject":             str(func(e *messages.CheckEdit, v *string) { e.Subject = v }),
	"subject_fail":        str(func(e *messages.CheckEdit, v *string) { e.SubjectFail = v }),
}

func str(set func(*messages.CheckEdit, *string)) editField {
	return func(e *messages.CheckEdit, name string, raw json.RawMessage) error {
		v, err := decodeString(name, raw)
		if err != nil {
			return err
		}
		set(e, &v)
		return nil
	}
}

func integer(set func(*messages.CheckEdit, *int64)) editField {
	return func(e *messages.CheckEdit, name string, raw json.RawMessage) error {
		v, err := decodeInt(name, raw)
		if err != nil {
			return err
		}
		set(e, &v)
		return nil
	}
}

func boolean(set func(*messages.CheckEdit, *bool)) editField {
	return func(e *messages.CheckEdit, name string, raw json.RawMessage) error {
		v, err := decodeBool(name, raw)
		if err != nil {
			return err
		}
		set(e, &v)
		return nil
	}
}

// name is read without decodeString's NUL check: checkconfig.ValidateName names every kind
// of control character a name holds at once.
func name(e *messages.CheckEdit, name string, raw json.RawMessage) error {
	var v string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
		return invalid("%s must be a string", name)
	}
	if err := checkconfig.ValidateName(v); err != nil {
		return err
	}
	e.Name = &v
	return nil
}

func notifyAfter(e *messages.CheckEdit, name string, raw json.RawMessage) error {
	v, err := decodeInt(name, raw)
	if err != nil {
		return err
	}
	if v < 1 || v > checkconfig.MaxNotifyAfter {
		return invalid("%s must be between 1 and %d", name, checkconfig.MaxNotifyAfter)
	}
	n := int32(v)
	e.NotifyAfterFailures = &n
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// decodeCheckEdit reads a check body (POST, PUT, PATCH) as an edit: each writable field given
// is set, each given as null is reset to its default, the read-only fields of the Check JSON
// are ignored, and any other name is rejected. Values are read as their types here; whether
// the configuration they make is valid is checkconfig's to say, against the check's current
// configuration.
func (s *Server) decodeCheckEdit(w http.ResponseWriter, r *http.Request) (*messages.CheckEdit, error) {
	var body map[string]json.RawMessage
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, invalid("request body must be a JSON object")
	}
	return checkEditFrom(body)
}

// checkEditFrom reads the fields of a check body (decodeCheckEdit) or of a check in an
// imported document as an edit, by the same rules.
func checkEditFrom(body map[string]json.RawMessage) (*messages.CheckEdit, error) {
	keys := make([]string, 0, len(body))
	for k := range body {
		if _, ok := editFields[k]; !ok && !isReadOnlyField(k) {
			return nil, invalid("unknown field %q", truncateRunes(k, 64))
		}
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first error reported does not depend on map order
	e := &messages.CheckEdit{}
	for _, k := range keys {
		f, ok := editFields[k]
		if !ok {
			continue // read-only
		}
		if isNull(body[k]) {
			field, _ := checkconfig.FieldByName(k)
			e.ResetFields = append(e.ResetFields, field)
			continue
		}
		if err := f(e, k, body[k]); err != nil {
			return nil, err
		}
	}
	if e.GetBadgeEnabled() {
		// The id a check without a badge gets; the owner ignores it when the badge is
		// already enabled.
		id, err := newBadgeID()
		if err != nil {
			return nil, err
		}
		e.NewBadgeId = id
	}
	return e, nil
}

func decodeString(name string, raw json.RawMessage) (string, error) {
	var v string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
		return "", invalid("%s must be a string", name)
	}
	if strings.ContainsRune(v, 0) {
		// Text columns cannot hold NUL (PostgreSQL refuses it); say so instead of failing later.
		return "", invalid("%s must not contain NUL characters", name)
	}
	return v, nil
}

func decodeBool(name string, raw json.RawMessage) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid("%s must be true or false", name)
}

// decodeInt accepts a JSON integer (no fraction, no exponent, no quotes) that fits int64.
func decodeInt(name string, raw json.RawMessage) (int64, error) {
	var n json.Number
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
		return 0, invalid("%s must be an integer", name)
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, invalid("%s is out of range", name)
		}
		return 0, invalid("%s must be an integer", name)
	}
	return v, nil
}

// tags accepts a list of strings or one space-separated string (as healthchecks.io does).
// The tags themselves are checked by checkconfig.
func tags(e *messages.CheckEdit, name string, raw json.RawMessage) error {
	if len(raw) > 0 && raw[0] == '"' {
		s, err := decodeString(name, raw)
		if err != nil {
			return err
		}
		e.Tags = &messages.TagList{Tags: strings.Fields(s)}
		return nil
	}
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return invalid("%s must be a list of strings or a space-separated string", name)
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		t, err := decodeString(name, item)
		if err != nil {
			return invalid("%s must be a list of strings or a space-separated string", name)
		}
		out = append(out, t)
	}
	e.Tags = &messages.TagList{Tags: out}
	return nil
}

// contentRule reads {type, pattern, regex}; type and pattern are required. The rule is
// compiled by checkconfig.
func contentRule(e *messages.CheckEdit, name string, raw json.RawMessage) error {
	if len(raw) == 0 || raw[0] != '{' {
		return invalid("%s must be an object {type, pattern, regex} or null", name)
	}
	var in struct {
		Type    *string `json:"type"`
		Pattern *string `json:"pattern"`
		Regex   *bool   `json:"regex"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return invalid("%s: %s", name, messages.MessageOf(jsonError(err)))
	}
	if in.Type == nil {
		return invalid("%s.type is required (%q or %q)", name, contentrule.TypePresent, contentrule.TypeAbsent)
	}
	if in.Pattern == nil {
		return invalid("%s.pattern is required", name)
	}
	if strings.ContainsRune(*in.Pattern, 0) {
		return invalid("%s.pattern must not contain NUL characters", name)
	}
	e.ContentRule = &messages.ContentRuleValue{Type: *in.Type, Pattern: *in.Pattern, Regex: in.Regex != nil && *in.Regex}
	return nil
}

// onlyBytes reports whether every byte of s passes ok.
func onlyBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// truncateRunes shortens s for an error message.
func truncateRunes(s string, n int) string { return checkconfig.TruncateRunes(s, n) }
