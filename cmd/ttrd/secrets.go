package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// RotateSecrets is `ttrd secrets rotate`: every secret at rest is opened with whichever key
// of the ring sealed it and sealed again under the ring's first key, and the ping keys'
// lookup indexes are recomputed under the current TTR_SECRET_KEY. Afterwards the old keys can
// be removed from TTR_ENCRYPTION_KEYS. It is safe to run again (an interrupted run leaves
// every value readable by the ring it ran with).
func (m *Main) RotateSecrets(ctx context.Context) (int, error) {
	defer m.Close()
	if m.cfg.EncryptionKeys == "" || m.cfg.SecretKey == "" {
		return 0, errors.New("set TTR_ENCRYPTION_KEYS (new key first, old keys after it) and TTR_SECRET_KEY")
	}
	if err := m.openStore(ctx); err != nil {
		return 0, err
	}
	return m.store.Reseal(ctx, func(s persistence.Sealed) (persistence.Sealed, error) {
		return reseal(m.ring, s)
	})
}

// reseal opens one sealed value and seals it again under the ring's first key, with the
// additional data of its place (see keyring).
func reseal(ring *keyring.Ring, s persistence.Sealed) (persistence.Sealed, error) {
	var oldAD, newAD []byte
	switch s.Table {
	case "users":
		oldAD = keyring.PingKeyAD(s.Index)
	case "channels":
		checkID, channel, ok := strings.Cut(s.Key, ":")
		id, err := strconv.ParseInt(checkID, 10, 64)
		if !ok || err != nil {
			return s, fmt.Errorf("channel row key %q", s.Key)
		}
		oldAD = keyring.ChannelAD(s.UserID, id, channel)
		newAD = oldAD
	case "outbox":
		oldAD = keyring.OutboxAD(s.Key, s.UserID)
		newAD = oldAD
	default:
		return s, fmt.Errorf("unknown sealed table %q", s.Table)
	}
	plain, err := ring.Open(s.Value, oldAD)
	if err != nil {
		return s, fmt.Errorf("%s %s: %w (is every old key still in TTR_ENCRYPTION_KEYS?)", s.Table, s.Key, err)
	}
	if s.Table == "users" {
		index := ring.Index(keyring.PurposePingKey, plain)
		if keyring.KeyID(s.Value) == ring.FirstID() && bytes.Equal(index, s.Index) {
			return s, nil // already current: a rerun touches only what is left
		}
		s.Index = index
		newAD = keyring.PingKeyAD(s.Index)
	} else if keyring.KeyID(s.Value) == ring.FirstID() {
		return s, nil
	}
	if s.Value, err = ring.Seal(plain, newAD); err != nil {
		return s, err
	}
	return s, nil
}
