package checklogic_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// t0 is the fixed base time of every test.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus s seconds.
func at(s int64) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// every is an interval schedule: due d after the time passed (like schedule's interval).
type every time.Duration

func (d every) Next(t time.Time) (time.Time, bool) { return t.Add(time.Duration(d)).UTC(), true }

// aligned is a cron-like schedule: due at every multiple of d since t0, whatever the pings.
type aligned time.Duration

func (d aligned) Next(t time.Time) (time.Time, bool) {
	n := t.Sub(t0)/time.Duration(d) + 1
	if t.Before(t0) {
		n = 0
	}
	return t0.Add(n * time.Duration(d)).UTC(), true
}

// until is due like inner, but never again at or after end (a schedule that runs out).
type until struct {
	inner schedule.Schedule
	end   time.Time
}

func (u until) Next(t time.Time) (time.Time, bool) {
	n, ok := u.inner.Next(t)
	if !ok || !n.Before(u.end) {
		return time.Time{}, false
	}
	return n, true
}

var (
	_ schedule.Schedule = every(0)
	_ schedule.Schedule = aligned(0)
	_ schedule.Schedule = until{}
)

// base is the configuration most tests start from: check 7, every 60 s, 10 s grace, alert
// on the first failure, up alerts on.
func base() checklogic.Config {
	return checklogic.Config{
		CheckID: 7,
		Cfg: messages.CheckConfig{
			ScheduleType:        messages.ScheduleInterval,
			IntervalSeconds:     60,
			GraceSeconds:        10,
			NotifyAfterFailures: 1,
			NotifyOnUp:          true,
		},
		Schedule: every(60 * time.Second),
	}
}

// with returns base() changed by each mod.
func with(mods ...func(*checklogic.Config)) checklogic.Config {
	c := base()
	for _, m := range mods {
		m(&c)
	}
	return c
}

func notifyAfter(n int32) func(*checklogic.Config) {
	return func(c *checklogic.Config) { c.Cfg.NotifyAfterFailures = n }
}

func maxRuntime(s int64) func(*checklogic.Config) {
	return func(c *checklogic.Config) { c.Cfg.MaxRuntimeSeconds = s }
}

func realertEvery(s int64) func(*checklogic.Config) {
	return func(c *checklogic.Config) { c.Cfg.RealertIntervalSeconds = s }
}

func interval(iv, grace int64) func(*checklogic.Config) {
	return func(c *checklogic.Config) {
		c.Cfg.IntervalSeconds, c.Cfg.GraceSeconds = iv, grace
		c.Schedule = every(time.Duration(iv) * time.Second)
	}
}

var noUpAlert = func(c *checklogic.Config) { c.Cfg.NotifyOnUp = false }

var manualResume = func(c *checklogic.Config) { c.Cfg.ManualResume = true }

func rule(t testing.TB, typ, pattern string) func(*checklogic.Config) {
	t.Helper()
	r, err := contentrule.Compile(&messages.ContentRule{Type: typ, Pattern: pattern})
	if err != nil {
		t.Fatalf("compile content rule: %v", err)
	}
	return func(c *checklogic.Config) { c.Rule = r }
}

// upState is check 7 up since a success ping at t0, under base().
func upState() messages.CheckState {
	return messages.CheckState{
		Status:       messages.StatusUp,
		LastPing:     t0,
		LastPingKind: messages.KindSuccess,
		LastDuration: -1,
		NextDue:      at(60),
		NextDeadline: at(70),
		NextWakeAt:   at(70),
		FlipSeq:      1,
		LastReason:   checklogic.ReasonSuccessPing,
	}
}

// downAlertedState is check 7 down since a fail ping at t0, its down alert written.
func downAlertedState() messages.CheckState {
	return messages.CheckState{
		Status:       messages.StatusDown,
		LastPing:     t0,
		LastPingKind: messages.KindFail,
		LastDuration: -1,
		FailureCount: 1,
		DownFlip:     "7.2",
		DownAlerted:  true,
		FlipSeq:      2,
		LastReason:   checklogic.ReasonFailPing,
		// The flip from up at t0 is in the flap history, and the down alert was sent.
		FlapHistory:    []time.Time{t0},
		LastSentStatus: messages.StatusDown,
	}
}

// downCountingState is check 7 down since a fail ping at t0 with notify_after_failures
// above 1: no alert yet, the schedule still armed.
func downCountingState() messages.CheckState {
	st := downAlertedState()
	st.DownAlerted, st.LastSentStatus = false, ""
	st.NextDue, st.NextDeadline, st.NextWakeAt = at(60), at(70), at(70)
	return st
}

// pausedState is check 7 paused at t0+5 after a success at t0.
func pausedState() messages.CheckState {
	return messages.CheckState{
		Status:       messages.StatusPaused,
		LastPing:     t0,
		LastPingKind: messages.KindSuccess,
		LastDuration: -1,
		FlipSeq:      2,
		LastReason:   checklogic.ReasonPaused,
	}
}

// changedAt sets the flap history: the times of the latest up↔down changes.
func changedAt(ts ...time.Time) func(*messages.CheckState) {
	return func(st *messages.CheckState) { st.FlapHistory = ts }
}

// sent sets the status of the last down or up alert written.
func sent(status messages.CheckStatus) func(*messages.CheckState) {
	return func(st *messages.CheckState) { st.LastSentStatus = status }
}

func state(st messages.CheckState, mods ...func(*messages.CheckState)) messages.CheckState {
	for _, m := range mods {
		m(&st)
	}
	return st
}

func success() checklogic.PingInput {
	return checklogic.PingInput{Kind: messages.KindSuccess, ExitStatus: -1}
}

func fail() checklogic.PingInput {
	return checklogic.PingInput{Kind: messages.KindFail, ExitStatus: -1}
}

func start(rid string) checklogic.PingInput {
	return checklogic.PingInput{Kind: messages.KindStart, ExitStatus: -1, RID: rid}
}

func exit(code int32) checklogic.PingInput {
	kind := messages.KindFail
	if code == 0 {
		kind = messages.KindSuccess
	}
	return checklogic.PingInput{Kind: kind, ExitStatus: code}
}

func withRID(p checklogic.PingInput, rid string) checklogic.PingInput {
	p.RID = rid
	return p
}

func flip(id string, when time.Time, from, to messages.CheckStatus, reason string) *messages.Flip {
	return &messages.Flip{ID: id, CheckID: 7, At: when, From: from, To: to, Reason: reason}
}

// sim drives one check through a sequence of events, as the check actor and the deadline
// wheel would, and keeps every flip and alert.
type sim struct {
	t      testing.TB
	c      checklogic.Config
	st     messages.CheckState
	now    time.Time
	flips  []messages.Flip
	alerts []checklogic.Alert
}

func newSim(t testing.TB, c checklogic.Config) *sim {
	return &sim{t: t, c: c, st: checklogic.Initial(), now: t0}
}

func (s *sim) apply(when time.Time, e checklogic.Effects) checklogic.Effects {
	s.t.Helper()
	if when.Before(s.now) {
		s.t.Fatalf("sim: time went back from %v to %v", s.now, when)
	}
	s.now = when
	s.st = e.State
	if e.Flip != nil {
		s.flips = append(s.flips, *e.Flip)
	}
	s.alerts = append(s.alerts, e.Alerts...)
	return e
}

func (s *sim) ping(when time.Time, p checklogic.PingInput) checklogic.Effects {
	s.t.Helper()
	s.runWheel(when)
	return s.apply(when, checklogic.OnPing(s.c, s.st, p, when))
}

func (s *sim) tick(when time.Time) checklogic.Effects {
	s.t.Helper()
	return s.apply(when, checklogic.OnTick(s.c, s.st, when))
}

// runWheel fires every wake-up due before until, at its own time, as the wheel does while
// ttr is running.
func (s *sim) runWheel(until time.Time) {
	s.t.Helper()
	for i := 0; !s.st.NextWakeAt.IsZero() && s.st.NextWakeAt.Before(until); i++ {
		if i > 10000 {
			s.t.Fatalf("sim: the wheel keeps waking at %v", s.st.NextWakeAt)
		}
		s.tick(s.st.NextWakeAt)
	}
}

// alertKinds lists the alerts so far as "kind@flip[#n]", and flap notices as
// "kind@since" (FlapSince after t0).
func (s *sim) alertKinds() []string {
	var out []string
	for _, a := range s.alerts {
		k := string(a.Kind) + "@" + a.FlipID
		switch a.Kind {
		case messages.AlertRealert:
			k += "#" + strconv.Itoa(int(a.N))
		case messages.AlertFlapping, messages.AlertFlapEnd:
			k = string(a.Kind) + "@" + a.Since.Sub(t0).String()
		}
		out = append(out, k)
	}
	return out
}
