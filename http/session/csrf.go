package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/ttr-rip/ttr/messages"
)

// ErrCSRF refuses a state-changing request whose CSRF token is missing or wrong, or that
// came from another site.
var ErrCSRF = &messages.Error{Code: messages.EForbidden, Message: "missing or invalid CSRF token (reload the page and try again)"}

// anonPrefix marks a CSRF token minted before sign-in (login CSRF protection).
const anonPrefix = "a."

// sessionCSRF is the CSRF token of a session: an HMAC of its token hash.
func (m *Manager) sessionCSRF(tokenHash []byte) string {
	return base64.RawURLEncoding.EncodeToString(m.mac("session", tokenHash))
}

// anonCSRF is a signed random token for a browser without a session: "a.<nonce>.<mac>".
func (m *Manager) anonCSRF(nonce string) string {
	return anonPrefix + nonce + "." + base64.RawURLEncoding.EncodeToString(m.mac("anon", []byte(nonce)))
}

func (m *Manager) mac(kind string, v []byte) []byte {
	h := hmac.New(sha256.New, m.deps.CSRFKey)
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(v)
	return h.Sum(nil)
}

// validAnon reports whether tok is an anonymous token this server signed.
func (m *Manager) validAnon(tok string) bool {
	rest, ok := strings.CutPrefix(tok, anonPrefix)
	if !ok {
		return false
	}
	nonce, _, ok := strings.Cut(rest, ".")
	return ok && nonce != "" && hmac.Equal([]byte(tok), []byte(m.anonCSRF(nonce)))
}

// CSRFToken returns the token pages put in their forms (and the script in X-CSRF-Token) for
// the browser p (nil when not signed in), and makes sure the browser's CSRF cookie holds it.
func (m *Manager) CSRFToken(w http.ResponseWriter, r *http.Request, p *Principal) string {
	var want string
	cookie, _ := r.Cookie(m.CSRFCookie())
	switch {
	case p != nil:
		want = m.sessionCSRF(p.Session.TokenHash)
	case cookie != nil && m.validAnon(cookie.Value):
		return cookie.Value
	default:
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		want = m.anonCSRF(base64.RawURLEncoding.EncodeToString(b))
	}
	if cookie == nil || cookie.Value != want {
		m.setCookie(w, m.CSRFCookie(), want, false, m.cfg.MaxAge)
	}
	return want
}

// VerifyCSRF checks a state-changing request from a browser: it must not come from another
// origin (Sec-Fetch-Site / Origin, Go's CrossOriginProtection), and the token in
// X-CSRF-Token or the form field "csrf" must equal the CSRF cookie, which must be the
// session's token when p is signed in, or one this server signed otherwise (sign-in and
// get-a-key forms). The caller must have bounded the body before a form is parsed.
func (m *Manager) VerifyCSRF(r *http.Request, p *Principal) error {
	return m.verify(r, p, true)
}

// VerifyCSRFHeader is VerifyCSRF for the API, whose bodies are JSON: the token must come in
// X-CSRF-Token.
func (m *Manager) VerifyCSRFHeader(r *http.Request, p *Principal) error {
	return m.verify(r, p, false)
}

func (m *Manager) verify(r *http.Request, p *Principal, form bool) error {
	if err := m.cop.Check(r); err != nil {
		m.Failed(r, ReasonCrossOrigin)
		return ErrCSRF
	}
	sent := r.Header.Get(HeaderCSRF)
	if sent == "" && form {
		sent = r.PostFormValue(FormFieldCSRF)
	}
	cookie, err := r.Cookie(m.CSRFCookie())
	if err != nil || sent == "" || !hmac.Equal([]byte(sent), []byte(cookie.Value)) {
		m.Failed(r, ReasonCSRF)
		return ErrCSRF
	}
	if p != nil {
		if !hmac.Equal([]byte(sent), []byte(m.sessionCSRF(p.Session.TokenHash))) {
			m.Failed(r, ReasonCSRF)
			return ErrCSRF
		}
		return nil
	}
	if !m.validAnon(sent) {
		m.Failed(r, ReasonCSRF)
		return ErrCSRF
	}
	return nil
}

// StateToken binds a round trip through another site (Login with Telegram's redirect) to
// this browser and purpose: an HMAC of the purpose and the browser's CSRF token (the
// session's when p is signed in). The other site sees only the HMAC, never the token itself.
// It makes sure the browser holds its CSRF cookie.
func (m *Manager) StateToken(w http.ResponseWriter, r *http.Request, p *Principal, purpose string) string {
	return m.state(m.CSRFToken(w, r, p), purpose)
}

// VerifyState checks a state token that came back from another site: it must be the one
// StateToken made for this browser (signed in as p, or not signed in when p is nil).
func (m *Manager) VerifyState(r *http.Request, p *Principal, purpose, state string) error {
	var tok string
	if p != nil {
		tok = m.sessionCSRF(p.Session.TokenHash)
	} else if c, err := r.Cookie(m.CSRFCookie()); err == nil && m.validAnon(c.Value) {
		tok = c.Value
	}
	if tok == "" || state == "" || !hmac.Equal([]byte(state), []byte(m.state(tok, purpose))) {
		m.Failed(r, ReasonCSRF)
		return ErrCSRF
	}
	return nil
}

func (m *Manager) state(tok, purpose string) string {
	return base64.RawURLEncoding.EncodeToString(m.mac("state:"+purpose, []byte(tok)))
}
