package checkconfig_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/messages"
)

const uuid = "0b6f9a44-8a2b-4b8e-9f5e-2f6c1f1c9d11"

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// current is a check configured with every field away from its default.
func current() messages.CheckConfig {
	return messages.CheckConfig{
		Slug: "my-job", Name: "My Job", Desc: "nightly", Tags: []string{"prod", "db"},
		ScheduleType: messages.ScheduleCron, Schedule: "0 3 * * *", TZ: "Europe/Berlin",
		IntervalSeconds: 600, GraceSeconds: 300, MaxRuntimeSeconds: 900, ManualResume: true,
		NotifyAfterFailures: 3, NotifyOnUp: false, RealertIntervalSeconds: 3600,
		ContentRule: &messages.ContentRule{Type: "present", Pattern: "OK"},
		PingFilter: messages.PingFilter{
			Methods: "POST", FilterHTTPBody: true, StartKw: "begin", SuccessKw: "done, ok",
			FailureKw: "error", FilterDefaultFail: true, FilterSubject: true, FilterBody: true,
			Subject: "SUCCESS", SubjectFail: "FAILED",
		},
	}
}

func TestApplyChangesOnlyWhatItNames(t *testing.T) {
	tests := []struct {
		name string
		edit *messages.CheckEdit
		want func(c *messages.CheckConfig)
	}{
		{"empty edit keeps everything", &messages.CheckEdit{}, func(*messages.CheckConfig) {}},
		{"the original's partial PUT", &messages.CheckEdit{
			Name: proto.String("My Job (renamed)"), ScheduleType: proto.String("interval"),
			IntervalSeconds: proto.Int64(120), GraceSeconds: proto.Int64(30),
		}, func(c *messages.CheckConfig) {
			c.Name, c.ScheduleType, c.Schedule, c.IntervalSeconds, c.GraceSeconds = "My Job (renamed)", messages.ScheduleInterval, "", 120, 30
		}},
		{"null resets to the default", &messages.CheckEdit{ResetFields: []messages.CheckField{
			messages.CheckField_CHECK_FIELD_SLUG, messages.CheckField_CHECK_FIELD_TAGS,
			messages.CheckField_CHECK_FIELD_CONTENT_RULE, messages.CheckField_CHECK_FIELD_NOTIFY_AFTER_FAILURES,
			messages.CheckField_CHECK_FIELD_NOTIFY_ON_UP,
		}}, func(c *messages.CheckConfig) {
			c.Slug, c.Tags, c.ContentRule, c.NotifyAfterFailures, c.NotifyOnUp = uuid, []string{}, nil, 1, true
		}},
		{"an empty tag list is a value", &messages.CheckEdit{Tags: &messages.TagList{}}, func(c *messages.CheckConfig) {
			c.Tags = []string{}
		}},
		{"false is a value", &messages.CheckEdit{ManualResume: proto.Bool(false)}, func(c *messages.CheckConfig) {
			c.ManualResume = false
		}},
		{"a new content rule", &messages.CheckEdit{ContentRule: &messages.ContentRuleValue{Type: "absent", Pattern: "ERR", Regex: true}},
			func(c *messages.CheckConfig) {
				c.ContentRule = &messages.ContentRule{Type: "absent", Pattern: "ERR", Regex: true}
			}},
		{"cron expression changed alone", &messages.CheckEdit{Schedule: proto.String("0 4 * * *")}, func(c *messages.CheckConfig) {
			c.Schedule = "0 4 * * *"
		}},
		{"ping filter fields set", &messages.CheckEdit{
			Methods: proto.String(""), FilterHttpBody: proto.Bool(false), StartKw: proto.String("s"),
			SuccessKw: proto.String("y"), FailureKw: proto.String("n"), FilterDefaultFail: proto.Bool(false),
			FilterSubject: proto.Bool(false), FilterBody: proto.Bool(false), Subject: proto.String("a"),
			SubjectFail: proto.String("b"),
		}, func(c *messages.CheckConfig) {
			c.PingFilter = messages.PingFilter{StartKw: "s", SuccessKw: "y", FailureKw: "n", Subject: "a", SubjectFail: "b"}
		}},
		{"ping filter fields reset", &messages.CheckEdit{ResetFields: []messages.CheckField{
			messages.CheckField_CHECK_FIELD_METHODS, messages.CheckField_CHECK_FIELD_FILTER_HTTP_BODY,
			messages.CheckField_CHECK_FIELD_START_KW, messages.CheckField_CHECK_FIELD_SUCCESS_KW,
			messages.CheckField_CHECK_FIELD_FAILURE_KW, messages.CheckField_CHECK_FIELD_FILTER_DEFAULT_FAIL,
			messages.CheckField_CHECK_FIELD_FILTER_SUBJECT, messages.CheckField_CHECK_FIELD_FILTER_BODY,
			messages.CheckField_CHECK_FIELD_SUBJECT, messages.CheckField_CHECK_FIELD_SUBJECT_FAIL,
		}}, func(c *messages.CheckConfig) {
			c.PingFilter = messages.PingFilter{}
		}},
		{"one ping filter field alone", &messages.CheckEdit{SuccessKw: proto.String("fine")}, func(c *messages.CheckConfig) {
			c.SuccessKw = "fine"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := current()
			got, err := checkconfig.Edit(cur, tt.edit, uuid, now)
			if err != nil {
				t.Fatal(err)
			}
			want := current()
			tt.want(&want)
			if !equal(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if !equal(cur, current()) {
				t.Errorf("the current configuration was modified: %+v", cur)
			}
		})
	}
}

func equal(a, b messages.CheckConfig) bool {
	return reflect.DeepEqual(a, b)
}

func TestApplyRefusesContradictions(t *testing.T) {
	interval := current()
	interval.ScheduleType, interval.Schedule = messages.ScheduleInterval, ""
	tests := []struct {
		name string
		cur  messages.CheckConfig
		edit *messages.CheckEdit
		want string
	}{
		{"interval with a cron expression", current(),
			&messages.CheckEdit{ScheduleType: proto.String("interval"), Schedule: proto.String("*/5 * * * *")},
			`schedule_type "interval" does not take a schedule expression`},
		{"an expression for an interval check", interval,
			&messages.CheckEdit{Schedule: proto.String("*/5 * * * *")},
			`schedule is given but the check's schedule_type is "interval"`},
		{"set and null at once", current(),
			&messages.CheckEdit{Name: proto.String("x"), ResetFields: []messages.CheckField{messages.CheckField_CHECK_FIELD_NAME}},
			"name is both set and null"},
		{"cron without an expression", interval,
			&messages.CheckEdit{ScheduleType: proto.String("cron")},
			`schedule is required when schedule_type is "cron"`},
		{"methods other than POST", current(), &messages.CheckEdit{Methods: proto.String("GET")},
			`methods must be "" (any method) or "POST"`},
		{"methods in lower case", current(), &messages.CheckEdit{Methods: proto.String("post")},
			`methods must be "" (any method) or "POST"`},
		{"keywords too long", current(), &messages.CheckEdit{FailureKw: proto.String(strings.Repeat("é", 201))},
			"failure_kw must be at most 200 characters (it has 201)"},
		{"subject too long", current(), &messages.CheckEdit{SubjectFail: proto.String(strings.Repeat("x", 201))},
			"subject_fail must be at most 200 characters (it has 201)"},
		{"keywords with NUL", current(), &messages.CheckEdit{StartKw: proto.String("a\x00")},
			"start_kw must be valid text without NUL characters"},
		{"name with NUL, newline and ESC", current(),
			&messages.CheckEdit{Name: proto.String("a\x00b\nc\x1b[31m")},
			"name must not contain NUL, line breaks and ESC (escape sequences)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkconfig.Edit(tt.cur, tt.edit, uuid, now)
			if messages.CodeOf(err) != messages.EInvalid || !strings.Contains(messages.MessageOf(err), tt.want) {
				t.Fatalf("err %v, want EInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestIntervalCheckMayKeepAnEmptyExpression(t *testing.T) {
	// A check read with GET and sent back as it is (schedule "") must be accepted.
	interval := current()
	interval.ScheduleType, interval.Schedule = messages.ScheduleInterval, ""
	if _, err := checkconfig.Edit(interval, &messages.CheckEdit{ScheduleType: proto.String("interval"), Schedule: proto.String("")}, uuid, now); err != nil {
		t.Fatal(err)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"Backup (nightly) — ünïcode ✓", ""},
		{"a\tb", "name must not contain tabs"},
		{"a\r\nb", "name must not contain line breaks"},
		{"a\x7fb\x01", "name must not contain other control characters"},
		{"\x00\x1b", "name must not contain NUL and ESC (escape sequences)"},
		{strings.Repeat("x", 101), "name must be at most 100 characters (it has 101)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := checkconfig.ValidateName(tt.name)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if messages.MessageOf(err) != tt.want {
				t.Fatalf("got %q, want %q", messages.MessageOf(err), tt.want)
			}
		})
	}
}

func TestMatchVersion(t *testing.T) {
	tests := []struct {
		versions []int64
		current  int64
		ok       bool
	}{
		{nil, 7, true},
		{[]int64{7}, 7, true},
		{[]int64{3, 7}, 7, true},
		{[]int64{6}, 7, false},
		{[]int64{0}, 1, false}, // an entity tag that is not a version never matches
	}
	for _, tt := range tests {
		err := checkconfig.MatchVersion(tt.versions, tt.current)
		if (err == nil) != tt.ok || (err != nil && messages.CodeOf(err) != messages.EPrecondition) {
			t.Errorf("MatchVersion(%v, %d) = %v, want ok=%v", tt.versions, tt.current, err, tt.ok)
		}
	}
}

func TestEveryFieldHasAName(t *testing.T) {
	for v := range messages.CheckField_name {
		f := messages.CheckField(v)
		if f == messages.CheckField_CHECK_FIELD_UNSPECIFIED {
			continue
		}
		name := checkconfig.FieldName(f)
		if back, ok := checkconfig.FieldByName(name); name == "" || !ok || back != f {
			t.Errorf("field %v: name %q", f, name)
		}
		// Every field resets without error.
		if _, err := checkconfig.Apply(current(), &messages.CheckEdit{ResetFields: []messages.CheckField{f}}, uuid); err != nil {
			t.Errorf("reset %v: %v", f, err)
		}
	}
}
