package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
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
}

// limitFlag describes the flags of one limit: --limit-<name> (a rate per unit) and, for
// per-second limits, --limit-<name>-burst.
type limitFlag struct {
	name, usage string
	p           *ratelimit.Limit
	perSecond   bool // rate per second with its own burst flag; else per unit, burst = count
	unit        time.Duration
}

// register adds the flags to fs and returns the function that turns their values into the
// limits after parsing.
func (a *AbuseConfig) register(fs *flag.FlagSet) func() error {
	a.Limits = limit.DefaultConfig()
	a.Quotas = limit.DefaultQuotas()
	a.PingCheck = ratelimit.PerSecond(20, 100)
	a.AlertHost = notify.DefaultHostCap
	flags := []limitFlag{
		{"signup", "sign-ups per client IP and hour, cluster-wide", &a.Limits.SignUp, false, time.Hour},
		{"auth-fail", "failed key, token and password checks per client IP and minute, cluster-wide", &a.Limits.AuthFail, false, time.Minute},
		{"admin-signin", "failed admin sign-ins per (username, client IP) and hour, cluster-wide", &a.Limits.AdminSignIn, false, time.Hour},
		{"test-send", "channel test sends (…/test, …/test-queue) per user and minute, cluster-wide", &a.Limits.TestSend, false, time.Minute},
		{"api-credential", "API requests per second per credential (each node enforces its share)", &a.Limits.APICredential, true, time.Second},
		{"api-ip", "API requests per second per client IP (each node enforces its share)", &a.Limits.APIIP, true, time.Second},
		{"ping-check", "pings per second per check", &a.PingCheck, true, time.Second},
		{"ping-ip", "pings per second per client IP, per node (off: NATed fleets share addresses)", &a.Limits.PingIP, true, time.Second},
		{"alert-host", "alerts per second per user and destination host (email: recipient domain), cluster-wide", &a.AlertHost, true, time.Second},
	}
	type vals struct {
		f     limitFlag
		rate  *float64
		burst *int
	}
	var all []vals
	for _, f := range flags {
		v := vals{f: f, rate: new(float64), burst: new(int)}
		*v.rate = f.p.Rate * f.unit.Seconds()
		*v.burst = f.p.Burst
		name := "limit-" + f.name
		fs.Float64Var(v.rate, name, *v.rate, f.usage+"; 0 = off (env "+envName(name)+")")
		if f.perSecond {
			fs.IntVar(v.burst, name+"-burst", *v.burst, "burst of --"+name+" (env "+envName(name+"-burst")+")")
		}
		all = append(all, v)
	}
	fs.Int64Var(&a.Quotas.Checks, "quota-checks", a.Quotas.Checks, "checks per user; 0 = unlimited (env TTR_QUOTA_CHECKS)")
	fs.Int64Var(&a.Quotas.StatusPages, "quota-status-pages", a.Quotas.StatusPages, "status pages per user; 0 = unlimited (env TTR_QUOTA_STATUS_PAGES)")
	fs.Int64Var(&a.Quotas.APITokens, "quota-api-tokens", a.Quotas.APITokens, "API tokens per user; 0 = unlimited (env TTR_QUOTA_API_TOKENS)")
	a.RuleBudget = contentrule.DefaultBudget
	fs.DurationVar(&a.RuleBudget, "limit-rule-budget", a.RuleBudget, "content-rule matching time per user and second, per node; 0 = off (env TTR_LIMIT_RULE_BUDGET)")
	fs.BoolVar(&a.HSTS, "hsts", false, "send Strict-Transport-Security (needs an https --public-url) (env TTR_HSTS)")
	trust := fs.String("trust-proxy", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env TTR_TRUST_PROXY)")
	return func() error {
		for _, v := range all {
			if *v.rate < 0 || *v.burst < 0 {
				return fmt.Errorf("--limit-%s: must not be negative", v.f.name)
			}
			if *v.rate == 0 {
				*v.f.p = ratelimit.Limit{}
				continue
			}
			burst := *v.burst
			if !v.f.perSecond {
				burst = int(*v.rate) // n per unit, all of which may come at once
			}
			*v.f.p = ratelimit.Limit{Rate: *v.rate / v.f.unit.Seconds(), Burst: max(burst, 1)}
		}
		a.Limits.TrustProxy = nil
		for _, s := range strings.Split(*trust, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				addr, aerr := netip.ParseAddr(s)
				if aerr != nil {
					return fmt.Errorf("--trust-proxy: %q is not a CIDR or an address", s)
				}
				p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
			}
			a.Limits.TrustProxy = append(a.Limits.TrustProxy, p.Masked())
		}
		return nil
	}
}

// Validate names every problem of the abuse settings.
func (a AbuseConfig) Validate(publicURL string) error {
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
	if u, err := url.Parse(publicURL); a.HSTS && (err != nil || u.Scheme != "https") {
		errs = append(errs, fmt.Errorf("--hsts needs an https --public-url, not %q", publicURL))
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
