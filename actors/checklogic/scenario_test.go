package checklogic_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

func TestAlertKey(t *testing.T) {
	tests := []struct {
		alert checklogic.Alert
		want  string
	}{
		{checklogic.Alert{Kind: messages.AlertDown, FlipID: "7.2"}, "down:7.2:webhook"},
		{checklogic.Alert{Kind: messages.AlertUp, FlipID: "7.3"}, "up:7.3:webhook"},
		{checklogic.Alert{Kind: messages.AlertRealert, FlipID: "7.2", N: 4}, "realert:7.2:4:webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.alert.Key(messages.ChannelWebhook); got != tt.want {
				t.Errorf("Key() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInitial(t *testing.T) {
	want := messages.CheckState{Status: messages.StatusNew, LastDuration: -1}
	if got := checklogic.Initial(); !checklogic.SameState(got, want) {
		t.Errorf("Initial() = %+v, want %+v", got, want)
	}
}

func TestDerived(t *testing.T) {
	running := state(upState(), func(st *messages.CheckState) { st.LastStart = at(10) })
	tests := []struct {
		name        string
		st          messages.CheckState
		now         time.Time
		late, start bool
	}{
		{name: "up, before due", st: upState(), now: at(60)},
		{name: "up, within grace", st: upState(), now: at(61), late: true},
		{name: "up, at the deadline", st: upState(), now: at(70), late: true},
		{name: "up, past the deadline, not yet ticked", st: upState(), now: at(71)},
		{name: "down is never late", st: downCountingState(), now: at(65)},
		{name: "new", st: checklogic.Initial(), now: at(65)},
		{name: "started", st: running, now: at(20), start: true},
		{name: "started and late", st: running, now: at(65), late: true, start: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			late, started := checklogic.Derived(base().Cfg, tt.st, tt.now)
			if late != tt.late || started != tt.start {
				t.Errorf("Derived() = (%v, %v), want (%v, %v)", late, started, tt.late, tt.start)
			}
		})
	}
}

func TestCompile(t *testing.T) {
	valid := messages.CheckConfig{ScheduleType: messages.ScheduleInterval, IntervalSeconds: 60, GraceSeconds: 10}
	tests := []struct {
		name    string
		mod     func(*messages.CheckConfig)
		wantErr string
	}{
		{name: "interval", mod: func(*messages.CheckConfig) {}},
		{name: "cron with zone and rule", mod: func(c *messages.CheckConfig) {
			c.ScheduleType, c.Schedule, c.TZ = messages.ScheduleCron, "*/5 * * * *", "Europe/Berlin"
			c.ContentRule = &messages.ContentRule{Type: "present", Pattern: "ok"}
		}},
		{name: "bad schedule type", mod: func(c *messages.CheckConfig) { c.ScheduleType = "weekly" }, wantErr: "schedule: "},
		{name: "bad cron", mod: func(c *messages.CheckConfig) { c.ScheduleType, c.Schedule = messages.ScheduleCron, "61 * * * *" }, wantErr: "schedule: "},
		{name: "bad zone", mod: func(c *messages.CheckConfig) {
			c.ScheduleType, c.Schedule, c.TZ = messages.ScheduleCron, "* * * * *", "Mars/Olympus"
		}, wantErr: "Mars/Olympus"},
		{name: "bad content rule", mod: func(c *messages.CheckConfig) {
			c.ContentRule = &messages.ContentRule{Type: "present", Pattern: "(", Regex: true}
		}, wantErr: "content rule: invalid regular expression"},
		{name: "negative grace", mod: func(c *messages.CheckConfig) { c.GraceSeconds = -1 }, wantErr: "grace_seconds"},
		{name: "negative max runtime", mod: func(c *messages.CheckConfig) { c.MaxRuntimeSeconds = -1 }, wantErr: "max_runtime_seconds"},
		{name: "negative realert", mod: func(c *messages.CheckConfig) { c.RealertIntervalSeconds = -1 }, wantErr: "realert_interval_seconds"},
		{name: "negative notify after", mod: func(c *messages.CheckConfig) { c.NotifyAfterFailures = -1 }, wantErr: "notify_after_failures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.mod(&cfg)
			got, err := checklogic.Compile(42, cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Compile() error = %v", err)
				}
				if got.CheckID != 42 || got.Schedule == nil || !reflect.DeepEqual(got.Cfg, cfg) || (cfg.ContentRule != nil) != (got.Rule != nil) {
					t.Errorf("Compile() = %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Compile() error = %v, want one containing %q", err, tt.wantErr)
			}
			var me *messages.Error
			if !errors.As(err, &me) || me.Code != messages.EInvalid {
				t.Errorf("Compile() error %v is not messages.EInvalid", err)
			}
		})
	}
}

func TestCompiledIntervalDrivesDeadlines(t *testing.T) {
	c, err := checklogic.Compile(7, messages.CheckConfig{ScheduleType: messages.ScheduleInterval, IntervalSeconds: 60, GraceSeconds: 10, NotifyOnUp: true})
	if err != nil {
		t.Fatal(err)
	}
	got := checklogic.OnPing(c, checklogic.Initial(), success(), t0)
	if got.State.NextDue != at(60) || got.State.NextDeadline != at(70) || got.State.NextWakeAt != at(70) {
		t.Errorf("deadlines = %v / %v / %v, want %v / %v / %v", got.State.NextDue, got.State.NextDeadline, got.State.NextWakeAt, at(60), at(70), at(70))
	}
}

func TestNotifyAfterThreeFailPings(t *testing.T) {
	s := newSim(t, with(notifyAfter(3), interval(3600, 60)))
	s.ping(at(0), success())
	for i, want := range []int{0, 0, 1, 1, 1} {
		e := s.ping(at(int64(10*(i+1))), fail())
		if len(s.alerts) != want {
			t.Fatalf("after fail ping %d: %d alerts (%v), want %d", i+1, len(s.alerts), s.alertKinds(), want)
		}
		if e.Reason != checklogic.ReasonFailPing {
			t.Errorf("fail ping %d: Reason = %q", i+1, e.Reason)
		}
	}
	if s.st.FailureCount != 5 {
		t.Errorf("FailureCount = %d, want 5", s.st.FailureCount)
	}
	down := s.alerts[0]
	if down.Kind != messages.AlertDown || down.FlipID != "7.2" || down.At != at(30) || down.From != messages.StatusUp {
		t.Errorf("down alert = %+v, want down for flip 7.2 at the third ping", down)
	}
	if len(s.flips) != 2 || s.flips[1].At != at(10) {
		t.Errorf("flips = %+v, want new→up then up→down at the first fail", s.flips)
	}
	s.ping(at(100), success())
	if s.st.FailureCount != 0 {
		t.Errorf("FailureCount after success = %d", s.st.FailureCount)
	}
	// A new down period counts from zero and alerts under its own flip.
	s.ping(at(110), fail())
	s.ping(at(120), fail())
	s.ping(at(130), success())
	s.ping(at(140), fail())
	s.ping(at(150), fail())
	s.ping(at(160), fail())
	want := []string{"down@7.2", "up@7.3", "down@7.6"}
	if got := s.alertKinds(); !reflect.DeepEqual(got, want) {
		t.Errorf("alerts = %v, want %v", got, want)
	}
}

func TestMissedPeriodsCount(t *testing.T) {
	tests := []struct {
		name       string
		n          int32
		tick       int64 // seconds after t0: ping at t0, interval 60, grace 10
		wantCount  int32
		wantAlerts []string
		wantNextDL time.Time
	}{
		{name: "k < N: counted, re-armed", n: 3, tick: 135, wantCount: 2, wantNextDL: at(190)},
		{name: "k = N: alert, disarmed", n: 3, tick: 190, wantCount: 3, wantAlerts: []string{"down@7.2"}},
		{name: "k > N: one alert, disarmed", n: 3, tick: 86_400, wantCount: 3, wantAlerts: []string{"down@7.2"}},
		{name: "N = 1: alert at the first", n: 1, tick: 86_400, wantCount: 1, wantAlerts: []string{"down@7.2"}},
		{name: "N = 0 means 1", n: 0, tick: 70, wantCount: 1, wantAlerts: []string{"down@7.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, with(notifyAfter(tt.n)))
			s.ping(t0, success())
			e := s.tick(at(tt.tick)) // one tick: ttr was stopped since the ping
			if s.st.FailureCount != tt.wantCount {
				t.Errorf("FailureCount = %d, want %d", s.st.FailureCount, tt.wantCount)
			}
			if got := s.alertKinds(); !reflect.DeepEqual(got, tt.wantAlerts) {
				t.Errorf("alerts = %v, want %v", got, tt.wantAlerts)
			}
			if s.st.NextDeadline != tt.wantNextDL {
				t.Errorf("NextDeadline = %v, want %v", s.st.NextDeadline, tt.wantNextDL)
			}
			if e.Flip == nil || e.Flip.At != at(70) {
				t.Errorf("Flip = %+v, want one at the first deadline %v", e.Flip, at(70))
			}
			// Nothing more, however long it stays down.
			before := len(s.alerts)
			s.runWheel(at(10 * 86_400))
			if s.st.FailureCount > tt.wantCount && len(tt.wantAlerts) > 0 {
				t.Errorf("FailureCount grew to %d after the alert", s.st.FailureCount)
			}
			if len(tt.wantAlerts) > 0 && len(s.alerts) != before {
				t.Errorf("more alerts after the down alert: %v", s.alertKinds())
			}
		})
	}
}

// The wheel fires at NextWakeAt: a 2 s interval with 1 s grace goes down exactly 3 s after
// the last ping, with the flip at that time.
func TestDownWithinOnePeriod(t *testing.T) {
	s := newSim(t, with(interval(2, 1)))
	s.ping(t0, success())
	if s.st.NextWakeAt != at(3) {
		t.Fatalf("NextWakeAt = %v, want %v", s.st.NextWakeAt, at(3))
	}
	s.runWheel(at(3).Add(time.Millisecond))
	if s.st.Status != messages.StatusDown {
		t.Fatalf("status = %s at t0+3s, want down", s.st.Status)
	}
	if f := s.flips[len(s.flips)-1]; f.At != at(3) || f.Reason != checklogic.ReasonMissed {
		t.Errorf("flip = %+v, want down at %v", f, at(3))
	}
	if got := s.alertKinds(); !reflect.DeepEqual(got, []string{"down@7.2"}) {
		t.Errorf("alerts = %v", got)
	}
	// A ping just inside grace keeps it up.
	s2 := newSim(t, with(interval(2, 1)))
	s2.ping(t0, success())
	s2.ping(at(3).Add(-time.Millisecond), success())
	s2.runWheel(at(5))
	if s2.st.Status != messages.StatusUp || len(s2.alerts) != 0 {
		t.Errorf("status = %s, alerts %v, want up and none", s2.st.Status, s2.alertKinds())
	}
}

func TestUpAlertOnlyAfterDownAlert(t *testing.T) {
	tests := []struct {
		name   string
		cfg    checklogic.Config
		events func(s *sim)
		want   []string
	}{
		{
			name: "down alerted, then success: up alert",
			cfg:  base(),
			events: func(s *sim) {
				s.ping(at(0), success())
				s.ping(at(10), fail())
				s.ping(at(20), success())
			},
			want: []string{"down@7.2", "up@7.3"},
		},
		{
			name: "down not yet alerted, then success: no up alert",
			cfg:  with(notifyAfter(2)),
			events: func(s *sim) {
				s.ping(at(0), success())
				s.ping(at(10), fail())
				s.ping(at(20), success())
			},
		},
		{
			name: "notify_on_up off: down alert only",
			cfg:  with(noUpAlert),
			events: func(s *sim) {
				s.ping(at(0), success())
				s.ping(at(10), fail())
				s.ping(at(20), success())
			},
			want: []string{"down@7.2"},
		},
		{
			name: "paused while down: no up alert after resume and success",
			cfg:  base(),
			events: func(s *sim) {
				s.ping(at(0), success())
				s.ping(at(10), fail())
				s.apply(at(20), checklogic.OnPause(s.c, s.st, at(20)))
				s.apply(at(30), checklogic.OnResume(s.c, s.st, at(30)))
				s.ping(at(40), success())
			},
			want: []string{"down@7.2"},
		},
		{
			name: "new check failing then succeeding: new→down alert, up alert",
			cfg:  base(),
			events: func(s *sim) {
				s.ping(at(0), fail())
				s.ping(at(10), success())
			},
			want: []string{"down@7.1", "up@7.2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, tt.cfg)
			tt.events(s)
			if got := s.alertKinds(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("alerts = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMaxRuntimeBeforeScheduleDeadline(t *testing.T) {
	s := newSim(t, with(interval(3600, 600), maxRuntime(60)))
	s.ping(t0, success())
	s.ping(at(100), start("r1"))
	if s.st.NextWakeAt != at(160) {
		t.Fatalf("NextWakeAt = %v, want the run deadline %v", s.st.NextWakeAt, at(160))
	}
	s.runWheel(at(200))
	f := s.flips[len(s.flips)-1]
	if s.st.Status != messages.StatusDown || f.At != at(160) || f.Reason != checklogic.ReasonMaxRuntime {
		t.Fatalf("status %s, flip %+v, want down at %v for max runtime", s.st.Status, f, at(160))
	}
	if _, started := checklogic.Derived(s.c.Cfg, s.st, at(200)); started {
		t.Error("still started after the max runtime fired")
	}
	// The late end of the run brings it back up; the duration is not recorded (the run was
	// already given up on).
	s.ping(at(300), withRID(success(), "r1"))
	if s.st.Status != messages.StatusUp || s.st.LastDuration != -1 {
		t.Errorf("status %s, duration %v, want up and -1", s.st.Status, s.st.LastDuration)
	}
	if got := s.alertKinds(); !reflect.DeepEqual(got, []string{"down@7.2", "up@7.3"}) {
		t.Errorf("alerts = %v", got)
	}
}

func TestRunDurationWithRIDs(t *testing.T) {
	s := newSim(t, with(interval(3600, 600)))
	s.ping(t0, success())
	s.ping(at(10), start("a"))
	s.ping(at(20), withRID(success(), "b")) // another run's end
	if s.st.LastStart != at(10) || s.st.LastDuration != -1 {
		t.Fatalf("run a ended by b's success: %+v", s.st)
	}
	s.ping(at(45), withRID(success(), "a"))
	if !s.st.LastStart.IsZero() || s.st.LastDuration != 35*time.Second {
		t.Errorf("LastStart %v, LastDuration %v, want none and 35s", s.st.LastStart, s.st.LastDuration)
	}
}

func TestPauseResumeRecomputesDeadline(t *testing.T) {
	s := newSim(t, base())
	s.ping(t0, success())
	s.apply(at(30), checklogic.OnPause(s.c, s.st, at(30)))
	if !s.st.NextWakeAt.IsZero() {
		t.Fatalf("paused with NextWakeAt %v", s.st.NextWakeAt)
	}
	s.apply(at(10_000), checklogic.OnResume(s.c, s.st, at(10_000)))
	if s.st.Status != messages.StatusUp || s.st.NextDeadline != at(10_070) {
		t.Fatalf("resumed: status %s, deadline %v, want up and %v", s.st.Status, s.st.NextDeadline, at(10_070))
	}
	e := s.tick(at(10_001)) // a stale wheel entry fires: nothing happens
	if e.Changed || s.st.Status != messages.StatusUp {
		t.Errorf("tick right after resume changed things: %+v", e)
	}
	s.runWheel(at(10_071))
	if s.st.Status != messages.StatusDown || s.flips[len(s.flips)-1].At != at(10_070) {
		t.Errorf("status %s, flips %+v, want down at %v", s.st.Status, s.flips, at(10_070))
	}
}

func TestRealertSequence(t *testing.T) {
	s := newSim(t, with(realertEvery(300), interval(60, 0)))
	s.ping(t0, success())
	s.runWheel(at(1000))
	want := []string{"down@7.2", "realert@7.2#1", "realert@7.2#2", "realert@7.2#3"}
	if got := s.alertKinds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("alerts = %v, want %v", got, want)
	}
	for i, wantAt := range []time.Time{at(60), at(360), at(660), at(960)} {
		if s.alerts[i].At != wantAt {
			t.Errorf("alert %d at %v, want %v", i, s.alerts[i].At, wantAt)
		}
	}
	keys := []string{s.alerts[1].Key("slack"), s.alerts[3].Key("slack")}
	if !reflect.DeepEqual(keys, []string{"realert:7.2:1:slack", "realert:7.2:3:slack"}) {
		t.Errorf("keys = %v", keys)
	}
	// Recovery ends the re-alerts; the next down period numbers from 1 again.
	s.ping(at(1000), success())
	s.runWheel(at(1400))
	want = append(want, "up@7.3", "down@7.4", "realert@7.4#1")
	if got := s.alertKinds(); !reflect.DeepEqual(got, want) {
		t.Errorf("alerts = %v, want %v", got, want)
	}
}

func TestFlipIDsIncrement(t *testing.T) {
	s := newSim(t, with(notifyAfter(2)))
	s.ping(at(0), success())                                // 7.1 new→up
	s.ping(at(10), fail())                                  // 7.2 up→down
	s.ping(at(20), success())                               // 7.3 down→up
	s.apply(at(30), checklogic.OnPause(s.c, s.st, at(30)))  // 7.4 up→paused
	s.apply(at(40), checklogic.OnResume(s.c, s.st, at(40))) // 7.5 paused→up
	s.runWheel(at(200))                                     // 7.6 up→down at 110
	var got []string
	for _, f := range s.flips {
		got = append(got, f.ID+" "+string(f.From)+"→"+string(f.To))
	}
	want := []string{"7.1 new→up", "7.2 up→down", "7.3 down→up", "7.4 up→paused", "7.5 paused→up", "7.6 up→down"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("flips = %v, want %v", got, want)
	}
	if s.st.FlipSeq != 6 || s.flips[5].At != at(110) {
		t.Errorf("FlipSeq %d, last flip at %v, want 6 and %v", s.st.FlipSeq, s.flips[5].At, at(110))
	}
}
