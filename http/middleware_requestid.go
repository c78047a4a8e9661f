package http

import (
	"context"
	"math/rand/v2"
	"net/http"
)

// HeaderRequestID carries a request's correlation id, in and out.
const HeaderRequestID = "X-Request-Id"

// maxRequestIDLen bounds an incoming request id.
const maxRequestIDLen = 64

// RequestIDs gives every request an id: the client's X-Request-Id when it is 1..64 characters
// of [A-Za-z0-9._-], else a new random one. The id is echoed in the response's X-Request-Id
// and put in the request context (RequestIDFrom). A client-chosen id is only a correlation id
// for logs: it must not be trusted to be unique.
func RequestIDs() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, w, r := begin(w, r)
			// HeaderRequestID is in canonical form, as are the keys net/http parses: index
			// the map rather than canonicalise the key again in Header.Get.
			var id string
			if v := r.Header[HeaderRequestID]; len(v) > 0 {
				id = v[0]
			}
			if !validRequestID(id) {
				id = newRequestID()
			}
			st.id, st.idHeader[0] = id, id
			// The value slice lives in the state: no allocation for it. Header values are
			// replaced or appended to, never edited in place, so sharing it is safe.
			w.Header()[HeaderRequestID] = st.idHeader[:]
			next.ServeHTTP(w, r)
		})
	}
}

// RequestIDFrom returns the request id the RequestIDs middleware put in ctx ("" outside it).
func RequestIDFrom(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// requestIDAlphabet is base32's (RFC 4648), the alphabet of crypto/rand.Text.
const requestIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newRequestID returns 26 random base32 characters (130 bits). A request id is a correlation
// id, unique but not secret (clients choose their own), so it comes from math/rand/v2's
// generator — ChaCha8, seeded by the OS — which costs a fraction of crypto/rand's system
// call per request.
func newRequestID() string {
	var b [26]byte
	var bits uint64
	for i := range b {
		if i%12 == 0 { // 12 characters use 60 of a draw's 64 bits
			bits = rand.Uint64()
		}
		b[i] = requestIDAlphabet[bits&31]
		bits >>= 5
	}
	return string(b[:])
}
