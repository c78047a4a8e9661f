package http

import "net/http"

// hstsValue asks browsers to use https only for a year, subdomains included.
const hstsValue = "max-age=31536000; includeSubDomains"

// HSTS sets Strict-Transport-Security on every response (opt-in, --hsts). It is
// only meaningful, and the daemon only allows it, when the public URL is https: browsers
// ignore the header on plain HTTP.
func HSTS() Middleware {
	value := []string{hstsValue}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Strict-Transport-Security"] = value
			next.ServeHTTP(w, r)
		})
	}
}
