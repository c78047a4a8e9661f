package http

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/ttr-rip/ttr/messages"
)

// createUser: POST /api/v1/users (no auth) mints an anonymous user and answers its secrets,
// the only time they are shown: {auth_key, user_slug, ping_key} (201); see
// account.Service.CreateUser. The request body is not read, but it must be declared JSON: no
// HTML form of another site can send that without the browser asking first (and the
// cross-origin protection refuses what a browser says came from another site). Sign-ups
// count against the client IP's allowance.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, _ apiArgs) error {
	if s.deps.Accounts == nil {
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
	c, err := s.deps.Accounts.CreateUser(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{
		"auth_key":  c.AuthKey,
		"user_slug": c.User.Slug,
		"ping_key":  c.PingKey,
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
