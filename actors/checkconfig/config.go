package checkconfig

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// Limits and defaults of a check's writable fields.
const (
	MaxNameLen          = 100
	MaxDescLen          = 10000
	MaxTags             = 20
	MaxTagLen           = 50
	MaxSlugLen          = 64
	MaxSpanSeconds      = 365 * 24 * 60 * 60 // 365 days
	MinRealertSeconds   = 60
	MaxNotifyAfter      = 1000
	DefaultInterval     = 86400
	DefaultGrace        = 3600
	DefaultNotifyAfter  = 1
	DefaultTZ           = "UTC"
	DefaultScheduleType = messages.ScheduleInterval
)

// reservedSlugs would collide with the action segments of ping URLs.
var reservedSlugs = []string{"start", "fail", "log", "badge.svg"}

// Default is the configuration of a check created with an empty body, and what a field reset
// to its default (sent as null) takes. The slug defaults to the check's uuid.
func Default(uuid string) messages.CheckConfig {
	return messages.CheckConfig{
		Slug:                uuid,
		Tags:                []string{},
		ScheduleType:        DefaultScheduleType,
		TZ:                  DefaultTZ,
		IntervalSeconds:     DefaultInterval,
		GraceSeconds:        DefaultGrace,
		NotifyAfterFailures: DefaultNotifyAfter,
		NotifyOnUp:          true,
	}
}

func invalid(format string, args ...any) error {
	return messages.Errorf(messages.EInvalid, format, args...)
}

// Validate checks c, the whole configuration a check will have, and normalises it: an empty
// slug becomes ownUUID, an empty tz "UTC", tags are de-duplicated, and an interval schedule
// holds no expression. now is the time the schedule must still fire after. Errors are
// messages.EInvalid and name the field.
func Validate(c *messages.CheckConfig, ownUUID string, now time.Time) error {
	if c.Slug == "" {
		c.Slug = ownUUID
	}
	if err := ValidateSlug(c.Slug, ownUUID); err != nil {
		return err
	}
	if err := ValidateName(c.Name); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(c.Desc); n > MaxDescLen {
		return invalid("desc must be at most %d characters (it has %d)", MaxDescLen, n)
	}
	if strings.ContainsRune(c.Desc, 0) {
		// Text columns cannot hold NUL (PostgreSQL refuses it); say so instead of failing later.
		return invalid("desc must not contain NUL characters")
	}
	tags, err := NormalizeTags(c.Tags)
	if err != nil {
		return err
	}
	c.Tags = tags
	if _, err := ValidateSchedule(c, now); err != nil {
		return err
	}
	if err := checkSpan("grace_seconds", c.GraceSeconds, 0); err != nil {
		return err
	}
	if err := checkSpan("max_runtime_seconds", c.MaxRuntimeSeconds, 0); err != nil {
		return err
	}
	if c.NotifyAfterFailures < 1 || c.NotifyAfterFailures > MaxNotifyAfter {
		return invalid("notify_after_failures must be between 1 and %d", MaxNotifyAfter)
	}
	if r := c.RealertIntervalSeconds; r != 0 && (r < MinRealertSeconds || r > MaxSpanSeconds) {
		return invalid("realert_interval_seconds must be 0 (never) or between %d and %d (1 minute to 365 days)",
			MinRealertSeconds, MaxSpanSeconds)
	}
	if r := c.ContentRule; r != nil && strings.ContainsRune(r.Pattern, 0) {
		return invalid("content_rule.pattern must not contain NUL characters")
	}
	if _, err := contentrule.Compile(c.ContentRule); err != nil {
		msg := strings.TrimPrefix(messages.MessageOf(err), "content rule: ")
		return invalid("content_rule: %s", msg)
	}
	if c.BadgeID != "" && !ValidBadgeID(c.BadgeID) {
		return invalid("badge id must be %d to %d characters of A-Z, a-z, 0-9, _ and -", MinBadgeIDLen, MaxBadgeIDLen)
	}
	return validatePingFilter(&c.PingFilter)
}

// Lengths of a badge id or key: at least 22 URL-safe base64 characters (128 bits).
const (
	MinBadgeIDLen = 22
	MaxBadgeIDLen = 64
)

// ValidBadgeID reports whether s has the shape of a badge id or badge key: URL-safe base64,
// long enough to be a random secret of at least 128 bits. The badge routes answer anything
// else with the unknown badge without a store read.
func ValidBadgeID(s string) bool {
	return len(s) >= MinBadgeIDLen && len(s) <= MaxBadgeIDLen && onlyBytes(s, isBadgeByte)
}

func isBadgeByte(c byte) bool {
	return isLower(c) || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '-'
}

// ValidateSchedule checks schedule_type, tz, interval_seconds and the expression, and returns
// the parsed schedule. An interval schedule must hold no expression (Apply clears the one a
// cron check had when an edit turns it into an interval check).
func ValidateSchedule(c *messages.CheckConfig, now time.Time) (schedule.Schedule, error) {
	typ := c.ScheduleType
	switch typ {
	case messages.ScheduleInterval, messages.ScheduleCron, messages.ScheduleOnCalendar:
	default:
		return nil, invalid("schedule_type must be %q, %q or %q", messages.ScheduleInterval, messages.ScheduleCron, messages.ScheduleOnCalendar)
	}
	if c.TZ == "" {
		c.TZ = DefaultTZ
	}
	// The zone alone first, so its error names tz rather than the schedule.
	if _, err := schedule.ParseAt(schedule.Spec{Type: messages.ScheduleInterval, IntervalSeconds: 60, TZ: c.TZ}, now); err != nil {
		return nil, invalid("tz: %s", err.Error())
	}
	if err := checkSpan("interval_seconds", c.IntervalSeconds, 1); err != nil {
		return nil, err
	}
	if typ == messages.ScheduleInterval {
		if strings.TrimSpace(c.Schedule) != "" {
			return nil, errIntervalWithExpression
		}
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

// errIntervalWithExpression refuses what used to be dropped without a word: an interval
// check is due every interval_seconds, so an expression beside it would never be used.
var errIntervalWithExpression = invalid(`schedule_type %q does not take a schedule expression `+
	`(it is due every interval_seconds); send schedule_type %q or %q with the expression, `+
	`or leave schedule out`, messages.ScheduleInterval, messages.ScheduleCron, messages.ScheduleOnCalendar)

// checkSpan checks a duration in seconds against min .. 365 days.
func checkSpan(name string, v, min int64) error {
	if v < min || v > MaxSpanSeconds {
		return invalid("%s must be between %d and %d (365 days)", name, min, MaxSpanSeconds)
	}
	return nil
}

// ValidateSlug applies the slug rules: [a-z0-9_-]{1,64}, not reserved, not all digits, and
// not UUID-shaped unless it is the check's own uuid.
func ValidateSlug(slug, ownUUID string) error {
	if slug == "" || len(slug) > MaxSlugLen || !onlyBytes(slug, isSlugByte) {
		return invalid("slug must be 1 to %d characters of a-z, 0-9, _ and -", MaxSlugLen)
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

// NormalizeTags checks each tag ([A-Za-z0-9_.:-]{1,50}), drops repeats and caps the count.
func NormalizeTags(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		if err := ValidateTag(t); err != nil {
			return nil, err
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, invalid("tags: at most %d tags (got %d)", MaxTags, len(out))
	}
	return out, nil
}

// ValidateTag checks one tag.
func ValidateTag(t string) error {
	if t == "" || len(t) > MaxTagLen || !onlyBytes(t, isTagByte) {
		return invalid("tags: %q is not a tag (1 to %d characters of A-Z, a-z, 0-9, _ . : -)", TruncateRunes(t, 60), MaxTagLen)
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

// TruncateRunes shortens s for an error message.
func TruncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
