package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/messages/backoff"
	"github.com/ttr-rip/ttr/messages/promreg"
)

// MemberlistConfig is the settings of a Memberlist. Start from DefaultConfig (a LAN) or
// LocalConfig (several nodes in one process); NewMemberlist fills a zero field with
// DefaultConfig's.
type MemberlistConfig struct {
	// NodeName is the display label (--node-name), at most 64 bytes. Default: the host name.
	// It plays no part in placement: the memberlist name is a node id new at every start.
	NodeName string
	// RemoteAddr is the host:port peers dial for this node's actor system (Node.Address).
	// Required.
	RemoteAddr string
	// HTTPAddr is the host:port of this node's HTTP edge, when it has one.
	HTTPAddr string

	// BindAddr is the ip:port memberlist listens on, TCP and UDP (--gossip-addr); port 0
	// picks a free port (GossipAddr reports it). Default "0.0.0.0:7946".
	BindAddr string
	// AdvertiseAddr is the ip:port peers reach this node at, when it differs from BindAddr.
	// With a wildcard BindAddr and no AdvertiseAddr memberlist advertises the first private
	// IPv4 address of the host, and fails to start without one.
	AdvertiseAddr string
	// ClusterName is memberlist's Label (--cluster-name): nodes with different names refuse
	// each other's packets and never merge. At most 255 bytes. Default "ttr".
	ClusterName string
	// SecretKey encrypts and authenticates gossip (AES-GCM; 16, 24 or 32 bytes, see
	// ParseGossipKey). Nodes with different keys, or one with and one without, never merge.
	// nil = clear text.
	SecretKey []byte
	// PreviousKeys are further gossip keys this node accepts (the previous secret's, during a
	// rotation). While some member does not announce SecretKey as its key, this node also
	// encrypts with PreviousKeys[0], so that members still on the previous secret read it;
	// once every member it sees does, it turns to SecretKey for good.
	PreviousKeys [][]byte
	// Permit accepts clear-text gossip besides encrypted, and sends clear text until every
	// member it sees announces TLS (Announce), i.e. none runs a release without encryption;
	// then it encrypts with SecretKey for good. For the upgrade from such a release.
	Permit bool
	// Announce is what this node announces about its actor remote: "on" or "permit" (mutual
	// TLS); "" for clear text. Peers in permit mode dial TLS only to members announcing it.
	Announce string

	// Protocol is the node-to-node protocol version this node announces. Default
	// ProtocolVersion. Members announcing a version outside [MinProtocol, MaxProtocol]
	// (defaults: Protocol) are never placed.
	Protocol, MinProtocol, MaxProtocol uint8
	// InitialState is the state announced at start. Default StateJoining.
	InitialState State

	// Failure detection (memberlist's fields of the same names). A killed node is declared
	// dead after about ProbeInterval + ProbeTimeout + SuspicionTimeout().
	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	IndirectChecks          int
	// Dissemination (memberlist's fields of the same names).
	GossipInterval      time.Duration
	GossipNodes         int
	GossipToTheDeadTime time.Duration
	RetransmitMult      int
	PushPullInterval    time.Duration
	TCPTimeout          time.Duration

	// Debounce is the quiet period that coalesces membership changes into one Topology:
	// a change is applied once no other came for Debounce, and at the latest 4×Debounce
	// after the first one. Changes of the local node's state apply at once.
	Debounce time.Duration
	// BroadcastTimeout bounds the wait for a state change or a leave to be sent to a peer.
	BroadcastTimeout time.Duration
	// JoinMinBackoff and JoinMaxBackoff bound the jittered, doubling pause between
	// JoinWithRetry's attempts.
	JoinMinBackoff, JoinMaxBackoff time.Duration
	// ReconnectInterval is how often the addresses of members that failed (vanished
	// without leaving) are joined again, which merges the two sides of a healed partition;
	// ReconnectTimeout is how long a failed member is sought that way and counted as
	// possibly alive by StoreOutageShared.
	ReconnectInterval, ReconnectTimeout time.Duration
}

// MemberlistDeps are a Memberlist's collaborators; all are optional.
type MemberlistDeps struct {
	// OnChange, when set, receives every Topology, on one goroutine, in order. It must not
	// block for long; it may call the Memberlist's methods (but not Stop, Leave or Rejoin,
	// which wait for it).
	OnChange func(Topology)
	// Registerer receives the membership metrics. nil = no metrics.
	Registerer prometheus.Registerer
	// Logger receives the membership's logs and memberlist's. Default: discard.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration for a LAN (docs/architecture.md#engine-choices: probe
// 200 ms, probe timeout 100 ms, suspicion ×2, gossip 50 ms declared a killed node dead in
// 0.7–0.9 s on this machine). A loaded or virtualised network may need slower settings.
func DefaultConfig() MemberlistConfig {
	return MemberlistConfig{
		BindAddr:                "0.0.0.0:7946",
		ClusterName:             "ttr",
		Protocol:                ProtocolVersion,
		InitialState:            StateJoining,
		ProbeInterval:           200 * time.Millisecond,
		ProbeTimeout:            100 * time.Millisecond,
		SuspicionMult:           2,
		SuspicionMaxTimeoutMult: 6,
		IndirectChecks:          3,
		GossipInterval:          50 * time.Millisecond,
		GossipNodes:             3,
		GossipToTheDeadTime:     30 * time.Second,
		RetransmitMult:          4,
		PushPullInterval:        15 * time.Second,
		TCPTimeout:              5 * time.Second,
		Debounce:                100 * time.Millisecond,
		BroadcastTimeout:        time.Second,
		JoinMinBackoff:          100 * time.Millisecond,
		JoinMaxBackoff:          5 * time.Second,
		ReconnectInterval:       5 * time.Second,
		ReconnectTimeout:        2 * time.Minute,
	}
}

// LocalConfig returns a fast configuration for several nodes in one process on 127.0.0.1
// (free ports), as in tests: a killed node is declared dead in about half a second.
func LocalConfig() MemberlistConfig {
	c := DefaultConfig()
	c.BindAddr = "127.0.0.1:0"
	c.ProbeInterval = 100 * time.Millisecond
	c.ProbeTimeout = 50 * time.Millisecond
	c.SuspicionMult = 3
	c.IndirectChecks = 1
	c.GossipInterval = 20 * time.Millisecond
	c.GossipToTheDeadTime = 5 * time.Second
	c.RetransmitMult = 3
	c.PushPullInterval = time.Second
	c.TCPTimeout = time.Second
	c.Debounce = 20 * time.Millisecond
	c.BroadcastTimeout = 500 * time.Millisecond
	c.JoinMinBackoff = 20 * time.Millisecond
	c.JoinMaxBackoff = 200 * time.Millisecond
	c.ReconnectInterval = 200 * time.Millisecond
	c.ReconnectTimeout = 30 * time.Second
	return c
}

// SuspicionTimeout is how long a suspected member has to refute before it is declared dead
// (memberlist's minimum, reached once enough peers confirm; about the time a small
// cluster takes). It is the threshold for a StallDetector: a node stalled longer may have
// been declared dead.
func (c MemberlistConfig) SuspicionTimeout() time.Duration {
	return time.Duration(c.SuspicionMult) * c.ProbeInterval
}

// withDefaults fills zero fields from DefaultConfig.
func (c MemberlistConfig) withDefaults() MemberlistConfig {
	d := DefaultConfig()
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
		if len(c.NodeName) > maxNodeNameLen {
			c.NodeName = c.NodeName[:maxNodeNameLen]
		}
	}
	setDefault(&c.BindAddr, d.BindAddr)
	setDefault(&c.ClusterName, d.ClusterName)
	setDefault(&c.Protocol, d.Protocol)
	setDefault(&c.MinProtocol, c.Protocol)
	setDefault(&c.MaxProtocol, c.Protocol)
	setDefault(&c.InitialState, d.InitialState)
	setDefault(&c.ProbeInterval, d.ProbeInterval)
	setDefault(&c.ProbeTimeout, d.ProbeTimeout)
	setDefault(&c.SuspicionMult, d.SuspicionMult)
	setDefault(&c.SuspicionMaxTimeoutMult, d.SuspicionMaxTimeoutMult)
	setDefault(&c.IndirectChecks, d.IndirectChecks)
	setDefault(&c.GossipInterval, d.GossipInterval)
	setDefault(&c.GossipNodes, d.GossipNodes)
	setDefault(&c.GossipToTheDeadTime, d.GossipToTheDeadTime)
	setDefault(&c.RetransmitMult, d.RetransmitMult)
	setDefault(&c.PushPullInterval, d.PushPullInterval)
	setDefault(&c.TCPTimeout, d.TCPTimeout)
	setDefault(&c.BroadcastTimeout, d.BroadcastTimeout)
	setDefault(&c.JoinMinBackoff, d.JoinMinBackoff)
	setDefault(&c.JoinMaxBackoff, d.JoinMaxBackoff)
	setDefault(&c.ReconnectInterval, d.ReconnectInterval)
	setDefault(&c.ReconnectTimeout, d.ReconnectTimeout)
	return c
}

func setDefault[T comparable](p *T, d T) {
	var zero T
	if *p == zero {
		*p = d
	}
}

// Validate reports a configuration NewMemberlist refuses. Zero fields take
// DefaultConfig's values first.
func (c MemberlistConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.NodeName) > maxNodeNameLen {
		errs = append(errs, fmt.Errorf("node name longer than %d bytes", maxNodeNameLen))
	}
	if err := checkHostPort(c.RemoteAddr); err != nil {
		errs = append(errs, fmt.Errorf("remote address: %w", err))
	}
	if c.HTTPAddr != "" {
		if err := checkHostPort(c.HTTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("http address: %w", err))
		}
	}
	if _, _, err := splitIPPort(c.BindAddr, true); err != nil {
		errs = append(errs, fmt.Errorf("gossip address: %w", err))
	}
	if c.AdvertiseAddr != "" {
		if _, _, err := splitIPPort(c.AdvertiseAddr, false); err != nil {
			errs = append(errs, fmt.Errorf("gossip advertise address: %w", err))
		}
	}
	if len(c.ClusterName) > 255 {
		errs = append(errs, errors.New("cluster name longer than 255 bytes"))
	}
	for _, k := range append([][]byte{c.SecretKey}, c.PreviousKeys...) {
		switch len(k) {
		case 0, 16, 24, 32:
		default:
			errs = append(errs, fmt.Errorf("gossip key of %d bytes (want 16, 24 or 32)", len(k)))
		}
	}
	if len(c.SecretKey) == 0 && (c.Permit || len(c.PreviousKeys) > 0) {
		errs = append(errs, errors.New("permit mode and previous gossip keys need a gossip key"))
	}
	if c.Permit && len(c.PreviousKeys) > 0 {
		errs = append(errs, errors.New("rotate the secret after the upgrade from clear text, not during it"))
	}
	if c.MinProtocol > c.MaxProtocol || c.Protocol < c.MinProtocol || c.Protocol > c.MaxProtocol {
		errs = append(errs, fmt.Errorf("protocol %d outside %d..%d", c.Protocol, c.MinProtocol, c.MaxProtocol))
	}
	if !c.InitialState.Valid() {
		errs = append(errs, fmt.Errorf("initial state %q", c.InitialState))
	}
	if c.ProbeTimeout >= c.ProbeInterval {
		errs = append(errs, errors.New("probe timeout must be shorter than the probe interval"))
	}
	for name, d := range map[string]time.Duration{
		"probe interval": c.ProbeInterval, "probe timeout": c.ProbeTimeout,
		"gossip interval": c.GossipInterval, "push/pull interval": c.PushPullInterval,
		"tcp timeout": c.TCPTimeout, "gossip to the dead time": c.GossipToTheDeadTime,
		"broadcast timeout": c.BroadcastTimeout, "join min backoff": c.JoinMinBackoff,
		"reconnect interval": c.ReconnectInterval, "reconnect timeout": c.ReconnectTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("negative %s", name))
		}
	}
	if c.Debounce < 0 {
		errs = append(errs, errors.New("negative debounce"))
	}
	if c.JoinMaxBackoff < c.JoinMinBackoff {
		errs = append(errs, errors.New("join max backoff below min backoff"))
	}
	for name, n := range map[string]int{
		"suspicion multiplier": c.SuspicionMult, "suspicion max timeout multiplier": c.SuspicionMaxTimeoutMult,
		"indirect checks": c.IndirectChecks, "gossip nodes": c.GossipNodes, "retransmit multiplier": c.RetransmitMult,
	} {
		if n < 0 {
			errs = append(errs, fmt.Errorf("negative %s", name))
		}
	}
	// The largest metadata this node can publish must fit memberlist's limit.
	if _, err := encodeMeta(meta{ID: NewNodeID(), Name: c.NodeName, Remote: c.RemoteAddr, HTTP: c.HTTPAddr,
		Protocol: c.Protocol, State: StateDraining, TLS: c.Announce, Key: keyID(c.SecretKey)}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// splitIPPort parses "ip:port"; the port may be 0 only when zeroPort.
func splitIPPort(addr string, zeroPort bool) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		host = "0.0.0.0"
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("%q is not an IP address", host)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 || (port == 0 && !zeroPort) {
		return "", 0, fmt.Errorf("%q has a bad port", addr)
	}
	return host, port, nil
}

// ParseGossipKey decodes a gossip key given as base64 (--gossip-key): 16, 24 or 32 bytes
// (AES-128, -192, -256). "" is no key.
func ParseGossipKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if key, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, errors.New("gossip key is not base64")
		}
	}
	switch len(key) {
	case 16, 24, 32:
		return key, nil
	}
	return nil, fmt.Errorf("gossip key of %d bytes (want 16, 24 or 32)", len(key))
}

// ErrStopped is returned by the methods of a Memberlist that was stopped.
var ErrStopped = errors.New("membership stopped")

// errMembershipNotStarted is returned, before Start, by the methods that need gossip.
var errMembershipNotStarted = errors.New("membership not started")

// Memberlist is the Membership of a node in a cluster discovered by gossip
// (hashicorp/memberlist). Each member announces its state and store reachability in its
// metadata; identities are placed by rendezvous hashing over the active members
// (placeRule). Membership changes are debounced into Topology events. It is safe for
// concurrent use.
type Memberlist struct {
	cfg  MemberlistConfig
	deps MemberlistDeps
	log  *slog.Logger
	m    *memberlistMetrics

	view atomic.Pointer[view]
	meta atomic.Pointer[[]byte] // the local metadata, read by memberlist

	// lifeMu serialises the calls that change the local node in memberlist: start, state
	// updates (their order must match their incarnations), leave, rejoin, stop. Joins do
	// not take it (one can wait for TCPTimeout).
	lifeMu     sync.Mutex
	finishOnce sync.Once

	mu   sync.Mutex // guards the fields below; never held while calling memberlist
	inst *instance
	// settled: gossip uses SecretKey alone as its primary key (see PreviousKeys, Permit);
	// until then this node speaks to members still on the previous secret or release.
	settled  bool
	joinFail int      // join attempts failed in a row while not settled
	seeds    []string // addresses given to Join, tried again by Rejoin
	id       string
	state    State
	storeOK  bool
	left     bool
	started  bool
	closed   bool
	peers    map[string]MemberInfo // by node id, from the current instance's events
	failed   map[string]failedPeer // by node id: vanished without leaving
	warned   map[string]string     // node id → metadata problem already logged
	version  uint64
	lastSent uint64 // version of the last Topology published

	kick chan struct{} // wakes the publisher; capacity 1
	done chan struct{}
	wg   sync.WaitGroup

	subMu sync.Mutex
	subs  []chan Topology
	last  *Topology
}

var _ Membership = (*Memberlist)(nil)

// instance is one memberlist incarnation of the node (one node id).
type instance struct {
	id      string
	ml      *memberlist.Memberlist
	keyring *memberlist.Keyring // nil without a gossip key
	addr    string              // the gossip address memberlist advertises
	stopped atomic.Bool         // memberlist was shut down
	events  chan memberlist.NodeEvent
	stop    chan struct{} // ends the instance's event pump
	pumped  chan struct{} // closed when the pump has ended
}

type failedPeer struct {
	addr string
	at   time.Time
}

// NewMemberlist validates cfg and returns a membership that Start starts: until then it
// has no member, not even the local node.
func NewMemberlist(cfg MemberlistConfig, deps MemberlistDeps) (*Memberlist, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("membership config: %w", err)
	}
	cfg = cfg.withDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	met, err := newMemberlistMetrics(deps.Registerer)
	if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	m := &Memberlist{
		cfg:     cfg,
		deps:    deps,
		log:     deps.Logger,
		m:       met,
		state:   cfg.InitialState,
		storeOK: true,
		peers:   make(map[string]MemberInfo),
		failed:  make(map[string]failedPeer),
		warned:  make(map[string]string),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	empty, _ := NewRendezvous(nil)
	m.view.Store(&view{placement: empty, prospective: empty})
	return m, nil
}

// Start starts memberlist on BindAddr under a fresh node id (NewNodeID), alone in its
// cluster until Join, in InitialState with the store reachable. It starts once: Start on a
// started Memberlist is an error, on a stopped one ErrStopped; after a failed Start it may
// be called again. ctx only guards the start.
func (m *Memberlist) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	m.mu.Lock()
	closed, started := m.closed, m.started
	m.mu.Unlock()
	if err := startOnce("membership", started, closed, ErrStopped); err != nil {
		return err
	}
	if err := m.start(NewNodeID(), m.cfg.BindAddr); err != nil {
		return err
	}
	m.mu.Lock()
	m.started = true
	m.mu.Unlock()
	m.wg.Add(2)
	go m.publisher()
	go m.reconnector()
	m.log.Info("membership started", slog.String("node", m.Self().ID), slog.String("name", m.cfg.NodeName),
		slog.String("gossip_addr", m.GossipAddr()), slog.String("cluster", m.cfg.ClusterName),
		slog.Bool("encrypted", len(m.cfg.SecretKey) > 0), slog.Bool("permit", m.cfg.Permit),
		slog.Bool("rotating", len(m.cfg.PreviousKeys) > 0))
	return nil
}

// start creates the memberlist of node id listening on bind, and makes it current.
// The caller holds lifeMu.
func (m *Memberlist) start(id, bind string) error {
	host, port, err := splitIPPort(bind, true)
	if err != nil {
		return fmt.Errorf("gossip address: %w", err)
	}
	inst := &instance{
		id: id,
		// Buffered so memberlist, which sends under its own lock, rarely waits for the pump.
		events: make(chan memberlist.NodeEvent, 256),
		stop:   make(chan struct{}),
		pumped: make(chan struct{}),
	}
	m.mu.Lock()
	settled := m.settled || (len(m.cfg.PreviousKeys) == 0 && !m.cfg.Permit)
	m.mu.Unlock()
	if len(m.cfg.SecretKey) > 0 {
		kr, err := m.newKeyring(settled)
		if err != nil {
			return fmt.Errorf("gossip keys: %w", err)
		}
		inst.keyring = kr
	}
	// m.inst is set only with its pump running: Stop waits for the pump of the instance it
	// finds, so an error above leaves nothing for it to wait on.
	m.mu.Lock()
	m.id, m.left = id, false
	m.inst = inst
	clear(m.peers)
	m.setMetaLocked()
	m.settled = settled
	m.mu.Unlock()
	go m.pump(inst)

	c := memberlist.DefaultLANConfig()
	c.Name = id
	c.BindAddr, c.BindPort = host, port
	if m.cfg.AdvertiseAddr != "" {
		c.AdvertiseAddr, c.AdvertisePort, _ = splitIPPort(m.cfg.AdvertiseAddr, false)
	} else {
		c.AdvertisePort = port // 0: memberlist advertises the port it bound
	}
	c.Label = m.cfg.ClusterName
	if inst.keyring != nil {
		c.Keyring = inst.keyring
		// Verification of incoming gossip stays on, except in permit mode; outgoing gossip is
		// encrypted whenever the keyring holds a key (in permit mode it is empty at first).
		c.GossipVerifyIncoming, c.GossipVerifyOutgoing = !m.cfg.Permit, true
	}
	c.ProbeInterval, c.ProbeTimeout = m.cfg.ProbeInterval, m.cfg.ProbeTimeout
	c.SuspicionMult, c.SuspicionMaxTimeoutMult = m.cfg.SuspicionMult, m.cfg.SuspicionMaxTimeoutMult
	c.IndirectChecks = m.cfg.IndirectChecks
	c.GossipInterval, c.GossipNodes = m.cfg.GossipInterval, m.cfg.GossipNodes
	c.GossipToTheDeadTime = m.cfg.GossipToTheDeadTime
	c.RetransmitMult = m.cfg.RetransmitMult
	c.PushPullInterval = m.cfg.PushPullInterval
	c.TCPTimeout = m.cfg.TCPTimeout
	c.Delegate = (*delegate)(m)
	c.Events = &memberlist.ChannelEventDelegate{Ch: inst.events}
	c.Logger = log.New(memberlistLog{m.log.With(slog.String("node", id))}, "", 0)
	c.LogOutput = nil

	ml, err := memberlist.Create(c)
	if err != nil {
		close(inst.stop)
		<-inst.pumped
		m.mu.Lock()
		m.inst = nil
		m.mu.Unlock()
		return fmt.Errorf("start memberlist on %s: %w", bind, err)
	}
	m.mu.Lock()
	inst.ml, inst.addr = ml, ml.LocalNode().Address()
	m.mu.Unlock()
	m.rebuild()
	m.wake()
	return nil
}

// errRestarting is returned while Rejoin replaces memberlist.
var errRestarting = errors.New("membership restarting under a new node id")

// current returns the running memberlist, or ErrStopped, errMembershipNotStarted or
// errRestarting.
func (m *Memberlist) current() (*instance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return nil, ErrStopped
	case !m.started:
		return nil, errMembershipNotStarted
	case m.inst == nil || m.inst.ml == nil || m.inst.stopped.Load():
		return nil, errRestarting
	}
	return m.inst, nil
}

// Self returns the local member (its ID changes on Rejoin); the zero Member before Start.
func (m *Memberlist) Self() Member { return m.view.Load().self }

// Owner returns the placed member that owns identity, or false when none is placed.
func (m *Memberlist) Owner(identity string) (Member, bool) {
	return m.view.Load().placement.Owner(identity)
}

// OwnerIfActive returns the member that would own identity if the local node were
// active and nothing else changed: what a joining node loads and arms before turning
// active.
func (m *Memberlist) OwnerIfActive(identity string) (Member, bool) {
	return m.view.Load().prospective.Owner(identity)
}

// Members returns the placed members, sorted by ID.
func (m *Memberlist) Members() []Member { return m.view.Load().placement.Members() }

// Topology returns the current view.
func (m *Memberlist) Topology() Topology { return m.view.Load().topology() }

// State returns the local node's state.
func (m *Memberlist) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// GossipAddr returns the ip:port peers reach this node's memberlist at ("" before Start
// and once stopped): what other nodes pass to --join.
func (m *Memberlist) GossipAddr() string {
	inst, err := m.current()
	if err != nil {
		return ""
	}
	return inst.addr
}

// NumAlive returns how many nodes memberlist knows alive, the local one included,
// whatever their state or metadata.
func (m *Memberlist) NumAlive() int {
	inst, err := m.current()
	if err != nil {
		return 0
	}
	return inst.ml.NumMembers()
}

// StoreOutageShared reports whether the members that cannot reach the store (by their
// store_ok) are a strict majority of the members that may be alive: those in view plus
// those that failed (vanished without leaving) within ReconnectTimeout, which may be alive
// behind a partition. True means the outage hits (nearly) everyone: the cluster pauses in
// place rather than fencing and reshuffling (see LeaseDeps.Excused). A node cut off
// alone, or paused (its view is from before), does not count as a shared outage.
func (m *Memberlist) StoreOutageShared() bool {
	v := m.view.Load()
	m.mu.Lock()
	failed := 0
	cutoff := time.Now().Add(-m.cfg.ReconnectTimeout)
	for _, f := range m.failed {
		if f.at.After(cutoff) {
			failed++
		}
	}
	m.mu.Unlock()
	return storeOutageShared(v.all, failed)
}

// SetState announces the local node's state. Placement on this node follows at once;
// peers learn it by gossip (SetState waits up to BroadcastTimeout for it to be sent).
// Before Start it is an error: InitialState is the state Start announces.
func (m *Memberlist) SetState(s State) error {
	if !s.Valid() {
		return fmt.Errorf("set state: invalid state %q", s)
	}
	return m.update(func() bool {
		changed := m.state != s
		m.state = s
		return changed
	})
}

// SetStoreOK announces whether the local node reaches the store.
func (m *Memberlist) SetStoreOK(ok bool) error {
	return m.update(func() bool {
		changed := m.storeOK != ok
		m.storeOK = ok
		return changed
	})
}

// StoreOK returns the local node's store_ok.
func (m *Memberlist) StoreOK() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.storeOK
}

func (m *Memberlist) update(apply func() bool) error {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return ErrStopped
	case !m.started:
		m.mu.Unlock()
		return errMembershipNotStarted
	}
	changed := apply()
	inst := m.inst
	if changed {
		m.setMetaLocked()
	}
	m.mu.Unlock()
	if !changed {
		return nil
	}
	m.rebuild()
	m.wake()
	if err := inst.ml.UpdateNode(m.cfg.BroadcastTimeout); err != nil {
		// The update is queued and goes out with the next gossip or push/pull.
		m.log.Warn("membership: state update not yet sent", slog.Any("err", err))
	}
	return nil
}

// setMetaLocked encodes the local metadata for memberlist. The caller holds mu.
func (m *Memberlist) setMetaLocked() {
	b, err := encodeMeta(meta{ID: m.id, Name: m.cfg.NodeName, Remote: m.cfg.RemoteAddr, HTTP: m.cfg.HTTPAddr,
		Protocol: m.cfg.Protocol, State: m.state, StoreOK: m.storeOK, TLS: m.cfg.Announce, Key: keyID(m.cfg.SecretKey)})
	if err != nil { // Validate checked the largest metadata; keep the previous one
		m.log.Error("membership: metadata", slog.Any("err", err))
		return
	}
	m.meta.Store(&b)
}

// Join contacts the given gossip addresses (host:port; a host name resolving to several
// addresses contacts each) and merges with their cluster. It returns how many answered,
// and an error when none did.
func (m *Memberlist) Join(addrs []string) (int, error) {
	m.mu.Lock()
	for _, a := range addrs {
		if !slices.Contains(m.seeds, a) {
			m.seeds = append(m.seeds, a)
		}
	}
	m.mu.Unlock()
	return m.join(addrs)
}

func (m *Memberlist) join(addrs []string) (int, error) {
	inst, err := m.current()
	if err != nil {
		return 0, err
	}
	n, err := inst.ml.Join(addrs)
	if err != nil {
		m.joinFailed(err)
		if len(m.cfg.SecretKey) > 0 {
			err = fmt.Errorf("%w (gossip is encrypted: do the peers have the same TTR_SECRET_KEY or --gossip-key, and --cluster-name?)", err)
		}
		return n, fmt.Errorf("join %s: %w", strings.Join(addrs, ","), err)
	}
	m.log.Info("membership: joined", slog.Int("contacted", n), slog.Int("alive", inst.ml.NumMembers()))
	return n, nil
}

// JoinWithRetry joins addrs (see Join), trying again with a jittered, doubling back-off
// (JoinMinBackoff to JoinMaxBackoff) until one answers or ctx is done; then it returns
// ctx's error wrapped with the last failure. Run it on a goroutine of its own for --join:
// the node works alone meanwhile.
func (m *Memberlist) JoinWithRetry(ctx context.Context, addrs []string) error {
	if len(addrs) == 0 {
		return nil
	}
	_, err := m.Join(addrs)
	return m.retryJoin(ctx, addrs, err)
}

// retryJoin tries addrs again after a first attempt that ended in err.
func (m *Memberlist) retryJoin(ctx context.Context, addrs []string, err error) error {
	var lastErr string
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			_, err = m.join(addrs)
		}
		if err == nil || errors.Is(err, ErrStopped) || errors.Is(err, errMembershipNotStarted) {
			return err
		}
		if msg := err.Error(); msg != lastErr { // log when the failure changes, not every try
			m.log.Warn("membership: join failed, retrying", slog.Any("err", err))
			lastErr = msg
		}
		t := time.NewTimer(backoff.Jitter(backoff.Exp(m.cfg.JoinMinBackoff, m.cfg.JoinMaxBackoff, attempt), 0.2, rand.Float64()))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("join %s: %w (last: %s)", strings.Join(addrs, ","), ctx.Err(), lastErr)
		case <-m.done:
			t.Stop()
			return ErrStopped
		case <-t.C:
		}
	}
}

// Leave announces that the local node leaves: it turns draining (peers stop routing to it
// at once) and broadcasts memberlist's leave, waiting up to timeout for each to be sent.
// Peers see it gone within a few gossip intervals. Call Stop afterwards.
func (m *Memberlist) Leave(timeout time.Duration) error {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	inst, err := m.current()
	if err != nil {
		return err
	}
	m.mu.Lock()
	drain := m.state != StateDraining
	m.state = StateDraining
	m.setMetaLocked()
	m.mu.Unlock()
	if drain {
		m.rebuild()
		if err := inst.ml.UpdateNode(timeout); err != nil {
			m.log.Debug("membership: draining state not sent before leaving", slog.Any("err", err))
		}
	}
	m.mu.Lock()
	m.left = true
	m.mu.Unlock()
	m.rebuild()
	m.wake()
	if err := inst.ml.Leave(timeout); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	m.log.Info("membership: left", slog.String("node", inst.id))
	return nil
}

// Stop stops memberlist without a leave (peers detect the node as failed unless Leave
// came first), stops the Topology events, closes the subscriptions and unregisters the
// metrics. It is safe to call more than once, and before Start.
func (m *Memberlist) Stop() {
	m.lifeMu.Lock()
	m.mu.Lock()
	wasClosed := m.closed
	m.closed = true
	inst, id := m.inst, m.id
	m.mu.Unlock()
	if !wasClosed && inst != nil {
		if err := m.stopInstance(inst); err != nil {
			m.log.Warn("membership: stop", slog.Any("err", err))
		}
	}
	m.lifeMu.Unlock()
	// Without lifeMu: OnChange may be calling SetState, which now returns ErrStopped.
	m.finishOnce.Do(func() {
		close(m.done)
		m.wg.Wait()
		m.subMu.Lock()
		for _, ch := range m.subs {
			close(ch)
		}
		m.subs = nil
		m.subMu.Unlock()
		m.m.unregister()
		if inst != nil { // it ran: a membership that never started has nothing to report
			m.log.Info("membership stopped", slog.String("node", id))
		}
	})
}

func (m *Memberlist) stopInstance(inst *instance) error {
	var err error
	if inst.ml != nil && !inst.stopped.Swap(true) {
		if e := inst.ml.Shutdown(); e != nil {
			err = fmt.Errorf("shutdown memberlist: %w", e)
		}
	}
	close(inst.stop)
	<-inst.pumped
	return err
}

// Rejoin makes the node a new member: it leaves (as Leave, briefly), stops memberlist,
// starts it again on the same address under a fresh node id in StateJoining, and joins
// the members it knew and the addresses given to Join before, trying (as JoinWithRetry)
// until one answers, none is left to try, or ctx is done. The Memberlist and its
// subscriptions stay; Self changes at once. This is how a fenced node (a lapsed lease, a
// stall) comes back: whatever it held under its old id is no longer its own.
//
// When memberlist cannot start again the Memberlist is stopped (call Stop to release it)
// and Rejoin returns the error.
func (m *Memberlist) Rejoin(ctx context.Context) error {
	targets, err := m.restart()
	if err != nil || len(targets) == 0 {
		return err
	}
	_, err = m.join(targets)
	if err == nil {
		return nil
	}
	return m.retryJoin(ctx, targets, err)
}

// restart is Rejoin up to the join: it returns the addresses to join.
func (m *Memberlist) restart() ([]string, error) {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	inst, err := m.current()
	if err != nil {
		return nil, err
	}
	// The same address; with port 0 and no advertised address, the port memberlist bound.
	bind := m.cfg.BindAddr
	if host, port, _ := splitIPPort(bind, true); port == 0 && m.cfg.AdvertiseAddr == "" {
		_, p, _ := net.SplitHostPort(inst.addr)
		bind = net.JoinHostPort(host, p)
	}
	m.mu.Lock()
	var targets []string
	for _, p := range m.peers {
		targets = append(targets, p.GossipAddr)
	}
	for _, f := range m.failed {
		targets = append(targets, f.addr)
	}
	targets = append(targets, m.seeds...)
	m.state = StateDraining
	m.setMetaLocked()
	m.mu.Unlock()
	targets = slices.DeleteFunc(slices.Compact(sortedCopy(targets)), func(a string) bool { return a == inst.addr })

	_ = inst.ml.UpdateNode(m.cfg.BroadcastTimeout / 2)
	if err := inst.ml.Leave(m.cfg.BroadcastTimeout / 2); err != nil {
		m.log.Debug("membership: leave before rejoin", slog.Any("err", err))
	}
	if err := m.stopInstance(inst); err != nil {
		m.log.Warn("membership: rejoin", slog.Any("err", err))
	}
	m.mu.Lock()
	m.state = StateJoining
	m.mu.Unlock()
	m.m.rejoined()
	newID := NewNodeID()
	if err := m.start(newID, bind); err != nil {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		return nil, fmt.Errorf("rejoin: %w", err)
	}
	m.log.Warn("membership: rejoined under a new node id", slog.String("old_node", inst.id),
		slog.String("node", newID), slog.Int("targets", len(targets)))
	return targets, nil
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Subscribe returns a channel that receives every Topology from now on, starting with
// the last one published. It holds one Topology: a slow reader misses intermediate ones
// and reads the newest. It is closed by Stop.
func (m *Memberlist) Subscribe() <-chan Topology {
	ch := make(chan Topology, 1)
	m.subMu.Lock()
	defer m.subMu.Unlock()
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		close(ch)
		return ch
	}
	if m.last != nil {
		ch <- *m.last
	}
	m.subs = append(m.subs, ch)
	return ch
}

// pump reads memberlist's events for inst. memberlist sends them under its own lock, so
// the pump never calls memberlist: it records and wakes the publisher.
func (m *Memberlist) pump(inst *instance) {
	defer close(inst.pumped)
	for {
		select {
		case <-inst.stop:
			return
		case ev := <-inst.events:
			if m.handle(inst, ev) {
				m.wake()
			}
		}
	}
}

// handle applies one memberlist event; it reports whether the view may have changed.
func (m *Memberlist) handle(inst *instance, ev memberlist.NodeEvent) bool {
	n := ev.Node
	if n == nil || n.Name == "" || n.Name == inst.id { // Leave fires NodeLeave for the local node: ignore
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inst != inst {
		return false
	}
	switch ev.Event {
	case memberlist.NodeJoin, memberlist.NodeUpdate:
		info := MemberInfo{Member: Member{ID: n.Name}, GossipAddr: n.Address()}
		md, err := decodeMeta(n.Name, n.Meta)
		if err != nil {
			info.Problem = "metadata: " + err.Error()
			if m.warned[n.Name] != info.Problem {
				m.warned[n.Name] = info.Problem
				m.log.Warn("membership: member not placed, metadata refused", slog.String("peer", n.Name),
					slog.String("gossip_addr", info.GossipAddr), slog.Any("err", err))
			}
		} else {
			delete(m.warned, n.Name)
			info.Name, info.RemoteAddr, info.HTTPAddr = md.Name, md.Remote, md.HTTP
			info.State, info.StoreOK, info.Protocol = md.State, md.StoreOK, md.Protocol
			info.TLS, info.GossipKey = md.TLS, md.Key
			if !info.State.Valid() {
				info.Problem = fmt.Sprintf("unknown state %q", md.State)
				info.State = ""
			}
		}
		if ev.Event == memberlist.NodeJoin {
			delete(m.failed, n.Name)
			m.log.Info("membership: member joined", slog.String("peer", n.Name), slog.String("name", info.Name),
				slog.String("gossip_addr", info.GossipAddr), slog.String("state", string(info.State)))
		}
		m.peers[n.Name] = info
	case memberlist.NodeLeave:
		prev, ok := m.peers[n.Name]
		delete(m.peers, n.Name)
		delete(m.warned, n.Name)
		// memberlist does not say whether a node left or failed (Node.State is not kept up
		// to date); a node leaves as draining (Leave announces it), so a member gone in
		// another state failed.
		if ok && prev.State != StateDraining {
			m.failed[n.Name] = failedPeer{addr: n.Address(), at: time.Now()}
			m.m.failedMember()
			m.log.Warn("membership: member failed", slog.String("peer", n.Name), slog.String("name", prev.Name),
				slog.String("gossip_addr", n.Address()))
		} else {
			m.log.Info("membership: member left", slog.String("peer", n.Name), slog.String("name", prev.Name))
		}
	default:
		return false
	}
	return true
}

func (m *Memberlist) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// rebuild recomputes the view from the local state and the peers.
func (m *Memberlist) rebuild() {
	m.mu.Lock()
	defer m.mu.Unlock()
	self := MemberInfo{
		Member:    Member{ID: m.id, Name: m.cfg.NodeName, RemoteAddr: m.cfg.RemoteAddr, HTTPAddr: m.cfg.HTTPAddr},
		State:     m.state,
		StoreOK:   m.storeOK,
		Protocol:  m.cfg.Protocol,
		Local:     true,
		TLS:       m.cfg.Announce,
		GossipKey: keyID(m.cfg.SecretKey),
	}
	if m.left {
		// A node that left owns nothing, even in its own view; as draining for the record.
		self.State = StateDraining
	}
	if m.inst != nil {
		self.GossipAddr = m.inst.addr
	}
	peers := make([]MemberInfo, 0, len(m.peers))
	for _, p := range m.peers {
		peers = append(peers, p)
	}
	m.settleLocked(peers)
	old := m.view.Load()
	v, err := buildView(m.version+1, self, peers, m.cfg.MinProtocol, m.cfg.MaxProtocol)
	if err != nil { // distinct non-empty ids by construction
		m.log.Error("membership: view", slog.Any("err", err))
		return
	}
	if old != nil && old.self == v.self && slices.Equal(old.all, v.all) {
		return
	}
	m.version++
	m.view.Store(v)
	m.m.observe(v.all)
}

// publisher applies debounced changes and delivers Topology events.
func (m *Memberlist) publisher() {
	defer m.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var pending bool
	var first time.Time
	for {
		select {
		case <-m.done:
			timer.Stop()
			return
		case <-m.kick:
			now := time.Now()
			if !pending {
				pending, first = true, now
			}
			wait := min(m.cfg.Debounce, first.Add(4*m.cfg.Debounce).Sub(now))
			timer.Reset(max(wait, 0))
		case <-timer.C:
			pending = false
			m.rebuild()
			m.publish()
		}
	}
}

func (m *Memberlist) publish() {
	v := m.view.Load()
	m.mu.Lock()
	if v.version == m.lastSent {
		m.mu.Unlock()
		return
	}
	m.lastSent = v.version
	m.mu.Unlock()
	t := v.topology()
	m.m.topologyChanged()
	m.log.Info("membership: topology", slog.Uint64("version", t.Version), slog.Int("placed", len(t.Members)),
		slog.Int("members", len(t.All)))
	if m.deps.OnChange != nil {
		m.callOnChange(t)
	}
	m.subMu.Lock()
	m.last = &t
	for _, ch := range m.subs {
		select { // keep only the newest: drop an unread one
		case <-ch:
		default:
		}
		ch <- t
	}
	m.subMu.Unlock()
}

func (m *Memberlist) callOnChange(t Topology) {
	defer func() {
		if p := recover(); p != nil {
			m.log.Error("membership: OnChange panicked", slog.Any("panic", p))
		}
	}()
	m.deps.OnChange(t)
}

// reconnector joins the addresses of failed members again, so that the two sides of a
// healed partition merge (memberlist probes only members it believes alive, and gossips
// to the dead only for GossipToTheDeadTime).
func (m *Memberlist) reconnector() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.ReconnectInterval)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		m.mu.Lock()
		if m.left { // a node that left stays out
			m.mu.Unlock()
			continue
		}
		cutoff := time.Now().Add(-m.cfg.ReconnectTimeout)
		alive := make(map[string]bool, len(m.peers))
		for _, p := range m.peers {
			alive[p.GossipAddr] = true
		}
		var addrs []string
		for id, f := range m.failed {
			switch {
			case f.at.Before(cutoff):
				delete(m.failed, id)
			case alive[f.addr]: // replaced by a new member at the same address
				delete(m.failed, id)
			default:
				addrs = append(addrs, f.addr)
			}
		}
		m.mu.Unlock()
		for _, a := range addrs {
			if _, err := m.join([]string{a}); err == nil {
				m.log.Info("membership: reconnected to a failed member's address", slog.String("gossip_addr", a))
			}
		}
	}
}

// delegate gives memberlist the local metadata; the rest of memberlist.Delegate is unused.
type delegate Memberlist

func (d *delegate) NodeMeta(limit int) []byte {
	b := d.meta.Load()
	if b == nil || len(*b) > limit {
		return nil
	}
	return *b
}
func (d *delegate) NotifyMsg([]byte)                    {}
func (d *delegate) GetBroadcasts(int, int) [][]byte     { return nil }
func (d *delegate) LocalState(bool) []byte              { return nil }
func (d *delegate) MergeRemoteState(buf []byte, _ bool) {}

// memberlistLog turns memberlist's "[LEVEL] memberlist: msg" lines into slog records.
type memberlistLog struct{ log *slog.Logger }

func (w memberlistLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for _, l := range []struct {
		prefix string
		level  slog.Level
	}{{"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo}, {"[WARN]", slog.LevelWarn}, {"[ERR]", slog.LevelError}, {"[ERROR]", slog.LevelError}} {
		if rest, ok := strings.CutPrefix(msg, l.prefix); ok {
			msg, level = strings.TrimSpace(rest), l.level
			break
		}
	}
	if !strings.HasPrefix(msg, "memberlist:") {
		msg = "memberlist: " + msg
	}
	w.log.Log(context.Background(), level, msg)
	return len(p), nil
}

// memberlistMetrics is nil-safe: a membership without a registerer has none.
type memberlistMetrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector
	members    *prometheus.GaugeVec
	placed     prometheus.Gauge
	storeLost  prometheus.Gauge
	changes    prometheus.Counter
	failed     prometheus.Counter
	rejoins    prometheus.Counter
}

func newMemberlistMetrics(reg prometheus.Registerer) (*memberlistMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &memberlistMetrics{
		reg: reg,
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ttr_cluster_members",
			Help: "Members known alive, the local one included, by state (joining, active, draining, unknown: metadata not understood)."},
			[]string{"state"}),
		placed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ttr_cluster_placed_members",
			Help: "Members that own identities."}),
		storeLost: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ttr_cluster_store_lost_members",
			Help: "Members announcing that they cannot reach the store."}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_cluster_topology_changes_total",
			Help: "Topologies published after a membership change (debounced)."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_cluster_member_failures_total",
			Help: "Members that vanished without leaving (declared dead)."}),
		rejoins: prometheus.NewCounter(prometheus.CounterOpts{Name: "ttr_cluster_rejoins_total",
			Help: "Times this process rejoined the cluster under a new node id."}),
	}
	cs := []prometheus.Collector{m.members, m.placed, m.storeLost, m.changes, m.failed, m.rejoins}
	if err := promreg.Register(reg, cs...); err != nil {
		return nil, fmt.Errorf("membership metrics: %w", err)
	}
	m.collectors = cs
	return m, nil
}

func (m *memberlistMetrics) unregister() {
	if m == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

func (m *memberlistMetrics) observe(all []MemberInfo) {
	if m == nil {
		return
	}
	counts := map[string]int{string(StateJoining): 0, string(StateActive): 0, string(StateDraining): 0, "unknown": 0}
	placed, lost := 0, 0
	for _, mi := range all {
		s := string(mi.State)
		if s == "" {
			s = "unknown"
		} else if !mi.StoreOK {
			lost++
		}
		counts[s]++
		if mi.Placed {
			placed++
		}
	}
	for s, n := range counts {
		m.members.WithLabelValues(s).Set(float64(n))
	}
	m.placed.Set(float64(placed))
	m.storeLost.Set(float64(lost))
}

func (m *memberlistMetrics) topologyChanged() {
	if m != nil {
		m.changes.Inc()
	}
}

func (m *memberlistMetrics) failedMember() {
	if m != nil {
		m.failed.Inc()
	}
}

func (m *memberlistMetrics) rejoined() {
	if m != nil {
		m.rejoins.Inc()
	}
}
