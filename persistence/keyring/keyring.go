// Package keyring seals secrets at rest and derives every key the server needs from its two
// secrets: TTR_ENCRYPTION_KEYS, a ring of AES-256 keys ("id:base64,…"; the first seals, all
// open), and TTR_SECRET_KEY, from which Derive makes one key per purpose (lookup indexes, the
// cluster CA, the gossip key, …). While TTR_SECRET_KEY_PREVIOUS is set, the keys derived from
// it are offered after the current ones, so a rolling rotation breaks nothing.
//
// A sealed value is: 0x01 | len(key id) | key id | 12-byte nonce | AES-256-GCM ciphertext.
// The additional data binds it to where it is stored (table, stable key, user), so a value
// copied to another row does not open.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
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
	ids      []string
	aeads    map[string]cipher.AEAD
	secret   []byte
	previous []byte // TTR_SECRET_KEY_PREVIOUS during a rotation; nil otherwise
}

// Parse reads a key ring ("id:base64(32 bytes)[,…]") and the secret (at least 32 bytes).
// Errors name the problem without echoing key material.
func Parse(keys, secret string) (*Ring, error) {
	if strings.TrimSpace(keys) == "" {
		return nil, errors.New("TTR_ENCRYPTION_KEYS is empty")
	}
	if len(secret) < 32 {
		return nil, fmt.Errorf("TTR_SECRET_KEY must be at least 32 bytes (it has %d)", len(secret))
	}
	r := &Ring{aeads: map[string]cipher.AEAD{}, secret: []byte(secret)}
	if err := r.parseKeys(keys); err != nil {
		return nil, err
	}
	return r, nil
}

// WithPrevious returns a copy of r that also accepts what was derived from previous, the
// secret being rotated out (TTR_SECRET_KEY_PREVIOUS). An empty previous returns r.
func (r *Ring) WithPrevious(previous string) (*Ring, error) {
	if previous == "" {
		return r, nil
	}
	if len(previous) < 32 {
		return nil, fmt.Errorf("TTR_SECRET_KEY_PREVIOUS must be at least 32 bytes (it has %d)", len(previous))
	}
	if previous == string(r.secret) {
		return r, nil // nothing to rotate from
	}
	c := *r
	c.previous = []byte(previous)
	return &c, nil
}

// Rotating reports whether a previous secret is configured.
func (r *Ring) Rotating() bool { return r.previous != nil }

// Labels of Derive. Each names one use of TTR_SECRET_KEY; a new use takes a new label and
// never reuses another's key.
const (
	// LabelIndex keys the HMAC lookup indexes (ping keys, destination hashes). Its key is the
	// secret itself, as it was before Derive existed, so that no stored index changes.
	LabelIndex = "index"
	// LabelClusterCA seeds the Ed25519 key of the cluster CA (mutual TLS between nodes).
	LabelClusterCA = "ttr cluster ca v1"
	// LabelGossip is the memberlist key that encrypts and authenticates gossip.
	LabelGossip = "ttr gossip v1"
)

// Derive returns the 32-byte key of label derived from the current secret: HKDF-SHA256 with
// the label as info (LabelIndex: the secret itself, see there).
func (r *Ring) Derive(label string) []byte { return derive(r.secret, label) }

// DeriveAll returns the keys of label derived from the current secret and, while one is
// configured, from the previous one: verifiers try them in this order.
func (r *Ring) DeriveAll(label string) [][]byte {
	out := [][]byte{derive(r.secret, label)}
	if r.previous != nil {
		out = append(out, derive(r.previous, label))
	}
	return out
}

func derive(secret []byte, label string) []byte {
	if label == LabelIndex {
		return secret
	}
	k, err := hkdf.Key(sha256.New, secret, nil, label, 32)
	if err != nil {
		panic(err) // only for a length over 255×32: a constant here
	}
	return k
}

func (r *Ring) parseKeys(keys string) error {
	for i, part := range strings.Split(keys, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || len(id) > 32 {
			return fmt.Errorf("TTR_ENCRYPTION_KEYS entry %d: want id:base64(32 bytes)", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil || len(key) != 32 {
			return fmt.Errorf("TTR_ENCRYPTION_KEYS entry %q: the key must be 32 bytes in base64", id)
		}
		if _, dup := r.aeads[id]; dup {
			return fmt.Errorf("TTR_ENCRYPTION_KEYS: key id %q appears twice", id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return fmt.Errorf("TTR_ENCRYPTION_KEYS entry %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return fmt.Errorf("TTR_ENCRYPTION_KEYS entry %q: %w", id, err)
		}
		r.ids = append(r.ids, id)
		r.aeads[id] = aead
	}
	return nil
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

// Index returns HMAC-SHA256(Derive(LabelIndex), purpose || 0 || value): a lookup index for a
// secret that must be found by value (the ping key) without being stored in a searchable form.
func (r *Ring) Index(purpose string, value []byte) []byte {
	return index(r.Derive(LabelIndex), purpose, value)
}

// PreviousIndex is Index under the previous secret; nil when none is configured. Lookups
// that miss under Index try it during a rotation.
func (r *Ring) PreviousIndex(purpose string, value []byte) []byte {
	if r.previous == nil {
		return nil
	}
	return index(derive(r.previous, LabelIndex), purpose, value)
}

func index(key []byte, purpose string, value []byte) []byte {
	m := hmac.New(sha256.New, key)
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

// DestinationAD binds a destination's sealed settings to its public code and user.
func DestinationAD(userID int64, code string) []byte {
	return AD("destinations", code, userID)
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
