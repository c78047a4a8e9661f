package http

import "net/http"

// SecurityHeaders sets nosniff, frame DENY, a referrer policy and a permissions policy on
// every response (docs/api.md#errors), before the handler runs (so errors and panics carry them too). A
// strict CSP belongs to the HTML pages and HSTS is opt-in; both arrive with the web UI.
func SecurityHeaders() Middleware {
	// Keys in canonical form and values built once, shared by every response: assigning
	// them costs neither a canonicalisation nor an allocation per request. Sharing is safe
	// because header values are replaced (Set) or appended to — which copies, as each slice
	// is full — never edited in place; net/http only reads them.
	headers := [...]struct {
		key   string
		value []string
	}{
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"X-Frame-Options", []string{"DENY"}},
		{"Referrer-Policy", []string{"no-referrer"}},
		{"Permissions-Policy", []string{"accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"}},
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			for _, kv := range headers {
				h[kv.key] = kv.value
			}
			next.ServeHTTP(w, r)
		})
	}
}
