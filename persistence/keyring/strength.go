package keyring

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// placeholders are values that example files and tutorials ship in place of a secret. A
// value containing one (any case) is refused whatever its length.
var placeholders = []string{"change_me", "changeme", "change-me", "replace_me", "replace-me", "replaceme",
	"your-secret", "your_secret", "yoursecret", "example", "placeholder", "xxxxxxxx", "secretkey", "secret-key"}

// CheckSecret says why s is not a strong TTR_SECRET_KEY, or nil. Strong is: it decodes (as
// base64 or hex) to at least 32 bytes with at least 16 distinct byte values, or it has at
// least 43 characters with at least 20 distinct ones; and it holds no known placeholder.
// The error never contains s.
func CheckSecret(s string) error {
	lower := strings.ToLower(s)
	for _, p := range placeholders {
		if strings.Contains(lower, p) {
			return errors.New("is a placeholder (" + strings.ToUpper(p) + "), not a secret")
		}
	}
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) >= 32 && distinct(b) >= 16 {
			return nil
		}
	}
	if len([]rune(s)) >= 43 && distinct([]byte(s)) >= 20 {
		return nil
	}
	return errors.New("is weak: want at least 32 random bytes in base64 or hex (e.g. openssl rand -base64 32), or 43 characters with at least 20 different ones")
}

func distinct(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}
