package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// Limits and defaults of a check's writable fields (SPEC §1, §3).
const (
	maxNameLen          = 100
	maxDescLen          = 10000
	maxTags             = 20
	maxTagLen           = 50
	maxSlugLen          = 64
	maxSpanSeconds      = 365 * 24 * 60 * 60 // 365 days
	minRealertSeconds   = 60
	maxNotifyAfter      = 1000
	defaultInterval     = 86400
	defaultGrace        = 3600
	defaultNotifyAfter  = 1
	defaultTZ           = "UTC"
	defaultScheduleType = string(schedule.Interval)
)

// reservedSlugs would collide with the action segments of ping URLs.
var reservedSlugs = []string{"start", "fail", "log", "badge.svg"}

// defaultCheckConfig is the configuration of a check created with an empty body, and what
// PUT fills in for missing fields. The slug defaults to the check's uuid.
func defaultCheckConfig(uuid string) messages.CheckConfig {
	return messages.CheckConfig{
		Slug:                uuid,
		Tags:                []string{},
		ScheduleType:        defaultScheduleType,
		TZ:                  defaultTZ,
		IntervalSeconds:     defaultInterval,
		GraceSeconds:        defaultGrace,
		NotifyAfterFailures: defaultNotifyAfter,
		NotifyOnUp:          true,
	}
}

// checkField applies one writable field's JSON value to c; null restores def's value.
type checkField func(c, def *messages.CheckConfig, raw json.RawMessage) error

// checkFields are the writable names of the Check JSON.
var checkFields = map[string]checkField{
	"slug":          field("slug", func(c *messages.CheckConfig) *string { return &c.Slug }, decodeString),
	"name":          field("name", func(c *messages.CheckConfig) *string { return &c.Name }, decodeString),
	"desc":          field("desc", func(c *messages.CheckConfig) *string { return &c.Desc }, decodeString),
	"tags":          field("tags", func(c *messages.CheckConfig) *[]string { return &c.Tags }, decodeTags),
	"schedule_type": field("schedule_type", func(c *messages.CheckConfig) *string { return &c.ScheduleType }, decodeString),
	"schedule":      field("schedule", func(c *messages.CheckConfig) *string { return &c.Schedule }, decodeString),
	"tz":            field("tz", func(c *messages.CheckConfig) *string { return &c.TZ }, decodeString),
	"interval_seconds": field("interval_seconds",
		func(c *messages.CheckConfig) *int64 { return &c.IntervalSeconds }, decodeInt),
	"grace_seconds": field("grace_seconds",
		func(c *messages.CheckConfig) *int64 { return &c.GraceSeconds }, decodeInt),
	"max_runtime_seconds": field("max_runtime_seconds",
		func(c *messages.CheckConfig) *int64 { return &c.MaxRuntimeSeconds }, decodeInt),
	"realert_interval_seconds": field("realert_interval_seconds",
		func(c *messages.CheckConfig) *int64 { return &c.RealertIntervalSeconds }, decodeInt),
	"notify_after_failures": field("notify_after_failures",
		func(c *messages.CheckConfig) *int32 { return &c.NotifyAfterFailures }, decodeNotifyAfter),
	"manual_resume": field("manual_resume", func(c *messages.CheckConfig) *bool { return &c.ManualResume }, decodeBool),
	"notify_on_up":  field("notify_on_up", func(c *messages.CheckConfig) *bool { return &c.NotifyOnUp }, decodeBool),
	"content_rule": field("content_rule",
		func(c *messages.CheckConfig) **messages.ContentRule { return &c.ContentRule }, decodeContentRule),
}

func field[T any](name string, get func(*messages.CheckConfig) *T, decode func(string, json.RawMessage) (T, error)) checkField {
	return func(c, def *messages.CheckConfig, raw json.RawMessage) error {
		if isNull(raw) {
			*get(c) = *get(def)
			return nil
		}
		v, err := decode(name, raw)
		if err != nil {
			return err
		}
		*get(c) = v
		return nil
	}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// decodeCheckBody reads a check body (POST, PUT, PATCH) onto cfg: each writable field given
// replaces cfg's value (null restores def's), the read-only fields of the Check JSON are
// ignored, and any other name is rejected. cfg is not validated here.
func (s *Server) decodeCheckBody(w http.ResponseWriter, r *http.Request, cfg, def *messages.CheckConfig) error {
	var body map[string]json.RawMessage
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &body); err != nil {
		return err
	}
	if body == nil {
		return invalid("request body must be a JSON object")
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		if _, ok := checkFields[k]; !ok && !isReadOnlyField(k) {
			return invalid("unknown field %q", truncateRunes(k, 64))
		}
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first error reported does not depend on map order
	for _, k := range keys {
		if f, ok := checkFields[k]; ok {
			if err := f(cfg, def, body[k]); err != nil {
				return err
			}
		}
	}
	return nil
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

func decodeNotifyAfter(name string, raw json.RawMessage) (int32, error) {
	v, err := decodeInt(name, raw)
	if err != nil {
		return 0, err
	}
	if v < 1 || v > maxNotifyAfter {
		return 0, invalid("%s must be between 1 and %d", name, maxNotifyAfter)
	}
	return int32(v), nil
}

// decodeTags accepts a list of strings or one space-separated string (as healthchecks.io
// does). The tags are checked by validateCheckConfig.
func decodeTags(name string, raw json.RawMessage) ([]string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		s, err := decodeString(name, raw)
		if err != nil {
			return nil, err
		}
		return strings.Fields(s), nil
	}
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, invalid("%s must be a list of strings or a space-separated string", name)
	}
	tags := make([]string, 0, len(list))
	for _, item := range list {
		t, err := decodeString(name, item)
		if err != nil {
			return nil, invalid("%s must be a list of strings or a space-separated string", name)
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// decodeContentRule reads {type, pattern, regex}; type and pattern are required. The rule is
// compiled by validateCheckConfig.
func decodeContentRule(name string, raw json.RawMessage) (*messages.ContentRule, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, invalid("%s must be an object {type, pattern, regex} or null", name)
	}
	var in struct {
		Type    *string `json:"type"`
		Pattern *string `json:"pattern"`
		Regex   *bool   `json:"regex"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, invalid("%s: %s", name, messages.MessageOf(jsonError(err)))
	}
	if in.Type == nil {
		return nil, invalid("%s.type is required (%q or %q)", name, contentrule.TypePresent, contentrule.TypeAbsent)
	}
	if in.Pattern == nil {
		return nil, invalid("%s.pattern is required", name)
	}
	if strings.ContainsRune(*in.Pattern, 0) {
		return nil, invalid("%s.pattern must not contain NUL characters", name)
	}
	rule := &messages.ContentRule{Type: *in.Type, Pattern: *in.Pattern}
	if in.Regex != nil {
		rule.Regex = *in.Regex
	}
	return rule, nil
}

// validateCheckConfig checks c, the whole configuration a check will have, and normalises it:
// an empty slug becomes ownUUID, an empty tz "UTC", tags are de-duplicated, and an interval
// schedule drops any cron expression. now is the time the schedule must still fire after.
func validateCheckConfig(c *messages.CheckConfig, ownUUID string, now time.Time) error {
	if c.Slug == "" {
		c.Slug = ownUUID
	}
	if err := validateSlug(c.Slug, ownUUID); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(c.Name); n > maxNameLen {
		return invalid("name must be at most %d characters (it has %d)", maxNameLen, n)
	}
	if n := utf8.RuneCountInString(c.Desc); n > maxDescLen {
		return invalid("desc must be at most %d characters (it has %d)", maxDescLen, n)
	}
	tags, err := normalizeTags(c.Tags)
	if err != nil {
		return err
	}
	c.Tags = tags
	if _, err := validateSchedule(c, now); err != nil {
		return err
	}
	if err := checkSpan("grace_seconds", c.GraceSeconds, 0); err != nil {
		return err
	}
	if err := checkSpan("max_runtime_seconds", c.MaxRuntimeSeconds, 0); err != nil {
		return err
	}
	if c.NotifyAfterFailures < 1 || c.NotifyAfterFailures > maxNotifyAfter {
		return invalid("notify_after_failures must be between 1 and %d", maxNotifyAfter)
	}
	if r := c.RealertIntervalSeconds; r != 0 && (r < minRealertSeconds || r > maxSpanSeconds) {
		return invalid("realert_interval_seconds must be 0 (never) or between %d and %d (1 minute to 365 days)",
			minRealertSeconds, maxSpanSeconds)
	}
	if _, err := contentrule.Compile(c.ContentRule); err != nil {
		msg := strings.TrimPrefix(messages.MessageOf(err), "content rule: ")
		return invalid("content_rule: %s", msg)
	}
	return nil
}

// validateSchedule checks schedule_type, tz, interval_seconds and the expression, and returns
// the parsed schedule. An interval schedule drops any expression.
func validateSchedule(c *messages.CheckConfig, now time.Time) (schedule.Schedule, error) {
	typ := schedule.Type(c.ScheduleType)
	switch typ {
	case schedule.Interval, schedule.Cron, schedule.OnCalendar:
	default:
		return nil, invalid("schedule_type must be %q, %q or %q", schedule.Interval, schedule.Cron, schedule.OnCalendar)
	}
	if c.TZ == "" {
		c.TZ = defaultTZ
	}
	// The zone alone first, so its error names tz rather than the schedule.
	if _, err := schedule.ParseAt(schedule.Spec{Type: schedule.Interval, IntervalSeconds: 60, TZ: c.TZ}, now); err != nil {
		return nil, invalid("tz: %s", err.Error())
	}
	if err := checkSpan("interval_seconds", c.IntervalSeconds, 1); err != nil {
		return nil, err
	}
	if typ == schedule.Interval {
		c.Schedule = ""
	} else if strings.TrimSpace(c.Schedule) == "" {
		return nil, invalid("schedule is required when schedule_type is %q", typ)
	}
	sch, err := schedule.ParseAt(schedule.Spec{Type: typ, Expr: c.Schedule, TZ: c.TZ, IntervalSeconds: c.IntervalSeconds}, now)
	if err != nil {
		return nil, invalid("schedule: %s", err.Error())
	}
	return sch, nil
}

// checkSpan checks a duration in seconds against min .. 365 days.
func checkSpan(name string, v, min int64) error {
	if v < min || v > maxSpanSeconds {
		return invalid("%s must be between %d and %d (365 days)", name, min, maxSpanSeconds)
	}
	return nil
}

// validateSlug applies SPEC §1: [a-z0-9_-]{1,64}, not reserved, not all digits, and not
// UUID-shaped unless it is the check's own uuid.
func validateSlug(slug, ownUUID string) error {
	if slug == "" || len(slug) > maxSlugLen || !onlyBytes(slug, isSlugByte) {
		return invalid("slug must be 1 to %d characters of a-z, 0-9, _ and -", maxSlugLen)
	}
	if slices.Contains(reservedSlugs, slug) {
		return invalid("slug %q is reserved", slug)
	}
	if onlyBytes(slug, isDigit) {
		return invalid("slug must not be all digits")
	}
	if uuidShaped(slug) && slug != ownUUID {
		return invalid("slug must not look like a UUID (only the check's own uuid may be its slug)")
	}
	return nil
}

// normalizeTags checks each tag ([A-Za-z0-9_.:-]{1,50}), drops repeats and caps the count.
func normalizeTags(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		if err := validateTag(t); err != nil {
			return nil, err
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, invalid("tags: at most %d tags (got %d)", maxTags, len(out))
	}
	return out, nil
}

func validateTag(t string) error {
	if t == "" || len(t) > maxTagLen || !onlyBytes(t, isTagByte) {
		return invalid("tags: %q is not a tag (1 to %d characters of A-Z, a-z, 0-9, _ . : -)", truncateRunes(t, 60), maxTagLen)
	}
	return nil
}

func onlyBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isLower(c byte) bool    { return c >= 'a' && c <= 'z' }
func isHex(c byte) bool      { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isSlugByte(c byte) bool { return isLower(c) || isDigit(c) || c == '_' || c == '-' }
func isTagByte(c byte) bool {
	return isLower(c) || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '.' || c == ':' || c == '-'
}

// uuidShaped reports whether s has the form of a UUID: 8-4-4-4-12 hex digits, or 32 hex
// digits without hyphens (both parse as one).
func uuidShaped(s string) bool {
	switch len(s) {
	case 32:
		return onlyBytes(s, isHex)
	case 36:
		for i := 0; i < len(s); i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return false
				}
			} else if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// truncateRunes shortens s for an error message.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
