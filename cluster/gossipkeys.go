package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"

	"github.com/hashicorp/memberlist"
)

// keyID names a gossip key in the metadata without revealing it.
func keyID(key []byte) string {
	if len(key) == 0 {
		return ""
	}
	h := sha256.New()
	h.Write([]byte("ttr gossip key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// newKeyring makes the keyring of a new memberlist instance. Settled: every key, SecretKey
// primary. Not settled, in permit mode: empty (memberlist sends and reads clear text until
// a key is added). Not settled during a rotation: every key, the previous key primary.
func (m *Memberlist) newKeyring(settled bool) (*memberlist.Keyring, error) {
	switch {
	case settled:
		return memberlist.NewKeyring(m.cfg.PreviousKeys, m.cfg.SecretKey)
	case m.cfg.Permit:
		return memberlist.NewKeyring(nil, nil)
	default:
		return memberlist.NewKeyring([][]byte{m.cfg.SecretKey}, m.cfg.PreviousKeys[0])
	}
}

// settleLocked turns gossip to SecretKey for good once every peer this node sees (at least
// one) is ready for it: in permit mode, every peer announces TLS (none runs a release without
// encryption); during a rotation, every peer announces SecretKey as its own. Called with mu
// held, from rebuild.
func (m *Memberlist) settleLocked(peers []MemberInfo) {
	if m.settled || len(peers) == 0 {
		return
	}
	myKey := keyID(m.cfg.SecretKey)
	for _, p := range peers {
		if p.Problem != "" {
			return
		}
		if m.cfg.Permit && p.TLS == "" {
			return
		}
		if !m.cfg.Permit && p.GossipKey != myKey {
			return
		}
	}
	m.settleKeysLocked("every member is ready")
}

// joinFailed settles a node whose join failed in a way that says its peers have settled:
// in permit mode a peer answered encrypted, during a rotation three attempts in a row failed
// (members on the new secret alone cannot read the previous key). A node that joins the
// members it expects is settled by settleLocked instead.
func (m *Memberlist) joinFailed(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.settled || len(m.cfg.SecretKey) == 0 {
		return
	}
	m.joinFail++
	if (m.cfg.Permit && strings.Contains(err.Error(), "encrypt")) || (!m.cfg.Permit && m.joinFail >= 3) {
		m.settleKeysLocked("join failed: " + err.Error())
	}
}

func (m *Memberlist) settleKeysLocked(why string) {
	if m.inst == nil || m.inst.keyring == nil {
		return
	}
	kr := m.inst.keyring
	for _, k := range append([][]byte{m.cfg.SecretKey}, m.cfg.PreviousKeys...) {
		if err := kr.AddKey(k); err != nil {
			m.log.Error("membership: install gossip key", slog.Any("err", err))
			return
		}
	}
	if err := kr.UseKey(m.cfg.SecretKey); err != nil {
		m.log.Error("membership: use gossip key", slog.Any("err", err))
		return
	}
	m.settled = true
	m.log.Info("membership: gossip now encrypted with this node's own key only", slog.String("why", why))
}

// Settled reports whether gossip is encrypted with this node's own key (always, outside
// permit mode and rotations).
func (m *Memberlist) Settled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.settled
}

// SpeaksTLS reports whether the member whose remote address is addr announces mutual TLS;
// false for an address no member has. Peers in permit mode dial TLS only to those.
func (m *Memberlist) SpeaksTLS(addr string) bool {
	v := m.view.Load()
	if v == nil {
		return false
	}
	for _, p := range v.all {
		if p.RemoteAddr == addr {
			return p.TLS != ""
		}
	}
	return false
}
