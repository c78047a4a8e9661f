package main

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/actors/aimd"
	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/cluster/mtls"
)

// HTTPConfig is the listeners and how the public one is bounded and drained.
type HTTPConfig struct {
	Addr              string        // --http-addr: the public listener
	PublicURL         string        // --public-url (default http://<http-addr>), no trailing slash
	PingBodyLimit     int64         // --ping-body-limit: bytes of a ping body kept
	InternalAddr      string        // --internal-addr: /metrics, /debug/pprof/, /cluster (off when empty)
	InternalToken     string        // --internal-token: bearer token of the internal listener (never logged)
	ShutdownDelay     time.Duration // --shutdown-delay: /readyz answers 503 this long before the listener closes
	DrainTimeout      time.Duration // --http-drain-timeout: bound on in-flight requests at shutdown
	ReadHeaderTimeout time.Duration // --http-read-header-timeout
	ReadTimeout       time.Duration // --http-read-timeout
	WriteTimeout      time.Duration // --http-write-timeout
	IdleTimeout       time.Duration // --http-idle-timeout
}

func (c *HTTPConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "http-addr", "127.0.0.1:8080", "public HTTP listen address")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL shown in ping URLs (default: http://<http-addr>)")
	fs.Int64Var(&c.PingBodyLimit, "ping-body-limit", 10000, "bytes of a ping body kept; the rest is truncated")
	fs.StringVar(&c.InternalAddr, "internal-addr", "", "private listener for /metrics, /debug/pprof/ and /cluster (off when empty); an address other than loopback needs --internal-token")
	fs.StringVar(&c.InternalToken, "internal-token", "", "bearer token the internal listener requires (required off loopback); prefer the env variable")
	fs.DurationVar(&c.ShutdownDelay, "shutdown-delay", 0, "on SIGTERM, how long /readyz answers 503 before the listener closes")
	fs.DurationVar(&c.DrainTimeout, "http-drain-timeout", 20*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	fs.DurationVar(&c.ReadHeaderTimeout, "http-read-header-timeout", 10*time.Second, "bound on reading a request's headers")
	fs.DurationVar(&c.ReadTimeout, "http-read-timeout", 30*time.Second, "bound on reading a whole request")
	fs.DurationVar(&c.WriteTimeout, "http-write-timeout", 30*time.Second, "bound on writing a response")
	fs.DurationVar(&c.IdleTimeout, "http-idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
}

func (c *HTTPConfig) finish(func(string) string) error {
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return nil
}

// Validate names the listener settings the daemon refuses.
func (c HTTPConfig) Validate() error {
	var errs []error
	if err := checkHostPort("--http-addr", c.Addr); err != nil {
		errs = append(errs, err)
	}
	if c.InternalAddr != "" {
		if err := checkHostPort("--internal-addr", c.InternalAddr); err != nil {
			errs = append(errs, err)
		}
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--public-url %q: want an http(s) URL", c.PublicURL))
	}
	if c.PingBodyLimit < 0 || c.PingBodyLimit > 10<<20 {
		errs = append(errs, fmt.Errorf("--ping-body-limit %d: want 0..10485760", c.PingBodyLimit))
	}
	// Not a start-up check that development mode relaxes: metrics, profiles and the cluster
	// view must never be open to a network by mistake.
	if c.InternalAddr != "" && !isLoopback(c.InternalAddr) && c.InternalToken == "" {
		errs = append(errs, errors.New("--internal-addr on an address other than loopback needs --internal-token (TTR_INTERNAL_TOKEN)"))
	}
	if c.InternalToken != "" && (len(c.InternalToken) < 16 || strings.Contains(strings.ToUpper(c.InternalToken), "CHANGE_ME")) {
		errs = append(errs, errors.New("--internal-token must be at least 16 characters and not a placeholder"))
	}
	if c.ShutdownDelay < 0 {
		errs = append(errs, fmt.Errorf("--shutdown-delay %v: must not be negative", c.ShutdownDelay))
	}
	errs = append(errs, positive(map[string]time.Duration{
		"--http-drain-timeout": c.DrainTimeout, "--http-read-header-timeout": c.ReadHeaderTimeout,
		"--http-read-timeout": c.ReadTimeout, "--http-write-timeout": c.WriteTimeout, "--http-idle-timeout": c.IdleTimeout,
	})...)
	return errors.Join(errs...)
}

// String is the HTTP timeouts for the start-up log.
func (c HTTPConfig) String() string {
	return fmt.Sprintf("read header %v, read %v, write %v, idle %v, drain %v", c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, c.DrainTimeout)
}

// StoreConfig is where rows live and how writes reach them.
type StoreConfig struct {
	DataDir          string        // --data-dir: the embedded store and its generated secrets
	DatabaseURL      string        // --database-url: PostgreSQL; the embedded store when empty
	BatchLinger      time.Duration // --batch-linger
	BatchConcurrency int           // --batch-concurrency (PostgreSQL only)
	ProbeInterval    time.Duration // --store-probe-interval: pings of an unreachable store
	WatchInterval    time.Duration // --store-watch-interval: pings of a healthy store
}

func (c *StoreConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory of the embedded store and its generated secrets")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL URL; the embedded SQLite store is used when empty")
	fs.DurationVar(&c.BatchLinger, "batch-linger", time.Millisecond, "under load, how long a group commit may wait for more writes (fewer, larger commits; 0 = never wait)")
	fs.IntVar(&c.BatchConcurrency, "batch-concurrency", 1, "group commits in flight at once (PostgreSQL only: the embedded store has one writer); more helps when the database server has cores of its own, not when it shares the node's")
	fs.DurationVar(&c.ProbeInterval, "store-probe-interval", 250*time.Millisecond, "during a store outage, how often the store is pinged to notice its end")
	fs.DurationVar(&c.WatchInterval, "store-watch-interval", time.Second, "while the store is healthy, how often it is pinged so an outage is noticed without a failed write")
}

// Validate names the store settings the daemon refuses.
func (c StoreConfig) Validate() error {
	var errs []error
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required with the embedded store"))
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("--database-url: want a postgres:// URL"))
		}
	}
	if c.BatchConcurrency < 1 || c.BatchConcurrency > 64 {
		errs = append(errs, fmt.Errorf("--batch-concurrency %d: want 1 to 64", c.BatchConcurrency))
	}
	if c.BatchLinger < 0 || c.BatchLinger > time.Second {
		errs = append(errs, fmt.Errorf("--batch-linger %v: want 0 to 1s", c.BatchLinger))
	}
	errs = append(errs, positive(map[string]time.Duration{"--store-probe-interval": c.ProbeInterval, "--store-watch-interval": c.WatchInterval})...)
	return errors.Join(errs...)
}

// String is the store probes for the start-up log.
func (c StoreConfig) String() string {
	return fmt.Sprintf("probe %v in an outage, watch %v", c.ProbeInterval, c.WatchInterval)
}

// ClusterConfig is this node's identity among others and how nodes reach each other.
type ClusterConfig struct {
	NodeName            string        // --node-name (default: host name)
	RemoteAddr          string        // --remote-addr: the actor remote
	Join                []string      // --join, comma-separated
	GossipAddr          string        // --gossip-addr
	Name                string        // --cluster-name
	GossipKey           string        // --gossip-key (default: derived from TTR_SECRET_KEY)
	GossipProbeInterval time.Duration // --gossip-probe-interval; 0 = memberlist's default here
	GossipProbeTimeout  time.Duration // --gossip-probe-timeout
	GossipSuspicionMult int           // --gossip-suspicion-mult
	JoinSettle          time.Duration // --join-settle: on start, the wait for a first peer before taking checks
	LeaveTimeout        time.Duration // --leave-timeout: on stop, the bound on releasing the lease and leaving
	TLS                 string        // --cluster-tls: on (default) or permit
	TLSCA               string        // operator-supplied cluster CA bundle (PEM)
	TLSCert             string        // this node's leaf (PEM), with --cluster-tls-ca
	TLSKey              string        // the leaf's key (PEM)
}

func (c *ClusterConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.NodeName, "node-name", "", "display name of this node (default: host name)")
	fs.StringVar(&c.RemoteAddr, "remote-addr", "127.0.0.1:0", "actor remote listen address (port 0 = any free port)")
	fs.Var(listFlag{&c.Join}, "join", "comma-separated host:port gossip addresses of cluster members to join (needs --database-url)")
	fs.StringVar(&c.GossipAddr, "gossip-addr", "127.0.0.1:7946", "memberlist listen address (TCP and UDP), with --database-url")
	fs.StringVar(&c.Name, "cluster-name", "ttr", "cluster name: nodes with another name do not merge")
	fs.StringVar(&c.GossipKey, "gossip-key", "", "base64 key (16, 24 or 32 bytes) encrypting gossip (default: derived from TTR_SECRET_KEY); prefer the env variable")
	fs.StringVar(&c.TLS, "cluster-tls", "on", "mutual TLS between nodes: on, or permit (also accepts clear-text peers and gossip; only to upgrade a cluster from a release without TLS)")
	fs.StringVar(&c.TLSCA, "cluster-tls-ca", "", "PEM bundle of the CAs nodes trust, instead of the CA derived from TTR_SECRET_KEY (with --cluster-tls-cert and --cluster-tls-key; re-read when changed)")
	fs.StringVar(&c.TLSCert, "cluster-tls-cert", "", "PEM certificate of this node, naming --cluster-name as a DNS name, for server and client authentication")
	fs.StringVar(&c.TLSKey, "cluster-tls-key", "", "PEM private key of --cluster-tls-cert")
	fs.DurationVar(&c.GossipProbeInterval, "gossip-probe-interval", 0, "failure-detector probe interval (default 200ms)")
	fs.DurationVar(&c.GossipProbeTimeout, "gossip-probe-timeout", 0, "failure-detector probe timeout (default 100ms)")
	fs.IntVar(&c.GossipSuspicionMult, "gossip-suspicion-mult", 0, "failure-detector suspicion multiplier (default 2)")
	fs.DurationVar(&c.JoinSettle, "join-settle", 3*time.Second, "with --join, how long a starting node waits to see a first peer before it takes the node lease and arms the deadlines it owns (0: no wait)")
	fs.DurationVar(&c.LeaveTimeout, "leave-timeout", 2*time.Second, "on shutdown, how long releasing the node lease and announcing the leave to peers may each take")
}

func (c *ClusterConfig) finish(func(string) string) error {
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
	}
	return nil
}

// Validate names the cluster settings the daemon refuses on their own; those that need
// --database-url are checked by Config.Validate.
func (c ClusterConfig) Validate() error {
	var errs []error
	if err := checkHostPort("--remote-addr", c.RemoteAddr); err != nil {
		errs = append(errs, err)
	}
	for _, a := range c.Join {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("--join %q: want host:port", a))
		}
	}
	if _, err := mtls.ParseMode(c.TLS); err != nil {
		errs = append(errs, err)
	}
	if c.JoinSettle < 0 {
		errs = append(errs, fmt.Errorf("--join-settle %v: must not be negative", c.JoinSettle))
	}
	errs = append(errs, positive(map[string]time.Duration{"--leave-timeout": c.LeaveTimeout})...)
	if n := btoi(c.TLSCA != "") + btoi(c.TLSCert != "") + btoi(c.TLSKey != ""); n != 0 && n != 3 {
		errs = append(errs, errors.New("--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key go together"))
	}
	return errors.Join(errs...)
}

// validateGossip checks the gossip listener, which only a cluster (--database-url) opens.
func (c ClusterConfig) validateGossip() error {
	if _, _, err := net.SplitHostPort(c.GossipAddr); err != nil {
		return fmt.Errorf("--gossip-addr %q: want host:port", c.GossipAddr)
	}
	return nil
}

// DeadlinesConfig is the backstop behind the deadline wheel (docs/architecture.md#deadlines).
type DeadlinesConfig struct {
	SweepInterval  time.Duration // --sweep-interval: how often the sweeper asks the store for overdue checks
	SweepSlack     time.Duration // --sweep-slack: how late a wake-up must be before the sweeper pokes it
	RecoverTimeout time.Duration // --recover-timeout: bound on extending and re-arming deadlines after a store outage
}

func (c *DeadlinesConfig) register(fs *flag.FlagSet) {
	fs.DurationVar(&c.SweepInterval, "sweep-interval", 5*time.Second, "how often the sweeper looks for wake-ups the deadline wheel missed")
	fs.DurationVar(&c.SweepSlack, "sweep-slack", 2*time.Second, "how far past its wake-up a check must be before the sweeper pokes it")
	fs.DurationVar(&c.RecoverTimeout, "recover-timeout", 30*time.Second, "bound on extending and re-arming deadlines after a store outage")
}

// Validate names the deadline settings the daemon refuses.
func (c DeadlinesConfig) Validate() error {
	return errors.Join(positive(map[string]time.Duration{"--sweep-interval": c.SweepInterval, "--sweep-slack": c.SweepSlack, "--recover-timeout": c.RecoverTimeout})...)
}

// String is the deadline settings for the start-up log.
func (c DeadlinesConfig) String() string {
	return fmt.Sprintf("sweep every %v for wake-ups %v late, recover within %v", c.SweepInterval, c.SweepSlack, c.RecoverTimeout)
}

// WebConfig is the web UI's cookies and sessions (docs/operations.md "Web UI and sessions").
type WebConfig struct {
	InsecureCookies bool          // allow session cookies without Secure on a non-loopback http:// public URL
	SessionIdle     time.Duration // web sessions end after this long unused
	SessionMaxAge   time.Duration // web sessions end this long after sign-in
	GeoIPDB         string        // --geoip-db: MaxMind country database for status pages' last pings ("" = none)
	PruneEvery      time.Duration // --session-prune-every: removal of expired sessions, slug holds and retired keys
}

func (c *WebConfig) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.InsecureCookies, "insecure-cookies", false, "allow the web UI's session cookie without Secure when --public-url is plain http on a non-loopback address (anyone on the network path can steal sessions)")
	fs.DurationVar(&c.SessionIdle, "session-idle-timeout", 7*24*time.Hour, "a web session not used for this long ends")
	fs.DurationVar(&c.SessionMaxAge, "session-max-age", 30*24*time.Hour, "a web session ends this long after sign-in")
	fs.DurationVar(&c.PruneEvery, "session-prune-every", 10*time.Minute, "how often each node deletes expired web sessions, slug holds and retired keys")
	fs.StringVar(&c.GeoIPDB, "geoip-db", "", "MaxMind country database (.mmdb) giving the country of the last pings a status page shows; empty = no countries")
}

// Validate names the session settings the daemon refuses.
func (c WebConfig) Validate() error {
	var errs []error
	if c.SessionIdle < time.Minute || c.SessionMaxAge < c.SessionIdle {
		errs = append(errs, fmt.Errorf("--session-idle-timeout %v / --session-max-age %v: want at least 1m, and a max age of at least the idle timeout", c.SessionIdle, c.SessionMaxAge))
	}
	if c.PruneEvery < time.Second {
		errs = append(errs, fmt.Errorf("--session-prune-every %v: want at least 1s", c.PruneEvery))
	}
	return errors.Join(errs...)
}

// AlertingConfig is how alerts reach their destinations.
type AlertingConfig struct {
	WebhookAllow     []netip.Prefix    // --webhook-allow-nets
	RetryFor         time.Duration     // --alert-retry-for
	Backoff          time.Duration     // --alert-backoff
	BackoffMax       time.Duration     // --alert-backoff-max
	DispatchInterval time.Duration     // --alert-dispatch-interval: how often the outbox is read for due rows
	DrainTimeout     time.Duration     // --alert-drain-timeout: how long shutdown waits for sends in flight
	PokeTimeout      time.Duration     // --alert-poke-timeout: bound on waking the notifiers of pending rows at start
	FlapChanges      int               // --flap-changes
	FlapWindow       time.Duration     // --flap-window
	FlapSuppress     time.Duration     // --flap-suppress
	TelegramAPIURL   string            // --telegram-api-url
	SMTP             notify.SMTPConfig // --smtp-*; the password from TTR_SMTP_PASSWORD only
	RC               aimd.Config       // adaptive rate control of alert destinations (--rc-*)
}

func (c *AlertingConfig) register(fs *flag.FlagSet) {
	fs.Var(prefixesFlag{p: &c.WebhookAllow}, "webhook-allow-nets", "comma-separated CIDRs webhooks may reach despite SSRF protection, e.g. 127.0.0.0/8")
	fs.DurationVar(&c.RetryFor, "alert-retry-for", 24*time.Hour, "how long a failing alert is retried")
	fs.DurationVar(&c.Backoff, "alert-backoff", 5*time.Second, "first retry gap of a failing alert")
	fs.DurationVar(&c.BackoffMax, "alert-backoff-max", 10*time.Minute, "longest retry gap of a failing alert")
	fs.DurationVar(&c.DispatchInterval, "alert-dispatch-interval", time.Second, "how often the outbox is read for alerts that fell due (a retry after back-off)")
	fs.DurationVar(&c.DrainTimeout, "alert-drain-timeout", 20*time.Second, "at shutdown, how long alert sends in flight may take to finish and record their outcome")
	fs.DurationVar(&c.PokeTimeout, "alert-poke-timeout", 30*time.Second, "at start, bound on waking the notifiers of every destination with pending alerts")
	fs.IntVar(&c.FlapChanges, "flap-changes", 6, "status changes within --flap-window that make a check flapping")
	fs.DurationVar(&c.FlapWindow, "flap-window", 120*time.Second, "window in which flapping changes are counted")
	fs.DurationVar(&c.FlapSuppress, "flap-suppress", 180*time.Second, "how long alerts are held after the latest change of a flapping check")
	fs.StringVar(&c.TelegramAPIURL, "telegram-api-url", "https://api.telegram.org", "Telegram Bot API base URL")
	fs.StringVar(&c.SMTP.Host, "smtp-host", "", "SMTP server for email alerts (email is off when empty); password in env TTR_SMTP_PASSWORD")
	fs.IntVar(&c.SMTP.Port, "smtp-port", 0, "SMTP port (default 587 for starttls, 465 for tls, 25 for none)")
	fs.StringVar(&c.SMTP.Username, "smtp-username", "", "SMTP login")
	fs.StringVar(&c.SMTP.From, "smtp-from", "", "From address of alert emails")
	fs.StringVar(&c.SMTP.TLS, "smtp-tls", "starttls", "starttls, tls (implicit, port 465) or none (local relays only)")
	fs.DurationVar(&c.SMTP.Timeout, "smtp-timeout", 10*time.Second, "bound on one email delivery")
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
		fs.Float64Var(f.p, f.name, *f.p, f.usage)
	}
	fs.DurationVar(&c.RC.BackoffBase, "rc-backoff-base", c.RC.BackoffBase, "first back-off after a 429 without Retry-After")
	fs.DurationVar(&c.RC.BackoffMax, "rc-backoff-max", c.RC.BackoffMax, "longest back-off after repeated 429s")
	fs.DurationVar(&c.RC.ErrorBackoff, "rc-error-backoff", c.RC.ErrorBackoff, "back-off after a 5xx or network error")
	fs.DurationVar(&c.RC.MaxRetryAfter, "rc-max-retry-after", c.RC.MaxRetryAfter, "cap on a receiver's Retry-After")
}

func (c *AlertingConfig) finish(getenv func(string) string) error {
	c.SMTP.Password = getenv("TTR_SMTP_PASSWORD")
	return nil
}

// Validate names the alerting settings the daemon refuses (the SMTP and Telegram settings
// are checked when their senders are built).
func (c AlertingConfig) Validate() error {
	var errs []error
	if c.RetryFor <= 0 || c.Backoff <= 0 || c.BackoffMax < c.Backoff {
		errs = append(errs, errors.New("durations must be positive and --alert-backoff-max ≥ --alert-backoff"))
	}
	errs = append(errs, positive(map[string]time.Duration{"--alert-dispatch-interval": c.DispatchInterval, "--alert-drain-timeout": c.DrainTimeout, "--alert-poke-timeout": c.PokeTimeout})...)
	if err := c.RC.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("rate control (--rc-*): %w", err))
	}
	return errors.Join(errs...)
}

// String is the alert timings for the start-up log.
func (c AlertingConfig) String() string {
	return fmt.Sprintf("retry for %v, back-off %v..%v, dispatch every %v, drain %v, poke within %v", c.RetryFor, c.Backoff, c.BackoffMax, c.DispatchInterval, c.DrainTimeout, c.PokeTimeout)
}

// LogConfig is how ttrd logs, and development mode.
type LogConfig struct {
	Level  string // --log-level
	Format string // --log-format: json, text, or empty (text on a terminal)
	Dev    bool   // --dev: start-up checks warn instead of refusing
}

func (c *LogConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Level, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.Format, "log-format", "", "json or text (default: text on a terminal, json otherwise)")
	fs.BoolVar(&c.Dev, "dev", false, "development mode")
}

// Validate names the log settings the daemon refuses.
func (c LogConfig) Validate() error {
	var errs []error
	if _, err := parseLevel(c.Level); err != nil {
		errs = append(errs, err)
	}
	if c.Format != "" && c.Format != "json" && c.Format != "text" {
		errs = append(errs, fmt.Errorf("--log-format %q: want json or text", c.Format))
	}
	return errors.Join(errs...)
}

// SecretsConfig is the server secrets: from the environment only, never a flag (a process
// list would show it), never logged. Their strength is a start-up check (startup.go).
type SecretsConfig struct {
	EncryptionKeys    string // TTR_ENCRYPTION_KEYS
	SecretKey         string // TTR_SECRET_KEY
	SecretKeyPrevious string // TTR_SECRET_KEY_PREVIOUS: accepted besides SecretKey during a rotation
}

func (c *SecretsConfig) register(*flag.FlagSet) {}

func (c *SecretsConfig) finish(getenv func(string) string) error {
	c.EncryptionKeys = getenv("TTR_ENCRYPTION_KEYS")
	c.SecretKey = getenv("TTR_SECRET_KEY")
	c.SecretKeyPrevious = getenv("TTR_SECRET_KEY_PREVIOUS")
	return nil
}

// Validate accepts any secrets: they are judged by the start-up checks, which development
// mode may relax.
func (c SecretsConfig) Validate() error { return nil }

// checkHostPort refuses an address that is not host:port with a valid port.
func checkHostPort(name, addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s %q: want host:port", name, addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%s %q: bad port", name, addr)
	}
	return nil
}

// positive names each duration that is not above zero, in the order of the flags' names.
func positive(ds map[string]time.Duration) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(ds)) {
		if d := ds[name]; d <= 0 {
			errs = append(errs, fmt.Errorf("%s %v: must be positive", name, d))
		}
	}
	return errs
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// listFlag is a comma-separated list flag; a later value (the command line after the
// environment) replaces an earlier one.
type listFlag struct{ p *[]string }

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l listFlag) Set(s string) error { *l.p = splitList(s); return nil }

// prefixesFlag is a comma-separated list of CIDRs (and, with addrs, single addresses).
type prefixesFlag struct {
	p     *[]netip.Prefix
	addrs bool
}

func (f prefixesFlag) String() string {
	if f.p == nil {
		return ""
	}
	s := make([]string, len(*f.p))
	for i, p := range *f.p {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (f prefixesFlag) Set(v string) error {
	var out []netip.Prefix
	for _, s := range splitList(v) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if !f.addrs {
				return fmt.Errorf("%q is not a CIDR", s)
			} else if aerr != nil {
				return fmt.Errorf("%q is not a CIDR or an address", s)
			}
			p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	*f.p = out
	return nil
}
