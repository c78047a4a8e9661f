package http

import (
	"context"
	"crypto/rand"
	"net/http"
)

// HeaderRequestID carries a request's correlation id, in and out.
const HeaderRequestID = "X-Request-Id"

// maxRequestIDLen bounds an incoming request id.
const maxRequestIDLen = 64

type requestIDKey struct{}

// RequestIDs gives every request an id: the client's X-Request-Id when it is 1..64 characters
// of [A-Za-z0-9._-], else a new random one. The id is echoed in the response's X-Request-Id
// and put in the request context (RequestIDFrom). A client-chosen id is only a correlation id
// for logs: it must not be trusted to be unique.
func RequestIDs() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(HeaderRequestID)
			if !validRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set(HeaderRequestID, id)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
		})
	}
}

// RequestIDFrom returns the request id the RequestIDs middleware put in ctx ("" outside it).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
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

// newRequestID returns 26 random base32 characters (130 bits).
func newRequestID() string { return rand.Text() }
