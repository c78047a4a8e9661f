package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// clustered reports whether this node runs as a cluster member: with PostgreSQL it always
// gossips (so others can join it); the embedded store serves exactly one node.
func (m *Main) clustered() bool { return m.cfg.Store.DatabaseURL != "" }

// startMembership creates this node's view of the cluster: a one-member Static for the
// embedded store, memberlist otherwise (starting in state joining).
func (m *Main) startMembership(ctx context.Context) error {
	if !m.clustered() {
		self := cluster.Member{ID: cluster.NewNodeID(), Name: m.cfg.Cluster.NodeName, RemoteAddr: m.node.Address(), HTTPAddr: m.cfg.HTTP.Addr}
		s, err := cluster.NewStatic(self, []cluster.Member{self})
		m.membership = s
		return err
	}
	mc := cluster.DefaultConfig()
	mc.NodeName, mc.RemoteAddr, mc.HTTPAddr = m.cfg.Cluster.NodeName, m.node.Address(), m.cfg.HTTP.Addr
	mc.BindAddr, mc.ClusterName = m.cfg.Cluster.GossipAddr, m.cfg.Cluster.Name
	if m.cfg.Cluster.GossipProbeInterval > 0 {
		mc.ProbeInterval = m.cfg.Cluster.GossipProbeInterval
	}
	if m.cfg.Cluster.GossipProbeTimeout > 0 {
		mc.ProbeTimeout = m.cfg.Cluster.GossipProbeTimeout
	}
	if m.cfg.Cluster.GossipSuspicionMult > 0 {
		mc.SuspicionMult = m.cfg.Cluster.GossipSuspicionMult
	}
	if m.cfg.Cluster.GossipKey != "" {
		key, err := cluster.ParseGossipKey(m.cfg.Cluster.GossipKey)
		if err != nil {
			return fmt.Errorf("--gossip-key: %w", err)
		}
		mc.SecretKey = key
	} else {
		// Derived from TTR_SECRET_KEY (and, during a rotation, the previous secret's too).
		keys := m.ring.DeriveAll(keyring.LabelGossip)
		mc.SecretKey, mc.PreviousKeys = keys[0], keys[1:]
	}
	mode, _ := mtls.ParseMode(m.cfg.Cluster.TLS) // validated with the configuration
	mc.Permit, mc.Announce = mode == mtls.Permit, string(mode)
	ms, err := cluster.NewMemberlist(mc, cluster.MemberlistDeps{Registerer: m.reg, Logger: m.log})
	if err != nil {
		return fmt.Errorf("gossip: %w", err)
	}
	if err := ms.Start(ctx); err != nil {
		ms.Stop()
		return fmt.Errorf("start gossip on %s: %w", m.cfg.Cluster.GossipAddr, err)
	}
	m.ms, m.membership = ms, ms
	m.msReady.Store(ms)
	m.suspicion = mc.SuspicionTimeout()
	// Registered before the batcher's stop, so it runs after it: Leave once writes are flushed.
	m.defer_(func() {
		if m.lease != nil {
			ctx, cancel := context.WithTimeout(context.Background(), m.cfg.Cluster.LeaveTimeout)
			_ = m.lease.Release(ctx)
			cancel()
			m.lease.Stop()
		}
		if m.stall != nil {
			m.stall.Stop()
		}
		_ = ms.Leave(m.cfg.Cluster.LeaveTimeout)
		ms.Stop()
	})
	return nil
}

// clusterTLS is the remote's mutual TLS: operator files, or the CA derived from
// TTR_SECRET_KEY (and TTR_SECRET_KEY_PREVIOUS's during a rotation).
func (m *Main) clusterTLS() (*mtls.Transport, error) {
	mode, err := mtls.ParseMode(m.cfg.Cluster.TLS)
	if err != nil {
		return nil, err
	}
	cfg := mtls.Config{Cluster: m.cfg.Cluster.Name, Mode: mode, Logger: m.log,
		CAFile: m.cfg.Cluster.TLSCA, CertFile: m.cfg.Cluster.TLSCert, KeyFile: m.cfg.Cluster.TLSKey}
	if cfg.CAFile == "" {
		cfg.Seeds = m.ring.DeriveAll(keyring.LabelClusterCA)
	}
	t, err := mtls.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster TLS: %w", err)
	}
	return t, nil
}

// speaksTLS tells the remote, in permit mode, which peers to dial with TLS: those whose
// metadata announces it.
func (m *Main) speaksTLS(addr string) bool {
	ms := m.msReady.Load()
	return ms != nil && ms.SpeaksTLS(addr)
}

// joinAndArm joins the configured peers (retrying in the background), takes the node lease,
// arms the deadlines this node will own and turns active.
func (m *Main) joinAndArm(ctx context.Context) (int, error) {
	if m.ms == nil {
		n, err := m.deadlines.Arm(ctx)
		if err != nil {
			return 0, fmt.Errorf("arm deadlines: %w", err)
		}
		return n, nil
	}
	if len(m.cfg.Cluster.Join) > 0 {
		joinCtx, cancel := context.WithCancel(context.Background())
		m.defer_(cancel)
		go func() {
			if err := m.ms.JoinWithRetry(joinCtx, m.cfg.Cluster.Join); err != nil && !errors.Is(err, context.Canceled) {
				m.log.Warn("join", "err", err)
			}
		}()
		// Settle: give the first join a moment, so a restarted node does not take everything
		// for itself before it sees its peers.
		if err := m.waitForAPeer(ctx, m.cfg.Cluster.JoinSettle); err != nil {
			return 0, err
		}
	}
	if err := m.startLease(ctx); err != nil {
		return 0, err
	}
	n, err := m.deadlines.Arm(ctx)
	if err != nil {
		return 0, fmt.Errorf("arm deadlines: %w", err)
	}
	if err := m.ms.SetState(cluster.StateActive); err != nil {
		return 0, err
	}
	go m.followTopology(m.ms.Subscribe())
	return n, nil
}

// startLease takes the node lease and starts the stall detector (docs/architecture.md#fencing).
func (m *Main) startLease(ctx context.Context) error {
	store, ok := m.store.(cluster.LeaseStore)
	if !ok {
		return errors.New("the store keeps no node leases")
	}
	lease, err := cluster.NewLease(cluster.LeaseConfig{NodeID: m.ms.Self().ID}, cluster.LeaseDeps{
		Store: store, Excused: m.ms.StoreOutageShared,
		OnFenced:      func(reason string) { go m.fence(reason) },
		OnStoreChange: func(ok bool) { go func() { _ = m.ms.SetStoreOK(ok) }() },
		Registerer:    m.reg, Logger: m.log,
	})
	if err != nil {
		return err
	}
	if err := lease.Start(ctx); err != nil {
		return fmt.Errorf("take the node lease: %w", err)
	}
	stall, err := cluster.NewStallDetector(cluster.StallConfig{Threshold: m.suspicion}, cluster.StallDeps{
		OnFenced: func(reason string) { go m.fence(reason) }, Registerer: m.reg, Logger: m.log})
	if err != nil {
		lease.Stop()
		return err
	}
	if err := stall.Start(ctx); err != nil {
		lease.Stop()
		return err
	}
	m.lease, m.stall = lease, stall
	return nil
}

// followTopology reacts to membership changes: activations this node no longer owns are
// passivated (after their queued messages), wheel entries it no longer owns are dropped, and
// the deadlines it now owns are armed from the store.
func (m *Main) followTopology(ch <-chan cluster.Topology) {
	for range ch {
		if m.fenced.Load() {
			continue // fence() reconciles once it has re-joined
		}
		m.reconcile("topology changed")
	}
}

// reconcile makes what this node holds match what it owns in the current view.
func (m *Main) reconcile(why string) {
	m.reconcileMu.Lock()
	defer m.reconcileMu.Unlock()
	m.node.Rebalance()
	dropped := m.deadlines.DropUnowned()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	armed, err := m.deadlines.Arm(ctx)
	cancel()
	if err != nil {
		m.log.Warn("re-arm", "why", why, "err", err)
	}
	m.pokePending()
	m.log.Info(why, "members", len(m.ms.Members()), "wheel_dropped", dropped, "wheel_armed", armed)
}

// fence stops a node that may no longer act (lease lapsed, stalled): not ready, every
// activation and wheel entry dropped, then it re-joins under a new node id.
func (m *Main) fence(reason string) {
	if !m.fenced.CompareAndSwap(false, true) {
		return
	}
	m.log.Warn("fenced: this node stops acting and re-joins", "reason", reason)
	m.node.Rebalance() // ownership checks fail while the lease is invalid: drop every child
	m.deadlines.DropAll()
	if m.lease != nil {
		m.lease.Stop()
	}
	if m.stall != nil {
		m.stall.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err := m.ms.Rejoin(ctx)
		if err == nil {
			err = m.startLease(ctx)
		}
		if err == nil {
			_, err = m.deadlines.Arm(ctx)
		}
		if err == nil {
			err = m.ms.SetState(cluster.StateActive)
		}
		if err == nil {
			break
		}
		m.log.Warn("re-join after fencing", "err", err)
		if ctx.Err() != nil {
			return // stays fenced and not ready; an operator restart is the way out
		}
		time.Sleep(time.Second)
	}
	m.fenced.Store(false)
	// Topology events that arrived while fenced were skipped, and the arming above may have
	// run before the view held the peers again: reconcile with the view as it is now.
	m.reconcile("re-joined after fencing")
}

// leaseValid reports whether this node may act (always, without a cluster).
func (m *Main) leaseValid() bool {
	return !m.fenced.Load() && (m.lease == nil || m.lease.Valid())
}

// mayCommit is the batcher's gate.
func (m *Main) mayCommit() error {
	if !m.leaseValid() {
		return errors.New("node lease lapsed: not committing")
	}
	return nil
}

// mustWait holds the wheel and the sweeper: store unreachable, or not allowed to act.
func (m *Main) mustWait() bool { return m.monitor.Down() || !m.leaseValid() }

// ownerOf names the node that owns a check (the check JSON's owner_node).
func (m *Main) ownerOf(checkID int64) string {
	if m.ms == nil {
		return ""
	}
	if o, ok := m.membership.Owner(check.Identity(checkID)); ok {
		if o.Name != "" {
			return o.Name
		}
		return o.ID
	}
	return ""
}

// clusterView is /cluster on the internal listener: the members as this node sees them, and
// what this node holds (activations, wheel entries).
func (m *Main) clusterView(w http.ResponseWriter, r *http.Request) {
	type hostView struct {
		Active, Stopping, Buffered int
	}
	out := map[string]any{
		"self":          m.membership.Self(),
		"fenced":        m.fenced.Load(),
		"lease_valid":   m.leaseValid(),
		"wheel_entries": m.deadlines.Len(),
	}
	hosts := map[string]hostView{}
	for _, kind := range []string{messages.KindCheck, messages.KindNotifier} {
		if st, err := cluster.QueryHost(r.Context(), m.node, kind); err == nil {
			hosts[kind] = hostView{st.Active, st.Stopping, st.Buffered}
		}
	}
	out["actors"] = hosts
	if m.ms != nil {
		out["state"] = m.ms.State()
		out["members"] = m.ms.Topology().All
	} else {
		out["members"] = m.membership.Members()
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// waitForAPeer waits until this node sees a peer, for at most d; it fails only when ctx ends.
func (m *Main) waitForAPeer(ctx context.Context, d time.Duration) error {
	settle := time.NewTimer(d)
	defer settle.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for m.ms.NumAlive() < 2 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-settle.C:
			return nil
		case <-tick.C:
		}
	}
	return nil
}
