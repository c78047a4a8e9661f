package hcapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// op is one endpoint of the Management API.
type op int

const (
	opNone     op = iota
	opChecks      // checks/: list, create
	opSingle      // checks/{uuid}: get, update, delete
	opByKey       // checks/{unique_key}: get
	opPause       // checks/{uuid}/pause
	opResume      // checks/{uuid}/resume
	opPings       // checks/{uuid}/pings/
	opPingBody    // checks/{uuid}/pings/{n}/body
	opFlips       // checks/{uuid}/flips/
	opKeyFlips    // checks/{unique_key}/flips/
	opChannels    // channels/
	opBadges      // badges/
	opStatus      // status/
)

// route is a matched request path: the endpoint, its arguments, its methods (CORS) and its
// pattern (metric label).
type route struct {
	op      op
	uuid    string // {uuid}
	key     string // {unique_key}
	n       int64  // {n}
	methods []string
	pattern string
}

// matchRoute matches the path after /api/v{N}/ as healthchecks.io's URL patterns do: lower-case
// UUIDs, 40-character unique keys of [A-z0-9] (Django's pattern, punctuation between Z and a
// included), and the trailing slashes where its patterns have them.
func matchRoute(rest string) route {
	switch rest {
	case "checks/":
		return route{op: opChecks, methods: []string{"GET", "POST"}, pattern: "checks/"}
	case "channels/":
		return route{op: opChannels, methods: []string{"GET"}, pattern: "channels/"}
	case "badges/":
		return route{op: opBadges, methods: []string{"GET"}, pattern: "badges/"}
	case "status/":
		return route{op: opStatus, pattern: "status/"}
	}
	tail, ok := strings.CutPrefix(rest, "checks/")
	if !ok {
		return route{}
	}
	id, sub, _ := strings.Cut(tail, "/")
	switch {
	case isUUID(id):
		switch {
		case sub == "" && !strings.Contains(tail, "/"):
			return route{op: opSingle, uuid: id, methods: []string{"GET", "POST", "DELETE"}, pattern: "checks/{uuid}"}
		case sub == "pause":
			return route{op: opPause, uuid: id, methods: []string{"POST"}, pattern: "checks/{uuid}/pause"}
		case sub == "resume":
			return route{op: opResume, uuid: id, methods: []string{"POST"}, pattern: "checks/{uuid}/resume"}
		case sub == "pings/":
			return route{op: opPings, uuid: id, methods: []string{"GET"}, pattern: "checks/{uuid}/pings/"}
		case sub == "flips/":
			return route{op: opFlips, uuid: id, methods: []string{"GET"}, pattern: "checks/{uuid}/flips/"}
		}
		if ns, ok := strings.CutPrefix(sub, "pings/"); ok {
			if ns, ok := strings.CutSuffix(ns, "/body"); ok && ns != "" && allDigits(ns) {
				n, err := strconv.ParseInt(ns, 10, 64)
				if err == nil {
					return route{op: opPingBody, uuid: id, n: n, methods: []string{"GET"}, pattern: "checks/{uuid}/pings/{n}/body"}
				}
			}
		}
	case isUniqueKey(id):
		switch {
		case sub == "" && !strings.Contains(tail, "/"):
			return route{op: opByKey, key: id, methods: []string{"GET"}, pattern: "checks/{unique_key}"}
		case sub == "flips/":
			return route{op: opKeyFlips, key: id, methods: []string{"GET"}, pattern: "checks/{unique_key}/flips/"}
		}
	}
	return route{}
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func isUniqueKey(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'z') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// serveAPI serves /api/v{1,2,3}/…: match, CORS, then the endpoint for the method.
func (h *Handler) serveAPI(w http.ResponseWriter, r *http.Request) {
	v, rest := version(r.URL.Path)
	rt := matchRoute(rest)
	h.setRoute(r, "/api/v"+strconv.Itoa(v)+"/"+rt.pattern)
	if rt.op == opNone {
		h.setRoute(r, "/api/v"+strconv.Itoa(v)+"/unmatched")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if rt.op == opStatus {
		h.status(w, r)
		return
	}
	// healthchecks.io's cors decorator: every answer of these endpoints, errors included,
	// may be read from any origin — never with credentials (no cookie is ever read here).
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Allow-Headers", "X-Api-Key")
	hd.Set("Access-Control-Allow-Methods", strings.Join(append(rt.methods[:len(rt.methods):len(rt.methods)], "OPTIONS"), ", "))
	hd.Set("Access-Control-Max-Age", "600")
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "X-Api-Key")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	f, need := h.endpoint(rt.op, r.Method)
	if f == nil {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	req, ok := h.authorize(w, r, need, v)
	if !ok {
		return
	}
	if err := f(w, req, rt); err != nil {
		h.fail(w, r, err)
	}
}

// version splits /api/v{N}/rest.
func version(p string) (int, string) {
	switch {
	case strings.HasPrefix(p, prefixV3):
		return 3, p[len(prefixV3):]
	case strings.HasPrefix(p, prefixV2):
		return 2, p[len(prefixV2):]
	}
	return 1, strings.TrimPrefix(p, prefixV1)
}

// endpointFunc serves one endpoint for an authenticated request.
type endpointFunc func(w http.ResponseWriter, r *request, rt route) error

// endpoint returns the view of an endpoint and method, and the keys it lets in (nil when the
// method is not the endpoint's).
func (h *Handler) endpoint(o op, method string) (endpointFunc, access) {
	switch o {
	case opChecks:
		switch method {
		case http.MethodGet:
			return h.listChecks, readOnly
		case http.MethodPost:
			return h.createCheck, readWrite
		}
	case opSingle:
		switch method {
		case http.MethodGet:
			return h.getCheck, readOnly
		case http.MethodPost:
			return h.updateCheck, readWrite
		case http.MethodDelete:
			return h.deleteCheck, readWrite
		}
	case opByKey:
		if method == http.MethodGet {
			return h.getCheckByKey, readOnly
		}
	case opPause:
		if method == http.MethodPost {
			return h.pauseCheck, readWrite
		}
	case opResume:
		if method == http.MethodPost {
			return h.resumeCheck, readWrite
		}
	case opPings:
		if method == http.MethodGet {
			return h.listPings, readWrite
		}
	case opPingBody:
		if method == http.MethodGet {
			return h.pingBody, readWrite
		}
	case opFlips, opKeyFlips:
		if method == http.MethodGet {
			return h.listFlips, readOnly
		}
	case opChannels:
		if method == http.MethodGet {
			return h.listChannels, readWrite
		}
	case opBadges:
		if method == http.MethodGet {
			return h.listBadges, readOnly
		}
	}
	return nil, 0
}

// status: GET /api/v{N}/status/ answers "OK" while the store answers (no key needed).
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	if h.deps.Status != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := h.deps.Status(ctx); err != nil {
			h.log.WarnContext(r.Context(), "status endpoint: not ready", "err", err)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "not ready")
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK")
}

// readBody parses a POST body as healthchecks.io does, whatever its Content-Type: empty is
// no body; otherwise it must be a JSON object.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	buf, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.BodyLimit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, messages.Errorf(messages.ETooLarge, "request body larger than %d bytes", mbe.Limit)
		}
		return nil, err
	}
	if len(buf) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(buf, &v); err != nil {
		return nil, messages.Errorf(messages.EInvalid, "could not parse request body")
	}
	obj, ok := v.(map[string]any)
	if !ok || obj == nil {
		return nil, messages.Errorf(messages.EInvalid, "json validation error: value is not an object")
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(buf, &out); err != nil {
		return nil, messages.Errorf(messages.EInvalid, "could not parse request body")
	}
	return out, nil
}

// writeError answers {"error": msg}, healthchecks.io's error shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusOf maps application error codes to statuses.
var statusOf = map[messages.ErrCode]int{
	messages.EInvalid:      http.StatusBadRequest,
	messages.EConflict:     http.StatusBadRequest, // healthchecks.io documents no 409 on writes
	messages.EPrecondition: http.StatusPreconditionFailed,
	messages.ENotFound:     http.StatusNotFound,
	messages.EUnauthorized: http.StatusUnauthorized,
	messages.EForbidden:    http.StatusForbidden,
	messages.ERateLimited:  http.StatusTooManyRequests,
	messages.EUnavailable:  http.StatusServiceUnavailable,
	messages.EStale:        http.StatusServiceUnavailable,
	messages.ETooLarge:     http.StatusRequestEntityTooLarge,
}

// errForbidden answers a check of another user, as healthchecks.io does: 403, no body.
var errForbidden = &messages.Error{Code: messages.EForbidden, Message: ""}

// fail answers err: a not-found or forbidden without a body (healthchecks.io's Http404 and
// HttpResponseForbidden), anything else {"error": …}; internal errors are logged once here and
// answered "internal error".
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := messages.CodeOf(err)
	status, ok := statusOf[code]
	if !ok {
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			status, err = http.StatusServiceUnavailable, errors.New("request timed out")
		default:
			h.log.ErrorContext(r.Context(), "healthchecks.io API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, http.StatusInternalServerError, "internal error")
			return
		}
	}
	var e *messages.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	} else if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	switch status {
	case http.StatusNotFound, http.StatusForbidden:
		w.WriteHeader(status)
		return
	}
	msg := messages.MessageOf(err)
	if !ok {
		msg = err.Error() // the timeout's own words
	}
	writeError(w, status, msg)
}
