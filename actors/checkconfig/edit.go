package checkconfig

import (
	"slices"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Apply merges edit into cur, the configuration a check has now: each field edit sets takes
// its value, each field it resets takes its default (Default(uuid)), every other field keeps
// cur's value. The result is not validated (Edit does both).
//
// It refuses an edit that contradicts itself or the check: a field both set and reset, and
// a schedule expression for a check whose schedule_type is (or becomes) interval. A
// schedule_type changed to interval without a schedule clears the expression the check had.
func Apply(cur messages.CheckConfig, edit *messages.CheckEdit, uuid string) (messages.CheckConfig, error) {
	def := Default(uuid)
	c := cur.Clone()
	for _, f := range edit.GetResetFields() {
		if isSet(edit, f) {
			return messages.CheckConfig{}, invalid("%s is both set and null", FieldName(f))
		}
		if err := reset(&c, &def, f); err != nil {
			return messages.CheckConfig{}, err
		}
	}
	setString(&c.Slug, edit.Slug)
	setString(&c.Name, edit.Name)
	setString(&c.Desc, edit.Desc)
	if edit.Tags != nil {
		c.Tags = slices.Clone(edit.Tags.GetTags())
		if c.Tags == nil {
			c.Tags = []string{}
		}
	}
	setString(&c.ScheduleType, edit.ScheduleType)
	setString(&c.Schedule, edit.Schedule)
	setString(&c.TZ, edit.Tz)
	set(&c.IntervalSeconds, edit.IntervalSeconds)
	set(&c.GraceSeconds, edit.GraceSeconds)
	set(&c.MaxRuntimeSeconds, edit.MaxRuntimeSeconds)
	set(&c.ManualResume, edit.ManualResume)
	set(&c.NotifyAfterFailures, edit.NotifyAfterFailures)
	set(&c.NotifyOnUp, edit.NotifyOnUp)
	set(&c.RealertIntervalSeconds, edit.RealertIntervalSeconds)
	if r := edit.ContentRule; r != nil {
		c.ContentRule = &messages.ContentRule{Type: r.GetType(), Pattern: r.GetPattern(), Regex: r.GetRegex()}
	}
	if err := applyBadge(&c, edit); err != nil {
		return messages.CheckConfig{}, err
	}
	applyPingFilter(&c.PingFilter, edit)

	if c.ScheduleType == messages.ScheduleInterval {
		switch {
		case edit.Schedule != nil && strings.TrimSpace(edit.GetSchedule()) != "":
			if edit.ScheduleType != nil {
				return messages.CheckConfig{}, errIntervalWithExpression
			}
			return messages.CheckConfig{}, invalid(`schedule is given but the check's schedule_type is %q, `+
				`which takes no expression; send schedule_type %q or %q with it`,
				messages.ScheduleInterval, messages.ScheduleCron, messages.ScheduleOnCalendar)
		case edit.ScheduleType != nil:
			c.Schedule = "" // turned into an interval check: its old expression goes
		}
	}
	return c, nil
}

// Edit is Apply followed by Validate: the configuration the check will have.
func Edit(cur messages.CheckConfig, edit *messages.CheckEdit, uuid string, now time.Time) (messages.CheckConfig, error) {
	c, err := Apply(cur, edit, uuid)
	if err != nil {
		return messages.CheckConfig{}, err
	}
	if err := Validate(&c, uuid, now); err != nil {
		return messages.CheckConfig{}, err
	}
	return c, nil
}

// MatchVersion applies an If-Match precondition: it passes when versions is empty (none
// given) or holds current.
func MatchVersion(versions []int64, current int64) error {
	if len(versions) == 0 || slices.Contains(versions, current) {
		return nil
	}
	return messages.Errorf(messages.EPrecondition,
		`the check was changed since it was read (If-Match does not match its ETag, now "%d"); read it again`, current)
}

// applyBadge enables, disables or rotates the check's badge. The id is minted by the edge
// and carried in the edit, so that the merge stays a pure function; enabling a badge that is
// already enabled keeps its id (a PUT that sends back what a GET returned changes nothing).
func applyBadge(c *messages.CheckConfig, edit *messages.CheckEdit) error {
	if edit.BadgeEnabled != nil {
		switch {
		case !edit.GetBadgeEnabled():
			c.BadgeID = ""
		case c.BadgeID == "":
			if edit.GetNewBadgeId() == "" {
				return invalid("badge_enabled: no badge id was given to enable the badge with")
			}
			c.BadgeID = edit.GetNewBadgeId()
		}
	}
	if edit.GetRotateBadge() {
		if c.BadgeID == "" {
			return messages.Errorf(messages.EConflict, "the check's badge is not enabled: set badge_enabled to true to get a badge")
		}
		if edit.GetNewBadgeId() == "" || edit.GetNewBadgeId() == c.BadgeID {
			return invalid("rotate badge: no new badge id was given")
		}
		c.BadgeID = edit.GetNewBadgeId()
	}
	return nil
}

// setString sets dst from an optional string of the edit; dst may be one of the named string
// types of messages (ScheduleType), which protobuf carries as plain strings.
func setString[S ~string](dst *S, v *string) {
	if v != nil {
		*dst = S(*v)
	}
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// fieldNames are the JSON names of the writable fields.
var fieldNames = map[messages.CheckField]string{
	messages.CheckField_CHECK_FIELD_SLUG:                     "slug",
	messages.CheckField_CHECK_FIELD_NAME:                     "name",
	messages.CheckField_CHECK_FIELD_DESC:                     "desc",
	messages.CheckField_CHECK_FIELD_TAGS:                     "tags",
	messages.CheckField_CHECK_FIELD_SCHEDULE_TYPE:            "schedule_type",
	messages.CheckField_CHECK_FIELD_SCHEDULE:                 "schedule",
	messages.CheckField_CHECK_FIELD_TZ:                       "tz",
	messages.CheckField_CHECK_FIELD_INTERVAL_SECONDS:         "interval_seconds",
	messages.CheckField_CHECK_FIELD_GRACE_SECONDS:            "grace_seconds",
	messages.CheckField_CHECK_FIELD_MAX_RUNTIME_SECONDS:      "max_runtime_seconds",
	messages.CheckField_CHECK_FIELD_MANUAL_RESUME:            "manual_resume",
	messages.CheckField_CHECK_FIELD_NOTIFY_AFTER_FAILURES:    "notify_after_failures",
	messages.CheckField_CHECK_FIELD_NOTIFY_ON_UP:             "notify_on_up",
	messages.CheckField_CHECK_FIELD_REALERT_INTERVAL_SECONDS: "realert_interval_seconds",
	messages.CheckField_CHECK_FIELD_CONTENT_RULE:             "content_rule",
	messages.CheckField_CHECK_FIELD_BADGE_ENABLED:            "badge_enabled",
	messages.CheckField_CHECK_FIELD_METHODS:                  "methods",
	messages.CheckField_CHECK_FIELD_FILTER_HTTP_BODY:         "filter_http_body",
	messages.CheckField_CHECK_FIELD_START_KW:                 "start_kw",
	messages.CheckField_CHECK_FIELD_SUCCESS_KW:               "success_kw",
	messages.CheckField_CHECK_FIELD_FAILURE_KW:               "failure_kw",
	messages.CheckField_CHECK_FIELD_FILTER_DEFAULT_FAIL:      "filter_default_fail",
	messages.CheckField_CHECK_FIELD_FILTER_SUBJECT:           "filter_subject",
	messages.CheckField_CHECK_FIELD_FILTER_BODY:              "filter_body",
	messages.CheckField_CHECK_FIELD_SUBJECT:                  "subject",
	messages.CheckField_CHECK_FIELD_SUBJECT_FAIL:             "subject_fail",
}

// FieldName returns the JSON name of a writable field ("" for none).
func FieldName(f messages.CheckField) string { return fieldNames[f] }

// FieldByName returns the writable field of a JSON name.
func FieldByName(name string) (messages.CheckField, bool) {
	for f, n := range fieldNames {
		if n == name {
			return f, true
		}
	}
	return messages.CheckField_CHECK_FIELD_UNSPECIFIED, false
}

// isSet reports whether edit sets field f.
func isSet(e *messages.CheckEdit, f messages.CheckField) bool {
	switch f {
	case messages.CheckField_CHECK_FIELD_SLUG:
		return e.Slug != nil
	case messages.CheckField_CHECK_FIELD_NAME:
		return e.Name != nil
	case messages.CheckField_CHECK_FIELD_DESC:
		return e.Desc != nil
	case messages.CheckField_CHECK_FIELD_TAGS:
		return e.Tags != nil
	case messages.CheckField_CHECK_FIELD_SCHEDULE_TYPE:
		return e.ScheduleType != nil
	case messages.CheckField_CHECK_FIELD_SCHEDULE:
		return e.Schedule != nil
	case messages.CheckField_CHECK_FIELD_TZ:
		return e.Tz != nil
	case messages.CheckField_CHECK_FIELD_INTERVAL_SECONDS:
		return e.IntervalSeconds != nil
	case messages.CheckField_CHECK_FIELD_GRACE_SECONDS:
		return e.GraceSeconds != nil
	case messages.CheckField_CHECK_FIELD_MAX_RUNTIME_SECONDS:
		return e.MaxRuntimeSeconds != nil
	case messages.CheckField_CHECK_FIELD_MANUAL_RESUME:
		return e.ManualResume != nil
	case messages.CheckField_CHECK_FIELD_NOTIFY_AFTER_FAILURES:
		return e.NotifyAfterFailures != nil
	case messages.CheckField_CHECK_FIELD_NOTIFY_ON_UP:
		return e.NotifyOnUp != nil
	case messages.CheckField_CHECK_FIELD_REALERT_INTERVAL_SECONDS:
		return e.RealertIntervalSeconds != nil
	case messages.CheckField_CHECK_FIELD_CONTENT_RULE:
		return e.ContentRule != nil
	case messages.CheckField_CHECK_FIELD_BADGE_ENABLED:
		return e.BadgeEnabled != nil
	}
	return isSetPingFilter(e, f)
}

// reset gives field f of c its default from def.
func reset(c, def *messages.CheckConfig, f messages.CheckField) error {
	switch f {
	case messages.CheckField_CHECK_FIELD_SLUG:
		c.Slug = def.Slug
	case messages.CheckField_CHECK_FIELD_NAME:
		c.Name = def.Name
	case messages.CheckField_CHECK_FIELD_DESC:
		c.Desc = def.Desc
	case messages.CheckField_CHECK_FIELD_TAGS:
		c.Tags = slices.Clone(def.Tags)
	case messages.CheckField_CHECK_FIELD_SCHEDULE_TYPE:
		c.ScheduleType = def.ScheduleType
	case messages.CheckField_CHECK_FIELD_SCHEDULE:
		c.Schedule = def.Schedule
	case messages.CheckField_CHECK_FIELD_TZ:
		c.TZ = def.TZ
	case messages.CheckField_CHECK_FIELD_INTERVAL_SECONDS:
		c.IntervalSeconds = def.IntervalSeconds
	case messages.CheckField_CHECK_FIELD_GRACE_SECONDS:
		c.GraceSeconds = def.GraceSeconds
	case messages.CheckField_CHECK_FIELD_MAX_RUNTIME_SECONDS:
		c.MaxRuntimeSeconds = def.MaxRuntimeSeconds
	case messages.CheckField_CHECK_FIELD_MANUAL_RESUME:
		c.ManualResume = def.ManualResume
	case messages.CheckField_CHECK_FIELD_NOTIFY_AFTER_FAILURES:
		c.NotifyAfterFailures = def.NotifyAfterFailures
	case messages.CheckField_CHECK_FIELD_NOTIFY_ON_UP:
		c.NotifyOnUp = def.NotifyOnUp
	case messages.CheckField_CHECK_FIELD_REALERT_INTERVAL_SECONDS:
		c.RealertIntervalSeconds = def.RealertIntervalSeconds
	case messages.CheckField_CHECK_FIELD_CONTENT_RULE:
		c.ContentRule = def.ContentRule
	case messages.CheckField_CHECK_FIELD_BADGE_ENABLED:
		c.BadgeID = def.BadgeID // disabled
	default:
		if !resetPingFilter(&c.PingFilter, &def.PingFilter, f) {
			return invalid("unknown field %d to reset", int32(f))
		}
	}
	return nil
}
