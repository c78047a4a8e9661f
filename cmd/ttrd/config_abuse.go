package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/http/limit"
)

// AbuseConfig is the abuse limits and quotas (docs/operations.md "Abuse limits"): every
// limit is a rate with a burst (0 = off), every quota a count (0 = unlimited).
type AbuseConfig struct {
	Limits     limit.Config    // edge allowances and trusted proxies
	Quotas     limit.Quotas    // per-user quotas
	PingCheck  ratelimit.Limit // pings per check, enforced by the check's actor
	AlertHost  ratelimit.Limit // alerts per (user, destination host)
	RuleBudget time.Duration   // content-rule matching time per user and second, per node
	HSTS       bool            // Strict-Transport-Security (https public URL only)
	flags      []limitValue    // between register and finish: the rates and bursts as given
}

// limitFlag describes the flags of one limit: --limit-<name> (a rate per unit) and, for
// per-second limits, --limit-<name>-burst.
type limitFlag struct {
	name, usage string
	p           *ratelimit.Limit
	perSecond   bool // rate per second with its own burst flag; else per unit, burst = count
	unit        time.Duration
}

// limitValue is a limit's flags as given: a rate per unit and a burst.
type limitValue struct {
	limitFlag
	rate  float64
	burst int
}

// register adds the flags to fs; finish turns the rates and bursts into the limits.
func (a *AbuseConfig) register(fs *flag.FlagSet) {
	a.Limits = limit.DefaultConfig()
	a.Quotas = limit.DefaultQuotas()
	a.PingCheck = ratelimit.PerSecond(20, 100)
	a.AlertHost = notify.DefaultHostCap
	defs := []limitFlag{
		{"signup", "sign-ups per client IP and hour, cluster-wide", &a.Limits.SignUp, false, time.Hour},
		{"auth-fail", "failed key, token and password checks per client IP and minute, cluster-wide", &a.Limits.AuthFail, false, time.Minute},
		{"admin-signin", "failed admin sign-ins per (username, client IP) and hour, cluster-wide", &a.Limits.AdminSignIn, false, time.Hour},
		{"test-send", "channel test sends (…/test, …/test-queue) per user and minute, cluster-wide", &a.Limits.TestSend, false, time.Minute},
		{"api-credential", "API requests per second per credential (each node enforces its share)", &a.Limits.APICredential, true, time.Second},
		{"api-ip", "API and public status-page requests per second per client IP (each node enforces its share)", &a.Limits.APIIP, true, time.Second},
		{"ping-check", "pings per second per check", &a.PingCheck, true, time.Second},
		{"ping-ip", "pings per second per client IP, per node (off: NATed fleets share addresses)", &a.Limits.PingIP, true, time.Second},
		{"alert-host", "alerts per second per user and destination host (email: recipient domain), cluster-wide", &a.AlertHost, true, time.Second},
	}
	a.flags = make([]limitValue, len(defs)) // the flags write into its elements: it never grows
	for i, d := range defs {
		f := &a.flags[i]
		f.limitFlag = d
		f.rate, f.burst = f.p.Rate*f.unit.Seconds(), f.p.Burst
		name := "limit-" + f.name
		fs.Float64Var(&f.rate, name, f.rate, f.usage+"; 0 = off")
		if f.perSecond {
			fs.IntVar(&f.burst, name+"-burst", f.burst, "burst of --"+name)
		}
	}
	fs.Int64Var(&a.Quotas.Checks, "quota-checks", a.Quotas.Checks, "checks per user; 0 = unlimited")
	fs.Int64Var(&a.Quotas.StatusPages, "quota-status-pages", a.Quotas.StatusPages, "status pages per user; 0 = unlimited")
	fs.Int64Var(&a.Quotas.APITokens, "quota-api-tokens", a.Quotas.APITokens, "API tokens per user; 0 = unlimited")
	a.RuleBudget = contentrule.DefaultBudget
	fs.DurationVar(&a.RuleBudget, "limit-rule-budget", a.RuleBudget, "content-rule matching time per user and second, per node; 0 = off")
	fs.BoolVar(&a.HSTS, "hsts", false, "send Strict-Transport-Security (needs an https --public-url)")
	fs.Var(prefixesFlag{p: &a.Limits.TrustProxy, addrs: true}, "trust-proxy", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed")
}

func (a *AbuseConfig) finish(func(string) string) error {
	for _, f := range a.flags {
		if f.rate < 0 || f.burst < 0 {
			return fmt.Errorf("--limit-%s: must not be negative", f.name)
		}
		if f.rate == 0 {
			*f.p = ratelimit.Limit{}
			continue
		}
		burst := f.burst
		if !f.perSecond {
			burst = int(f.rate) // n per unit, all of which may come at once
		}
		*f.p = ratelimit.Limit{Rate: f.rate / f.unit.Seconds(), Burst: max(burst, 1)}
	}
	a.flags = nil // parsed: the limits hold the values
	return nil
}

// Validate names every problem of the abuse settings (--hsts against the public URL is
// checked by Config.Validate).
func (a AbuseConfig) Validate() error {
	var errs []error
	if err := a.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	for name, l := range map[string]ratelimit.Limit{"--limit-ping-check": a.PingCheck, "--limit-alert-host": a.AlertHost} {
		if err := l.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if a.Quotas.Checks < 0 || a.Quotas.StatusPages < 0 || a.Quotas.APITokens < 0 {
		errs = append(errs, errors.New("--quota-*: must not be negative"))
	}
	if a.RuleBudget < 0 {
		errs = append(errs, errors.New("--limit-rule-budget: must not be negative"))
	}
	return errors.Join(errs...)
}

// String is the settings for the start-up log.
func (a AbuseConfig) String() string {
	l := a.Limits
	return fmt.Sprintf("signup %v, auth-fail %v, admin-signin %v, api-credential %v, api-ip %v, ping-check %v, ping-ip %v, test-send %v, alert-host %v, rule budget %v/s, quotas checks %d status-pages %d api-tokens %d, trust-proxy %v, hsts %v",
		l.SignUp, l.AuthFail, l.AdminSignIn, l.APICredential, l.APIIP, a.PingCheck, l.PingIP, l.TestSend, a.AlertHost, a.RuleBudget,
		a.Quotas.Checks, a.Quotas.StatusPages, a.Quotas.APITokens, l.TrustProxy, a.HSTS)
}
