package http

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/http/pingpath"
	"github.com/ttr-rip/ttr/messages"
)

// The /ping/ routes answer as healthchecks.io's ping views do (hc/api/views.py ping and
// ping_by_slug), so its clients switch by changing a host name. docs/api.md,
// "healthchecks.io compatibility", lists what still differs and why.

// hcPingMethods are the methods the router registers for /ping/ (pingsFirst serves every
// method there: healthchecks.io's ping view takes any).
var hcPingMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions,
}

// Replies of the /ping/ routes, in healthchecks.io's words.
const (
	hcBadURL  = "invalid url format"
	hcBadUUID = "invalid uuid format"
)

// Header values of every /ping/ reply: any origin may ping (a browser page can), and no
// cache may keep a reply (Django's never_cache).
var (
	hcAllowOrigin  = []string{"*"}
	hcCacheControl = []string{"max-age=0, no-cache, no-store, must-revalidate, private"}
)

// resolved is a resolution of a ping's lookup key done before delivery.
type resolved struct {
	ref     messages.CheckRef
	created bool
}

// expiresValue is the Expires header of one second.
type expiresValue struct {
	unix int64
	hdr  []string
}

// hcHeaders sets the headers every /ping/ reply carries: CORS, and never_cache's
// Cache-Control and Expires (now).
func (h *pingHandler) hcHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["Access-Control-Allow-Origin"] = hcAllowOrigin
	hdr["Cache-Control"] = hcCacheControl
	now := h.now()
	e := h.expires.Load()
	if e == nil || e.unix != now.Unix() {
		// Formatted once a second, not per ping.
		e = &expiresValue{unix: now.Unix(), hdr: []string{now.UTC().Format(http.TimeFormat)}}
		h.expires.Store(e)
	}
	hdr["Expires"] = e.hdr
}

// handleHC serves a /ping/ ping in healthchecks.io's order: the path (400 "invalid url
// format" for an upper-case slug, 404 for no route), the check (404 "not found"; created
// with ?create=1 on a slug URL), an exit status above 255 (400 "invalid url format"), the
// run id (400 "invalid uuid format"), then the ping, answered "OK" (201 "Created" for a
// check it created) whatever the check made of it. Every method pings, and every method's
// body is read. ttr's per-IP and per-check ping limits still apply first (429).
func (h *pingHandler) handleHC(w http.ResponseWriter, r *http.Request, start time.Time) (pingpath.Scheme, int) {
	h.hcHeaders(w)
	t, err := pingpath.Parse(r.URL.Path)
	tooLarge := err == pingpath.ErrExitTooLarge
	if err != nil && !tooLarge {
		setRoute(r, routePatterns[0])
		if err == pingpath.ErrBadFormat {
			h.text(w, r, http.StatusBadRequest, hcBadURL)
			return 0, resultBadRequest
		}
		h.text(w, r, http.StatusNotFound, "not found")
		return 0, resultNotFound
	}
	setRoute(r, routePatterns[t.Scheme])
	q := parseHCQuery(r.URL.RawQuery)
	ip, key, result, ok := h.admit(w, r, t)
	if !ok {
		return t.Scheme, result
	}
	ctx, cancel := h.deadline(r.Context(), start)
	defer cancel()

	ref, created, err := h.resolver.Resolve(ctx, key, q.create)
	if err != nil {
		return t.Scheme, h.failHC(w, r, err, 0)
	}
	if tooLarge {
		h.text(w, r, http.StatusBadRequest, hcBadURL)
		return t.Scheme, resultBadRequest
	}
	if q.badRid {
		h.text(w, r, http.StatusBadRequest, hcBadUUID)
		return t.Scheme, resultBadRequest
	}
	p := newPing(r, t, q.rid)
	h.stampClient(p, r, ip)
	if p.Body, err = h.readBody(r.Body); err != nil {
		h.text(w, r, http.StatusBadRequest, "the request body could not be read")
		return t.Scheme, resultBadRequest
	}
	ref, _, created, err = h.deliver(ctx, key, q.create, p, &resolved{ref: ref, created: created})
	if err != nil {
		return t.Scheme, h.failHC(w, r, err, ref.ID)
	}
	h.logPing(ctx, ref.ID, p)
	w.Header()[HeaderPingBodyLimit] = h.limitHdr
	if created {
		h.text(w, r, http.StatusCreated, "Created")
		return t.Scheme, resultCreated
	}
	h.text(w, r, http.StatusOK, "OK")
	return t.Scheme, resultOK
}

// failHC answers an error of the resolver or the actor on a /ping/ route: as fail does, but
// a quota that refuses ?create=1 is a 404, as healthchecks.io's check limit is.
func (h *pingHandler) failHC(w http.ResponseWriter, r *http.Request, err error, checkID int64) int {
	if messages.CodeOf(err) == messages.EForbidden {
		h.text(w, r, http.StatusNotFound, "not found")
		return resultNotFound
	}
	return h.fail(w, r, err, checkID)
}

// hcQuery is what a /ping/ ping reads from its query string.
type hcQuery struct {
	rid    string // lower case
	badRid bool   // rid given but not a UUID
	create bool
}

// parseHCQuery reads rid and create as Django's request.GET.get does: names and values
// percent-decoded ("+" is a space), the last occurrence wins. A rid is a UUID in either
// case; anything else (an empty one too) is badRid. create must be exactly "1".
func parseHCQuery(raw string) hcQuery {
	var q hcQuery
	var rid string
	var seenRid bool
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch unescapeQuery(k) {
		case "rid":
			rid, seenRid = unescapeQuery(v), true
		case "create":
			q.create = unescapeQuery(v) == "1"
		}
	}
	if seenRid {
		if pingpath.IsUUID(rid) {
			q.rid = pingpath.LowerUUID(rid)
		} else {
			q.badRid = true
		}
	}
	return q
}

// unescapeQuery decodes one query name or value; a malformed escape is kept as written, as
// Python's unquote keeps it.
func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return strings.ReplaceAll(s, "+", " ")
}
