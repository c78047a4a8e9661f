package main

import (
	"net/http"
	"sync/atomic"
)

// lateHandler is a server's handler before ttrd has one to give it: until set, every request
// is answered 503 "starting" with Retry-After, so ttrd can serve a port from the moment it
// claims it (see Main.listen).
type lateHandler struct{ h atomic.Pointer[http.Handler] }

func (l *lateHandler) set(h http.Handler) { l.h.Store(&h) }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := l.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "1")
	http.Error(w, "ttrd is starting", http.StatusServiceUnavailable)
}
