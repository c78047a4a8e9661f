package http

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Sizes of minted secrets.
const (
	accessKeyBytes   = 24 // 32 URL-safe characters, 192 bits (docs/api.md#users)
	pingKeyBytes     = 16 // 22 URL-safe characters, 128 bits
	userSlugLen      = 8
	userSlugAttempts = 5
)

// createUser: POST /api/v1/users (no auth) mints an anonymous user and answers its secrets,
// the only time they are shown: {auth_key, user_slug, ping_key} (201). The store keeps the
// access key's SHA-256, the ping key sealed plus its keyed index
// (pingKeyPurpose, as the ping edge's resolver looks it up). A random user slug that is
// taken is drawn again. The request body is not read, but it must be declared JSON: no HTML
// form of another site can send that without the browser asking first (and the cross-origin
// protection refuses what a browser says came from another site). Sign-ups count against
// the client IP's allowance.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, _ apiArgs) error {
	if s.deps.Ring == nil {
		return errors.New("create user: no key ring configured")
	}
	if err := s.cop.Check(r); err != nil {
		return errCrossOrigin
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	if err := s.deps.Limits.SignUp(r.Context(), s.deps.Limits.ClientIP(r)); err != nil {
		return err
	}
	authKey, err := randomURLSafe(accessKeyBytes)
	if err != nil {
		return err
	}
	pingKey, err := randomURLSafe(pingKeyBytes)
	if err != nil {
		return err
	}
	index := s.deps.Ring.Index(pingKeyPurpose, []byte(pingKey))
	sealed, err := s.deps.Ring.Seal([]byte(pingKey), keyring.PingKeyAD(index))
	if err != nil {
		return err
	}
	u := messages.User{
		AuthKeyHash:  keyring.Hash([]byte(authKey)),
		PingKeyEnc:   sealed,
		PingKeyIndex: index,
		SlugPings:    true,
		CreatedAt:    s.now().UTC().Truncate(time.Millisecond),
	}
	for attempt := 1; ; attempt++ {
		if u.Slug, err = randomSlug(userSlugLen); err != nil {
			return err
		}
		err = s.deps.Store.CreateUser(r.Context(), &u)
		if err == nil {
			break
		}
		if messages.CodeOf(err) != messages.EConflict || attempt == userSlugAttempts {
			return err
		}
	}
	writeJSON(w, http.StatusCreated, map[string]string{
		"auth_key":  authKey,
		"user_slug": u.Slug,
		"ping_key":  pingKey,
	})
	return nil
}

// errCrossOrigin answers a browser request another site made.
var errCrossOrigin = messages.Errorf(messages.EForbidden, "cross-origin request refused")

// randomURLSafe returns n random bytes from crypto/rand as unpadded base64url.
func randomURLSafe(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const slugAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomSlug returns n uniformly random characters of [a-z0-9] from crypto/rand (rejection
// sampling: bytes >= 252 are redrawn so every character is equally likely).
func randomSlug(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < 252 && len(out) < n {
				out = append(out, slugAlphabet[int(b)%len(slugAlphabet)])
			}
		}
	}
	return string(out), nil
}
