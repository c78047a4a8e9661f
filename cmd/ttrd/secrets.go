package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// RotateSecrets is `ttrd secrets rotate`: every secret at rest is opened with whichever key
// of the ring sealed it and sealed again under the ring's first key, and every index keyed by
// TTR_SECRET_KEY is rebuilt under the current one: the ping keys' lookup indexes, and (while
// TTR_SECRET_KEY_PREVIOUS names the secret they were made with) the destination hashes of
// outbox rows and rate state. Afterwards the old keys can be removed from
// TTR_ENCRYPTION_KEYS, and TTR_SECRET_KEY_PREVIOUS unset. It is safe to run again (an
// interrupted run leaves every value readable by the ring it ran with).
func (m *Main) RotateSecrets(ctx context.Context) (int, error) {
	defer m.Close()
	if m.cfg.Secrets.EncryptionKeys == "" || m.cfg.Secrets.SecretKey == "" {
		return 0, errors.New("set TTR_ENCRYPTION_KEYS (new key first, old keys after it) and TTR_SECRET_KEY")
	}
	if err := m.openStore(ctx); err != nil {
		return 0, err
	}
	renames := map[string]string{}
	n, err := m.store.Reseal(ctx, func(s persistence.Sealed) (persistence.Sealed, error) {
		return reseal(m.ring, s, renames)
	})
	if err != nil || len(renames) == 0 {
		return n, err
	}
	moved, err := m.store.RenameDestinations(ctx, renames)
	if err != nil {
		return n, err
	}
	m.log.Info("destination hashes rebuilt under the current TTR_SECRET_KEY", "destinations", len(renames), "outbox_rows", moved)
	return n, nil
}

// noteDestination records, for a channel's settings, the move of its destination hash from
// the previous secret's to the current one's.
func noteDestination(ring *keyring.Ring, channel messages.ChannelKind, plain []byte, renames map[string]string) {
	var cfg messages.ChannelConfig
	if json.Unmarshal(plain, &cfg) != nil {
		return // a value that does not decode was never hashed either
	}
	if old := alert.PreviousDestinationHash(ring, channel, cfg); old != "" {
		renames[old] = alert.DestinationHash(ring, channel, cfg)
	}
}

// reseal opens one sealed value and seals it again under the ring's first key, with the
// additional data of its place (see keyring).
func reseal(ring *keyring.Ring, s persistence.Sealed, renames map[string]string) (persistence.Sealed, error) {
	var oldAD, newAD []byte
	channel := ""
	switch s.Table {
	case "users":
		oldAD = keyring.PingKeyAD(s.Index)
	case "channels":
		checkID, ch, ok := strings.Cut(s.Key, ":")
		id, err := strconv.ParseInt(checkID, 10, 64)
		if !ok || err != nil {
			return s, fmt.Errorf("channel row key %q", s.Key)
		}
		oldAD = keyring.ChannelAD(s.UserID, id, ch)
		newAD = oldAD
		channel = ch
	case "outbox":
		oldAD = keyring.OutboxAD(s.Key, s.UserID)
		newAD = oldAD
		// The channel ends the idempotency key of every alert kind but test sends, which are
		// delivered within seconds anyway.
		if i := strings.LastIndexByte(s.Key, ':'); i >= 0 && !strings.HasPrefix(s.Key, "test:") {
			channel = s.Key[i+1:]
		}
	case "destinations":
		oldAD = keyring.DestinationAD(s.UserID, s.Key)
		newAD = oldAD
	default:
		return s, fmt.Errorf("unknown sealed table %q", s.Table)
	}
	plain, err := ring.Open(s.Value, oldAD)
	if err != nil {
		return s, fmt.Errorf("%s %s: %w (is every old key still in TTR_ENCRYPTION_KEYS?)", s.Table, s.Key, err)
	}
	if channel != "" && renames != nil {
		noteDestination(ring, messages.ChannelKind(channel), plain, renames)
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
