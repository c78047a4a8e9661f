package credential

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// Token kinds, the second part of a token (ttr_<kind>_<random>).
const (
	KindReadOnly  = "ro"
	KindReadWrite = "rw"
)

const (
	tokenPrefix = "ttr_"
	// randomBytes is the token's entropy: 192 bits, 32 base64url characters.
	randomBytes = 24
	randomChars = 32
	// prefixRandom is how many random characters the stored prefix keeps (48 bits): enough
	// that a lookup finds one row, too few to help guess the rest.
	prefixRandom = 8
	// Len is the length of every token.
	Len = len(tokenPrefix) + 3 + randomChars
)

// Minted is a new token: the token itself (shown once) and what is stored of it.
type Minted struct {
	Token  string
	Prefix string
	Digest []byte
}

// Mint makes a token of the kind the scopes call for.
func Mint(scopes Scopes) (Minted, error) {
	b := make([]byte, randomBytes)
	if _, err := rand.Read(b); err != nil {
		return Minted{}, err
	}
	tok := tokenPrefix + scopes.Kind() + "_" + base64.RawURLEncoding.EncodeToString(b)
	return Minted{Token: tok, Prefix: tok[:len(tokenPrefix)+3+prefixRandom], Digest: Digest(tok)}, nil
}

// LooksLikeToken reports whether a bearer credential claims to be a scoped API token
// (ttr_ro_… or ttr_rw_…), whatever the rest: such a credential is never tried as anything
// else. Other ttr_ kinds (an operator's metrics token) are not API tokens.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, tokenPrefix+KindReadOnly+"_") || strings.HasPrefix(s, tokenPrefix+KindReadWrite+"_")
}

// Parse checks a token's shape and returns its lookup prefix; ok is false for anything no
// Mint could have made.
func Parse(tok string) (prefix string, ok bool) {
	if len(tok) != Len || !strings.HasPrefix(tok, tokenPrefix) {
		return "", false
	}
	kind := tok[len(tokenPrefix) : len(tokenPrefix)+2]
	if (kind != KindReadOnly && kind != KindReadWrite) || tok[len(tokenPrefix)+2] != '_' {
		return "", false
	}
	for _, c := range tok[len(tokenPrefix)+3:] {
		if !isBase64URL(c) {
			return "", false
		}
	}
	return tok[:len(tokenPrefix)+3+prefixRandom], true
}

func isBase64URL(c rune) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// Digest is the stored form of a token (SHA-256).
func Digest(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

// SameDigest compares digests in constant time.
func SameDigest(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
