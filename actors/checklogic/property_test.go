package checklogic_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/messages"
)

// TestRandomEventSequences drives checks through random pings, wheel ticks, sweeper pokes,
// pauses, resumes, reconfigurations and restarts, and checks the invariants after each event.
func TestRandomEventSequences(t *testing.T) {
	const steps = 4000
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0x77))
			p := &prop{t: t, r: r, c: randomConfig(t, r), st: checklogic.Initial(), now: t0,
				downAlerts: map[string]int{}, upAlerts: map[string]int{}, realerts: map[string]int32{},
				kinds: map[messages.AlertKind]int{}, flipTo: map[string]messages.CheckStatus{}, flipFrom: map[string]messages.CheckStatus{}, flapNotices: map[int64]int{}, flapEnds: map[int64]int{}}
			for i := 0; i < steps; i++ {
				p.step(i)
				if t.Failed() {
					t.Fatalf("invariant broken at step %d (seed %d)", i, seed)
				}
			}
			if p.kinds[messages.AlertDown] == 0 || p.kinds[messages.AlertUp] == 0 || p.flips < 10 ||
				p.kinds[messages.AlertFlapping] == 0 || p.kinds[messages.AlertFlapEnd] == 0 || p.heldBack == 0 {
				t.Errorf("sequence too tame to mean much: %v alerts, %d flips, %d events held back", p.kinds, p.flips, p.heldBack)
			}
		})
	}
}

type prop struct {
	t          *testing.T
	r          *rand.Rand
	c          checklogic.Config
	st         messages.CheckState
	now        time.Time
	downAlerts map[string]int   // down alerts per DownFlip
	upAlerts   map[string]int   // up alerts per flip to up
	realerts   map[string]int32 // last realert number per DownFlip
	kinds      map[messages.AlertKind]int
	flips      int
	flipTo     map[string]messages.CheckStatus // every flip's id → the status it went to
	flipFrom   map[string]messages.CheckStatus // … and the status it came from
	paused     bool                            // the check has been paused at least once
	lastFlipAt time.Time
	last       time.Time // time of the latest event: the owner's clock does not go back
	// lastSent is the status of the last down or up alert written ("" before the first).
	lastSent    messages.CheckStatus
	flapNotices map[int64]int // flapping notices per FlapSince (unix seconds, as in the key)
	flapEnds    map[int64]int
	heldBack    int // events during a suppression that would have alerted without it
}

// flapConfig is the effective flap configuration of c.
func flapConfig(c checklogic.Config) checklogic.FlapConfig {
	f, d := c.Flap, checklogic.DefaultFlapConfig()
	if f.Changes == 0 {
		f.Changes = d.Changes
	}
	if f.Window == 0 {
		f.Window = d.Window
	}
	if f.Suppress == 0 {
		f.Suppress = d.Suppress
	}
	return f
}

func randomConfig(t testing.TB, r *rand.Rand) checklogic.Config {
	iv := []int64{1, 2, 5, 60, 300}[r.IntN(5)]
	c := with(
		interval(iv, []int64{0, 1, 10, 120}[r.IntN(4)]),
		notifyAfter(int32(r.IntN(5))),
		maxRuntime([]int64{0, 0, 3, 90}[r.IntN(4)]),
		realertEvery([]int64{0, 0, 7, 600}[r.IntN(4)]),
	)
	if r.IntN(3) == 0 {
		c.Schedule = aligned(time.Duration(iv) * time.Second)
	}
	// Flap suppression: the defaults, the most eager one, a short one, and a window longer
	// than the suppression (a check still flapping when a suppression ends starts the next
	// at its next change).
	c.Flap = []checklogic.FlapConfig{
		{},
		{Changes: 2, Window: 10 * time.Second, Suppress: 5 * time.Second},
		{Changes: 3, Window: 60 * time.Second, Suppress: 20 * time.Second},
		{Changes: 4, Window: 600 * time.Second, Suppress: 60 * time.Second},
	}[r.IntN(4)]
	c.Cfg.NotifyOnUp = r.IntN(4) != 0
	c.Cfg.ManualResume = r.IntN(4) == 0
	if r.IntN(2) == 0 {
		rl, err := contentrule.Compile(&messages.ContentRule{Type: "absent", Pattern: "ERROR"})
		if err != nil {
			t.Fatal(err)
		}
		c.Rule = rl
	}
	return c
}

func (p *prop) step(i int) {
	r := p.r
	// Time moves on: mostly a little, sometimes a lot (ttr stopped, a long pause).
	switch n := r.IntN(100); {
	case n < 70:
		p.now = p.now.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
	case n < 97:
		p.now = p.now.Add(time.Duration(r.IntN(400)) * time.Second)
	case n < 99:
		// ttr was stopped: no wheel meanwhile; activation ticks once, at restart.
		p.now = p.now.Add(time.Duration(r.IntN(3*86400)) * time.Second)
		p.restart()
		p.event("poke", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnTick(p.c, p.st, now) })
		return
	default:
		// A restart (or a handover) moments later: the state comes back from the store,
		// mid-suppression as often as not.
		p.restart()
	}
	switch n := r.IntN(100); {
	case n < 35:
		// The wheel: fire every wake-up due by now, each at its own time or, when it was
		// overtaken by a later event, at once.
		for !p.st.NextWakeAt.IsZero() && !p.st.NextWakeAt.After(p.now) {
			p.event("tick", maxTime(p.st.NextWakeAt, p.last), func(now time.Time) checklogic.Effects {
				return checklogic.OnTick(p.c, p.st, now)
			})
		}
	case n < 40:
		// The sweeper or an activation: a tick at an arbitrary time.
		p.event("poke", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnTick(p.c, p.st, now) })
	case n < 85:
		in := p.randomPing()
		p.event("ping "+string(in.Kind), p.now, func(now time.Time) checklogic.Effects { return checklogic.OnPing(p.c, p.st, in, now) })
	case n < 90:
		p.event("pause", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnPause(p.c, p.st, now) })
	case n < 95:
		p.event("resume", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnResume(p.c, p.st, now) })
	default:
		// The flap parameters are the server's (TTR_FLAP_*): a check's edit keeps them.
		flap := p.c.Flap
		p.c = randomConfig(p.t, r)
		p.c.Flap = flap
		p.event("reconfigure", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnReconfigure(p.c, p.st, now) })
	}
}

func (p *prop) randomPing() checklogic.PingInput {
	r := p.r
	in := checklogic.PingInput{ExitStatus: -1, RID: []string{"", "a", "b"}[r.IntN(3)]}
	switch n := r.IntN(100); {
	case n < 40:
		in.Kind = messages.KindSuccess
	case n < 55:
		in.Kind = messages.KindFail
	case n < 75:
		in.Kind = messages.KindStart
	case n < 85:
		in.Kind = messages.KindLog
	default:
		in.Kind, in.ExitStatus = messages.KindSuccess, int32(r.IntN(3))
		if in.ExitStatus > 0 {
			in.Kind = messages.KindFail
		}
	}
	if r.IntN(5) == 0 {
		in.Body = []byte("ERROR: disk full")
	}
	return in
}

// restart replaces the state by a copy, as loading it from the store does: nothing is
// shared with the state before.
func (p *prop) restart() {
	p.st.FlapHistory = slices.Clone(p.st.FlapHistory)
}

// event applies one event at now and checks every invariant on its effects.
func (p *prop) event(what string, now time.Time, f func(time.Time) checklogic.Effects) {
	t := p.t
	t.Helper()
	in := p.st
	before := in
	before.FlapHistory = slices.Clone(in.FlapHistory)
	e := f(now)
	out := e.State
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s at %v: %s\n in  %+v\n out %+v\n flip %+v alerts %+v", what, now.Sub(t0), fmt.Sprintf(format, args...), in, out, e.Flip, e.Alerts)
	}

	if what == "tick" || what == "poke" {
		if !out.NextWakeAt.IsZero() && !out.NextWakeAt.After(now) {
			fail("OnTick left NextWakeAt %v, not after now", out.NextWakeAt.Sub(t0))
		}
	}
	if want := earliest(out); out.NextWakeAt != want {
		fail("NextWakeAt %v, want the earliest deadline %v", out.NextWakeAt, want)
	}
	if !e.Changed && (!checklogic.SameState(out, in) || e.Flip != nil || len(e.Alerts) > 0) {
		fail("Changed is false but something changed")
	}
	if !checklogic.SameState(in, before) {
		fail("the event changed the state passed in")
	}

	// Flips: at most one, numbered in sequence, from the old status to the new one.
	if e.Flip == nil {
		if out.FlipSeq != in.FlipSeq || out.Status != in.Status {
			fail("status or FlipSeq changed without a flip")
		}
	} else {
		p.flips++
		f := e.Flip
		if out.FlipSeq != in.FlipSeq+1 || f.ID != fmt.Sprintf("7.%d", out.FlipSeq) {
			fail("flip %s after FlipSeq %d", f.ID, in.FlipSeq)
		}
		if f.From != in.Status || f.To != out.Status || f.From == f.To {
			fail("flip %s→%s for status %s→%s", f.From, f.To, in.Status, out.Status)
		}
		if f.At.After(now) {
			fail("flip in the future")
		}
		if f.At.Before(p.lastFlipAt) {
			fail("flip at %v before the previous flip at %v", f.At.Sub(t0), p.lastFlipAt.Sub(t0))
		}
		p.lastFlipAt = f.At
		p.flipTo[f.ID] = f.To
		p.flipFrom[f.ID] = f.From
		p.paused = p.paused || f.To == messages.StatusPaused
	}
	p.checkFlapState(fail, now, in, out, e.Flip)

	// Status bookkeeping.
	switch out.Status {
	case messages.StatusDown:
		if out.DownFlip == "" {
			fail("down without DownFlip")
		}
		if out.DownAlerted && !out.NextDeadline.IsZero() {
			fail("alerted and still counting missed periods")
		}
	case messages.StatusUp, messages.StatusNew, messages.StatusPaused:
		if out.DownFlip != "" || out.DownAlerted || out.FailureCount != 0 {
			fail("%s with down bookkeeping", out.Status)
		}
		if out.Status != messages.StatusUp && !out.NextWakeAt.IsZero() && !out.NextWakeAt.Equal(out.SuppressUntil) {
			fail("%s with a wake-up other than the end of its suppression", out.Status)
		}
	default:
		fail("unknown status %q", out.Status)
	}

	// Alerts, in the order they were written. Down, up and realert alerts are held back
	// while suppressed: from the state's FlapSince, or from a flapping notice, until a
	// flap-end notice.
	suppressed, since := !in.FlapSince.IsZero(), in.FlapSince
	fc := flapConfig(p.c)
	for i, a := range e.Alerts {
		p.kinds[a.Kind]++
		if a.At.After(now) {
			fail("alert %s in the future", a.Kind)
		}
		switch a.Kind {
		case messages.AlertDown, messages.AlertUp, messages.AlertRealert:
			if suppressed {
				fail("%s alert while suppressed", a.Kind)
			}
		}
		switch a.Kind {
		case messages.AlertFlapping:
			if suppressed {
				fail("flapping notice while already suppressed")
			}
			if p.flapNotices[a.Since.Unix()]++; p.flapNotices[a.Since.Unix()] > 1 {
				fail("second flapping notice for FlapSince %v", a.Since)
			}
			if e.Flip == nil || !a.Since.Equal(now) || !a.At.Equal(e.Flip.At) || a.CheckID != 7 || int(a.Changes) != fc.Changes ||
				a.Window != fc.Window || a.Suppress != fc.Suppress {
				fail("flapping notice %+v not for this event's change under %+v", a, fc)
			}
			suppressed, since = true, a.Since
		case messages.AlertFlapEnd:
			if !suppressed || !a.Since.Equal(since) || a.CheckID != 7 {
				fail("flap-end notice %+v without its suppression (since %v)", a, since)
			}
			if p.flapEnds[a.Since.Unix()]++; p.flapEnds[a.Since.Unix()] > 1 {
				fail("second flap-end notice for FlapSince %v", a.Since)
			}
			// Ending up, the check owes an up alert if a down was the last sent. (Ending
			// down is checked below: the user then knows of an alerted down period. What
			// follows a notice in the same event may also be the event's own alert.)
			var next *checklogic.Alert
			if i+1 < len(e.Alerts) {
				next = &e.Alerts[i+1]
			}
			owedUp := p.lastSent == messages.StatusDown && p.c.Cfg.NotifyOnUp
			nextUp := next != nil && next.Kind == messages.AlertUp && next.At.Equal(a.At)
			if a.To == messages.StatusUp && owedUp != nextUp {
				fail("suppression ended up after %q was sent: up alert %v, want %v", p.lastSent, nextUp, owedUp)
			}
			suppressed = false
		case messages.AlertDown:
			p.downAlerts[a.FlipID]++
			if p.flipTo[a.FlipID] != messages.StatusDown || p.downAlerts[a.FlipID] > 1 {
				fail("down alert for %q, a flip to %q, %d times", a.FlipID, p.flipTo[a.FlipID], p.downAlerts[a.FlipID])
			}
			// Its down period is the current one, or the one this event's flip ended.
			if !(a.FlipID == out.DownFlip && out.DownAlerted) && !(e.Flip != nil && e.Flip.From == messages.StatusDown && a.FlipID == in.DownFlip) {
				fail("down alert for %q, DownFlip %q", a.FlipID, out.DownFlip)
			}
			// previous_status is the status before the down flip; after a pause, paused
			// and new may read as up (downFrom).
			if from := p.flipFrom[a.FlipID]; a.From != from && (!p.paused || a.From != messages.StatusUp) {
				fail("down alert for %s from %q, its flip from %q", a.FlipID, a.From, from)
			}
			p.lastSent = messages.StatusDown
		case messages.AlertUp:
			if p.lastSent != messages.StatusDown {
				fail("up alert after %q, not after a down alert", p.lastSent)
			}
			p.upAlerts[a.FlipID]++
			if p.flipTo[a.FlipID] != messages.StatusUp || p.upAlerts[a.FlipID] > 1 || !p.c.Cfg.NotifyOnUp {
				fail("up alert for %q, a flip to %q, %d times, or notify_on_up off", a.FlipID, p.flipTo[a.FlipID], p.upAlerts[a.FlipID])
			}
			p.lastSent = messages.StatusUp
		case messages.AlertRealert:
			if p.lastSent != messages.StatusDown || a.FlipID != out.DownFlip || !out.DownAlerted {
				fail("realert for %s after %q", a.FlipID, p.lastSent)
			}
			if a.N != p.realerts[a.FlipID]+1 {
				fail("realert #%d after #%d", a.N, p.realerts[a.FlipID])
			}
			p.realerts[a.FlipID] = a.N
		default:
			fail("unexpected alert kind %q", a.Kind)
		}
	}
	if suppressed != !out.FlapSince.IsZero() {
		fail("the notices leave suppression %v, the state %v", suppressed, !out.FlapSince.IsZero())
	}
	if p.lastSent != "" && out.LastSentStatus != p.lastSent {
		fail("LastSentStatus %q, but the last alert sent was %q", out.LastSentStatus, p.lastSent)
	}
	// Outside a suppression the user always knows of an alerted down period.
	if out.Status == messages.StatusDown && out.DownAlerted && out.FlapSince.IsZero() && p.lastSent != messages.StatusDown {
		fail("alerted down, not suppressed, and the last alert sent was %q", p.lastSent)
	}
	if !out.FlapSince.IsZero() && (e.Flip != nil || len(e.Alerts) > 0 || out.FailureCount != in.FailureCount) {
		p.heldBack++
	}
	p.st = out
	p.last = now
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// checkFlapState checks the flap bookkeeping an event left: the history holds the latest
// up↔down changes within the window, the suppression lasts Suppress after the latest.
func (p *prop) checkFlapState(fail func(string, ...any), now time.Time, in, out messages.CheckState, f *messages.Flip) {
	fc := flapConfig(p.c)
	h := out.FlapHistory
	counted := f != nil && (f.From == messages.StatusUp && f.To == messages.StatusDown ||
		f.From == messages.StatusDown && f.To == messages.StatusUp)
	switch {
	case counted && (len(h) == 0 || !h[len(h)-1].Equal(f.At)):
		fail("change %s→%s at %v not recorded: %v", f.From, f.To, f.At, h)
	case !counted && !slices.EqualFunc(h, in.FlapHistory, time.Time.Equal):
		fail("flap history changed without an up↔down change")
	}
	if len(h) > fc.Changes || !slices.IsSortedFunc(h, time.Time.Compare) ||
		(len(h) > 0 && h[len(h)-1].Sub(h[0]) > fc.Window) {
		fail("flap history %v longer than %d, unsorted, or wider than %v", h, fc.Changes, fc.Window)
	}
	switch {
	case out.FlapSince.IsZero() != out.SuppressUntil.IsZero():
		fail("FlapSince %v and SuppressUntil %v disagree", out.FlapSince, out.SuppressUntil)
	case out.FlapSince.IsZero():
	case !out.SuppressUntil.After(now):
		fail("suppression until %v left in the past", out.SuppressUntil)
	case out.FlapSince.After(now):
		fail("suppressed since %v, after now", out.FlapSince)
	case len(h) == 0 || out.SuppressUntil.Before(h[len(h)-1].Add(fc.Suppress)):
		fail("suppression until %v, less than %v after the latest change %v", out.SuppressUntil, fc.Suppress, h)
	case out.SuppressUntil.Before(out.FlapSince.Add(checklogic.MinFlapSuppress)):
		fail("suppression from %v until %v: shorter than %v", out.FlapSince, out.SuppressUntil, checklogic.MinFlapSuppress)
	case !in.FlapSince.Equal(out.FlapSince):
	case counted && !out.SuppressUntil.Equal(maxTime(in.SuppressUntil, f.At.Add(fc.Suppress))):
		fail("a change at %v extended the suppression until %v to %v", f.At, in.SuppressUntil, out.SuppressUntil)
	case !counted && !out.SuppressUntil.Equal(in.SuppressUntil):
		fail("suppression until %v moved to %v without a change", in.SuppressUntil, out.SuppressUntil)
	}
}

func earliest(st messages.CheckState) time.Time {
	w := st.SuppressUntil
	if st.Status != messages.StatusUp && st.Status != messages.StatusDown {
		return w
	}
	for _, t := range []time.Time{st.NextDeadline, st.RunDeadline, st.RealertDue} {
		if !t.IsZero() && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	return w
}
