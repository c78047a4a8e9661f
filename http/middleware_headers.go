package http

import "net/http"

// securityHeaders are set on every response (SPEC §5), keyed in canonical form and shared:
// assigning them costs no allocation per request (handlers must Set, not append to, them). A
// strict CSP belongs to the HTML pages and HSTS is opt-in; both arrive with the web UI.
var securityHeaders = map[string][]string{
	"X-Content-Type-Options": {"nosniff"},
	"X-Frame-Options":        {"DENY"},
	"Referrer-Policy":        {"no-referrer"},
	"Permissions-Policy":     {"accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"},
}

// SecurityHeaders sets nosniff, frame DENY, a referrer policy and a permissions policy on
// every response, before the handler runs (so errors and panics carry them too).
func SecurityHeaders() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for k, v := range securityHeaders {
				h[k] = v
			}
			next.ServeHTTP(w, r)
		})
	}
}
