package promreg_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ttr-rip/ttr/messages/promreg"
)

func counter(name string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: "h"})
}

func TestRegisterAllOrNone(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := counter("a_total"), counter("b_total")
	if err := promreg.Register(reg, a, b); err != nil {
		t.Fatal(err)
	}
	// The same values again: not an error.
	if err := promreg.Register(reg, a, b); err != nil {
		t.Fatalf("same collectors again: %v", err)
	}
	// A fresh c, then an equal but distinct b: fails, and c is unregistered again.
	c := counter("c_total")
	if err := promreg.Register(reg, c, counter("b_total")); err == nil {
		t.Fatal("a distinct collector with a registered name was accepted")
	}
	if n, _ := testutil.GatherAndCount(reg, "c_total"); n != 0 {
		t.Fatalf("c_total left registered after a failed Register (%d series)", n)
	}
	if err := promreg.Register(reg, c); err != nil {
		t.Fatalf("c after rollback: %v", err)
	}
	if err := promreg.Register(nil, a); err != nil {
		t.Fatalf("nil registerer: %v", err)
	}
}

func TestReuseReturnsTheRegisteredCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := promreg.Reuse(reg, counter("x_total"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := promreg.Reuse(reg, counter("x_total"))
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatal("Reuse returned a new collector instead of the registered one")
	}
	second.Inc()
	if v := testutil.ToFloat64(first); v != 1 {
		t.Fatalf("shared counter = %v, want 1", v)
	}
	// Same name, other help: a real conflict.
	if _, err := promreg.Reuse(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: "x_total", Help: "other"})); err == nil {
		t.Fatal("conflicting help accepted")
	}
	// A different collector type under an equal descriptor is a conflict too.
	if _, err := promreg.Reuse[prometheus.Gauge](reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "x_total", Help: "h"})); err == nil {
		t.Fatal("a gauge reused a counter")
	}
	if c, err := promreg.Reuse(nil, first); err != nil || c != first {
		t.Fatal("nil registerer must return c")
	}
}
