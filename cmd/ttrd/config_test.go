package main

import (
	"flag"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/ratelimit"
)

// flagCase is one flag: a value other than its default, other flags it needs to be accepted,
// and the change the value (with those flags) makes to the default configuration.
type flagCase struct {
	flag, value string
	needs       []string // further arguments the value needs (given as flags in both runs)
	needsEnv    map[string]string
	want        func(c *Config)
}

const testInternalToken = "0123456789abcdef-internal"

var prefixes = func(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// flagCases holds every flag of ttrd; TestEveryFlag fails when a flag has no case.
var flagCases = []flagCase{
	// HTTP
	{flag: "http-addr", value: "127.0.0.1:9090", want: func(c *Config) { c.HTTP.Addr, c.HTTP.PublicURL = "127.0.0.1:9090", "http://127.0.0.1:9090" }},
	{flag: "public-url", value: "https://ttr.example/", want: func(c *Config) { c.HTTP.PublicURL = "https://ttr.example" }},
	{flag: "ping-body-limit", value: "500", want: func(c *Config) { c.HTTP.PingBodyLimit = 500 }},
	{flag: "internal-addr", value: "127.0.0.1:9100", want: func(c *Config) { c.HTTP.InternalAddr = "127.0.0.1:9100" }},
	{flag: "internal-token", value: testInternalToken, want: func(c *Config) { c.HTTP.InternalToken = testInternalToken }},
	{flag: "shutdown-delay", value: "3s", want: func(c *Config) { c.HTTP.ShutdownDelay = 3 * time.Second }},
	{flag: "http-drain-timeout", value: "7s", want: func(c *Config) { c.HTTP.DrainTimeout = 7 * time.Second }},
	{flag: "http-read-header-timeout", value: "4s", want: func(c *Config) { c.HTTP.ReadHeaderTimeout = 4 * time.Second }},
	{flag: "http-read-timeout", value: "11s", want: func(c *Config) { c.HTTP.ReadTimeout = 11 * time.Second }},
	{flag: "http-write-timeout", value: "12s", want: func(c *Config) { c.HTTP.WriteTimeout = 12 * time.Second }},
	{flag: "http-idle-timeout", value: "13s", want: func(c *Config) { c.HTTP.IdleTimeout = 13 * time.Second }},
	// Store
	{flag: "data-dir", value: "/var/lib/ttr", want: func(c *Config) { c.Store.DataDir = "/var/lib/ttr" }},
	{flag: "database-url", value: "postgres://db/ttr", want: func(c *Config) { c.Store.DatabaseURL = "postgres://db/ttr" }},
	{flag: "batch-linger", value: "5ms", want: func(c *Config) { c.Store.BatchLinger = 5 * time.Millisecond }},
	{flag: "batch-concurrency", value: "4", want: func(c *Config) { c.Store.BatchConcurrency = 4 }},
	{flag: "store-probe-interval", value: "100ms", want: func(c *Config) { c.Store.ProbeInterval = 100 * time.Millisecond }},
	{flag: "store-watch-interval", value: "3s", want: func(c *Config) { c.Store.WatchInterval = 3 * time.Second }},
	// Cluster
	{flag: "node-name", value: "n1", want: func(c *Config) { c.Cluster.NodeName = "n1" }},
	{flag: "remote-addr", value: "127.0.0.1:7000", want: func(c *Config) { c.Cluster.RemoteAddr = "127.0.0.1:7000" }},
	{flag: "join", value: "10.0.0.1:7946, 10.0.0.2:7946,", needs: []string{"--database-url", "postgres://db/ttr"},
		want: func(c *Config) {
			c.Cluster.Join, c.Store.DatabaseURL = []string{"10.0.0.1:7946", "10.0.0.2:7946"}, "postgres://db/ttr"
		}},
	{flag: "gossip-addr", value: "0.0.0.0:7947", want: func(c *Config) { c.Cluster.GossipAddr = "0.0.0.0:7947" }},
	{flag: "cluster-name", value: "prod", want: func(c *Config) { c.Cluster.Name = "prod" }},
	{flag: "gossip-key", value: "a2V5", want: func(c *Config) { c.Cluster.GossipKey = "a2V5" }},
	{flag: "gossip-probe-interval", value: "1s", want: func(c *Config) { c.Cluster.GossipProbeInterval = time.Second }},
	{flag: "gossip-probe-timeout", value: "500ms", want: func(c *Config) { c.Cluster.GossipProbeTimeout = 500 * time.Millisecond }},
	{flag: "gossip-suspicion-mult", value: "4", want: func(c *Config) { c.Cluster.GossipSuspicionMult = 4 }},
	{flag: "join-settle", value: "0s", want: func(c *Config) { c.Cluster.JoinSettle = 0 }},
	{flag: "leave-timeout", value: "5s", want: func(c *Config) { c.Cluster.LeaveTimeout = 5 * time.Second }},
	{flag: "cluster-tls", value: "permit", want: func(c *Config) { c.Cluster.TLS = "permit" }},
	{flag: "cluster-tls-ca", value: "ca.pem", needs: []string{"--cluster-tls-cert", "n.pem", "--cluster-tls-key", "n.key"},
		want: func(c *Config) { c.Cluster.TLSCA, c.Cluster.TLSCert, c.Cluster.TLSKey = "ca.pem", "n.pem", "n.key" }},
	{flag: "cluster-tls-cert", value: "n.pem", needs: []string{"--cluster-tls-ca", "ca.pem", "--cluster-tls-key", "n.key"},
		want: func(c *Config) { c.Cluster.TLSCA, c.Cluster.TLSCert, c.Cluster.TLSKey = "ca.pem", "n.pem", "n.key" }},
	{flag: "cluster-tls-key", value: "n.key", needs: []string{"--cluster-tls-ca", "ca.pem", "--cluster-tls-cert", "n.pem"},
		want: func(c *Config) { c.Cluster.TLSCA, c.Cluster.TLSCert, c.Cluster.TLSKey = "ca.pem", "n.pem", "n.key" }},
	// Deadlines
	{flag: "sweep-interval", value: "9s", want: func(c *Config) { c.Deadlines.SweepInterval = 9 * time.Second }},
	{flag: "sweep-slack", value: "1s", want: func(c *Config) { c.Deadlines.SweepSlack = time.Second }},
	{flag: "recover-timeout", value: "1m", want: func(c *Config) { c.Deadlines.RecoverTimeout = time.Minute }},
	// Web
	{flag: "insecure-cookies", value: "true", want: func(c *Config) { c.Web.InsecureCookies = true }},
	{flag: "session-idle-timeout", value: "2h", want: func(c *Config) { c.Web.SessionIdle = 2 * time.Hour }},
	{flag: "session-max-age", value: "200h", want: func(c *Config) { c.Web.SessionMaxAge = 200 * time.Hour }},
	{flag: "geoip-db", value: "/var/lib/GeoLite2-Country.mmdb", want: func(c *Config) { c.Web.GeoIPDB = "/var/lib/GeoLite2-Country.mmdb" }},
	{flag: "session-prune-every", value: "1m", want: func(c *Config) { c.Web.PruneEvery = time.Minute }},
	// Alerting
	{flag: "webhook-allow-nets", value: "127.0.0.1/8, 10.1.0.0/16", want: func(c *Config) { c.Alerting.WebhookAllow = prefixes("127.0.0.0/8", "10.1.0.0/16") }},
	{flag: "alert-retry-for", value: "1h", want: func(c *Config) { c.Alerting.RetryFor = time.Hour }},
	{flag: "alert-backoff", value: "1s", want: func(c *Config) { c.Alerting.Backoff = time.Second }},
	{flag: "alert-backoff-max", value: "1m", want: func(c *Config) { c.Alerting.BackoffMax = time.Minute }},
	{flag: "alert-dispatch-interval", value: "2s", want: func(c *Config) { c.Alerting.DispatchInterval = 2 * time.Second }},
	{flag: "alert-drain-timeout", value: "5s", want: func(c *Config) { c.Alerting.DrainTimeout = 5 * time.Second }},
	{flag: "alert-poke-timeout", value: "10s", want: func(c *Config) { c.Alerting.PokeTimeout = 10 * time.Second }},
	{flag: "flap-changes", value: "3", want: func(c *Config) { c.Alerting.FlapChanges = 3 }},
	{flag: "flap-window", value: "1m", want: func(c *Config) { c.Alerting.FlapWindow = time.Minute }},
	{flag: "flap-suppress", value: "1m", want: func(c *Config) { c.Alerting.FlapSuppress = time.Minute }},
	{flag: "telegram-api-url", value: "http://127.0.0.1:1", want: func(c *Config) { c.Alerting.TelegramAPIURL = "http://127.0.0.1:1" }},
	{flag: "smtp-host", value: "mail.example", want: func(c *Config) { c.Alerting.SMTP.Host = "mail.example" }},
	{flag: "smtp-port", value: "2525", want: func(c *Config) { c.Alerting.SMTP.Port = 2525 }},
	{flag: "smtp-username", value: "ttr", want: func(c *Config) { c.Alerting.SMTP.Username = "ttr" }},
	{flag: "smtp-from", value: "ttr <a@example.com>", want: func(c *Config) { c.Alerting.SMTP.From = "ttr <a@example.com>" }},
	{flag: "smtp-tls", value: "tls", want: func(c *Config) { c.Alerting.SMTP.TLS = "tls" }},
	{flag: "smtp-timeout", value: "3s", want: func(c *Config) { c.Alerting.SMTP.Timeout = 3 * time.Second }},
	{flag: "rc-start-rps", value: "1", want: func(c *Config) { c.Alerting.RC.StartRPS = 1 }},
	{flag: "rc-min-rps", value: "0.2", want: func(c *Config) { c.Alerting.RC.MinRPS = 0.2 }},
	{flag: "rc-max-rps", value: "3", want: func(c *Config) { c.Alerting.RC.MaxRPS = 3 }},
	{flag: "rc-ai-step", value: "0.1", want: func(c *Config) { c.Alerting.RC.AIStep = 0.1 }},
	{flag: "rc-burst", value: "6", want: func(c *Config) { c.Alerting.RC.Burst = 6 }},
	{flag: "rc-min-burst", value: "2", want: func(c *Config) { c.Alerting.RC.MinBurst = 2 }},
	{flag: "rc-burst-step", value: "0.5", want: func(c *Config) { c.Alerting.RC.BurstStep = 0.5 }},
	{flag: "rc-429-factor", value: "0.4", want: func(c *Config) { c.Alerting.RC.RateLimitFactor = 0.4 }},
	{flag: "rc-error-factor", value: "0.7", want: func(c *Config) { c.Alerting.RC.ErrorFactor = 0.7 }},
	{flag: "rc-backoff-base", value: "3s", want: func(c *Config) { c.Alerting.RC.BackoffBase = 3 * time.Second }},
	{flag: "rc-backoff-max", value: "6m", want: func(c *Config) { c.Alerting.RC.BackoffMax = 6 * time.Minute }},
	{flag: "rc-error-backoff", value: "4s", want: func(c *Config) { c.Alerting.RC.ErrorBackoff = 4 * time.Second }},
	{flag: "rc-max-retry-after", value: "2h", want: func(c *Config) { c.Alerting.RC.MaxRetryAfter = 2 * time.Hour }},
	// Log
	{flag: "log-level", value: "debug", want: func(c *Config) { c.Log.Level = "debug" }},
	{flag: "log-format", value: "text", want: func(c *Config) { c.Log.Format = "text" }},
	{flag: "dev", value: "true", want: func(c *Config) { c.Log.Dev = true }},
	// Abuse
	{flag: "limit-signup", value: "3", want: func(c *Config) { c.Abuse.Limits.SignUp = ratelimit.PerHour(3) }},
	{flag: "limit-auth-fail", value: "2", want: func(c *Config) { c.Abuse.Limits.AuthFail = ratelimit.PerMinute(2) }},
	{flag: "limit-admin-signin", value: "4", want: func(c *Config) { c.Abuse.Limits.AdminSignIn = ratelimit.PerHour(4) }},
	{flag: "limit-test-send", value: "0", want: func(c *Config) { c.Abuse.Limits.TestSend = ratelimit.Limit{} }},
	{flag: "limit-api-credential", value: "7", want: func(c *Config) { c.Abuse.Limits.APICredential = ratelimit.PerSecond(7, 200) }},
	{flag: "limit-api-credential-burst", value: "9", want: func(c *Config) { c.Abuse.Limits.APICredential = ratelimit.PerSecond(50, 9) }},
	{flag: "limit-api-ip", value: "8", want: func(c *Config) { c.Abuse.Limits.APIIP = ratelimit.PerSecond(8, 200) }},
	{flag: "limit-api-ip-burst", value: "10", want: func(c *Config) { c.Abuse.Limits.APIIP = ratelimit.PerSecond(100, 10) }},
	{flag: "limit-ping-check", value: "0", want: func(c *Config) { c.Abuse.PingCheck = ratelimit.Limit{} }},
	{flag: "limit-ping-check-burst", value: "5", want: func(c *Config) { c.Abuse.PingCheck = ratelimit.PerSecond(20, 5) }},
	{flag: "limit-ping-ip", value: "5", want: func(c *Config) { c.Abuse.Limits.PingIP = ratelimit.PerSecond(5, 1) }},
	{flag: "limit-ping-ip-burst", value: "7", needs: []string{"--limit-ping-ip", "5"}, want: func(c *Config) { c.Abuse.Limits.PingIP = ratelimit.PerSecond(5, 7) }},
	{flag: "limit-alert-host", value: "2", want: func(c *Config) { c.Abuse.AlertHost = ratelimit.PerSecond(2, 20) }},
	{flag: "limit-alert-host-burst", value: "3", want: func(c *Config) { c.Abuse.AlertHost = ratelimit.PerSecond(20, 3) }},
	{flag: "limit-rule-budget", value: "50ms", want: func(c *Config) { c.Abuse.RuleBudget = 50 * time.Millisecond }},
	{flag: "quota-checks", value: "0", want: func(c *Config) { c.Abuse.Quotas.Checks = 0 }},
	{flag: "quota-status-pages", value: "7", want: func(c *Config) { c.Abuse.Quotas.StatusPages = 7 }},
	{flag: "quota-api-tokens", value: "4", want: func(c *Config) { c.Abuse.Quotas.APITokens = 4 }},
	{flag: "hsts", value: "true", needs: []string{"--public-url", "https://ttr.example"},
		want: func(c *Config) { c.Abuse.HSTS, c.HTTP.PublicURL = true, "https://ttr.example" }},
	{flag: "trust-proxy", value: "10.0.0.0/8, 192.0.2.5, ::ffff:192.0.2.6", want: func(c *Config) {
		c.Abuse.Limits.TrustProxy = prefixes("10.0.0.0/8", "192.0.2.5/32", "192.0.2.6/32")
	}},
	// Cleanup
	{flag: "cleanup-inactive-days", value: "14", want: func(c *Config) { c.Cleanup.InactiveDays = 14 }},
	{flag: "cleanup-max-share", value: "0.25", want: func(c *Config) { c.Cleanup.MaxShare = 0.25 }},
	{flag: "cleanup-force", value: "true", want: func(c *Config) { c.Cleanup.Force = true }},
	{flag: "cleanup-every", value: "2h", want: func(c *Config) { c.Cleanup.Every = 2 * time.Hour }},
	{flag: "cleanup-first-run", value: "5s", want: func(c *Config) { c.Cleanup.FirstRun = 5 * time.Second }},
	// Retention
	{flag: "ping-log-limit", value: "5000", want: func(c *Config) { c.Retention.PingLogLimit = 5000 }},
	{flag: "ping-dedupe-window", value: "50", want: func(c *Config) { c.Retention.DedupeWindow = 50 }},
	{flag: "retention-flips-days", value: "0", want: func(c *Config) { c.Retention.FlipsDays = 0 }},
	{flag: "retention-outbox-days", value: "7", want: func(c *Config) { c.Retention.OutboxDays = 7 }},
	{flag: "retention-activity-days", value: "365", want: func(c *Config) { c.Retention.ActivityDays = 365 }},
	{flag: "retention-every", value: "10m", want: func(c *Config) { c.Retention.Every = 10 * time.Minute }},
	{flag: "retention-duty", value: "0.5", want: func(c *Config) { c.Retention.MaxDutyCycle = 0.5 }},
	// Login with Telegram
	{flag: "telegram-login-bot-name", value: "ttr_login_bot", needsEnv: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": testBotToken},
		want: func(c *Config) { c.TelegramLogin.BotName, c.TelegramLogin.BotToken = "ttr_login_bot", testBotToken }},
	// Imports
	{flag: "import-hc-timeout", value: "1m", want: func(c *Config) { c.Import.HCTimeout = time.Minute }},
	{flag: "import-hc-servers", value: "https://hc.example/, http://127.0.0.1:8000", want: func(c *Config) {
		c.Import.HCServers = []string{"https://hc.example", "http://127.0.0.1:8000"}
	}},
}

func parseWith(args []string, env map[string]string) (Config, error) {
	return parseConfig("ttrd", args, func(k string) string { return env[k] })
}

// TestEveryFlag: each flag, given on the command line or in its TTR_* variable, changes
// exactly its setting of the default configuration, and the command line wins.
func TestEveryFlag(t *testing.T) {
	var c Config
	covered := map[string]bool{}
	for _, tc := range flagCases {
		covered[tc.flag] = true
	}
	newFlagSet("ttrd", &c).VisitAll(func(f *flag.Flag) {
		if !covered[f.Name] {
			t.Errorf("--%s has no case in flagCases", f.Name)
		}
		if want := "(env " + envName(f.Name) + ")"; !strings.Contains(f.Usage, want) {
			t.Errorf("--%s: usage %q does not name %s", f.Name, f.Usage, want)
		}
	})
	for _, tc := range flagCases {
		for _, via := range []string{"flag", "env"} {
			t.Run(tc.flag+"/"+via, func(t *testing.T) {
				want, err := parseWith(nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				tc.want(&want)
				if def, _ := parseWith(nil, nil); reflect.DeepEqual(def, want) {
					t.Fatalf("the case's value %q is the default", tc.value)
				}
				env := map[string]string{}
				for k, v := range tc.needsEnv {
					env[k] = v
				}
				args := append([]string(nil), tc.needs...)
				if via == "flag" {
					args = append(args, "--"+tc.flag+"="+tc.value)
				} else {
					env[envName(tc.flag)] = tc.value
				}
				got, err := parseWith(args, env)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("--%s=%q:\n got  %+v\n want %+v", tc.flag, tc.value, got, want)
				}
			})
		}
	}
	t.Run("the command line wins over the environment", func(t *testing.T) {
		got, err := parseWith([]string{"--node-name", "flag"}, map[string]string{"TTR_NODE_NAME": "env", "TTR_CLUSTER_NAME": "env"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Cluster.NodeName != "flag" || got.Cluster.Name != "env" {
			t.Errorf("node name %q, cluster name %q", got.Cluster.NodeName, got.Cluster.Name)
		}
	})
}

// TestEnvironmentOnly: secrets come from the environment and have no flag.
func TestEnvironmentOnly(t *testing.T) {
	env := map[string]string{
		"TTR_ENCRYPTION_KEYS": "k1:key", "TTR_SECRET_KEY": "secret", "TTR_SECRET_KEY_PREVIOUS": "previous",
		"TTR_SMTP_PASSWORD": "smtp", "TTR_TELEGRAM_LOGIN_BOT_TOKEN": testBotToken, "TTR_TELEGRAM_LOGIN_BOT_NAME": "ttr_login_bot",
	}
	c, err := parseWith(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Secrets != (SecretsConfig{EncryptionKeys: "k1:key", SecretKey: "secret", SecretKeyPrevious: "previous"}) ||
		c.Alerting.SMTP.Password != "smtp" || c.TelegramLogin.BotToken != testBotToken {
		t.Errorf("secrets %+v, smtp password %q, bot token %q", c.Secrets, c.Alerting.SMTP.Password, c.TelegramLogin.BotToken)
	}
	for _, name := range []string{"encryption-keys", "secret-key", "secret-key-previous", "smtp-password", "telegram-login-bot-token"} {
		if _, err := parseWith([]string{"--" + name, "x"}, nil); err == nil || !strings.Contains(err.Error(), "flag provided but not defined") {
			t.Errorf("--%s: err = %v, want an unknown flag", name, err)
		}
	}
}

// TestRefusals: every value the daemon refuses, with the message naming it.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		// parsing
		{name: "unknown flag", args: []string{"--no-such-flag"}, wantErr: "flag provided but not defined"},
		{name: "an argument", args: []string{"serve-more"}, wantErr: `unexpected argument "serve-more"`},
		{name: "bad flag value", args: []string{"--smtp-port", "abc"}, wantErr: `invalid value "abc" for flag -smtp-port`},
		{name: "bad env value", env: map[string]string{"TTR_SMTP_PORT": "abc"}, wantErr: `TTR_SMTP_PORT="abc"`},
		{name: "bad env duration", env: map[string]string{"TTR_SWEEP_INTERVAL": "often"}, wantErr: `TTR_SWEEP_INTERVAL="often"`},
		// HTTP
		{name: "http-addr without port", args: []string{"--http-addr", "localhost"}, wantErr: `--http-addr "localhost": want host:port`},
		{name: "http-addr bad port", args: []string{"--http-addr", "127.0.0.1:99999"}, wantErr: `--http-addr "127.0.0.1:99999": bad port`},
		{name: "internal-addr without port", args: []string{"--internal-addr", "localhost"}, wantErr: `--internal-addr "localhost": want host:port`},
		{name: "public-url not http", args: []string{"--public-url", "ftp://x"}, wantErr: "--public-url \"ftp://x\": want an http(s) URL"},
		{name: "public-url without host", args: []string{"--public-url", "https://"}, wantErr: "want an http(s) URL"},
		{name: "negative ping-body-limit", args: []string{"--ping-body-limit", "-1"}, wantErr: "--ping-body-limit -1: want 0..10485760"},
		{name: "huge ping-body-limit", args: []string{"--ping-body-limit", "10485761"}, wantErr: "--ping-body-limit 10485761"},
		{name: "internal listener on a network without a token", args: []string{"--internal-addr", "0.0.0.0:9100"}, wantErr: "needs --internal-token"},
		{name: "short internal token", args: []string{"--internal-token", "short"}, wantErr: "--internal-token must be at least 16 characters"},
		{name: "placeholder internal token", args: []string{"--internal-token", "CHANGE_ME_CHANGE_ME_1"}, wantErr: "not a placeholder"},
		{name: "negative shutdown-delay", args: []string{"--shutdown-delay", "-1s"}, wantErr: "--shutdown-delay -1s: must not be negative"},
		{name: "zero http-drain-timeout", args: []string{"--http-drain-timeout", "0"}, wantErr: "--http-drain-timeout 0s: must be positive"},
		{name: "zero http-read-header-timeout", args: []string{"--http-read-header-timeout", "0"}, wantErr: "--http-read-header-timeout 0s: must be positive"},
		{name: "zero http-read-timeout", args: []string{"--http-read-timeout", "0"}, wantErr: "--http-read-timeout 0s: must be positive"},
		{name: "zero http-write-timeout", args: []string{"--http-write-timeout", "0"}, wantErr: "--http-write-timeout 0s: must be positive"},
		{name: "zero http-idle-timeout", args: []string{"--http-idle-timeout", "0"}, wantErr: "--http-idle-timeout 0s: must be positive"},
		// Store
		{name: "no data-dir", args: []string{"--data-dir", ""}, wantErr: "--data-dir is required"},
		{name: "database-url not postgres", args: []string{"--database-url", "mysql://db"}, wantErr: "--database-url: want a postgres:// URL"},
		{name: "zero batch-concurrency", args: []string{"--batch-concurrency", "0"}, wantErr: "--batch-concurrency 0: want 1 to 64"},
		{name: "huge batch-concurrency", args: []string{"--batch-concurrency", "65"}, wantErr: "--batch-concurrency 65"},
		{name: "negative batch-linger", args: []string{"--batch-linger", "-1ms"}, wantErr: "--batch-linger -1ms: want 0 to 1s"},
		{name: "long batch-linger", args: []string{"--batch-linger", "2s"}, wantErr: "--batch-linger 2s"},
		{name: "zero store-probe-interval", args: []string{"--store-probe-interval", "0"}, wantErr: "--store-probe-interval 0s: must be positive"},
		{name: "zero store-watch-interval", args: []string{"--store-watch-interval", "0"}, wantErr: "--store-watch-interval 0s: must be positive"},
		// Cluster
		{name: "remote-addr without port", args: []string{"--remote-addr", "x"}, wantErr: `--remote-addr "x": want host:port`},
		{name: "join without a store to share", args: []string{"--join", "10.0.0.1:7946"}, wantErr: "--join needs --database-url"},
		{name: "join entry without port", args: []string{"--join", "10.0.0.1", "--database-url", "postgres://db/ttr"}, wantErr: `--join "10.0.0.1": want host:port`},
		{name: "gossip-addr without port", args: []string{"--gossip-addr", "x", "--database-url", "postgres://db/ttr"}, wantErr: `--gossip-addr "x": want host:port`},
		{name: "cluster-tls unknown", args: []string{"--cluster-tls", "off"}, wantErr: "off"},
		{name: "negative join-settle", args: []string{"--join-settle", "-1s"}, wantErr: "--join-settle -1s: must not be negative"},
		{name: "zero leave-timeout", args: []string{"--leave-timeout", "0"}, wantErr: "--leave-timeout 0s: must be positive"},
		{name: "cluster-tls files alone", args: []string{"--cluster-tls-ca", "ca.pem"}, wantErr: "--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key go together"},
		// Deadlines
		{name: "zero sweep-interval", args: []string{"--sweep-interval", "0"}, wantErr: "--sweep-interval 0s: must be positive"},
		{name: "zero sweep-slack", args: []string{"--sweep-slack", "0"}, wantErr: "--sweep-slack 0s: must be positive"},
		{name: "zero recover-timeout", args: []string{"--recover-timeout", "0"}, wantErr: "--recover-timeout 0s: must be positive"},
		// Web
		{name: "short session-idle-timeout", args: []string{"--session-idle-timeout", "30s"}, wantErr: "--session-idle-timeout 30s"},
		{name: "session-max-age below idle", args: []string{"--session-max-age", "1h"}, wantErr: "a max age of at least the idle timeout"},
		{name: "session-prune-every too short", args: []string{"--session-prune-every", "10ms"}, wantErr: "--session-prune-every 10ms: want at least 1s"},
		// Alerting
		{name: "webhook-allow-nets not a CIDR", args: []string{"--webhook-allow-nets", "10.0.0.1"}, wantErr: `"10.0.0.1" is not a CIDR`},
		{name: "zero alert-retry-for", args: []string{"--alert-retry-for", "0"}, wantErr: "durations must be positive"},
		{name: "zero alert-backoff", args: []string{"--alert-backoff", "0"}, wantErr: "durations must be positive"},
		{name: "alert-backoff-max below alert-backoff", args: []string{"--alert-backoff-max", "1s"}, wantErr: "--alert-backoff-max ≥ --alert-backoff"},
		{name: "zero alert-dispatch-interval", args: []string{"--alert-dispatch-interval", "0"}, wantErr: "--alert-dispatch-interval 0s: must be positive"},
		{name: "zero alert-drain-timeout", args: []string{"--alert-drain-timeout", "0"}, wantErr: "--alert-drain-timeout 0s: must be positive"},
		{name: "zero alert-poke-timeout", args: []string{"--alert-poke-timeout", "0"}, wantErr: "--alert-poke-timeout 0s: must be positive"},
		{name: "rate control out of bounds", args: []string{"--rc-start-rps", "5"}, wantErr: "rate control (--rc-*): aimd: StartRPS"},
		// Log
		{name: "log-level unknown", args: []string{"--log-level", "loud"}, wantErr: `--log-level "loud": want debug, info, warn or error`},
		{name: "log-format unknown", args: []string{"--log-format", "xml"}, wantErr: `--log-format "xml": want json or text`},
		// Abuse
		{name: "negative limit", args: []string{"--limit-test-send", "-1"}, wantErr: "--limit-test-send: must not be negative"},
		{name: "negative burst", args: []string{"--limit-api-ip-burst", "-1"}, wantErr: "--limit-api-ip: must not be negative"},
		{name: "infinite edge limit", args: []string{"--limit-api-ip", "+Inf"}, wantErr: "rate must be finite"},
		{name: "infinite ping limit", args: []string{"--limit-ping-check", "+Inf"}, wantErr: "--limit-ping-check: rate must be finite"},
		{name: "negative quota", args: []string{"--quota-checks", "-1"}, wantErr: "--quota-*: must not be negative"},
		{name: "negative rule budget", args: []string{"--limit-rule-budget", "-1ms"}, wantErr: "--limit-rule-budget: must not be negative"},
		{name: "trust-proxy not a network", args: []string{"--trust-proxy", "proxy.example"}, wantErr: `"proxy.example" is not a CIDR or an address`},
		{name: "hsts over http", args: []string{"--hsts"}, wantErr: "--hsts needs an https --public-url"},
		// Cleanup
		{name: "negative cleanup days", args: []string{"--cleanup-inactive-days", "-1"}, wantErr: "--cleanup-inactive-days -1"},
		{name: "cleanup days beyond a century", args: []string{"--cleanup-inactive-days", "36501"}, wantErr: "--cleanup-inactive-days 36501"},
		{name: "zero cleanup share", args: []string{"--cleanup-max-share", "0"}, wantErr: "--cleanup-max-share 0"},
		{name: "cleanup share above one", args: []string{"--cleanup-max-share", "2"}, wantErr: "--cleanup-max-share 2"},
		{name: "frequent cleanup", args: []string{"--cleanup-every", "59s"}, wantErr: "--cleanup-every 59s: want at least 1m"},
		{name: "an instant first cleanup", args: []string{"--cleanup-first-run", "0s"}, wantErr: "--cleanup-first-run 0s: want 1s to 24h"},
		// Retention
		{name: "negative ping log limit", args: []string{"--ping-log-limit", "-1"}, wantErr: "--ping-log-limit -1"},
		{name: "dedupe window above the limit", args: []string{"--ping-log-limit", "10"}, wantErr: "--ping-dedupe-window 100: want 1 to --ping-log-limit (10)"},
		{name: "zero dedupe window", args: []string{"--ping-dedupe-window", "0"}, wantErr: "--ping-dedupe-window 0"},
		{name: "negative retention days", args: []string{"--retention-outbox-days", "-3"}, wantErr: "--retention-outbox-days -3"},
		{name: "zero retention duty", args: []string{"--retention-duty", "0"}, wantErr: "--retention-duty 0"},
		{name: "frequent retention", args: []string{"--retention-every", "10ms"}, wantErr: "--retention-every 10ms"},
		// Login with Telegram
		{name: "bot name without token", args: []string{"--telegram-login-bot-name", "ttr_login_bot"}, wantErr: "needs the bot's token in TTR_TELEGRAM_LOGIN_BOT_TOKEN"},
		{name: "token without bot name", env: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": testBotToken}, wantErr: "without --telegram-login-bot-name"},
		{name: "bad bot name", args: []string{"--telegram-login-bot-name", "ttr login"}, env: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": testBotToken}, wantErr: `--telegram-login-bot-name "ttr login"`},
		{name: "bad bot token", args: []string{"--telegram-login-bot-name", "ttr_login_bot"}, env: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": "wrong"}, wantErr: "bot token is not of the form"},
		// Imports
		{name: "import server not http", args: []string{"--import-hc-servers", "ftp://hc.example"}, wantErr: `--import-hc-servers: "ftp://hc.example"`},
		{name: "zero import-hc-timeout", args: []string{"--import-hc-timeout", "0"}, wantErr: "--import-hc-timeout 0s: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWith(tt.args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		_, err := parseWith([]string{"--log-level", "loud", "--sweep-interval", "0", "--cleanup-every", "1s"}, nil)
		for _, want := range []string{"--log-level", "--sweep-interval", "--cleanup-every"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to name %s", err, want)
			}
		}
	})
}

func ExampleConfig_groups() {
	var c Config
	for _, g := range c.groups() {
		fmt.Printf("%T\n", g)
	}
	// Output:
	// *main.HTTPConfig
	// *main.StoreConfig
	// *main.ClusterConfig
	// *main.DeadlinesConfig
	// *main.WebConfig
	// *main.AlertingConfig
	// *main.LogConfig
	// *main.AbuseConfig
	// *main.CleanupConfig
	// *main.RetentionConfig
	// *main.TelegramLoginConfig
	// *main.ImportConfig
	// *main.SecretsConfig
}
