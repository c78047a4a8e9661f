package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
)

// The check pages read and write through the edge's own REST API, called in-process as the
// browser's session (its cookies, its origin headers, and on writes the CSRF token its form
// carried): a page and the script see the same validation, errors, ETags and If-Match rules,
// and nothing here reads the store or reaches an actor by another way.

// UseAPI implements ttrhttp.APIUser: h serves the edge's routes (the REST API and the ping
// routes), without the middleware the page's own request already went through.
func (p *Pages) UseAPI(h http.Handler) { p.api = h }

var _ ttrhttp.APIUser = (*Pages)(nil)

// errNoAPI: the pages were built without the edge (a programming error in the wiring).
var errNoAPI = errors.New("web: the edge's API was not handed to the pages (UseAPI)")

// apiAnswer is one in-process answer.
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

// forwarded are the request headers an in-process call carries over from the browser's
// request: its credentials, and what the CSRF origin check and the client-IP logic read.
var forwarded = []string{"Cookie", "Origin", "Sec-Fetch-Site", "Referer", "User-Agent", "X-Forwarded-For", "X-Forwarded-Proto"}

// call sends method target (a path with its query) with body (nil, or a value sent as JSON)
// to the edge as the browser of r, with extra headers as name/value pairs. A write carries
// the token of the form r posted (the form handler has checked it) as X-CSRF-Token.
func (p *Pages) call(r *http.Request, method, target string, body any, hdr ...string) (apiAnswer, error) {
	if p.api == nil {
		return apiAnswer{}, errNoAPI
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiAnswer{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, target, rd)
	if err != nil {
		return apiAnswer{}, err
	}
	req.Host, req.RemoteAddr, req.TLS = r.Host, r.RemoteAddr, r.TLS
	for _, h := range forwarded {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set(session.HeaderCSRF, r.PostFormValue(session.FormFieldCSRF))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := &recorder{header: http.Header{}}
	p.api.ServeHTTP(rec, req)
	return apiAnswer{status: rec.statusOr200(), header: rec.header, body: rec.buf.Bytes()}, nil
}

// callOK is call for an answer the page does not read: any answer but a 2xx is the
// application error it stands for.
func (p *Pages) callOK(r *http.Request, method, target string, body any, hdr ...string) error {
	a, err := p.call(r, method, target, body, hdr...)
	if err != nil {
		return err
	}
	return a.err()
}

// getValue is callValue for a GET.
func getValue[T any](p *Pages, r *http.Request, target string) (*T, apiAnswer, error) {
	return callValue[T](p, r, http.MethodGet, target, nil)
}

// postValue is callValue for a POST.
func postValue[T any](p *Pages, r *http.Request, target string, body any) (*T, apiAnswer, error) {
	return callValue[T](p, r, http.MethodPost, target, body)
}

// callValue is call for a route that hands its answer's Go value in-process
// (ttrhttp.WithAnswerSink), a *T: the same handler, rules and errors, without the JSON
// written and read back. Any answer but a 2xx is the application error it stands for.
func callValue[T any](p *Pages, r *http.Request, method, target string, body any) (*T, apiAnswer, error) {
	var v *T
	ctx := ttrhttp.WithAnswerSink(r.Context(), func(a any) bool {
		v, _ = a.(*T)
		return v != nil
	})
	a, err := p.call(r.WithContext(ctx), method, target, body)
	if err != nil {
		return nil, a, err
	}
	if err := a.err(); err != nil {
		return nil, a, err
	}
	if v == nil {
		return nil, a, fmt.Errorf("web: %s %s answered %d without a %T", method, target, a.status, v)
	}
	return v, a, nil
}

// err is the application error of a non-2xx answer, with the API's own words; nil for a 2xx.
func (a apiAnswer) err() error {
	if a.status >= 200 && a.status <= 299 {
		return nil
	}
	var d struct {
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(a.body, &d)
	e := &messages.Error{Code: ttrhttp.CodeOfStatus(a.status), Message: d.Detail}
	if e.Code == messages.EUnavailable || e.Code == messages.ERateLimited {
		// The API's own Retry-After (whole seconds), so the page passes on what it said.
		e.RetryAfter = time.Second
		if s, err := strconv.Atoi(a.header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
	}
	return e
}

// recorder is the ResponseWriter of an in-process call.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.buf.Write(b)
}
func (w *recorder) statusOr200() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
