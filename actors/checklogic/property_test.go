package checklogic_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
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
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0x77))
			p := &prop{t: t, r: r, c: randomConfig(t, r), st: checklogic.Initial(), now: t0,
				downAlerts: map[string]int{}, realerts: map[string]int32{}, kinds: map[string]int{}}
			for i := 0; i < steps; i++ {
				p.step(i)
				if t.Failed() {
					t.Fatalf("invariant broken at step %d (seed %d)", i, seed)
				}
			}
			if p.kinds[messages.AlertDown] == 0 || p.kinds[messages.AlertUp] == 0 || p.flips < 10 {
				t.Errorf("sequence too tame to mean much: %v alerts, %d flips", p.kinds, p.flips)
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
	realerts   map[string]int32 // last realert number per DownFlip
	kinds      map[string]int
	flips      int
	lastFlipAt time.Time
	last       time.Time // time of the latest event: the owner's clock does not go back
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
	default:
		// ttr was stopped: no wheel meanwhile; activation ticks once, at restart.
		p.now = p.now.Add(time.Duration(r.IntN(3*86400)) * time.Second)
		p.event("poke", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnTick(p.c, p.st, now) })
		return
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
		p.event("ping "+in.Kind, p.now, func(now time.Time) checklogic.Effects { return checklogic.OnPing(p.c, p.st, in, now) })
	case n < 90:
		p.event("pause", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnPause(p.c, p.st, now) })
	case n < 95:
		p.event("resume", p.now, func(now time.Time) checklogic.Effects { return checklogic.OnResume(p.c, p.st, now) })
	default:
		p.c = randomConfig(p.t, r)
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

// event applies one event at now and checks every invariant on its effects.
func (p *prop) event(what string, now time.Time, f func(time.Time) checklogic.Effects) {
	t := p.t
	t.Helper()
	in := p.st
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
	if !e.Changed && (!reflect.DeepEqual(out, in) || e.Flip != nil || len(e.Alerts) > 0) {
		fail("Changed is false but something changed")
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
	}

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
		if out.Status != messages.StatusUp && !out.NextWakeAt.IsZero() {
			fail("%s with a wake-up", out.Status)
		}
	default:
		fail("unknown status %q", out.Status)
	}

	// Alerts.
	for _, a := range e.Alerts {
		p.kinds[a.Kind]++
		if a.At.After(now) {
			fail("alert %s in the future", a.Kind)
		}
		switch a.Kind {
		case messages.AlertDown:
			p.downAlerts[a.FlipID]++
			if a.FlipID == "" || a.FlipID != out.DownFlip || !out.DownAlerted {
				fail("down alert for %q, DownFlip %q", a.FlipID, out.DownFlip)
			}
			if p.downAlerts[a.FlipID] > 1 {
				fail("second down alert for flip %s", a.FlipID)
			}
		case messages.AlertUp:
			if in.Status != messages.StatusDown || p.downAlerts[in.DownFlip] != 1 || !in.DownAlerted {
				fail("up alert without a down alert for DownFlip %q", in.DownFlip)
			}
			if e.Flip == nil || a.FlipID != e.Flip.ID || !p.c.Cfg.NotifyOnUp {
				fail("up alert not for this event's flip, or notify_on_up off")
			}
		case messages.AlertRealert:
			if p.downAlerts[a.FlipID] != 1 || a.FlipID != out.DownFlip {
				fail("realert for %s without its down alert", a.FlipID)
			}
			if a.N != p.realerts[a.FlipID]+1 {
				fail("realert #%d after #%d", a.N, p.realerts[a.FlipID])
			}
			p.realerts[a.FlipID] = a.N
		default:
			fail("unexpected alert kind %q", a.Kind)
		}
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

func earliest(st messages.CheckState) time.Time {
	if st.Status != messages.StatusUp && st.Status != messages.StatusDown {
		return time.Time{}
	}
	var w time.Time
	for _, t := range []time.Time{st.NextDeadline, st.RunDeadline, st.RealertDue} {
		if !t.IsZero() && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	return w
}
