package checklogic_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

// flapBase is base() with an hour's period, so no deadline passes while a test flaps the
// check with pings.
func flapBase(mods ...func(*checklogic.Config)) checklogic.Config {
	return with(append([]func(*checklogic.Config){interval(3600, 60)}, mods...)...)
}

// play runs a script of events on s: "S@10" a success ping at t0+10 s, "F@" a fail ping,
// "L@" a log ping, "P@" a pause, "R@" a resume, "T@" a tick (the sweeper's poke). The wheel
// fires every wake-up due before each event, at its own time.
func (s *sim) play(script string) {
	s.t.Helper()
	for _, ev := range strings.Fields(script) {
		var kind byte
		var secs int64
		if _, err := fmt.Sscanf(ev, "%c@%d", &kind, &secs); err != nil {
			s.t.Fatalf("bad event %q: %v", ev, err)
		}
		when := at(secs)
		switch kind {
		case 'S':
			s.ping(when, success())
		case 'F':
			s.ping(when, fail())
		case 'L':
			s.ping(when, checklogic.PingInput{Kind: messages.KindLog, ExitStatus: -1})
		case 'P':
			s.runWheel(when)
			s.apply(when, checklogic.OnPause(s.c, s.st, when))
		case 'R':
			s.runWheel(when)
			s.apply(when, checklogic.OnResume(s.c, s.st, when))
		case 'T':
			s.runWheel(when)
			s.tick(when)
		default:
			s.t.Fatalf("bad event %q", ev)
		}
	}
}

func TestFlapping(t *testing.T) {
	// Changes at 10..60 alternate up↔down: the sixth, at 60, starts the suppression.
	const sixChanges = "S@0 F@10 S@20 F@30 S@40 F@50 S@60"
	tests := []struct {
		name   string
		cfg    checklogic.Config
		script string
		until  int64    // the wheel runs until then
		want   []string // alerts, as sim.alertKinds
		flips  int
		status messages.CheckStatus
		end    time.Time // the flap-end notice's time, when there is one
	}{
		{
			name: "six changes within the window: one notice, the rest held back, the end reports up",
			cfg:  flapBase(), script: sixChanges + " F@70 S@80", until: 1000,
			want:  []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "flapping@1m0s", "flap-end@1m0s", "up@7.9"},
			flips: 9, status: messages.StatusUp, end: at(80 + 180),
		},
		{
			name: "five changes within the window: nothing held back",
			cfg:  flapBase(), script: "S@0 F@10 S@20 F@30 S@40 F@50", until: 1000,
			want:  []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6"},
			flips: 6, status: messages.StatusDown,
		},
		{
			name: "changes spaced wider than the window never suppress",
			cfg:  flapBase(), script: "S@0 F@25 S@50 F@75 S@100 F@125 S@150 F@175 S@200 F@225 S@250", until: 1000,
			want: []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "up@7.7",
				"down@7.8", "up@7.9", "down@7.10", "up@7.11"},
			flips: 11, status: messages.StatusUp,
		},
		{
			name: "six changes spanning exactly the window suppress",
			cfg:  flapBase(), script: "S@0 F@24 S@48 F@72 S@96 F@120 S@144", until: 1000,
			want:  []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "flapping@2m24s", "flap-end@2m24s", "up@7.7"},
			flips: 7, status: messages.StatusUp, end: at(144 + 180),
		},
		{
			name: "further changes extend the suppression; ending down as last sent: only the notice",
			cfg:  flapBase(), script: sixChanges + " F@200 S@300 F@400", until: 1000,
			want:  []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "flapping@1m0s", "flap-end@1m0s"},
			flips: 10, status: messages.StatusDown, end: at(400 + 180),
		},
		{
			name: "a down period alerted silently owes its up alert after the suppression",
			cfg:  flapBase(), script: sixChanges + " F@200 S@300 F@400 S@1000", until: 1100,
			want:  []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "flapping@1m0s", "flap-end@1m0s", "up@7.11"},
			flips: 11, status: messages.StatusUp, end: at(400 + 180),
		},
		{
			name: "ending down after an up was sent: the down alert is sent",
			cfg:  flapBase(), script: "F@0 S@10 F@20 S@30 F@40 S@50 F@60", until: 1000,
			want:  []string{"down@7.1", "up@7.2", "down@7.3", "up@7.4", "down@7.5", "up@7.6", "flapping@1m0s", "flap-end@1m0s", "down@7.7"},
			flips: 7, status: messages.StatusDown, end: at(60 + 180),
		},
		{
			name: "ending up as last sent: only the notice",
			cfg:  flapBase(), script: "F@0 S@10 F@20 S@30 F@40 S@50 F@60 S@70", until: 1000,
			want:  []string{"down@7.1", "up@7.2", "down@7.3", "up@7.4", "down@7.5", "up@7.6", "flapping@1m0s", "flap-end@1m0s"},
			flips: 8, status: messages.StatusUp, end: at(70 + 180),
		},
		{
			name: "ending down below notify_after_failures: no down alert, until the Nth failure",
			cfg:  flapBase(notifyAfter(3)), script: sixChanges + " F@70 F@500 F@510", until: 1000,
			want:  []string{"flapping@1m0s", "flap-end@1m0s", "down@7.8"},
			flips: 8, status: messages.StatusDown, end: at(70 + 180),
		},
		{
			name: "ending up with notify_on_up off: only the notice",
			cfg:  flapBase(noUpAlert), script: sixChanges + " F@70 S@80", until: 1000,
			want:  []string{"down@7.2", "down@7.4", "down@7.6", "flapping@1m0s", "flap-end@1m0s"},
			flips: 9, status: messages.StatusUp, end: at(80 + 180),
		},
		{
			name: "new→up, new→down, pauses and resumes are not changes",
			cfg:  flapBase(), script: "F@0 P@10 R@20 P@30 R@40 P@50 R@60 P@70 R@80 P@90 R@100 F@110", until: 1000,
			want:  []string{"down@7.1", "down@7.12"},
			flips: 12, status: messages.StatusDown,
		},
		{
			name: "re-alerts are held back while suppressed, and numbered from 1 after",
			cfg:  flapBase(realertEvery(30)), script: sixChanges + " F@70", until: 300,
			// Held back: 100, 130, …, 220; the end at 250 first (last sent was down), then
			// the one due at 250, and 280.
			want: []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "flapping@1m0s",
				"flap-end@1m0s", "realert@7.8#1", "realert@7.8#2"},
			flips: 8, status: messages.StatusDown, end: at(70 + 180),
		},
		{
			name: "a paused check's suppression ends with the notice alone",
			cfg:  flapBase(), script: sixChanges + " F@70 P@80", until: 1000,
			want:  []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "flapping@1m0s", "flap-end@1m0s"},
			flips: 9, status: messages.StatusPaused, end: at(70 + 180),
		},
		{
			name: "an event after the end ends it first: a log ping",
			cfg:  flapBase(), script: sixChanges + " F@70 L@500", until: 500,
			want:  []string{"down@7.2", "up@7.3", "down@7.4", "up@7.5", "down@7.6", "flapping@1m0s", "flap-end@1m0s"},
			flips: 8, status: messages.StatusDown, end: at(70 + 180),
		},
		{
			name: "the eagerest configuration: two changes within 10 s",
			cfg: flapBase(func(c *checklogic.Config) {
				c.Flap = checklogic.FlapConfig{Changes: 2, Window: 10 * time.Second, Suppress: 5 * time.Second}
			}), script: "S@0 F@10 S@15 F@100", until: 1000,
			// The end at 20 finds it up after a down was sent: the up alert is owed.
			want:  []string{"down@7.2", "flapping@15s", "flap-end@15s", "up@7.3", "down@7.4"},
			flips: 4, status: messages.StatusDown, end: at(20),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, tt.cfg)
			s.play(tt.script)
			s.runWheel(at(tt.until))
			if got := s.alertKinds(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("alerts:\n got  %v\n want %v", got, tt.want)
			}
			if len(s.flips) != tt.flips || s.st.Status != tt.status {
				t.Errorf("%d flips, status %s; want %d, %s: the flips go on while alerts are held", len(s.flips), s.st.Status, tt.flips, tt.status)
			}
			if !s.st.FlapSince.IsZero() || !s.st.SuppressUntil.IsZero() {
				t.Errorf("still suppressed at the end: since %v until %v", s.st.FlapSince, s.st.SuppressUntil)
			}
			for _, a := range s.alerts {
				if a.Kind == messages.AlertFlapEnd && !a.At.Equal(tt.end) {
					t.Errorf("flap-end at %v, want %v", a.At.Sub(t0), tt.end.Sub(t0))
				}
			}
			if fc := checklogic.DefaultFlapConfig(); len(s.st.FlapHistory) > fc.Changes && tt.cfg.Flap == (checklogic.FlapConfig{}) {
				t.Errorf("flap history holds %d changes, more than %d", len(s.st.FlapHistory), fc.Changes)
			}
		})
	}
}

// The alerts that start and end a suppression, field by field.
func TestFlappingAlerts(t *testing.T) {
	s := newSim(t, flapBase())
	s.play("F@0 S@10 F@20 S@30 F@40 S@50")
	e := s.ping(at(60), fail())
	notice := checklogic.Alert{
		Kind: messages.AlertFlapping, CheckID: 7, Since: at(60), Changes: 6, Window: 120 * time.Second,
		Suppress: 180 * time.Second, From: messages.StatusUp, To: messages.StatusDown,
		Reason: checklogic.ReasonFlapping, At: at(60),
	}
	if !reflect.DeepEqual(e.Alerts, []checklogic.Alert{notice}) {
		t.Errorf("the sixth change wrote %+v, want the notice alone %+v", e.Alerts, notice)
	}
	if !e.State.DownAlerted || e.State.LastSentStatus != messages.StatusUp {
		t.Errorf("DownAlerted %v, LastSentStatus %q: want the down period alerted, silently", e.State.DownAlerted, e.State.LastSentStatus)
	}
	if e.State.NextWakeAt != at(240) || e.State.SuppressUntil != at(240) || e.State.FlapSince != at(60) {
		t.Errorf("NextWakeAt %v, suppressed since %v until %v; want the wheel at the end %v", e.State.NextWakeAt, e.State.FlapSince, e.State.SuppressUntil, at(240))
	}
	want := []time.Time{at(10), at(20), at(30), at(40), at(50), at(60)}
	if !slices.Equal(e.State.FlapHistory, want) {
		t.Errorf("FlapHistory = %v, want %v", e.State.FlapHistory, want)
	}

	e = s.tick(at(240))
	wantEnd := []checklogic.Alert{
		{Kind: messages.AlertFlapEnd, CheckID: 7, Since: at(60), From: messages.StatusDown, To: messages.StatusDown,
			Reason: checklogic.ReasonStable, At: at(240)},
		{Kind: messages.AlertDown, FlipID: "7.7", From: messages.StatusUp, To: messages.StatusDown,
			Reason: checklogic.ReasonFailPing, At: at(240)},
	}
	if !reflect.DeepEqual(e.Alerts, wantEnd) {
		t.Errorf("the end wrote\n %+v\nwant\n %+v", e.Alerts, wantEnd)
	}
	if e.State.LastSentStatus != messages.StatusDown || !e.State.NextWakeAt.IsZero() || !e.Changed {
		t.Errorf("after the end: LastSentStatus %q, NextWakeAt %v, Changed %v", e.State.LastSentStatus, e.State.NextWakeAt, e.Changed)
	}
}

func TestFlappingKeys(t *testing.T) {
	since := time.Date(2026, 3, 1, 12, 1, 0, 500_000_000, time.UTC) // unix 1772366460.5
	tests := []struct {
		alert checklogic.Alert
		want  string
	}{
		{checklogic.Alert{Kind: messages.AlertFlapping, CheckID: 7, Since: since}, "flap-start:7:1772366460:telegram"},
		{checklogic.Alert{Kind: messages.AlertFlapEnd, CheckID: 7, Since: since}, "flap-end:7:1772366460:telegram"},
		{checklogic.Alert{Kind: messages.AlertDown, FlipID: "7.9"}, "down:7.9:telegram"},
		{checklogic.Alert{Kind: messages.AlertUp, FlipID: "7.10"}, "up:7.10:telegram"},
		{checklogic.Alert{Kind: messages.AlertRealert, FlipID: "7.9", N: 2}, "realert:7.9:2:telegram"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.alert.Key(messages.ChannelTelegram); got != tt.want {
				t.Errorf("Key() = %q, want %q", got, tt.want)
			}
		})
	}

	// The keys of a real run: each suppression named by its start, the same in both.
	s := newSim(t, flapBase())
	s.play("S@0 F@10 S@20 F@30 S@40 F@50 S@60")
	s.runWheel(at(1000))
	s.play("F@1010 S@1020 F@1030 S@1040 F@1050 S@1060")
	s.runWheel(at(2000))
	var keys []string
	for _, a := range s.alerts {
		if a.Kind == messages.AlertFlapping || a.Kind == messages.AlertFlapEnd {
			keys = append(keys, a.Key("webhook"))
		}
	}
	start1, start2 := at(60).Unix(), at(1060).Unix()
	want := []string{
		fmt.Sprintf("flap-start:7:%d:webhook", start1), fmt.Sprintf("flap-end:7:%d:webhook", start1),
		fmt.Sprintf("flap-start:7:%d:webhook", start2), fmt.Sprintf("flap-end:7:%d:webhook", start2),
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
}

// A restart in the middle of a suppression: the state comes back from the store (a copy)
// and the suppression goes on as if nothing happened; after a long stop, the activation's
// tick ends it at its true time.
func TestFlappingSurvivesRestart(t *testing.T) {
	const script = "S@0 F@10 S@20 F@30 S@40 F@50 S@60 F@70"
	straight := newSim(t, flapBase())
	straight.play(script + " S@100 F@150")
	straight.runWheel(at(1000))

	restarted := newSim(t, flapBase())
	restarted.play(script)
	restarted.st = roundTrip(restarted.st)
	restarted.play("S@100")
	restarted.st = roundTrip(restarted.st)
	restarted.play("F@150")
	restarted.runWheel(at(1000))
	if got, want := restarted.alertKinds(), straight.alertKinds(); !reflect.DeepEqual(got, want) {
		t.Errorf("with restarts: %v, straight: %v", got, want)
	}
	if !reflect.DeepEqual(restarted.alerts, straight.alerts) {
		t.Errorf("alerts differ:\n %+v\n %+v", restarted.alerts, straight.alerts)
	}

	// ttr stopped from 100 until 1000: the suppression (until 260) ends at the first tick,
	// at its true time, and reports up (a down was the last sent).
	stopped := newSim(t, flapBase())
	stopped.play(script + " S@80")
	stopped.st = roundTrip(stopped.st)
	e := stopped.tick(at(1000))
	if len(e.Alerts) != 2 || e.Alerts[0].Kind != messages.AlertFlapEnd || !e.Alerts[0].At.Equal(at(260)) ||
		e.Alerts[1].Kind != messages.AlertUp || e.Alerts[1].FlipID != "7.9" {
		t.Errorf("first tick after the stop wrote %+v, want the flap-end at 260 and the up alert", e.Alerts)
	}
}

// roundTrip is the state as the store returns it: a copy sharing nothing, times in UTC
// with millisecond precision.
func roundTrip(st messages.CheckState) messages.CheckState {
	ms := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return time.UnixMilli(t.UnixMilli()).UTC()
	}
	out := st
	out.FlapHistory = nil
	for _, t := range st.FlapHistory {
		out.FlapHistory = append(out.FlapHistory, ms(t))
	}
	out.FlapSince, out.SuppressUntil = ms(st.FlapSince), ms(st.SuppressUntil)
	return out
}

func TestNextWakeAtIncludesSuppressUntil(t *testing.T) {
	suppressed := func(until int64) func(*messages.CheckState) {
		return func(st *messages.CheckState) {
			st.FlapHistory = []time.Time{at(-50), at(-40), at(-30), at(-20), at(-10), at(0)}
			st.FlapSince, st.SuppressUntil = at(0), at(until)
		}
	}
	tests := []struct {
		name string
		st   messages.CheckState
		ev   func(checklogic.Config, messages.CheckState, time.Time) checklogic.Effects
		now  time.Time
		want time.Time
	}{
		{"up: the end before the schedule deadline", state(upState(), suppressed(50)), checklogic.OnReconfigure, at(30), at(50)},
		{"up: the schedule deadline before the end", state(upState(), suppressed(180)), checklogic.OnReconfigure, at(30), at(70)},
		{"down and alerted: the end alone", state(downAlertedState(), suppressed(180)), checklogic.OnReconfigure, at(30), at(180)},
		{"paused: the end alone", state(pausedState(), suppressed(180)), checklogic.OnReconfigure, at(30), at(180)},
		{"paused: a tick at the end clears it", state(pausedState(), suppressed(180)), checklogic.OnTick, at(180), time.Time{}},
		{"new: a tick before the end keeps it", state(checklogic.Initial(), suppressed(180)), checklogic.OnTick, at(179), at(180)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.ev(base(), tt.st, tt.now)
			if !got.State.NextWakeAt.Equal(tt.want) {
				t.Errorf("NextWakeAt = %v, want %v", got.State.NextWakeAt, tt.want)
			}
		})
	}
}

// The end of a suppression and a schedule deadline at the same instant: the end first, so
// the missed period, a change after the end, alerts normally.
func TestSuppressionEndsBeforeADeadlineAtTheSameTime(t *testing.T) {
	c := with(interval(190, 0))
	st := state(upState(), func(st *messages.CheckState) {
		st.LastSentStatus = messages.StatusUp
		st.FlapHistory = []time.Time{at(-50), at(-40), at(-30), at(-20), at(-10), at(0)}
		st.FlapSince, st.SuppressUntil = at(0), at(180)
		st.NextDue, st.NextDeadline, st.NextWakeAt = at(180), at(180), at(180)
	})
	e := checklogic.OnTick(c, st, at(180))
	var kinds []messages.AlertKind
	for _, a := range e.Alerts {
		kinds = append(kinds, a.Kind)
	}
	if want := []messages.AlertKind{messages.AlertFlapEnd, messages.AlertDown}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("alerts %v, want %v", kinds, want)
	}
	if e.State.LastSentStatus != messages.StatusDown || !e.State.FlapSince.IsZero() {
		t.Errorf("LastSentStatus %q, FlapSince %v", e.State.LastSentStatus, e.State.FlapSince)
	}
}

// A change dated back to before the event (here a run over its max runtime, dated at the
// last ping) starts its suppression at the event, for at least MinFlapSuppress: it never
// shares its start, and so its keys, with a suppression that ended before.
func TestBackdatedChangeStartsSuppressionAtTheEvent(t *testing.T) {
	c := with(maxRuntime(3), func(c *checklogic.Config) {
		c.Flap = checklogic.FlapConfig{Changes: 2, Window: 10 * time.Second, Suppress: 2 * time.Second}
	})
	st := state(upState(), func(st *messages.CheckState) {
		st.LastPing = at(100) // a success at 100 flipped it up
		st.FlapHistory = []time.Time{at(100)}
		st.NextDue, st.NextDeadline = at(160), at(170)
		st.LastStart, st.RunDeadline, st.NextWakeAt = at(90), at(93), at(93) // overdue
	})
	e := checklogic.OnTick(c, st, at(104))
	if e.Flip == nil || !e.Flip.At.Equal(at(100)) {
		t.Fatalf("flip %+v, want one dated at the last ping", e.Flip)
	}
	if !e.State.FlapSince.Equal(at(104)) || !e.State.SuppressUntil.Equal(at(105)) {
		t.Errorf("suppressed since %v until %v, want %v until %v", e.State.FlapSince, e.State.SuppressUntil, at(104), at(105))
	}
	if len(e.Alerts) != 1 || e.Alerts[0].Kind != messages.AlertFlapping || !e.Alerts[0].Since.Equal(at(104)) || !e.Alerts[0].At.Equal(at(100)) {
		t.Errorf("alerts %+v, want the notice since the event, at the change", e.Alerts)
	}
}

func TestFlapConfig(t *testing.T) {
	if d := checklogic.DefaultFlapConfig(); d != (checklogic.FlapConfig{Changes: 6, Window: 120 * time.Second, Suppress: 180 * time.Second}) {
		t.Errorf("DefaultFlapConfig() = %+v", d)
	}
	tests := []struct {
		cfg checklogic.FlapConfig
		ok  bool
	}{
		{checklogic.FlapConfig{}, true},
		{checklogic.DefaultFlapConfig(), true},
		{checklogic.FlapConfig{Changes: 2, Window: time.Second, Suppress: time.Second}, true},
		{checklogic.FlapConfig{Changes: checklogic.MaxFlapChanges}, true},
		{checklogic.FlapConfig{Changes: 1}, false},
		{checklogic.FlapConfig{Changes: -1}, false},
		{checklogic.FlapConfig{Changes: checklogic.MaxFlapChanges + 1}, false},
		{checklogic.FlapConfig{Window: -time.Second}, false},
		{checklogic.FlapConfig{Suppress: -time.Second}, false},
		{checklogic.FlapConfig{Suppress: 500 * time.Millisecond}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.cfg), func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}

	cfg := messages.CheckConfig{ScheduleType: messages.ScheduleInterval, IntervalSeconds: 60}
	flap := checklogic.FlapConfig{Changes: 3, Window: time.Minute, Suppress: time.Minute}
	if c, err := checklogic.CompileWith(7, cfg, flap); err != nil || c.Flap != flap || c.Schedule == nil {
		t.Errorf("CompileWith = %+v, %v", c, err)
	}
	if _, err := checklogic.CompileWith(7, cfg, checklogic.FlapConfig{Changes: 1}); err == nil {
		t.Error("CompileWith accepted a flap configuration Validate rejects")
	}
}
