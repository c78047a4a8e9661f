package checklogic_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

// effectsCase is one event applied to one state, with everything it must produce.
type effectsCase struct {
	name        string
	cfg         checklogic.Config
	st          messages.CheckState
	want        messages.CheckState // the whole state after the event
	wantFlip    *messages.Flip
	wantAlerts  []checklogic.Alert
	wantReason  string
	wantChanged bool
}

func checkEffects(t *testing.T, tc effectsCase, got checklogic.Effects) {
	t.Helper()
	if !checklogic.SameState(got.State, tc.want) {
		t.Errorf("State:\n got  %+v\n want %+v", got.State, tc.want)
	}
	if !reflect.DeepEqual(got.Flip, tc.wantFlip) {
		t.Errorf("Flip = %+v, want %+v", got.Flip, tc.wantFlip)
	}
	if !reflect.DeepEqual(got.Alerts, tc.wantAlerts) {
		t.Errorf("Alerts = %+v, want %+v", got.Alerts, tc.wantAlerts)
	}
	if got.Reason != tc.wantReason {
		t.Errorf("Reason = %q, want %q", got.Reason, tc.wantReason)
	}
	if got.Changed != tc.wantChanged {
		t.Errorf("Changed = %v, want %v", got.Changed, tc.wantChanged)
	}
}

func TestOnPing(t *testing.T) {
	now := at(30)
	// armed is the schedule deadline of base() re-armed by a ping at now.
	armed := func(st *messages.CheckState) {
		st.NextDue, st.NextDeadline, st.NextWakeAt = at(90), at(100), at(100)
	}
	pinged := func(kind messages.PingLogKind) func(*messages.CheckState) {
		return func(st *messages.CheckState) { st.LastPing, st.LastPingKind = now, kind }
	}
	upAgain := func(st *messages.CheckState) {
		st.Status, st.FailureCount, st.DownFlip, st.DownAlerted = messages.StatusUp, 0, "", false
		st.RealertDue, st.RealertCount = time.Time{}, 0
	}
	downAt := func(seq int64, flipID, reason string, alerted bool) func(*messages.CheckState) {
		return func(st *messages.CheckState) {
			st.Status, st.FlipSeq, st.DownFlip, st.DownAlerted = messages.StatusDown, seq, flipID, alerted
			st.FailureCount, st.LastReason = 1, reason
			if alerted {
				st.NextDue, st.NextDeadline, st.NextWakeAt = time.Time{}, time.Time{}, time.Time{}
			}
		}
	}
	downAlert := func(flipID string, from messages.CheckStatus, reason string) checklogic.Alert {
		return checklogic.Alert{Kind: messages.AlertDown, FlipID: flipID, From: from, To: messages.StatusDown, Reason: reason, At: now}
	}
	started := func(since time.Time, rid string, deadline time.Time) func(*messages.CheckState) {
		return func(st *messages.CheckState) {
			st.LastStart, st.LastStartRID, st.RunDeadline = since, rid, deadline
			if !deadline.IsZero() && deadline.Before(st.NextWakeAt) {
				st.NextWakeAt = deadline
			}
		}
	}
	ended := func(d time.Duration) func(*messages.CheckState) {
		return func(st *messages.CheckState) {
			st.LastStart, st.LastStartRID, st.RunDeadline, st.LastDuration = time.Time{}, "", time.Time{}, d
		}
	}

	type pingCase struct {
		effectsCase
		ping checklogic.PingInput
	}
	tests := []pingCase{
		// success
		{ping: success(), effectsCase: effectsCase{
			name: "success on new: up, flip without alert",
			cfg:  base(), st: checklogic.Initial(),
			want: state(checklogic.Initial(), pinged(messages.KindSuccess), armed, func(st *messages.CheckState) {
				st.Status, st.FlipSeq, st.LastReason = messages.StatusUp, 1, checklogic.ReasonSuccessPing
			}),
			wantFlip:    flip("7.1", now, messages.StatusNew, messages.StatusUp, "success ping"),
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success on up: deadline moves, no flip",
			cfg:  base(), st: upState(),
			want:        state(upState(), pinged(messages.KindSuccess), armed),
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success on up with aligned schedule: next slot, not now+period",
			cfg:  with(func(c *checklogic.Config) { c.Schedule = aligned(60 * time.Second) }), st: upState(),
			want: state(upState(), pinged(messages.KindSuccess), func(st *messages.CheckState) {
				st.NextDue, st.NextDeadline, st.NextWakeAt = at(60), at(70), at(70)
			}),
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success on down after a down alert: up alert",
			cfg:  with(realertEvery(600)), st: state(downAlertedState(), func(st *messages.CheckState) {
				st.RealertDue, st.RealertCount, st.NextWakeAt = at(600), 2, at(600)
			}),
			want: state(downAlertedState(), changedAt(t0, now), sent(messages.StatusUp), pinged(messages.KindSuccess), armed, upAgain, func(st *messages.CheckState) {
				st.FlipSeq, st.LastReason = 3, checklogic.ReasonSuccessPing
			}),
			wantFlip: flip("7.3", now, messages.StatusDown, messages.StatusUp, "success ping"),
			wantAlerts: []checklogic.Alert{{
				Kind: messages.AlertUp, FlipID: "7.3", From: messages.StatusDown, To: messages.StatusUp,
				Reason: "success ping", At: now,
			}},
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success on down with notify_on_up off: no up alert",
			cfg:  with(noUpAlert), st: downAlertedState(),
			want: state(downAlertedState(), changedAt(t0, now), pinged(messages.KindSuccess), armed, upAgain, func(st *messages.CheckState) {
				st.FlipSeq, st.LastReason = 3, checklogic.ReasonSuccessPing
			}),
			wantFlip:    flip("7.3", now, messages.StatusDown, messages.StatusUp, "success ping"),
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success on down before the down alert: no up alert",
			cfg:  with(notifyAfter(3)), st: downCountingState(),
			want: state(downCountingState(), changedAt(t0, now), pinged(messages.KindSuccess), armed, upAgain, func(st *messages.CheckState) {
				st.FlipSeq, st.LastReason = 3, checklogic.ReasonSuccessPing
			}),
			wantFlip:    flip("7.3", now, messages.StatusDown, messages.StatusUp, "success ping"),
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success on paused: unpauses",
			cfg:  base(), st: pausedState(),
			want: state(pausedState(), pinged(messages.KindSuccess), armed, func(st *messages.CheckState) {
				st.Status, st.FlipSeq, st.LastReason = messages.StatusUp, 3, checklogic.ReasonSuccessPing
			}),
			wantFlip:    flip("7.3", now, messages.StatusPaused, messages.StatusUp, "success ping"),
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success on paused with manual_resume: nothing",
			cfg:  with(manualResume), st: pausedState(), want: pausedState(),
		}},
		{ping: fail(), effectsCase: effectsCase{
			name: "fail on paused with manual_resume: nothing",
			cfg:  with(manualResume), st: pausedState(), want: pausedState(),
		}},
		{ping: start("r1"), effectsCase: effectsCase{
			// healthchecks.io test_start_does_not_change_status_of_paused_check: the run
			// is recorded, the check stays paused, and a paused check times no run.
			name: "start on paused: run recorded, still paused, untimed",
			cfg:  with(maxRuntime(20)), st: pausedState(),
			want: state(pausedState(), func(st *messages.CheckState) {
				st.LastStart, st.LastStartRID = now, "r1"
			}),
			wantChanged: true,
		}},
		{ping: start("r1"), effectsCase: effectsCase{
			name: "start on paused with manual_resume: nothing",
			cfg:  with(manualResume, maxRuntime(20)), st: pausedState(), want: pausedState(),
		}},
		{ping: exit(0), effectsCase: effectsCase{
			name: "exit 0 is a success",
			cfg:  with(noUpAlert), st: downAlertedState(),
			want: state(downAlertedState(), changedAt(t0, now), pinged(messages.KindSuccess), armed, upAgain, func(st *messages.CheckState) {
				st.FlipSeq, st.LastReason = 3, checklogic.ReasonSuccessPing
			}),
			wantFlip:    flip("7.3", now, messages.StatusDown, messages.StatusUp, "success ping"),
			wantChanged: true,
		}},
		{ping: checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Query: "msg=backup%20ok"}, effectsCase: effectsCase{
			name: "success passing a present rule through the query",
			cfg:  with(rule(t, "present", "backup ok")), st: upState(),
			want:        state(upState(), pinged(messages.KindSuccess), armed),
			wantChanged: true,
		}},

		// failures
		{ping: fail(), effectsCase: effectsCase{
			name: "fail on up: down, flip and down alert",
			cfg:  base(), st: upState(),
			want:        state(upState(), changedAt(now), sent(messages.StatusDown), pinged(messages.KindFail), downAt(2, "7.2", "fail ping", true)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, "fail ping"),
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: fail(), effectsCase: effectsCase{
			name: "fail on up with notify_after_failures 3: down, flip, no alert, still armed",
			cfg:  with(notifyAfter(3)), st: upState(),
			want:        state(upState(), changedAt(now), pinged(messages.KindFail), armed, downAt(2, "7.2", "fail ping", false)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, "fail ping"),
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: fail(), effectsCase: effectsCase{
			name: "third consecutive failure writes the down alert",
			cfg:  with(notifyAfter(3), realertEvery(600)), st: state(downCountingState(), func(st *messages.CheckState) { st.FailureCount = 2 }),
			want: state(downCountingState(), sent(messages.StatusDown), pinged(messages.KindFail), func(st *messages.CheckState) {
				st.FailureCount, st.DownAlerted, st.RealertDue = 3, true, now.Add(600*time.Second)
				st.NextDue, st.NextDeadline, st.NextWakeAt = time.Time{}, time.Time{}, now.Add(600*time.Second)
			}),
			// previous_status is the status before the down flip, not "down".
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: fail(), effectsCase: effectsCase{
			name: "third failure of a check whose first ping failed: the down alert is from new",
			cfg:  with(notifyAfter(3)), st: state(downCountingState(), func(st *messages.CheckState) {
				st.FailureCount, st.FlipSeq, st.DownFlip, st.FlapHistory = 2, 1, "7.1", nil
			}),
			want: state(downCountingState(), sent(messages.StatusDown), pinged(messages.KindFail), func(st *messages.CheckState) {
				st.FailureCount, st.FlipSeq, st.DownFlip, st.FlapHistory, st.DownAlerted = 3, 1, "7.1", nil, true
				st.NextDue, st.NextDeadline, st.NextWakeAt = time.Time{}, time.Time{}, time.Time{}
			}),
			wantAlerts:  []checklogic.Alert{downAlert("7.1", messages.StatusNew, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: fail(), effectsCase: effectsCase{
			name: "fail on down after the alert: counted, nothing sent, schedule stays disarmed",
			cfg:  base(), st: downAlertedState(),
			want: state(downAlertedState(), pinged(messages.KindFail), func(st *messages.CheckState) {
				st.FailureCount = 2
			}),
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: fail(), effectsCase: effectsCase{
			name: "fail on new: down alert from new",
			cfg:  base(), st: checklogic.Initial(),
			want:        state(checklogic.Initial(), sent(messages.StatusDown), pinged(messages.KindFail), downAt(1, "7.1", "fail ping", true)),
			wantFlip:    flip("7.1", now, messages.StatusNew, messages.StatusDown, "fail ping"),
			wantAlerts:  []checklogic.Alert{downAlert("7.1", messages.StatusNew, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: fail(), effectsCase: effectsCase{
			name: "fail on paused: unpauses to down",
			cfg:  base(), st: pausedState(),
			want:        state(pausedState(), sent(messages.StatusDown), pinged(messages.KindFail), downAt(3, "7.3", "fail ping", true)),
			wantFlip:    flip("7.3", now, messages.StatusPaused, messages.StatusDown, "fail ping"),
			wantAlerts:  []checklogic.Alert{downAlert("7.3", messages.StatusPaused, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: exit(3), effectsCase: effectsCase{
			name: "exit 3 is a failure",
			cfg:  base(), st: upState(),
			want:        state(upState(), changedAt(now), sent(messages.StatusDown), pinged(messages.KindFail), downAt(2, "7.2", "exit code 3", true)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, "exit code 3"),
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, "exit code 3")},
			wantReason:  "exit code 3",
			wantChanged: true,
		}},
		{ping: checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: 255}, effectsCase: effectsCase{
			name: "exit status decides over the kind",
			cfg:  base(), st: upState(),
			want:        state(upState(), changedAt(now), sent(messages.StatusDown), pinged(messages.KindFail), downAt(2, "7.2", "exit code 255", true)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, "exit code 255"),
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, "exit code 255")},
			wantReason:  "exit code 255",
			wantChanged: true,
		}},
		{ping: checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Body: []byte("disk ERROR")}, effectsCase: effectsCase{
			name: "success violating the content rule is a failure",
			cfg:  with(rule(t, "absent", "ERROR")), st: upState(),
			want:        state(upState(), changedAt(now), sent(messages.StatusDown), pinged(messages.KindSuccess), downAt(2, "7.2", `content rule: "ERROR" found`, true)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, `content rule: "ERROR" found`),
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, `content rule: "ERROR" found`)},
			wantReason:  `content rule: "ERROR" found`,
			wantChanged: true,
		}},
		{ping: checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1, Body: []byte("backup failed")}, effectsCase: effectsCase{
			name: "success missing a present pattern is a failure",
			cfg:  with(rule(t, "present", "backup ok"), notifyAfter(2)), st: upState(),
			want:        state(upState(), changedAt(now), pinged(messages.KindSuccess), armed, downAt(2, "7.2", `content rule: "backup ok" not found`, false)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, `content rule: "backup ok" not found`),
			wantReason:  `content rule: "backup ok" not found`,
			wantChanged: true,
		}},
		{ping: checklogic.PingInput{Kind: messages.KindFail, ExitStatus: -1, Body: []byte("backup ok")}, effectsCase: effectsCase{
			name: "fail ping passing the content rule is still a fail",
			cfg:  with(rule(t, "present", "backup ok")), st: upState(),
			want:        state(upState(), changedAt(now), sent(messages.StatusDown), pinged(messages.KindFail), downAt(2, "7.2", "fail ping", true)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, "fail ping"),
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},

		// log and unknown
		{ping: checklogic.PingInput{Kind: messages.KindLog, ExitStatus: -1, Body: []byte("ERROR")}, effectsCase: effectsCase{
			name: "log ping changes nothing, even against the content rule",
			cfg:  with(rule(t, "absent", "ERROR")), st: upState(), want: upState(),
		}},
		{ping: checklogic.PingInput{Kind: messages.KindLog, ExitStatus: -1}, effectsCase: effectsCase{
			name: "log ping on a down check changes nothing",
			cfg:  base(), st: downAlertedState(), want: downAlertedState(),
		}},
		{ping: checklogic.PingInput{Kind: "bogus", ExitStatus: -1}, effectsCase: effectsCase{
			name: "unknown kind is ignored",
			cfg:  base(), st: upState(), want: upState(),
		}},

		// runs
		{ping: start("r1"), effectsCase: effectsCase{
			name: "start with max runtime arms the run deadline, before the schedule's",
			cfg:  with(maxRuntime(20)), st: upState(),
			want:        state(upState(), started(now, "r1", at(50))),
			wantChanged: true,
		}},
		{ping: start("r1"), effectsCase: effectsCase{
			name: "start with a max runtime later than the schedule deadline",
			cfg:  with(maxRuntime(3600)), st: upState(),
			want:        state(upState(), started(now, "r1", at(3630))),
			wantChanged: true,
		}},
		{ping: start(""), effectsCase: effectsCase{
			name: "start without max runtime",
			cfg:  base(), st: upState(),
			want:        state(upState(), started(now, "", time.Time{})),
			wantChanged: true,
		}},
		{ping: start("r1"), effectsCase: effectsCase{
			name: "start on new: recorded, not timed",
			cfg:  with(maxRuntime(20)), st: checklogic.Initial(),
			want:        state(checklogic.Initial(), started(now, "r1", time.Time{})),
			wantChanged: true,
		}},
		{ping: start("r2"), effectsCase: effectsCase{
			name: "second start replaces the first",
			cfg:  with(maxRuntime(20)), st: state(upState(), started(at(10), "r1", at(30))),
			want:        state(upState(), started(now, "r2", at(50))),
			wantChanged: true,
		}},
		{ping: withRID(success(), "r1"), effectsCase: effectsCase{
			name: "success with the run's rid ends it",
			cfg:  with(maxRuntime(40)), st: state(upState(), started(at(10), "r1", at(50))),
			want:        state(upState(), pinged(messages.KindSuccess), armed, ended(20*time.Second)),
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "success without rid ends a run with one",
			cfg:  with(maxRuntime(40)), st: state(upState(), started(at(10), "r1", at(50))),
			want:        state(upState(), pinged(messages.KindSuccess), armed, ended(20*time.Second)),
			wantChanged: true,
		}},
		{ping: withRID(success(), "r9"), effectsCase: effectsCase{
			name: "success with a rid ends a run without one",
			cfg:  with(maxRuntime(40)), st: state(upState(), started(at(10), "", at(50))),
			want:        state(upState(), pinged(messages.KindSuccess), armed, ended(20*time.Second)),
			wantChanged: true,
		}},
		{ping: withRID(success(), "r2"), effectsCase: effectsCase{
			name: "success with another rid leaves the run going",
			cfg:  with(maxRuntime(40)), st: state(upState(), started(at(10), "r1", at(50))),
			want: state(upState(), pinged(messages.KindSuccess), armed, func(st *messages.CheckState) {
				st.LastStart, st.LastStartRID, st.RunDeadline, st.NextWakeAt = at(10), "r1", at(50), at(50)
			}),
			wantChanged: true,
		}},
		{ping: withRID(fail(), "r1"), effectsCase: effectsCase{
			name: "fail with the run's rid ends it and records the duration",
			cfg:  with(maxRuntime(40)), st: state(upState(), started(at(10), "r1", at(50))),
			want:        state(upState(), changedAt(now), sent(messages.StatusDown), pinged(messages.KindFail), ended(20*time.Second), downAt(2, "7.2", "fail ping", true)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, "fail ping"),
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: withRID(fail(), "r2"), effectsCase: effectsCase{
			name: "fail with another rid leaves the run going",
			cfg:  with(maxRuntime(40)), st: state(upState(), started(at(10), "r1", at(50))),
			want: state(upState(), changedAt(now), sent(messages.StatusDown), pinged(messages.KindFail), downAt(2, "7.2", "fail ping", true), func(st *messages.CheckState) {
				st.LastStart, st.LastStartRID, st.RunDeadline, st.NextWakeAt = at(10), "r1", at(50), at(50)
			}),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusDown, "fail ping"),
			wantAlerts:  []checklogic.Alert{downAlert("7.2", messages.StatusUp, "fail ping")},
			wantReason:  "fail ping",
			wantChanged: true,
		}},
		{ping: success(), effectsCase: effectsCase{
			name: "a run started later than the ping (clock skew) lasts zero",
			cfg:  base(), st: state(upState(), started(at(40), "", time.Time{})),
			want:        state(upState(), pinged(messages.KindSuccess), armed, ended(0)),
			wantChanged: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEffects(t, tt.effectsCase, checklogic.OnPing(tt.cfg, tt.st, tt.ping, now))
		})
	}
}

func TestOnPingNormalisesNow(t *testing.T) {
	local := at(30).In(time.FixedZone("X", 3600))
	got := checklogic.OnPing(base(), upState(), success(), local)
	if got.State.LastPing.Location() != time.UTC || got.State.NextDeadline.Location() != time.UTC {
		t.Errorf("times not in UTC: LastPing %v, NextDeadline %v", got.State.LastPing, got.State.NextDeadline)
	}
	if !got.State.LastPing.Equal(at(30)) {
		t.Errorf("LastPing = %v, want %v", got.State.LastPing, at(30))
	}
}
