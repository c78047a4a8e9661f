package main

import (
	"github.com/ttr-rip/ttr/actors/aimd"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/http/transfer"

	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is ttrd's configuration: flags, each with a TTR_* environment fallback.
type Config struct {
	HTTPAddr            string
	InternalAddr        string
	RemoteAddr          string
	NodeName            string
	DataDir             string
	DatabaseURL         string
	PublicURL           string
	PingBodyLimit       int64
	ShutdownDelay       time.Duration
	BatchLinger         time.Duration
	BatchConcurrency    int
	LogLevel            string
	LogFormat           string
	Dev                 bool
	InsecureCookies     bool          // allow session cookies without Secure on a non-loopback http:// public URL
	SessionIdle         time.Duration // web sessions end after this long unused
	SessionMaxAge       time.Duration // web sessions end this long after sign-in
	WebhookAllow        []netip.Prefix
	AlertRetryFor       time.Duration
	AlertBackoff        time.Duration
	AlertBackoffMx      time.Duration
	FlapChanges         int
	FlapWindow          time.Duration
	FlapSuppress        time.Duration
	TelegramAPIURL      string
	SMTPHost            string
	SMTPPort            int
	SMTPUsername        string
	SMTPFrom            string
	SMTPTLS             string
	SMTPTimeout         time.Duration
	Join                []string
	GossipAddr          string
	ClusterName         string
	GossipKey           string
	GossipProbeInterval time.Duration
	GossipProbeTimeout  time.Duration
	GossipSuspicionMult int
	RC                  aimd.Config         // adaptive rate control of alert destinations (--rc-*, TTR_RC_*)
	Abuse               AbuseConfig         // abuse limits and quotas (--limit-*, --quota-*, --trust-proxy, --hsts)
	ClusterTLS          string              // --cluster-tls: on (default) or permit
	ClusterTLSCA        string              // operator-supplied cluster CA bundle (PEM)
	ClusterTLSCert      string              // this node's leaf (PEM), with --cluster-tls-ca
	ClusterTLSKey       string              // the leaf's key (PEM)
	Cleanup             CleanupConfig       // cleanup of inactive checks and users (--cleanup-*)
	TelegramLogin       TelegramLoginConfig // Login with Telegram (--telegram-login-bot-name, TTR_TELEGRAM_LOGIN_BOT_TOKEN)
	// Secrets (never logged).
	EncryptionKeys    string
	SecretKey         string
	SecretKeyPrevious string // TTR_SECRET_KEY_PREVIOUS: accepted besides SecretKey during a rotation
	SMTPPassword      string
	InternalToken     string // --internal-token / TTR_INTERNAL_TOKEN: bearer token of the internal listener

	// ImportHCServers are the healthchecks servers users may import from (normalized).
	ImportHCServers []string
}

// errHelp says -h was asked for: usage was printed, exit 0.
var errHelp = errors.New("help requested")

// envName names the environment fallback of a flag: --http-addr → TTR_HTTP_ADDR.
func envName(flagName string) string {
	return "TTR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads flags (args) with environment fallbacks (getenv). A flag given on the
// command line wins over the environment, which wins over the default.
func parseConfig(name string, args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	var allow string
	str := func(p *string, flagName, def, usage string) {
		fs.StringVar(p, flagName, def, usage+" (env "+envName(flagName)+")")
	}
	str(&c.HTTPAddr, "http-addr", "127.0.0.1:8080", "public HTTP listen address")
	str(&c.InternalAddr, "internal-addr", "", "private listener for /metrics, /debug/pprof/ and /cluster (off when empty); an address other than loopback needs --internal-token")
	str(&c.InternalToken, "internal-token", "", "bearer token the internal listener requires (required off loopback); prefer the env variable")
	str(&c.RemoteAddr, "remote-addr", "127.0.0.1:0", "actor remote listen address (port 0 = any free port)")
	str(&c.NodeName, "node-name", "", "display name of this node (default: host name)")
	str(&c.DataDir, "data-dir", "./data", "directory of the embedded store and its generated secrets")
	str(&c.DatabaseURL, "database-url", "", "PostgreSQL URL; the embedded SQLite store is used when empty")
	str(&c.PublicURL, "public-url", "", "base URL shown in ping URLs (default: http://<http-addr>)")
	fs.Int64Var(&c.PingBodyLimit, "ping-body-limit", 10000, "bytes of a ping body kept; the rest is truncated (env TTR_PING_BODY_LIMIT)")
	fs.DurationVar(&c.BatchLinger, "batch-linger", time.Millisecond, "under load, how long a group commit may wait for more writes (fewer, larger commits; 0 = never wait) (env TTR_BATCH_LINGER)")
	fs.IntVar(&c.BatchConcurrency, "batch-concurrency", 1, "group commits in flight at once (PostgreSQL only: the embedded store has one writer); more helps when the database server has cores of its own, not when it shares the node's (env TTR_BATCH_CONCURRENCY)")
	fs.DurationVar(&c.ShutdownDelay, "shutdown-delay", 0, "on SIGTERM, how long /readyz answers 503 before the listener closes (env TTR_SHUTDOWN_DELAY)")
	str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log-format", "", "json or text (default: text on a terminal, json otherwise)")
	fs.BoolVar(&c.Dev, "dev", false, "development mode (env TTR_DEV)")
	fs.BoolVar(&c.InsecureCookies, "insecure-cookies", false, "allow the web UI's session cookie without Secure when --public-url is plain http on a non-loopback address (anyone on the network path can steal sessions) (env TTR_INSECURE_COOKIES)")
	fs.DurationVar(&c.SessionIdle, "session-idle-timeout", 7*24*time.Hour, "a web session not used for this long ends (env TTR_SESSION_IDLE_TIMEOUT)")
	fs.DurationVar(&c.SessionMaxAge, "session-max-age", 30*24*time.Hour, "a web session ends this long after sign-in (env TTR_SESSION_MAX_AGE)")
	str(&allow, "webhook-allow-nets", "", "comma-separated CIDRs webhooks may reach despite SSRF protection, e.g. 127.0.0.0/8")
	var hcServers string
	str(&hcServers, "import-hc-servers", transfer.DefaultHCServer, "comma-separated healthchecks servers users may import checks from, keeping their UUIDs (fetched through the webhooks' SSRF protection)")
	fs.DurationVar(&c.AlertRetryFor, "alert-retry-for", 24*time.Hour, "how long a failing alert is retried (env TTR_ALERT_RETRY_FOR)")
	fs.DurationVar(&c.AlertBackoff, "alert-backoff", 5*time.Second, "first retry gap of a failing alert (env TTR_ALERT_BACKOFF)")
	fs.DurationVar(&c.AlertBackoffMx, "alert-backoff-max", 10*time.Minute, "longest retry gap of a failing alert (env TTR_ALERT_BACKOFF_MAX)")
	fs.IntVar(&c.FlapChanges, "flap-changes", 6, "status changes within --flap-window that make a check flapping (env TTR_FLAP_CHANGES)")
	fs.DurationVar(&c.FlapWindow, "flap-window", 120*time.Second, "window in which flapping changes are counted (env TTR_FLAP_WINDOW)")
	fs.DurationVar(&c.FlapSuppress, "flap-suppress", 180*time.Second, "how long alerts are held after the latest change of a flapping check (env TTR_FLAP_SUPPRESS)")
	c.RC = aimd.DefaultConfig()
	for _, f := range []struct {
		name, usage string
		p           *float64
	}{
		{"rc-start-rps", "requests/s a new destination starts at", &c.RC.StartRPS},
		{"rc-min-rps", "lowest rate of a destination", &c.RC.MinRPS},
		{"rc-max-rps", "highest rate of a destination", &c.RC.MaxRPS},
		{"rc-ai-step", "rate added after each delivered alert", &c.RC.AIStep},
		{"rc-burst", "largest bucket of a destination", &c.RC.Burst},
		{"rc-min-burst", "smallest bucket of a destination", &c.RC.MinBurst},
		{"rc-burst-step", "bucket growth after each delivered alert", &c.RC.BurstStep},
		{"rc-429-factor", "rate multiplier on a 429", &c.RC.RateLimitFactor},
		{"rc-error-factor", "rate multiplier on a 5xx or network error", &c.RC.ErrorFactor},
	} {
		fs.Float64Var(f.p, f.name, *f.p, f.usage+" (env "+envName(f.name)+")")
	}
	fs.DurationVar(&c.RC.BackoffBase, "rc-backoff-base", c.RC.BackoffBase, "first back-off after a 429 without Retry-After (env TTR_RC_BACKOFF_BASE)")
	fs.DurationVar(&c.RC.BackoffMax, "rc-backoff-max", c.RC.BackoffMax, "longest back-off after repeated 429s (env TTR_RC_BACKOFF_MAX)")
	fs.DurationVar(&c.RC.ErrorBackoff, "rc-error-backoff", c.RC.ErrorBackoff, "back-off after a 5xx or network error (env TTR_RC_ERROR_BACKOFF)")
	fs.DurationVar(&c.RC.MaxRetryAfter, "rc-max-retry-after", c.RC.MaxRetryAfter, "cap on a receiver's Retry-After (env TTR_RC_MAX_RETRY_AFTER)")
	var join string
	str(&join, "join", "", "comma-separated host:port gossip addresses of cluster members to join (needs --database-url)")
	str(&c.GossipAddr, "gossip-addr", "127.0.0.1:7946", "memberlist listen address (TCP and UDP), with --database-url")
	str(&c.ClusterName, "cluster-name", "ttr", "cluster name: nodes with another name do not merge")
	str(&c.GossipKey, "gossip-key", "", "base64 key (16, 24 or 32 bytes) encrypting gossip (default: derived from TTR_SECRET_KEY); prefer the env variable")
	str(&c.ClusterTLS, "cluster-tls", "on", "mutual TLS between nodes: on, or permit (also accepts clear-text peers and gossip; only to upgrade a cluster from a release without TLS)")
	str(&c.ClusterTLSCA, "cluster-tls-ca", "", "PEM bundle of the CAs nodes trust, instead of the CA derived from TTR_SECRET_KEY (with --cluster-tls-cert and --cluster-tls-key; re-read when changed)")
	str(&c.ClusterTLSCert, "cluster-tls-cert", "", "PEM certificate of this node, naming --cluster-name as a DNS name, for server and client authentication")
	str(&c.ClusterTLSKey, "cluster-tls-key", "", "PEM private key of --cluster-tls-cert")
	fs.DurationVar(&c.GossipProbeInterval, "gossip-probe-interval", 0, "failure-detector probe interval (default 200ms) (env TTR_GOSSIP_PROBE_INTERVAL)")
	fs.DurationVar(&c.GossipProbeTimeout, "gossip-probe-timeout", 0, "failure-detector probe timeout (default 100ms) (env TTR_GOSSIP_PROBE_TIMEOUT)")
	fs.IntVar(&c.GossipSuspicionMult, "gossip-suspicion-mult", 0, "failure-detector suspicion multiplier (default 2) (env TTR_GOSSIP_SUSPICION_MULT)")
	str(&c.TelegramAPIURL, "telegram-api-url", "https://api.telegram.org", "Telegram Bot API base URL")
	str(&c.SMTPHost, "smtp-host", "", "SMTP server for email alerts (email is off when empty); password in env TTR_SMTP_PASSWORD")
	fs.IntVar(&c.SMTPPort, "smtp-port", 0, "SMTP port (default 587 for starttls, 465 for tls, 25 for none) (env TTR_SMTP_PORT)")
	str(&c.SMTPUsername, "smtp-username", "", "SMTP login")
	str(&c.SMTPFrom, "smtp-from", "", "From address of alert emails")
	str(&c.SMTPTLS, "smtp-tls", "starttls", "starttls, tls (implicit, port 465) or none (local relays only)")
	fs.DurationVar(&c.SMTPTimeout, "smtp-timeout", 10*time.Second, "bound on one email delivery (env TTR_SMTP_TIMEOUT)")
	abuseFlags := c.Abuse.register(fs)
	c.Cleanup.register(fs)
	c.TelegramLogin.register(fs)

	// Environment fallbacks: apply before parsing so the command line wins.
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
	for _, a := range strings.Split(join, ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.Join = append(c.Join, a)
		}
	}
	c.EncryptionKeys = getenv("TTR_ENCRYPTION_KEYS")
	c.SecretKey = getenv("TTR_SECRET_KEY")
	c.SecretKeyPrevious = getenv("TTR_SECRET_KEY_PREVIOUS")
	c.SMTPPassword = getenv("TTR_SMTP_PASSWORD")
	c.TelegramLogin.BotToken = getenv(envTelegramLoginToken)
	for _, s := range strings.Split(allow, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return c, fmt.Errorf("--webhook-allow-nets: %q is not a CIDR", s)
		}
		c.WebhookAllow = append(c.WebhookAllow, p.Masked())
	}
	for _, s := range strings.Split(hcServers, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := transfer.NormalizeServer(s)
		if err != nil {
			return c, fmt.Errorf("--import-hc-servers: %q is not an http or https server address", s)
		}
		c.ImportHCServers = append(c.ImportHCServers, n)
	}
	if err := abuseFlags(); err != nil {
		return c, err
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
	}
	return c, c.Validate()
}

// Validate lists every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	for name, addr := range map[string]string{"--http-addr": c.HTTPAddr, "--remote-addr": c.RemoteAddr, "--internal-addr": c.InternalAddr} {
		if addr == "" && name == "--internal-addr" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port", name, addr))
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("%s %q: bad port", name, addr))
		}
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--public-url %q: want an http(s) URL", c.PublicURL))
	}
	if c.PingBodyLimit < 0 || c.PingBodyLimit > 10<<20 {
		errs = append(errs, fmt.Errorf("--ping-body-limit %d: want 0..10485760", c.PingBodyLimit))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required with the embedded store"))
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("--database-url: want a postgres:// URL"))
		}
	}
	if len(c.Join) > 0 && c.DatabaseURL == "" {
		errs = append(errs, errors.New("--join needs --database-url: the embedded store serves one node; a cluster shares PostgreSQL"))
	}
	for _, a := range c.Join {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("--join %q: want host:port", a))
		}
	}
	if c.DatabaseURL != "" {
		if _, _, err := net.SplitHostPort(c.GossipAddr); err != nil {
			errs = append(errs, fmt.Errorf("--gossip-addr %q: want host:port", c.GossipAddr))
		}
	}
	// Not a start-up check that development mode relaxes: metrics, profiles and the cluster
	// view must never be open to a network by mistake.
	if c.InternalAddr != "" && !isLoopback(c.InternalAddr) && c.InternalToken == "" {
		errs = append(errs, errors.New("--internal-addr on an address other than loopback needs --internal-token (TTR_INTERNAL_TOKEN)"))
	}
	if c.InternalToken != "" && (len(c.InternalToken) < 16 || strings.Contains(strings.ToUpper(c.InternalToken), "CHANGE_ME")) {
		errs = append(errs, errors.New("--internal-token must be at least 16 characters and not a placeholder"))
	}
	if _, err := mtls.ParseMode(c.ClusterTLS); err != nil {
		errs = append(errs, err)
	}
	if n := btoi(c.ClusterTLSCA != "") + btoi(c.ClusterTLSCert != "") + btoi(c.ClusterTLSKey != ""); n != 0 && n != 3 {
		errs = append(errs, errors.New("--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key go together"))
	}
	if err := c.RC.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("rate control (--rc-*): %w", err))
	}
	if err := c.Abuse.Validate(c.PublicURL); err != nil {
		errs = append(errs, err)
	}
	if err := c.Cleanup.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.TelegramLogin.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.LogFormat != "" && c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("--log-format %q: want json or text", c.LogFormat))
	}
	if c.SessionIdle < time.Minute || c.SessionMaxAge < c.SessionIdle {
		errs = append(errs, fmt.Errorf("--session-idle-timeout %v / --session-max-age %v: want at least 1m, and a max age of at least the idle timeout", c.SessionIdle, c.SessionMaxAge))
	}
	if c.BatchConcurrency < 1 || c.BatchConcurrency > 64 {
		errs = append(errs, fmt.Errorf("--batch-concurrency %d: want 1 to 64", c.BatchConcurrency))
	}
	if c.BatchLinger < 0 || c.BatchLinger > time.Second {
		errs = append(errs, fmt.Errorf("--batch-linger %v: want 0 to 1s", c.BatchLinger))
	}
	if c.ShutdownDelay < 0 || c.AlertRetryFor <= 0 || c.AlertBackoff <= 0 || c.AlertBackoffMx < c.AlertBackoff {
		errs = append(errs, errors.New("durations must be positive and --alert-backoff-max ≥ --alert-backoff"))
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
	db := "embedded sqlite in " + c.DataDir
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err == nil {
			u.User = nil
			db = "postgres " + u.Redacted()
		}
	}
	return []any{"http_addr", c.HTTPAddr, "internal_addr", c.InternalAddr, "remote_addr", c.RemoteAddr,
		"node_name", c.NodeName, "store", db, "public_url", c.PublicURL, "ping_body_limit", c.PingBodyLimit,
		"shutdown_delay", c.ShutdownDelay.String(), "batch_linger", c.BatchLinger.String(), "batch_concurrency", c.BatchConcurrency, "webhook_allow_nets", fmt.Sprint(c.WebhookAllow),
		"flap", fmt.Sprintf("%d changes in %v hold alerts %v", c.FlapChanges, c.FlapWindow, c.FlapSuppress),
		"join", strings.Join(c.Join, ","), "gossip_addr", c.GossipAddr, "cluster_name", c.ClusterName,
		"gossip_key", map[bool]string{true: "given", false: "derived"}[c.GossipKey != ""],
		"cluster_tls", c.ClusterTLS, "cluster_tls_files", c.ClusterTLSCA != "",
		"secret_key_previous_set", c.SecretKeyPrevious != "", "internal_token_set", c.InternalToken != "",
		"insecure_cookies", c.InsecureCookies,
		"session_idle_timeout", c.SessionIdle.String(), "session_max_age", c.SessionMaxAge.String(),
		"telegram_api_url", c.TelegramAPIURL, "smtp_host", c.SMTPHost, "smtp_tls", c.SMTPTLS,
		"abuse_limits", c.Abuse.String(), "cleanup", c.Cleanup.String(),
		"telegram_login_bot", c.TelegramLogin.BotName, "telegram_login_token_set", c.TelegramLogin.BotToken != ""}
}
