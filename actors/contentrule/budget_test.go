package contentrule_test

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/contentrule"
)

// stepClock advances by step on every read: each match "takes" one step.
type stepClock struct {
	t    time.Time
	step time.Duration
}

func (c *stepClock) now() time.Time {
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func TestBudget(t *testing.T) {
	tests := []struct {
		name      string
		perSecond time.Duration
		matchCost time.Duration // how long each match takes
		matches   int           // back to back
		wantRun   int
	}{
		// 200 ms/s: matches of 50 ms run until the budget is spent (200 ms, plus the 10 ms
		// each match refills while it runs), the last overspending.
		{name: "costly matches stop", perSecond: 200 * time.Millisecond, matchCost: 50 * time.Millisecond, matches: 10, wantRun: 5},
		{name: "one huge match spends it all", perSecond: 200 * time.Millisecond, matchCost: 3 * time.Second, matches: 5, wantRun: 1},
		{name: "cheap matches all run", perSecond: 200 * time.Millisecond, matchCost: 10 * time.Microsecond, matches: 1000, wantRun: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &stepClock{t: time.Unix(0, 0), step: 0}
			b := contentrule.NewBudget(tt.perSecond, clk.now)
			m := b.For(7)
			ran := 0
			for range tt.matches {
				m.Run(func() { clk.t = clk.t.Add(tt.matchCost); ran++ })
			}
			if ran != tt.wantRun {
				t.Errorf("%d matches ran, want %d", ran, tt.wantRun)
			}
		})
	}
}

func TestBudgetPerUserAndRefill(t *testing.T) {
	clk := &stepClock{t: time.Unix(0, 0)}
	b := contentrule.NewBudget(200*time.Millisecond, clk.now)
	spend := func(user int64, d time.Duration) bool {
		return b.For(user).Run(func() { clk.t = clk.t.Add(d) })
	}
	if !spend(1, time.Second) {
		t.Fatal("the first match of a user did not run")
	}
	if spend(1, time.Millisecond) {
		t.Error("user 1 matched again right after spending a second")
	}
	if !spend(2, time.Millisecond) {
		t.Error("user 2 was refused because of user 1")
	}
	clk.t = clk.t.Add(time.Second) // 200 ms of debt paid back
	if !spend(1, time.Millisecond) {
		t.Error("user 1 still refused after the budget refilled")
	}
}

func TestNoBudget(t *testing.T) {
	if m := contentrule.NewBudget(0, nil).For(1); m != nil {
		t.Errorf("For() of a zero budget = %v, want nil (unmetered)", m)
	}
}
