package transfer

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/ttr-rip/ttr/messages"
)

// Sealing of channel settings in a document: a key derived from the passphrase with
// argon2id (its parameters and salt in the document), each channel's settings sealed with
// XChaCha20-Poly1305 under a random nonce, the check's slug and the channel's name as
// additional data (a value moved to another check does not open), and a verifier, so that
// a wrong passphrase is refused before anything is imported.
const (
	KDFArgon2id = "argon2id"
	AEADXChaCha = "xchacha20poly1305"
	// MinPassphrase is the shortest passphrase accepted (in characters).
	MinPassphrase = 10
	// MaxPassphrase bounds a passphrase (bytes): argon2 reads all of it.
	MaxPassphrase = 1024
)

// Default argon2id parameters: RFC 9106's second recommendation scaled to a small server
// (64 MiB, 3 passes).
const (
	defaultTime    = 3
	defaultMemory  = 64 << 10 // KiB
	defaultThreads = 2
)

// Bounds on the parameters a document may ask for: a document is user input, and its KDF
// runs on the server.
const (
	maxTime    = 10
	maxMemory  = 256 << 10 // KiB
	maxThreads = 8
)

// SecretsHeader says that, and how, the document's channel settings are sealed.
type SecretsHeader struct {
	KDF       string `json:"kdf"`
	Salt      string `json:"salt"` // base64
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
	AEAD      string `json:"aead"`
	// Verifier is a known value sealed under the key: it tells a wrong passphrase at once.
	Verifier string `json:"verifier"`
	// Note is for a human reading the file.
	Note string `json:"note,omitempty"`
}

const (
	verifierPlain = "ttr export verifier"
	verifierAD    = "ttr-export-v1\x00verifier"
	note          = "channel settings (tokens, webhook URLs, email addresses) are sealed with the passphrase given at export; it is needed to import them"
)

func (h *SecretsHeader) validate() error {
	bad := func(what string) error {
		return messages.Errorf(messages.EInvalid, "the document's secrets header is not valid: %s", what)
	}
	salt, err := base64.StdEncoding.DecodeString(h.Salt)
	switch {
	case h.KDF != KDFArgon2id:
		return bad("kdf must be " + KDFArgon2id)
	case h.AEAD != AEADXChaCha:
		return bad("aead must be " + AEADXChaCha)
	case err != nil || len(salt) < 16 || len(salt) > 64:
		return bad("salt must be 16 to 64 bytes of base64")
	case h.Time < 1 || h.Time > maxTime:
		return bad("time is out of range")
	case h.MemoryKiB < 8<<10 || h.MemoryKiB > maxMemory:
		return bad("memory_kib is out of range")
	case h.Threads < 1 || h.Threads > maxThreads:
		return bad("threads is out of range")
	case h.Verifier == "":
		return bad("verifier is missing")
	}
	return nil
}

// CheckPassphrase refuses a passphrase too short or too long to seal with.
func CheckPassphrase(p string) error {
	if utf8.RuneCountInString(p) < MinPassphrase {
		return messages.Errorf(messages.EInvalid, "the passphrase must be at least %d characters", MinPassphrase)
	}
	if len(p) > MaxPassphrase {
		return messages.Errorf(messages.EInvalid, "the passphrase must be at most %d bytes", MaxPassphrase)
	}
	return nil
}

// Sealer seals and opens channel settings of one document.
type Sealer struct {
	header SecretsHeader
	aead   interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
		NonceSize() int
	}
}

// NewSealer derives a new key from passphrase under a fresh salt, for an export.
func NewSealer(passphrase string) (*Sealer, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	h := SecretsHeader{KDF: KDFArgon2id, Salt: base64.StdEncoding.EncodeToString(salt), Time: defaultTime,
		MemoryKiB: defaultMemory, Threads: defaultThreads, AEAD: AEADXChaCha, Note: note}
	s, err := newSealer(h, passphrase, salt)
	if err != nil {
		return nil, err
	}
	v, err := s.seal([]byte(verifierPlain), verifierAD)
	if err != nil {
		return nil, err
	}
	s.header.Verifier = v
	return s, nil
}

// ErrPassphrase is a passphrase that does not open the document.
var ErrPassphrase = messages.Errorf(messages.EInvalid, "the passphrase does not open this document's secrets")

// OpenSealer derives the key of a document's header from passphrase (ErrPassphrase when it
// is not the export's).
func OpenSealer(h SecretsHeader, passphrase string) (*Sealer, error) {
	if err := h.validate(); err != nil {
		return nil, err
	}
	if passphrase == "" {
		return nil, messages.Errorf(messages.EInvalid, "this document's channel settings are sealed: give its passphrase")
	}
	if len(passphrase) > MaxPassphrase {
		return nil, ErrPassphrase
	}
	salt, _ := base64.StdEncoding.DecodeString(h.Salt)
	s, err := newSealer(h, passphrase, salt)
	if err != nil {
		return nil, err
	}
	if v, err := s.open(h.Verifier, verifierAD); err != nil || string(v) != verifierPlain {
		return nil, ErrPassphrase
	}
	return s, nil
}

func newSealer(h SecretsHeader, passphrase string, salt []byte) (*Sealer, error) {
	key := argon2.IDKey([]byte(passphrase), salt, h.Time, h.MemoryKiB, h.Threads, chacha20poly1305.KeySize)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	return &Sealer{header: h, aead: aead}, nil
}

// Header is the document's secrets header.
func (s *Sealer) Header() *SecretsHeader { h := s.header; return &h }

func channelAD(slug, channel string) string { return "ttr-export-v1\x00" + slug + "\x00" + channel }

// SealChannel seals a channel's settings for the check of slug.
func (s *Sealer) SealChannel(slug, channel string, cfg messages.ChannelConfig) (string, error) {
	plain, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	return s.seal(plain, channelAD(slug, channel))
}

// OpenChannel opens what SealChannel sealed (EInvalid when it does not open).
func (s *Sealer) OpenChannel(slug, channel, sealed string) (messages.ChannelConfig, error) {
	var cfg messages.ChannelConfig
	plain, err := s.open(sealed, channelAD(slug, channel))
	if err == nil {
		err = json.Unmarshal(plain, &cfg)
	}
	if err != nil {
		return messages.ChannelConfig{}, messages.Errorf(messages.EInvalid, "the %s settings do not open (damaged, or moved from another check)", channel)
	}
	return cfg, nil
}

func (s *Sealer) seal(plain []byte, ad string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(ad))), nil
}

func (s *Sealer) open(sealed, ad string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(b) < n {
		return nil, errors.New("sealed value is malformed")
	}
	return s.aead.Open(nil, b[:n], b[n:], []byte(ad))
}
