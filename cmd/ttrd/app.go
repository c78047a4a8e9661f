package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/actors/census"
	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/actors/deadlines"
	"github.com/ttr-rip/ttr/actors/health"
	"github.com/ttr-rip/ttr/actors/limiter"
	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/cmd/ttrd/internal/preflight"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/promreg"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/postgres"
	"github.com/ttr-rip/ttr/persistence/sqlite"
)

// Main is one ttrd process: Start wires and starts everything, Shutdown drains and stops it
// in the order docs/architecture.md#lifecycle gives, Close releases what Start acquired on failure.
type Main struct {
	cfg Config
	log *slog.Logger
	out io.Writer // the one line a user waits for (the URL); logs go to log

	store      persistence.Store
	ring       *keyring.Ring
	reg        *prometheus.Registry
	node       *cluster.Node
	membership cluster.Membership
	ms         *cluster.Memberlist                // cluster mode only
	msReady    atomic.Pointer[cluster.Memberlist] // ms, for the remote's dialer goroutines
	lease      *cluster.Lease                     // cluster mode only
	stall      *cluster.StallDetector
	fenced     atomic.Bool
	suspicion  time.Duration // the stall detector's threshold
	notifyWork sync.WaitGroup
	// reconcileMu serialises topology reconciliation (the topology loop and fence).
	reconcileMu sync.Mutex
	router      *cluster.Router
	monitor     *health.Monitor
	batcher     *batcher.Batcher
	deadlines   *deadlines.Service // the wheel, the sweeper and the passes that arm them
	census      *census.Checks     // ttr_checks: the checks this node owns, by status
	depth       *census.Outbox     // ttr_outbox_depth: the rows its notifiers hold
	dispatcher  *notify.Dispatcher
	public      *http.Server
	internal    *http.Server
	publicH     lateHandler // the public server's handler: 503 "starting" until serve sets it
	internalH   lateHandler // the internal server's (its server is nil without --internal-addr)

	ready    atomic.Bool
	draining atomic.Bool
	cleanup  []func() // LIFO
	once     sync.Once
}

// NewMain returns a Main for cfg that logs to w and prints its URL to out.
func NewMain(cfg Config, w, out io.Writer) *Main {
	level, _ := parseLevel(cfg.Log.Level)
	format := cfg.Log.Format
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	var h slog.Handler = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	if format == "text" {
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	}
	return &Main{cfg: cfg, log: slog.New(h), out: out}
}

func (m *Main) defer_(f func()) { m.cleanup = append(m.cleanup, f) }

// service is the lifecycle every long-lived service has (docs/architecture.md#lifecycle).
type service interface {
	Start(ctx context.Context) error
	Stop()
}

// startService starts s and has Close stop it.
func (m *Main) startService(ctx context.Context, s service) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	m.defer_(s.Stop)
	return nil
}

// Close releases everything Start acquired, newest first.
func (m *Main) Close() {
	m.once.Do(func() {
		for i := len(m.cleanup) - 1; i >= 0; i-- {
			m.cleanup[i]()
		}
	})
}

// openStore opens the configured store (migrating it) and the key ring.
func (m *Main) openStore(ctx context.Context) error {
	secrets := keyring.Secrets{EncryptionKeys: m.cfg.Secrets.EncryptionKeys, SecretKey: m.cfg.Secrets.SecretKey}
	if m.cfg.Store.DatabaseURL == "" {
		if err := sqlite.PrepareDir(m.cfg.Store.DataDir); err != nil {
			return err
		}
		if secrets.EncryptionKeys == "" && secrets.SecretKey == "" {
			s, generated, err := keyring.LoadOrGenerate(m.cfg.Store.DataDir)
			if err != nil {
				return err
			}
			if generated {
				m.log.Warn("generated TTR_ENCRYPTION_KEYS and TTR_SECRET_KEY into the data directory; back up secrets.env",
					"path", filepath.Join(m.cfg.Store.DataDir, "secrets.env"))
			}
			secrets = s
		}
		st, err := sqlite.Open(ctx, filepath.Join(m.cfg.Store.DataDir, "ttr.db"))
		if err != nil {
			return fmt.Errorf("open embedded store in %s: %w", m.cfg.Store.DataDir, err)
		}
		m.store = st
	} else {
		if secrets.EncryptionKeys == "" || secrets.SecretKey == "" {
			return errors.New("with --database-url, TTR_ENCRYPTION_KEYS and TTR_SECRET_KEY are required and must be the same on every node")
		}
		st, err := postgres.Open(ctx, m.cfg.Store.DatabaseURL)
		if err != nil {
			return fmt.Errorf("open postgres: %w", err)
		}
		m.store = st
	}
	m.defer_(func() { _ = m.store.Close() })
	ring, err := keyring.Parse(secrets.EncryptionKeys, secrets.SecretKey)
	if err != nil {
		return err
	}
	if m.ring, err = ring.WithPrevious(m.cfg.Secrets.SecretKeyPrevious); err != nil {
		return err
	}
	return nil
}

// Migrate applies migrations (opening the store does) and closes it.
func (m *Main) Migrate(ctx context.Context) error {
	defer m.Close()
	if err := m.openStore(ctx); err != nil {
		return err
	}
	m.log.Info("migrations applied", "store", m.store.Describe())
	return nil
}

// Start brings the node up: store → HTTP ports claimed (503 "starting") → actor system →
// hosts → deadlines armed → HTTP ready.
func (m *Main) Start(ctx context.Context) error {
	m.log.Info("starting ttrd", m.cfg.redacted()...)
	if err := m.cfg.preflight().Enforce(m.cfg.lenient(), func(p preflight.Problem) {
		m.log.Warn("start-up check (not enforced: development or embedded store on loopback)", "setting", p.Setting, "problem", p.Detail)
	}); err != nil {
		return err
	}
	if m.cfg.Cluster.TLS == string(mtls.Permit) {
		m.log.Warn("--cluster-tls=permit accepts clear-text peers and gossip: finish the upgrade, then restart every node without it")
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	var err error
	m.reg = prometheus.NewRegistry()
	if err := promreg.Register(m.reg, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return err
	}

	// Runs after the actor system stopped and before the store closes: a notifier's send in
	// flight finishes and records its outcome, so a graceful restart repeats no alert.
	m.defer_(func() {
		done := make(chan struct{})
		go func() { m.notifyWork.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(m.cfg.Alerting.DrainTimeout):
			m.log.Warn("alert deliveries still in flight at shutdown")
		}
	})
	nodeDeps := cluster.NodeDeps{Logger: m.log}
	if m.clustered() {
		if nodeDeps.TLS, err = m.clusterTLS(); err != nil {
			return err
		}
		nodeDeps.SpeaksTLS = m.speaksTLS
	}
	if err := m.listen(); err != nil {
		return err
	}
	node, err := cluster.NewNode(cluster.NodeConfig{ListenAddr: m.cfg.Cluster.RemoteAddr, Local: !m.clustered()}, nodeDeps)
	if err != nil {
		return fmt.Errorf("actor system: %w", err)
	}
	m.node = node
	m.defer_(node.Stop)
	if err := node.Start(ctx); err != nil {
		return fmt.Errorf("start actor system: %w", err)
	}
	if err := m.startMembership(ctx); err != nil {
		return err
	}
	self := m.membership.Self()
	m.router = cluster.NewRouter(node, m.membership, cluster.RouterOptions{Registerer: m.reg})

	owner := deadlines.Owner{Membership: m.membership}
	if m.ms != nil {
		owner.Joiner = m.ms // a joiner arms what it will own before it turns active
	}
	m.census, m.depth = census.NewChecks(owner.Owns), census.NewOutbox()
	if err := census.Register(m.reg, m.census, m.depth); err != nil {
		return err
	}
	m.deadlines, err = deadlines.New(deadlines.Config{
		SweepInterval: m.cfg.Deadlines.SweepInterval, SweepSlack: m.cfg.Deadlines.SweepSlack, RecoverTimeout: m.cfg.Deadlines.RecoverTimeout,
	}, deadlines.Deps{
		Store: m.store, Sender: m.router, Owns: owner.Owns, Census: m.census, Wait: m.mustWait,
		Registerer: m.reg, Logger: m.log,
	})
	if err != nil {
		return err
	}
	m.monitor, err = health.New(health.Config{ProbeInterval: m.cfg.Store.ProbeInterval, WatchInterval: m.cfg.Store.WatchInterval},
		health.Deps{Ping: m.store.Ping, OnRecover: m.deadlines.Recovered, Logger: m.log})
	if err != nil {
		return err
	}
	if err := m.startService(ctx, m.monitor); err != nil {
		return err
	}
	concurrency := m.cfg.Store.BatchConcurrency
	if m.cfg.Store.DatabaseURL == "" {
		concurrency = 1 // SQLite has one writer: batches cannot overlap
	}
	m.batcher, err = batcher.New(batcher.Config{Linger: m.cfg.Store.BatchLinger, Concurrency: concurrency},
		batcher.Deps{Store: m.store, Gate: m.mayCommit, OnFail: m.monitor.Failed, Registerer: m.reg, Logger: m.log})
	if err != nil {
		return err
	}
	if err := m.startService(ctx, m.batcher); err != nil {
		return err
	}
	poker := notify.NewRouterPoker(m.router, m.log)

	flap, err := m.flapConfig()
	if err != nil {
		return err
	}
	checkMetrics, err := check.NewMetrics(m.reg)
	if err != nil {
		return err
	}
	checkProducer := check.NewProducer(check.Deps{
		Store: m.store, Batcher: m.batcher, Wheel: m.deadlines.Wheel(), Ring: m.ring, Poker: poker, Flap: flap,
		NodeID: func() string { return m.cfg.Cluster.NodeName }, Passivate: cluster.RequestPassivation, Log: m.log,
		Metrics: checkMetrics, Census: m.census,
		PingLimit: m.cfg.Abuse.PingCheck, RuleBudget: contentrule.NewBudget(m.cfg.Abuse.RuleBudget, nil),
		RuleSubjectLimit: int(m.cfg.HTTP.PingBodyLimit),
		KeepPings:        m.cfg.Retention.PingLogLimit, DedupeWindow: m.cfg.Retention.DedupeWindow,
	})
	if _, err := cluster.SpawnHost(node, messages.KindCheck, m.membership, checkProducer, cluster.HostOptions{Registerer: m.reg}); err != nil {
		return err
	}
	// Cluster-wide allowances: one limiter actor per allowance and key, placed like checks.
	if _, err := cluster.SpawnHost(node, messages.KindLimiter, m.membership,
		limiter.NewProducer(limiter.Deps{Passivate: cluster.RequestPassivation}), cluster.HostOptions{Registerer: m.reg}); err != nil {
		return err
	}
	notifyProducer, err := m.notifier()
	if err != nil {
		return err
	}
	if _, err := cluster.SpawnHost(node, messages.KindNotifier, m.membership, notifyProducer, cluster.HostOptions{Registerer: m.reg}); err != nil {
		return err
	}

	// Made before joining: a topology change pokes the destinations with pending rows.
	m.dispatcher, err = notify.NewDispatcher(notify.DispatcherConfig{Interval: m.cfg.Alerting.DispatchInterval},
		notify.DispatcherDeps{Store: m.store, Poker: poker, Logger: m.log})
	if err != nil {
		return err
	}

	// Join, then arm every deadline this node will own before turning active and ready
	// (docs/architecture.md#deadlines, #lifecycle).
	armed, err := m.joinAndArm(ctx)
	if err != nil {
		return err
	}
	if err := m.startService(ctx, m.deadlines); err != nil {
		return err
	}
	// Not ctx: the dispatcher runs until Stop, and ctx only bounds the start.
	if err := m.dispatcher.Start(context.Background()); err != nil {
		return err
	}
	m.defer_(m.dispatcher.Stop)
	m.pokePending()
	if err := m.startCleanup(ctx); err != nil {
		return err
	}
	if err := m.startRetention(ctx); err != nil {
		return err
	}

	if err := m.serve(); err != nil {
		return err
	}
	m.ready.Store(true)
	m.log.Info("ttrd ready", "url", m.cfg.HTTP.PublicURL, "http_addr", m.public.Addr, "node", self.Name,
		"node_id", self.ID, "store", m.store.Describe(), "deadlines_armed", armed)
	fmt.Fprintf(m.out, "ttrd is ready at %s\n", m.cfg.HTTP.PublicURL)
	return nil
}

// serve builds the edge and serves it on the listeners listen claimed.
func (m *Main) serve() error {
	edge := ttrhttp.DefaultConfig()
	edge.PublicURL = m.cfg.HTTP.PublicURL
	edge.PingBodyLimit = m.cfg.HTTP.PingBodyLimit
	edge.EmailEnabled = m.cfg.Alerting.SMTP.Host != ""
	edge.WebhookAllowNets = m.cfg.Alerting.WebhookAllow
	edge.ImportHCServers = m.cfg.Import.HCServers
	edge.PingLogLimit = m.cfg.Retention.PingLogLimit
	hcCfg := notify.DefaultHTTPConfig()
	hcCfg.AllowNets, hcCfg.Timeout = m.cfg.Alerting.WebhookAllow, m.cfg.Import.HCTimeout
	edge.Quotas = m.cfg.Abuse.Quotas
	edge.HSTS = m.cfg.Abuse.HSTS
	limits, err := limit.New(m.cfg.Abuse.Limits, limit.Deps{
		Shared: limiter.NewClient(m.router), Nodes: func() int { return len(m.membership.Members()) },
		Registerer: m.reg, Logger: m.log,
	})
	if err != nil {
		return fmt.Errorf("abuse limits: %w", err)
	}
	admin, err := m.adminDeps()
	if err != nil {
		return fmt.Errorf("admin sign-in: %w", err)
	}
	// The activity log: rows hold a keyed hash of client addresses (never an address); the
	// retention pass prunes them (startRetention).
	recorder, err := activity.New(activity.DefaultConfig(), activity.Deps{
		Store: m.store, IPKey: m.ring.Derive(activity.LabelIPHash), Logger: m.log,
	})
	if err != nil {
		return err
	}
	checks := check.NewClient(m.router)
	statusPages, err := m.statusPages()
	if err != nil {
		return err
	}
	// Exports and imports: one service for the API and the account page.
	xfer := ttrhttp.NewTransfer(edge, ttrhttp.TransferDeps{Store: m.store, Checks: checks, Ring: m.ring,
		HCClient: notify.NewHTTPClient(hcCfg), Pages: ttrhttp.StatusPageTransfer(statusPages), Logger: m.log})
	sessions, accounts, pages, err := m.webUI(webDeps{checks: checks, limits: limits, admin: admin, activity: recorder, transfer: xfer, statusPages: statusPages})
	if err != nil {
		return err
	}
	srv := ttrhttp.NewServer(edge, ttrhttp.Deps{
		Store: m.store, Checks: checks, Ring: m.ring, Logger: m.log,
		Notifiers: notify.NewClient(m.router, notify.NewRouterPoker(m.router, m.log)), Outbox: m.store,
		OwnerOf:    m.ownerOf,
		Registerer: m.reg, Ready: m.readiness,
		Limits: limits, Credentials: m.store, Activity: recorder, Transfer: xfer,
		Admin:    admin,
		Sessions: sessions, Accounts: accounts, Pages: pages, StatusPages: statusPages,
	})
	m.publicH.set(srv.Handler())
	if m.internal != nil {
		h := ttrhttp.InternalHandler(m.reg, map[string]http.Handler{"/cluster": http.HandlerFunc(m.clusterView)})
		if m.cfg.HTTP.InternalToken != "" {
			h = ttrhttp.RequireBearer(m.cfg.HTTP.InternalToken)(h)
		}
		m.internalH.set(h)
	}
	return nil
}

// listen claims the HTTP ports before the actor system picks its own and before the node
// joins the cluster, and serves them at once, answering 503 "starting" until serve hands them
// the edge: a port already taken stops the start there, with nothing joined; a remote on
// port 0 cannot be handed a port ttrd is about to bind; and a client (or a load balancer's
// probe) that connects during the start gets an answer, not a connection left waiting.
func (m *Main) listen() error {
	ln, err := net.Listen("tcp", m.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on --http-addr: %w", err)
	}
	var iln net.Listener
	if m.cfg.HTTP.InternalAddr != "" {
		if iln, err = net.Listen("tcp", m.cfg.HTTP.InternalAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on --internal-addr: %w", err)
		}
	}
	m.public = &http.Server{
		Addr: ln.Addr().String(), Handler: &m.publicH,
		ReadHeaderTimeout: m.cfg.HTTP.ReadHeaderTimeout, ReadTimeout: m.cfg.HTTP.ReadTimeout,
		WriteTimeout: m.cfg.HTTP.WriteTimeout, IdleTimeout: m.cfg.HTTP.IdleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := m.public.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("http server", "err", err)
		}
	}()
	m.defer_(func() { _ = m.public.Close() })
	if iln != nil {
		m.internal = &http.Server{Addr: iln.Addr().String(), Handler: &m.internalH, ReadHeaderTimeout: m.cfg.HTTP.ReadHeaderTimeout}
		go func() { _ = m.internal.Serve(iln) }()
		m.defer_(func() { _ = m.internal.Close() })
	}
	return nil
}

// readiness is /readyz: store reachable, deadlines armed, not draining.
func (m *Main) readiness(ctx context.Context) error {
	switch {
	case m.draining.Load():
		return errors.New("draining")
	case !m.ready.Load():
		return errors.New("starting")
	case !m.monitor.OK():
		return errors.New("store unreachable")
	case m.fenced.Load():
		return errors.New("fenced: re-joining the cluster")
	case !m.leaseValid():
		return errors.New("node lease not valid")
	}
	if down := m.node.HostsRunning(); len(down) > 0 {
		return fmt.Errorf("host actor not running: %s", strings.Join(down, ", "))
	}
	return nil
}

// Shutdown is SIGTERM: not ready → delay → drain HTTP → flush writes → stop.
func (m *Main) Shutdown() {
	m.draining.Store(true)
	if m.ms != nil {
		// Peers stop routing to a draining member; it still answers what reaches it.
		if err := m.ms.SetState(cluster.StateDraining); err != nil {
			m.log.Warn("announce draining", "err", err)
		}
	}
	m.log.Info("shutting down", "delay", m.cfg.HTTP.ShutdownDelay.String())
	time.Sleep(m.cfg.HTTP.ShutdownDelay)
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.HTTP.DrainTimeout)
	defer cancel()
	if m.public != nil {
		// In-flight requests finish: every ping that gets an answer was committed.
		if err := m.public.Shutdown(ctx); err != nil {
			m.log.Warn("http drain", "err", err)
		}
	}
	m.Close() // stops sweeper, wheel, batcher (flushing its queue), actors, then the store
	m.log.Info("stopped")
}

// pokePending wakes, in the background, the notifiers of every destination with pending rows,
// so that each is held (and counted) by its owner's notifier, not only once a row in back-off
// falls due.
func (m *Main) pokePending() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.Alerting.PokeTimeout)
		defer cancel()
		if _, err := m.dispatcher.PokePending(ctx); err != nil {
			m.log.Warn("poke notifiers of pending alerts", "err", err)
		}
	}()
}

// notifier builds the notifier actors' producer: webhook deliveries through the SSRF-safe
// client, retried per the configured back-off.
func (m *Main) notifier() (func(string) actor.Producer, error) {
	httpCfg := notify.DefaultHTTPConfig()
	httpCfg.AllowNets = m.cfg.Alerting.WebhookAllow
	if err := httpCfg.Validate(); err != nil {
		return nil, err
	}
	cfg := notify.DefaultConfig()
	cfg.RetryFor, cfg.BackoffBase, cfg.BackoffMax = m.cfg.Alerting.RetryFor, m.cfg.Alerting.Backoff, m.cfg.Alerting.BackoffMax
	cfg.Rate = m.cfg.Alerting.RC
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	senders, err := m.senders(httpCfg)
	if err != nil {
		return nil, err
	}
	metrics, err := notify.NewMetrics(m.reg)
	if err != nil {
		return nil, err
	}
	return notify.NewProducer(notify.Deps{
		Store: m.store, Ring: m.ring, Config: cfg, Logger: m.log,
		Senders:   senders,
		NodeID:    func() string { return m.membership.Self().ID },
		MayAct:    m.leaseValid,
		HostCap:   m.hostCap(),
		Work:      &m.notifyWork,
		Metrics:   metrics,
		Depth:     m.depth,
		Passivate: cluster.RequestPassivation,
	}), nil
}

// hostCap is the cap on each user's alerts to one destination host, held cluster-wide by
// limiter actors; the chat providers' hosts and the configured Telegram API host are exempt.
func (m *Main) hostCap() *notify.HostCap {
	exempt := append([]string(nil), notify.DefaultExemptHosts...)
	if u, err := url.Parse(m.cfg.Alerting.TelegramAPIURL); err == nil && u.Hostname() != "" {
		exempt = append(exempt, strings.ToLower(u.Hostname()))
	}
	return &notify.HostCap{Limiter: limiter.NewClient(m.router), Limit: m.cfg.Abuse.AlertHost, Exempt: exempt}
}

// senders builds one Sender per channel: webhook, Slack and Discord share the SSRF-safe
// client settings; Telegram talks to its configured API; email goes through the SMTP server
// (when none is configured, email alerts fail with a message saying so).
func (m *Main) senders(httpCfg notify.HTTPConfig) (map[messages.ChannelKind]notify.Sender, error) {
	tgCfg := notify.DefaultTelegramConfig()
	tgCfg.APIURL = m.cfg.Alerting.TelegramAPIURL
	tg, err := notify.NewTelegram(tgCfg, nil)
	if err != nil {
		return nil, fmt.Errorf("--telegram-api-url: %w", err)
	}
	email, err := notify.NewEmail(m.cfg.Alerting.SMTP, nil)
	if err != nil {
		return nil, fmt.Errorf("SMTP settings: %w", err)
	}
	return map[messages.ChannelKind]notify.Sender{
		messages.ChannelWebhook:  notify.NewWebhook(httpCfg, nil),
		messages.ChannelSlack:    notify.NewSlack(httpCfg, nil),
		messages.ChannelDiscord:  notify.NewDiscord(httpCfg, nil),
		messages.ChannelTelegram: tg,
		messages.ChannelEmail:    email,
	}, nil
}

// flapConfig is the flapping detection every check uses.
func (m *Main) flapConfig() (checklogic.FlapConfig, error) {
	f := checklogic.FlapConfig{Changes: m.cfg.Alerting.FlapChanges, Window: m.cfg.Alerting.FlapWindow, Suppress: m.cfg.Alerting.FlapSuppress}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("flapping settings: %w", err)
	}
	return f, nil
}
