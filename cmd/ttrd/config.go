package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
)

// Config is ttrd's configuration, grouped by subsystem (docs/operations.md "Configuration").
// Every setting is a flag with a TTR_* environment fallback, except the secrets, which come
// from the environment only.
type Config struct {
	HTTP          HTTPConfig          // listeners, public URL, ping bodies, HTTP timeouts and drain
	Store         StoreConfig         // where rows live, group commits, store health probes
	Cluster       ClusterConfig       // node identity, gossip, cluster transport security
	Deadlines     DeadlinesConfig     // the sweeper behind the deadline wheel, re-arming after outages
	Web           WebConfig           // web UI cookies and sessions
	Alerting      AlertingConfig      // alert delivery: retries, rate control, channels, flapping
	Log           LogConfig           // log level and format, development mode
	Abuse         AbuseConfig         // abuse limits and quotas (--limit-*, --quota-*, --trust-proxy, --hsts)
	Cleanup       CleanupConfig       // cleanup of inactive checks and users (--cleanup-*)
	Retention     RetentionConfig     // what the store keeps (--ping-log-limit, --ping-dedupe-window, --retention-*)
	TelegramLogin TelegramLoginConfig // Login with Telegram (--telegram-login-bot-name, TTR_TELEGRAM_LOGIN_BOT_TOKEN)
	Import        ImportConfig        // imports that keep healthchecks UUIDs (--import-hc-servers)
	Secrets       SecretsConfig       // environment only, never logged
}

// group is one subsystem's settings. Adding a subsystem's settings is a type with these two
// methods (and, if it needs one, finish), a field in Config and a line in Config.groups.
type group interface {
	// register adds the group's flags, their defaults set. A usage without "(env …)" gets
	// its environment variable appended.
	register(fs *flag.FlagSet)
	// Validate names every value of the group the daemon refuses.
	Validate() error
}

// finisher is a group with work after the flags are parsed: values a flag cannot hold
// (lists, derived defaults) and environment-only secrets.
type finisher interface {
	finish(getenv func(string) string) error
}

// groups lists the settings groups in the order their flags and refusals are reported.
func (c *Config) groups() []group {
	return []group{&c.HTTP, &c.Store, &c.Cluster, &c.Deadlines, &c.Web, &c.Alerting, &c.Log,
		&c.Abuse, &c.Cleanup, &c.Retention, &c.TelegramLogin, &c.Import, &c.Secrets}
}

// errHelp says -h was asked for: usage was printed, exit 0.
var errHelp = errors.New("help requested")

// envName names the environment fallback of a flag: --http-addr → TTR_HTTP_ADDR.
func envName(flagName string) string {
	return "TTR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet registers every group's flags on a flag set bound to c.
func newFlagSet(name string, c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	for _, g := range c.groups() {
		g.register(fs)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(f.Usage, "(env ") {
			f.Usage += " (env " + envName(f.Name) + ")"
		}
	})
	return fs
}

// parseConfig reads flags (args) with environment fallbacks (getenv). A flag given on the
// command line wins over the environment, which wins over the default.
func parseConfig(name string, args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := newFlagSet(name, &c)
	// Environment fallbacks: applied before parsing so the command line wins.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %v", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, g := range c.groups() {
		if f, ok := g.(finisher); ok {
			if err := f.finish(getenv); err != nil {
				return c, err
			}
		}
	}
	return c, c.Validate()
}

// Validate lists every problem of the configuration at once: each group's, then those
// between groups.
func (c Config) Validate() error {
	var errs []error
	for _, g := range c.groups() {
		if err := g.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Store.DatabaseURL == "" && len(c.Cluster.Join) > 0 {
		errs = append(errs, errors.New("--join needs --database-url: the embedded store serves one node; a cluster shares PostgreSQL"))
	}
	if c.Store.DatabaseURL != "" {
		if err := c.Cluster.validateGossip(); err != nil {
			errs = append(errs, err)
		}
	}
	if u, err := url.Parse(c.HTTP.PublicURL); c.Abuse.HSTS && (err != nil || u.Scheme != "https") {
		errs = append(errs, fmt.Errorf("--hsts needs an https --public-url, not %q", c.HTTP.PublicURL))
	}
	return errors.Join(errs...)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// redacted is the effective configuration for the start-up log, secrets left out.
func (c Config) redacted() []any {
	db := "embedded sqlite in " + c.Store.DataDir
	if c.Store.DatabaseURL != "" {
		if u, err := url.Parse(c.Store.DatabaseURL); err == nil {
			u.User = nil
			db = "postgres " + u.Redacted()
		}
	}
	h, a, cl := c.HTTP, c.Alerting, c.Cluster
	return []any{"http_addr", h.Addr, "internal_addr", h.InternalAddr, "remote_addr", cl.RemoteAddr,
		"node_name", cl.NodeName, "store", db, "public_url", h.PublicURL, "ping_body_limit", h.PingBodyLimit,
		"shutdown_delay", h.ShutdownDelay.String(), "http_timeouts", h.String(),
		"batch_linger", c.Store.BatchLinger.String(), "batch_concurrency", c.Store.BatchConcurrency,
		"store_probes", c.Store.String(), "deadlines", c.Deadlines.String(),
		"webhook_allow_nets", fmt.Sprint(a.WebhookAllow),
		"flap", fmt.Sprintf("%d changes in %v hold alerts %v", a.FlapChanges, a.FlapWindow, a.FlapSuppress),
		"alert_timing", a.String(),
		"join", strings.Join(cl.Join, ","), "gossip_addr", cl.GossipAddr, "cluster_name", cl.Name,
		"gossip_key", map[bool]string{true: "given", false: "derived"}[cl.GossipKey != ""],
		"cluster_tls", cl.TLS, "cluster_tls_files", cl.TLSCA != "",
		"secret_key_previous_set", c.Secrets.SecretKeyPrevious != "", "internal_token_set", h.InternalToken != "",
		"insecure_cookies", c.Web.InsecureCookies,
		"session_idle_timeout", c.Web.SessionIdle.String(), "session_max_age", c.Web.SessionMaxAge.String(),
		"telegram_api_url", a.TelegramAPIURL, "smtp_host", a.SMTP.Host, "smtp_tls", a.SMTP.TLS,
		"abuse_limits", c.Abuse.String(), "cleanup", c.Cleanup.String(), "retention", c.Retention.String(),
		"telegram_login_bot", c.TelegramLogin.BotName, "telegram_login_token_set", c.TelegramLogin.BotToken != ""}
}
