package checklogic_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

func TestOnTick(t *testing.T) {
	missedAlert := func(flipID string, from messages.CheckStatus, when time.Time) checklogic.Alert {
		return checklogic.Alert{Kind: messages.AlertDown, FlipID: flipID, From: from, To: messages.StatusDown, Reason: checklogic.ReasonMissed, At: when}
	}
	down := func(count int32, reason string, alerted bool) func(*messages.CheckState) {
		return func(st *messages.CheckState) {
			st.Status, st.FlipSeq, st.DownFlip, st.DownAlerted = messages.StatusDown, 2, "7.2", alerted
			st.FailureCount, st.LastReason = count, reason
		}
	}
	deadline := func(due, dl int64) func(*messages.CheckState) {
		return func(st *messages.CheckState) { st.NextDue, st.NextDeadline, st.NextWakeAt = at(due), at(dl), at(dl) }
	}
	disarmed := func(st *messages.CheckState) {
		st.NextDue, st.NextDeadline, st.NextWakeAt = time.Time{}, time.Time{}, time.Time{}
	}
	running := func(since, dl int64) func(*messages.CheckState) {
		return func(st *messages.CheckState) {
			st.LastStart, st.LastStartRID, st.RunDeadline = at(since), "r1", at(dl)
			if st.NextWakeAt.IsZero() || at(dl).Before(st.NextWakeAt) {
				st.NextWakeAt = at(dl)
			}
		}
	}
	noRun := func(st *messages.CheckState) {
		st.LastStart, st.LastStartRID, st.RunDeadline = time.Time{}, "", time.Time{}
	}
	realertAt := func(due int64, count int32) func(*messages.CheckState) {
		return func(st *messages.CheckState) { st.RealertDue, st.RealertCount, st.NextWakeAt = at(due), count, at(due) }
	}

	type tickCase struct {
		effectsCase
		now time.Time
	}
	tests := []tickCase{
		{now: at(69), effectsCase: effectsCase{
			name: "before the deadline: nothing",
			cfg:  base(), st: upState(), want: upState(),
		}},
		{now: at(70), effectsCase: effectsCase{
			name: "at the deadline: down, alert, flip at the deadline, disarmed",
			cfg:  base(), st: upState(),
			want:        state(upState(), changedAt(at(70)), sent(messages.StatusDown), down(1, checklogic.ReasonMissed, true), disarmed),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantAlerts:  []checklogic.Alert{missedAlert("7.2", messages.StatusUp, at(70))},
			wantChanged: true,
		}},
		{now: at(95), effectsCase: effectsCase{
			name: "late tick: flip and alert keep the deadline's time",
			cfg:  with(realertEvery(300)), st: upState(),
			want: state(upState(), changedAt(at(70)), sent(messages.StatusDown), down(1, checklogic.ReasonMissed, true), disarmed, func(st *messages.CheckState) {
				st.RealertDue, st.NextWakeAt = at(395), at(395)
			}),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantAlerts:  []checklogic.Alert{missedAlert("7.2", messages.StatusUp, at(70))},
			wantChanged: true,
		}},
		{now: at(70), effectsCase: effectsCase{
			name: "N=3, first missed period: down, no alert, re-armed for the next period",
			cfg:  with(notifyAfter(3)), st: upState(),
			want:        state(upState(), changedAt(at(70)), down(1, checklogic.ReasonMissed, false), deadline(120, 130)),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantChanged: true,
		}},
		{now: at(135), effectsCase: effectsCase{
			name: "N=3, a tick after two missed periods counts both",
			cfg:  with(notifyAfter(3)), st: upState(),
			want:        state(upState(), changedAt(at(70)), down(2, checklogic.ReasonMissed, false), deadline(180, 190)),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantChanged: true,
		}},
		{now: at(100_000), effectsCase: effectsCase{
			name: "N=3, a tick long after (ttr was stopped): alert at the third deadline, then disarmed",
			cfg:  with(notifyAfter(3)), st: upState(),
			want:        state(upState(), changedAt(at(70)), sent(messages.StatusDown), down(3, checklogic.ReasonMissed, true), disarmed),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantAlerts:  []checklogic.Alert{missedAlert("7.2", messages.StatusUp, at(190))},
			wantChanged: true,
		}},
		{now: at(100_000), effectsCase: effectsCase{
			name: "aligned schedule, tick long after: the periods are the schedule's slots",
			cfg: with(notifyAfter(3), func(c *checklogic.Config) {
				c.Schedule = aligned(50 * time.Second)
			}), st: state(upState(), deadline(50, 60)),
			want:        state(upState(), changedAt(at(60)), sent(messages.StatusDown), down(3, checklogic.ReasonMissed, true), disarmed),
			wantFlip:    flip("7.2", at(60), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantAlerts:  []checklogic.Alert{missedAlert("7.2", messages.StatusUp, at(160))},
			wantChanged: true,
		}},
		{now: at(70), effectsCase: effectsCase{
			name: "down after a fail ping, still counting: a missed period is the next failure",
			cfg:  with(notifyAfter(3)), st: downCountingState(),
			want: state(downCountingState(), deadline(120, 130), func(st *messages.CheckState) {
				st.FailureCount, st.LastReason = 2, checklogic.ReasonMissed
			}),
			wantChanged: true,
		}},
		{now: at(130), effectsCase: effectsCase{
			name: "down after a fail ping: the alert goes out at the Nth failure, a missed period, up→down",
			cfg:  with(notifyAfter(3)), st: downCountingState(),
			want: state(downCountingState(), sent(messages.StatusDown), disarmed, func(st *messages.CheckState) {
				st.FailureCount, st.LastReason, st.DownAlerted = 3, checklogic.ReasonMissed, true
			}),
			wantAlerts:  []checklogic.Alert{missedAlert("7.2", messages.StatusUp, at(130))},
			wantChanged: true,
		}},
		{now: at(500), effectsCase: effectsCase{
			name: "down and alerted with a stale deadline: disarmed, nothing counted",
			cfg:  base(), st: state(downAlertedState(), deadline(60, 70)),
			want:        downAlertedState(),
			wantChanged: true,
		}},
		{now: at(500), effectsCase: effectsCase{
			name: "new with a stale wake-up: cleared",
			cfg:  base(), st: state(checklogic.Initial(), func(st *messages.CheckState) { st.NextWakeAt = at(70) }),
			want:        checklogic.Initial(),
			wantChanged: true,
		}},
		{now: at(500), effectsCase: effectsCase{
			name: "paused: nothing",
			cfg:  base(), st: pausedState(), want: pausedState(),
		}},
		{now: at(70), effectsCase: effectsCase{
			name: "schedule ran out: a last failure, then nothing armed",
			cfg: with(notifyAfter(3), func(c *checklogic.Config) {
				c.Schedule = until{inner: every(60 * time.Second), end: at(100)}
			}), st: upState(),
			want:        state(upState(), changedAt(at(70)), down(1, checklogic.ReasonMissed, false), disarmed),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantChanged: true,
		}},

		// max runtime
		{now: at(50), effectsCase: effectsCase{
			name: "max runtime fires before the schedule deadline",
			cfg:  with(maxRuntime(30)), st: state(upState(), running(20, 50)),
			want:        state(upState(), changedAt(at(50)), sent(messages.StatusDown), down(1, checklogic.ReasonMaxRuntime, true), disarmed, noRun),
			wantFlip:    flip("7.2", at(50), messages.StatusUp, messages.StatusDown, checklogic.ReasonMaxRuntime),
			wantAlerts:  []checklogic.Alert{{Kind: messages.AlertDown, FlipID: "7.2", From: messages.StatusUp, To: messages.StatusDown, Reason: checklogic.ReasonMaxRuntime, At: at(50)}},
			wantChanged: true,
		}},
		{now: at(55), effectsCase: effectsCase{
			name: "max runtime with N=3: one failure, the schedule deadline stays",
			cfg:  with(maxRuntime(30), notifyAfter(3)), st: state(upState(), running(20, 50)),
			want:        state(upState(), changedAt(at(50)), down(1, checklogic.ReasonMaxRuntime, false), noRun),
			wantFlip:    flip("7.2", at(50), messages.StatusUp, messages.StatusDown, checklogic.ReasonMaxRuntime),
			wantChanged: true,
		}},
		{now: at(100), effectsCase: effectsCase{
			name: "both passed: counted in the order they passed",
			cfg:  with(maxRuntime(60), notifyAfter(3)), st: state(upState(), running(20, 80)),
			want:        state(upState(), changedAt(at(70)), down(2, checklogic.ReasonMaxRuntime, false), noRun, deadline(120, 130)),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantChanged: true,
		}},
		{now: at(45), effectsCase: effectsCase{
			name: "overdue run deadline after a later ping: the flip is not dated before the ping",
			cfg:  with(maxRuntime(20)),
			st: state(upState(), running(10, 30), func(st *messages.CheckState) {
				st.LastPing = at(40) // another run's success, handled before this tick
				st.NextDue, st.NextDeadline, st.NextWakeAt = at(100), at(110), at(30)
			}),
			want: state(upState(), changedAt(at(40)), sent(messages.StatusDown), down(1, checklogic.ReasonMaxRuntime, true), disarmed, func(st *messages.CheckState) {
				st.LastPing = at(40)
			}),
			wantFlip:    flip("7.2", at(40), messages.StatusUp, messages.StatusDown, checklogic.ReasonMaxRuntime),
			wantAlerts:  []checklogic.Alert{{Kind: messages.AlertDown, FlipID: "7.2", From: messages.StatusUp, To: messages.StatusDown, Reason: checklogic.ReasonMaxRuntime, At: at(40)}},
			wantChanged: true,
		}},
		{now: at(49), effectsCase: effectsCase{
			name: "run deadline not reached: nothing",
			cfg:  with(maxRuntime(30)), st: state(upState(), running(20, 50)), want: state(upState(), running(20, 50)),
		}},

		// re-alerts
		{now: at(100), effectsCase: effectsCase{
			name: "re-alert due: first re-alert",
			cfg:  with(realertEvery(60)), st: state(downAlertedState(), realertAt(100, 0)),
			want: state(downAlertedState(), realertAt(160, 1)),
			wantAlerts: []checklogic.Alert{{
				Kind: messages.AlertRealert, FlipID: "7.2", N: 1, From: messages.StatusDown, To: messages.StatusDown,
				Reason: checklogic.ReasonFailPing, At: at(100),
			}},
			wantChanged: true,
		}},
		{now: at(1000), effectsCase: effectsCase{
			name: "re-alert long overdue: once, then the next due after now",
			cfg:  with(realertEvery(60)), st: state(downAlertedState(), realertAt(100, 2)),
			want: state(downAlertedState(), realertAt(1060, 3)),
			wantAlerts: []checklogic.Alert{{
				Kind: messages.AlertRealert, FlipID: "7.2", N: 3, From: messages.StatusDown, To: messages.StatusDown,
				Reason: checklogic.ReasonFailPing, At: at(100),
			}},
			wantChanged: true,
		}},
		{now: at(99), effectsCase: effectsCase{
			name: "re-alert not yet due",
			cfg:  with(realertEvery(60)), st: state(downAlertedState(), realertAt(100, 1)), want: state(downAlertedState(), realertAt(100, 1)),
		}},
		{now: at(100), effectsCase: effectsCase{
			name: "re-alert interval now off: cleared",
			cfg:  base(), st: state(downAlertedState(), realertAt(100, 1)),
			want:        state(downAlertedState(), func(st *messages.CheckState) { st.RealertCount = 1 }),
			wantChanged: true,
		}},
		{now: at(100), effectsCase: effectsCase{
			name: "up with a stale re-alert and a missed deadline: re-alerts restart from the new down alert",
			cfg:  with(realertEvery(60)), st: state(upState(), func(st *messages.CheckState) { st.RealertDue, st.RealertCount, st.NextWakeAt = at(65), 1, at(65) }),
			want: state(upState(), changedAt(at(70)), sent(messages.StatusDown), func(st *messages.CheckState) {
				// The schedule deadline passed too: counted first.
				st.Status, st.FlipSeq, st.DownFlip, st.DownAlerted = messages.StatusDown, 2, "7.2", true
				st.FailureCount, st.LastReason = 1, checklogic.ReasonMissed
				st.NextDue, st.NextDeadline = time.Time{}, time.Time{}
				st.RealertDue, st.NextWakeAt = at(160), at(160)
			}),
			wantFlip:    flip("7.2", at(70), messages.StatusUp, messages.StatusDown, checklogic.ReasonMissed),
			wantAlerts:  []checklogic.Alert{missedAlert("7.2", messages.StatusUp, at(70))},
			wantChanged: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEffects(t, tt.effectsCase, checklogic.OnTick(tt.cfg, tt.st, tt.now))
		})
	}
}

// A threshold above the per-tick bound: the tick counts up to the bound, then skips to the
// next period still ahead, so the wake-up is never in the past.
func TestOnTickBoundsMissedPeriods(t *testing.T) {
	c := with(notifyAfter(5000), interval(1, 0))
	st := state(upState(), func(st *messages.CheckState) { st.NextDue, st.NextDeadline, st.NextWakeAt = at(1), at(1), at(1) })
	now := at(1_000_000)
	got := checklogic.OnTick(c, st, now)
	if got.State.FailureCount != 1000 {
		t.Errorf("FailureCount = %d, want 1000", got.State.FailureCount)
	}
	if len(got.Alerts) != 0 {
		t.Errorf("Alerts = %+v, want none", got.Alerts)
	}
	if !got.State.NextWakeAt.After(now) || got.State.NextDeadline != got.State.NextWakeAt {
		t.Errorf("NextWakeAt = %v, NextDeadline = %v, want the same time after %v", got.State.NextWakeAt, got.State.NextDeadline, now)
	}
}

func TestOnPause(t *testing.T) {
	now := at(30)
	paused := func(seq int64) func(*messages.CheckState) {
		return func(st *messages.CheckState) {
			st.Status, st.FlipSeq, st.LastReason = messages.StatusPaused, seq, checklogic.ReasonPaused
			st.FailureCount, st.DownFlip, st.DownAlerted, st.RealertDue, st.RealertCount = 0, "", false, time.Time{}, 0
			st.NextDue, st.NextDeadline, st.NextWakeAt = time.Time{}, time.Time{}, time.Time{}
			st.LastStart, st.LastStartRID, st.RunDeadline = time.Time{}, "", time.Time{}
		}
	}
	downRealerting := state(downAlertedState(), func(st *messages.CheckState) {
		st.RealertDue, st.RealertCount, st.NextWakeAt = at(100), 2, at(100)
		st.LastStart, st.LastStartRID, st.RunDeadline = at(10), "r", at(90)
	})
	tests := []effectsCase{
		{
			name: "up", cfg: base(), st: upState(),
			want:        state(upState(), paused(2)),
			wantFlip:    flip("7.2", now, messages.StatusUp, messages.StatusPaused, "paused"),
			wantChanged: true,
		},
		{
			name: "down, alerted, re-alerting, running: all cleared, no up alert owed", cfg: with(realertEvery(60)), st: downRealerting,
			want:        state(downRealerting, paused(3)),
			wantFlip:    flip("7.3", now, messages.StatusDown, messages.StatusPaused, "paused"),
			wantChanged: true,
		},
		{
			name: "new", cfg: base(), st: checklogic.Initial(),
			want:        state(checklogic.Initial(), paused(1)),
			wantFlip:    flip("7.1", now, messages.StatusNew, messages.StatusPaused, "paused"),
			wantChanged: true,
		},
		{name: "already paused: nothing", cfg: base(), st: pausedState(), want: pausedState()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEffects(t, tt, checklogic.OnPause(tt.cfg, tt.st, now))
		})
	}
}

func TestOnResume(t *testing.T) {
	now := at(1000)
	neverPinged := state(checklogic.Initial(), func(st *messages.CheckState) {
		st.Status, st.FlipSeq, st.LastReason = messages.StatusPaused, 1, checklogic.ReasonPaused
	})
	tests := []effectsCase{
		{
			name: "pinged before: up, deadline from now (not from the last ping)", cfg: base(), st: pausedState(),
			want: state(pausedState(), func(st *messages.CheckState) {
				st.Status, st.FlipSeq, st.LastReason = messages.StatusUp, 3, checklogic.ReasonResumed
				st.NextDue, st.NextDeadline, st.NextWakeAt = at(1060), at(1070), at(1070)
			}),
			wantFlip:    flip("7.3", now, messages.StatusPaused, messages.StatusUp, "resumed"),
			wantChanged: true,
		},
		{
			name: "never pinged: new, no deadline", cfg: base(), st: neverPinged,
			want: state(neverPinged, func(st *messages.CheckState) {
				st.Status, st.FlipSeq, st.LastReason = messages.StatusNew, 2, checklogic.ReasonResumed
			}),
			wantFlip:    flip("7.2", now, messages.StatusPaused, messages.StatusNew, "resumed"),
			wantChanged: true,
		},
		{name: "up: nothing", cfg: base(), st: upState(), want: upState()},
		{name: "down: nothing", cfg: base(), st: downAlertedState(), want: downAlertedState()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEffects(t, tt, checklogic.OnResume(tt.cfg, tt.st, now))
		})
	}
}

func TestOnReconfigure(t *testing.T) {
	now := at(30)
	tests := []effectsCase{
		{
			name: "up, interval shortened: re-armed from the last ping", cfg: with(interval(20, 5)), st: upState(),
			want: state(upState(), func(st *messages.CheckState) {
				st.NextDue, st.NextDeadline, st.NextWakeAt = at(20), at(25), at(25)
			}),
			wantChanged: true,
		},
		{
			name: "up, grace lengthened", cfg: with(interval(60, 100)), st: upState(),
			want: state(upState(), func(st *messages.CheckState) {
				st.NextDeadline, st.NextWakeAt = at(160), at(160)
			}),
			wantChanged: true,
		},
		{name: "up, nothing relevant changed", cfg: base(), st: upState(), want: upState()},
		{
			name: "up since a resume: re-armed from now, not from the ping before the pause",
			cfg:  with(interval(20, 5)),
			st: state(upState(), func(st *messages.CheckState) {
				st.LastPing, st.LastReason = at(-86_400), checklogic.ReasonResumed
				st.NextDue, st.NextDeadline, st.NextWakeAt = at(50), at(60), at(60)
			}),
			want: state(upState(), func(st *messages.CheckState) {
				st.LastPing, st.LastReason = at(-86_400), checklogic.ReasonResumed
				st.NextDue, st.NextDeadline, st.NextWakeAt = at(50), at(55), at(55)
			}),
			wantChanged: true,
		},
		{
			name: "down still counting: re-armed from now, counted periods are not counted again",
			cfg:  with(notifyAfter(3), interval(20, 0)), st: downCountingState(),
			want: state(downCountingState(), func(st *messages.CheckState) {
				st.NextDue, st.NextDeadline, st.NextWakeAt = at(50), at(50), at(50)
			}),
			wantChanged: true,
		},
		{name: "down and alerted: stays disarmed", cfg: with(interval(20, 0)), st: downAlertedState(), want: downAlertedState()},
		{
			name: "run in progress, max runtime changed", cfg: with(maxRuntime(15)),
			st: state(upState(), func(st *messages.CheckState) {
				st.LastStart, st.LastStartRID, st.RunDeadline, st.NextWakeAt = at(10), "r", at(50), at(50)
			}),
			want: state(upState(), func(st *messages.CheckState) {
				st.LastStart, st.LastStartRID, st.RunDeadline, st.NextWakeAt = at(10), "r", at(25), at(25)
			}),
			wantChanged: true,
		},
		{
			name: "run in progress, max runtime removed", cfg: base(),
			st: state(upState(), func(st *messages.CheckState) {
				st.LastStart, st.RunDeadline, st.NextWakeAt = at(10), at(50), at(50)
			}),
			want:        state(upState(), func(st *messages.CheckState) { st.LastStart = at(10) }),
			wantChanged: true,
		},
		{
			name: "re-alert turned off", cfg: base(),
			st:          state(downAlertedState(), func(st *messages.CheckState) { st.RealertDue, st.RealertCount, st.NextWakeAt = at(100), 1, at(100) }),
			want:        state(downAlertedState(), func(st *messages.CheckState) { st.RealertCount = 1 }),
			wantChanged: true,
		},
		{
			name: "re-alert turned on while alerted: first re-alert one interval from now", cfg: with(realertEvery(600)),
			st:          downAlertedState(),
			want:        state(downAlertedState(), func(st *messages.CheckState) { st.RealertDue, st.NextWakeAt = at(630), at(630) }),
			wantChanged: true,
		},
		{
			name: "re-alert interval changed: the pending one keeps its time", cfg: with(realertEvery(600)),
			st:   state(downAlertedState(), func(st *messages.CheckState) { st.RealertDue, st.NextWakeAt = at(100), at(100) }),
			want: state(downAlertedState(), func(st *messages.CheckState) { st.RealertDue, st.NextWakeAt = at(100), at(100) }),
		},
		{name: "new: nothing", cfg: with(interval(5, 0)), st: checklogic.Initial(), want: checklogic.Initial()},
		{name: "paused: nothing", cfg: with(interval(5, 0)), st: pausedState(), want: pausedState()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEffects(t, tt, checklogic.OnReconfigure(tt.cfg, tt.st, now))
		})
	}
}
