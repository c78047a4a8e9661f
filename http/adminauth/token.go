package adminauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenType is the "type" claim: what a token may be used for.
type TokenType string

// Token types. An access token opens the admin API; a refresh token only mints the next
// pair at POST /api/v1/token/refresh.
const (
	Access  TokenType = "access"
	Refresh TokenType = "refresh"
)

// KeyLabel is the key ring label (keyring Derive) of the key that signs admin tokens.
const KeyLabel = "ttr admin jwt v1"

// MaxTokenLen bounds what is parsed: the tokens minted here are about 300 bytes.
const MaxTokenLen = 2048

// Config says how tokens are minted and what is accepted.
type Config struct {
	Issuer     string        // the iss claim (default "ttr")
	Audience   string        // the aud claim (default "ttr-admin")
	AccessTTL  time.Duration // access token lifetime (default 10 minutes)
	RefreshTTL time.Duration // refresh token lifetime (default 12 hours)
}

// DefaultConfig returns the defaults of docs/api.md "Admin sign-in".
func DefaultConfig() Config {
	return Config{Issuer: "ttr", Audience: "ttr-admin", AccessTTL: 10 * time.Minute, RefreshTTL: 12 * time.Hour}
}

// Validate names what cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Issuer == "" || c.Audience == "" {
		errs = append(errs, errors.New("admin tokens: issuer and audience must be set"))
	}
	if c.AccessTTL <= 0 || c.AccessTTL > time.Hour {
		errs = append(errs, fmt.Errorf("admin tokens: access lifetime %v must be within (0, 1h]", c.AccessTTL))
	}
	if c.RefreshTTL < c.AccessTTL || c.RefreshTTL > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("admin tokens: refresh lifetime %v must be within [access lifetime, 30 days]", c.RefreshTTL))
	}
	return errors.Join(errs...)
}

// Keys sign and verify tokens: Sign signs; Verify are tried in order (Sign first, then the
// key derived from the previous secret during a rotation). Each is at least 32 bytes.
type Keys struct {
	Sign   []byte
	Verify [][]byte
}

// Claims are an admin token's claims.
type Claims struct {
	jwt.RegisteredClaims
	Type TokenType `json:"type"`
	// Family is the sign-in the token descends from: logging out revokes it as a whole.
	Family string `json:"fam"`
}

// AdminID is the admin the token was minted for (its subject).
func (c Claims) AdminID() int64 {
	id, _ := strconv.ParseInt(c.Subject, 10, 64)
	return id
}

// Tokens mints and parses admin tokens. It is safe for concurrent use.
type Tokens struct {
	cfg    Config
	keys   Keys
	now    func() time.Time
	parser *jwt.Parser
}

// ErrInvalidToken is every refusal of Parse: the caller learns nothing about why.
var ErrInvalidToken = errors.New("invalid or expired token")

// New returns Tokens under cfg and keys; now is the clock (nil = time.Now).
func New(cfg Config, keys Keys, now func() time.Time) (*Tokens, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(keys.Sign) < 32 {
		return nil, errors.New("admin tokens: the signing key must be at least 32 bytes")
	}
	if len(keys.Verify) == 0 {
		keys.Verify = [][]byte{keys.Sign}
	}
	for _, k := range keys.Verify {
		if len(k) < 32 {
			return nil, errors.New("admin tokens: every verification key must be at least 32 bytes")
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{cfg: cfg, keys: keys, now: now, parser: jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithTimeFunc(now),
	)}, nil
}

// Config returns the configuration t runs with.
func (t *Tokens) Config() Config { return t.cfg }

// NewFamily returns a new sign-in family id.
func NewFamily() (string, error) { return randomID() }

// Mint returns a signed token of typ for the admin in family, and its claims.
func (t *Tokens) Mint(adminID int64, typ TokenType, family string) (string, Claims, error) {
	jti, err := randomID()
	if err != nil {
		return "", Claims{}, err
	}
	ttl := t.cfg.AccessTTL
	if typ == Refresh {
		ttl = t.cfg.RefreshTTL
	}
	now := t.now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.cfg.Issuer,
			Subject:   strconv.FormatInt(adminID, 10),
			Audience:  jwt.ClaimStrings{t.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        jti,
		},
		Type:   typ,
		Family: family,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.keys.Sign)
	if err != nil {
		return "", Claims{}, err
	}
	return s, c, nil
}

// Parse verifies a token and returns its claims: HS256 only (alg=none, other HMAC sizes and
// asymmetric algorithms are refused before any key is tried), signed by one of the keys,
// unexpired with exp present, issued by and for this installation, of type want, naming an
// admin, an id and a family. Every refusal is ErrInvalidToken.
func (t *Tokens) Parse(token string, want TokenType) (Claims, error) {
	if token == "" || len(token) > MaxTokenLen {
		return Claims{}, ErrInvalidToken
	}
	var c Claims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		set := jwt.VerificationKeySet{}
		for _, k := range t.keys.Verify {
			set.Keys = append(set.Keys, k)
		}
		return set, nil
	})
	if err != nil || c.Type != want || c.AdminID() <= 0 || c.ID == "" || c.Family == "" || c.IssuedAt == nil {
		return Claims{}, ErrInvalidToken
	}
	return c, nil
}

// CSRF returns the CSRF token of a sign-in family: an HMAC of the family under the signing
// key. The browser echoes it in X-CSRF-Token on cookie-authenticated requests.
func (t *Tokens) CSRF(family string) string {
	return base64.RawURLEncoding.EncodeToString(csrfMAC(t.keys.Sign, family))
}

// CheckCSRF reports whether token is the CSRF token of family under any verification key.
func (t *Tokens) CheckCSRF(family, token string) bool {
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	ok := false
	for _, k := range t.keys.Verify {
		ok = hmac.Equal(got, csrfMAC(k, family)) || ok
	}
	return ok
}

func csrfMAC(key []byte, family string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ttr admin csrf\x00" + family))
	return m.Sum(nil)
}

// randomID returns 128 random bits as unpadded base64url.
func randomID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
