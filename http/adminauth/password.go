package adminauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length rules: at least MinPasswordLen characters; at most MaxPasswordBytes bytes,
// so a sign-in cannot make the server hash megabytes.
const (
	MinPasswordLen   = 12
	MaxPasswordBytes = 1024
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 thread): 20–40 ms
// per check on this project's two-core test machine: what one sign-in may spend, and the
// failed-sign-in limits keep a guesser from multiplying.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// CheckPassword enforces the length rules on a new password.
func CheckPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Errorf("the password must have at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordBytes:
		return fmt.Errorf("the password must have at most %d bytes", MaxPasswordBytes)
	case !utf8.ValidString(pw):
		return errors.New("the password must be valid UTF-8")
	}
	return nil
}

// HashPassword returns pw's argon2id hash under p with a random salt, as a PHC string:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash> (unpadded standard base64).
func HashPassword(pw string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errHashFormat says a stored hash is not one this package wrote.
var errHashFormat = errors.New("password hash: not an argon2id PHC string")

// maxMemory bounds what a stored hash may ask for (1 GiB): a damaged row must not exhaust
// the server.
const maxMemory = 1 << 20

// parseHash reads a PHC string written by HashPassword.
func parseHash(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, errHashFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errHashFormat
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > 100 || p.Threads == 0 {
		return Params{}, nil, nil, errHashFormat
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) == 0 {
		return Params{}, nil, nil, errHashFormat
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Params{}, nil, nil, errHashFormat
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether pw matches encoded, comparing in constant time. A hash it
// cannot read is an error (and no match).
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordBytes {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Verifier checks sign-in passwords. An unknown username is checked against a dummy hash
// of the same parameters, so it costs the same time as a wrong password and the answer
// time does not tell which usernames exist.
type Verifier struct {
	dummy string
}

// NewVerifier returns a Verifier whose dummy hash uses p (the parameters new hashes use).
func NewVerifier(p Params) (*Verifier, error) {
	dummy, err := HashPassword("ttr dummy password, never valid", p)
	if err != nil {
		return nil, err
	}
	return &Verifier{dummy: dummy}, nil
}

// Verify reports whether pw matches encoded; with found false (no such admin) it spends
// the same work on the dummy hash and reports false.
func (v *Verifier) Verify(encoded string, found bool, pw string) bool {
	if !found {
		_, _ = VerifyPassword(v.dummy, pw)
		return false
	}
	ok, err := VerifyPassword(encoded, pw)
	return err == nil && ok
}
