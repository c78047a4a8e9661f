package promreg

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers every collector of cs on reg, all or none: when one fails, those it
// registered before are unregistered again, so a constructor that fails leaves the
// registry as it found it. Registering a collector that is already registered (the same
// value) is not an error. A nil reg registers nothing and succeeds: metrics are optional
// everywhere.
func Register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) && are.ExistingCollector == c {
				continue
			}
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// Reuse registers c on reg, or returns the equal collector registered before (same
// descriptors, same type), so that several instances of a component sharing a registry
// (routers, leases, handlers built twice) count into one set of series. A nil reg
// returns c unregistered. Any other registration error (a name reused with other labels
// or help) is returned with c.
func Reuse[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("register metrics: %w", err)
	}
	return c, nil
}
