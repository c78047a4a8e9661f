// Package keyring seals secrets at rest and computes keyed lookup indexes, from the two
// server secrets of SPEC §5: TTR_ENCRYPTION_KEYS, a ring of AES-256 keys ("id:base64,…"; the
// first seals, all open), and TTR_SECRET_KEY, the HMAC key for lookup indexes.
//
// A sealed value is: 0x01 | len(key id) | key id | 12-byte nonce | AES-256-GCM ciphertext.
// The additional data binds it to where it is stored (table, stable key, user), so a value
// copied to another row does not open.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const formatV1 = 0x01

// Ring is a parsed key ring plus the index secret. It is safe for concurrent use.
type Ring struct {
	ids    []string
	aeads  map[string]cipher.AEAD
	secret []byte
}

// Parse reads a key ring ("id:base64(32 bytes)[,…]") and the index secret (at least 32
// bytes). Errors name the problem without echoing key material.
func Parse(keys, secret string) (*Ring, error) {
	if strings.TrimSpace(keys) == "" {
		return nil, errors.New("TTR_ENCRYPTION_KEYS is empty")
	}
	if len(secret) < 32 {
		return nil, fmt.Errorf("TTR_SECRET_KEY must be at least 32 bytes (it has %d)", len(secret))
	}
	r := &Ring{aeads: map[string]cipher.AEAD{}, secret: []byte(secret)}
	for i, part := range strings.Split(keys, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || len(id) > 32 {
			return nil, fmt.Errorf("TTR_ENCRYPTION_KEYS entry %d: want id:base64(32 bytes)", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("TTR_ENCRYPTION_KEYS entry %q: the key must be 32 bytes in base64", id)
		}
		if _, dup := r.aeads[id]; dup {
			return nil, fmt.Errorf("TTR_ENCRYPTION_KEYS: key id %q appears twice", id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("TTR_ENCRYPTION_KEYS entry %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("TTR_ENCRYPTION_KEYS entry %q: %w", id, err)
		}
		r.ids = append(r.ids, id)
		r.aeads[id] = aead
	}
	return r, nil
}

// AD builds the additional data that binds a sealed value to its place.
func AD(table, stableKey string, userID int64) []byte {
	return []byte(table + "\x00" + stableKey + "\x00" + strconv.FormatInt(userID, 10))
}

// Seal encrypts plaintext under the first key of the ring.
func (r *Ring) Seal(plaintext, ad []byte) ([]byte, error) {
	id := r.ids[0]
	aead := r.aeads[id]
	out := make([]byte, 0, 2+len(id)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, formatV1, byte(len(id)))
	out = append(out, id...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// ErrUndecryptable says a sealed value could not be opened: unknown key id, wrong additional
// data, or damage. Callers report it on the record; it never crashes anything.
var ErrUndecryptable = errors.New("secret cannot be decrypted with the configured keys")

// Open decrypts a value sealed by Seal under any key of the ring.
func (r *Ring) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 2 || sealed[0] != formatV1 {
		return nil, ErrUndecryptable
	}
	n := int(sealed[1])
	if len(sealed) < 2+n {
		return nil, ErrUndecryptable
	}
	aead, ok := r.aeads[string(sealed[2:2+n])]
	if !ok {
		return nil, fmt.Errorf("%w (key id %q is not in the ring)", ErrUndecryptable, sealed[2:2+n])
	}
	rest := sealed[2+n:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrUndecryptable
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], ad)
	if err != nil {
		return nil, ErrUndecryptable
	}
	return pt, nil
}

// KeyID returns the id of the key a sealed value was sealed with ("" if malformed).
func KeyID(sealed []byte) string {
	if len(sealed) < 2 || sealed[0] != formatV1 || len(sealed) < 2+int(sealed[1]) {
		return ""
	}
	return string(sealed[2 : 2+int(sealed[1])])
}

// Index returns HMAC-SHA256(secret, purpose || 0 || value): a lookup index for a secret that
// must be found by value (the ping key) without being stored in a searchable form.
func (r *Ring) Index(purpose string, value []byte) []byte {
	m := hmac.New(sha256.New, r.secret)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(value)
	return m.Sum(nil)
}

// Hash is a plain SHA-256, used for access keys: they carry 192 random bits, so a keyed hash
// adds nothing and a plain one lets the key be checked without the server secret.
func Hash(value []byte) []byte {
	s := sha256.Sum256(value)
	return s[:]
}

// ChannelAD binds a channel's sealed settings to its row (check, channel, user).
func ChannelAD(userID, checkID int64, channel string) []byte {
	return AD("channels", strconv.FormatInt(checkID, 10)+":"+channel, userID)
}

// OutboxAD binds an outbox row's sealed destination to the row's idempotency key and user.
func OutboxAD(idempotencyKey string, userID int64) []byte {
	return AD("outbox", idempotencyKey, userID)
}

// PingKeyAD binds a user's sealed ping key to its lookup index (the user's id is not known
// before the row is inserted; the index is, and is unique per user).
func PingKeyAD(index []byte) []byte {
	return AD("users", "ping_key:"+hex.EncodeToString(index), 0)
}

// PurposePingKey is the Index purpose of users' ping keys.
const PurposePingKey = "ping_key"

// FirstID is the id of the key that seals new values.
func (r *Ring) FirstID() string { return r.ids[0] }
