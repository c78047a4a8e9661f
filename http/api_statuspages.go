package http

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/badge"
	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/http/statuspage"
	"github.com/ttr-rip/ttr/messages"
)

// Routes of status pages (docs/api.md "Status pages"). The public ones share their
// parameter names with the web UI's HTML page (RouteStatusPage), as httprouter requires of
// routes under one prefix.
const (
	routeStatusPages     = "/api/v1/status-pages"
	routeStatusPage      = "/api/v1/status-pages/:id"
	patternStatusPage    = "/api/v1/status-pages/{id}"
	RouteStatusPage      = "/s/:user_slug/:page_slug"
	routeStatusPageData  = RouteStatusPage + "/data"
	routeStatusPageBadge = RouteStatusPage + "/badge.svg"
	patternPublicData    = "/s/{user_slug}/{page_slug}/data"
	patternPublicBadge   = "/s/{user_slug}/{page_slug}/badge.svg"
)

// statusPageCacheControl lets a browser or proxy keep /data as long as the server does.
const statusPageCacheControl = "public, max-age=2"

// statusPageRoutes registers the status-page API and the public JSON feed and badge.
func (s *Server) statusPageRoutes(r *httprouter.Router) {
	if s.deps.StatusPages == nil {
		return
	}
	r.GET(routeStatusPages, s.authed(routeStatusPages, scoped(credential.Read, s.listStatusPages)))
	r.POST(routeStatusPages, s.authed(routeStatusPages, scoped(credential.Write, s.createStatusPage)))
	r.GET(routeStatusPage, s.withID(patternStatusPage, scoped(credential.Read, s.getStatusPage)))
	r.PUT(routeStatusPage, s.withID(patternStatusPage, scoped(credential.Write, s.putStatusPage)))
	r.PATCH(routeStatusPage, s.withID(patternStatusPage, scoped(credential.Write, s.patchStatusPage)))
	r.DELETE(routeStatusPage, s.withID(patternStatusPage, scoped(credential.Delete, s.deleteStatusPage)))
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.Handle(m, routeStatusPageData, s.statusPageData)
		r.Handle(m, routeStatusPageBadge, s.statusPageBadge)
	}
}

// statusPageJSON is a page as its owner sees it.
type statusPageJSON struct {
	ID           int64     `json:"id"`
	Slug         string    `json:"slug"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	Layout       string    `json:"layout"`
	ShowActivity bool      `json:"show_activity"`
	Checks       []int64   `json:"checks"`
	URL          string    `json:"url"`
	DataURL      string    `json:"data_url"`
	BadgeURL     string    `json:"badge_url"`
	SlugPings    bool      `json:"slug_pings"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Notice, on the user's first page while slug pings are on, says that the page shows
	// the user slug of /p/ ping URLs, and how to turn those off.
	Notice string `json:"notice,omitempty"`
}

// slugPingsNotice is the offer made when a user publishes their first page.
const slugPingsNotice = "This page's address shows your user slug, which /p/{user_slug}/{check} ping URLs start with, " +
	"and check names often hint at check slugs. Turn slug pings off (PATCH /api/v1/user {\"slug_pings\": false}) " +
	"and ping through /ping/ URLs instead."

func (s *Server) statusPageJSON(p statuspage.Page) statusPageJSON {
	url := strings.TrimRight(s.cfg.PublicURL, "/") + "/s/" + p.UserSlug + "/" + p.Slug
	ids := p.CheckIDs
	if ids == nil {
		ids = []int64{}
	}
	return statusPageJSON{ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description, Layout: p.Layout,
		ShowActivity: p.ShowActivity, Checks: ids, URL: url, DataURL: url + "/data", BadgeURL: url + "/badge.svg",
		SlugPings: p.SlugPings, Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// statusPageInput is the body of POST, PUT and PATCH: PATCH changes the fields sent, POST
// and PUT set every field (slug and name are required; the rest default).
type statusPageInput struct {
	Slug         *string  `json:"slug"`
	Name         *string  `json:"name"`
	Description  *string  `json:"description"`
	Layout       *string  `json:"layout"`
	ShowActivity *bool    `json:"show_activity"`
	Checks       *[]int64 `json:"checks"`
}

// apply merges the fields sent into base.
func (in statusPageInput) apply(base statuspage.Input) statuspage.Input {
	if in.Slug != nil {
		base.Slug = *in.Slug
	}
	if in.Name != nil {
		base.Name = *in.Name
	}
	if in.Description != nil {
		base.Description = *in.Description
	}
	if in.Layout != nil {
		base.Layout = *in.Layout
	}
	if in.ShowActivity != nil {
		base.ShowActivity = *in.ShowActivity
	}
	if in.Checks != nil {
		base.CheckIDs = *in.Checks
	}
	return base
}

func (s *Server) decodeStatusPage(w http.ResponseWriter, r *http.Request, full bool) (statusPageInput, error) {
	var in statusPageInput
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return in, err
	}
	if full && (in.Slug == nil || in.Name == nil) {
		return in, invalid("slug and name are required")
	}
	return in, nil
}

func setPageETag(w http.ResponseWriter, p statuspage.Page) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(p.Version, 10)+`"`)
}

// pageIfMatch reads If-Match as the version an update applies to: 0 = any; a tag that is
// no version of the page's gives -1, which none has (412).
func pageIfMatch(h http.Header) (int64, error) {
	versions, err := parseIfMatch(h)
	switch {
	case err != nil:
		return 0, err
	case versions == nil:
		return 0, nil
	case versions[0] == 0:
		return -1, nil
	}
	return versions[0], nil
}

// listStatusPages: GET /api/v1/status-pages — every page of the user (at most the quota).
func (s *Server) listStatusPages(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	ps, err := s.deps.StatusPages.List(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	out := make([]statusPageJSON, len(ps))
	for i, p := range ps {
		out[i] = s.statusPageJSON(p)
	}
	return writeJSONTagged(w, r, a.user, map[string]any{"items": out})
}

// createStatusPage: POST /api/v1/status-pages (403 beyond the status-page quota; a check id
// that is not the user's is 404).
func (s *Server) createStatusPage(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	in, err := s.decodeStatusPage(w, r, true)
	if err != nil {
		return err
	}
	p, first, err := s.deps.StatusPages.Create(r.Context(), a.user.ID, in.apply(statuspage.Input{}))
	if err != nil {
		return err
	}
	j := s.statusPageJSON(p)
	if first && p.SlugPings {
		j.Notice = slugPingsNotice
	}
	w.Header().Set("Location", routeStatusPages+"/"+itoa(p.ID))
	setPageETag(w, p)
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// getStatusPage: GET /api/v1/status-pages/{id}.
func (s *Server) getStatusPage(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	p, err := s.deps.StatusPages.Get(r.Context(), a.user.ID, a.checkID)
	if err != nil {
		return err
	}
	setPageETag(w, p)
	writeJSON(w, http.StatusOK, s.statusPageJSON(p))
	return nil
}

// putStatusPage: PUT /api/v1/status-pages/{id} sets every field (If-Match honoured).
func (s *Server) putStatusPage(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.updateStatusPage(w, r, a, true)
}

// patchStatusPage: PATCH /api/v1/status-pages/{id} changes the fields sent.
func (s *Server) patchStatusPage(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.updateStatusPage(w, r, a, false)
}

func (s *Server) updateStatusPage(w http.ResponseWriter, r *http.Request, a apiArgs, full bool) error {
	ifVersion, err := pageIfMatch(r.Header)
	if err != nil {
		return err
	}
	in, err := s.decodeStatusPage(w, r, full)
	if err != nil {
		return err
	}
	base := statuspage.Input{}
	if !full {
		cur, err := s.deps.StatusPages.Get(r.Context(), a.user.ID, a.checkID)
		if err != nil {
			return err
		}
		base = statuspage.InputOf(cur.StatusPage)
		if ifVersion == 0 {
			// A partial update applies to the version it was merged with.
			ifVersion = cur.Version
		}
	}
	p, err := s.deps.StatusPages.Update(r.Context(), a.user.ID, a.checkID, in.apply(base), ifVersion)
	if err != nil {
		return err
	}
	setPageETag(w, p)
	writeJSON(w, http.StatusOK, s.statusPageJSON(p))
	return nil
}

// deleteStatusPage: DELETE /api/v1/status-pages/{id}.
func (s *Server) deleteStatusPage(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	if err := s.deps.StatusPages.Delete(r.Context(), a.user.ID, a.checkID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkUptime: GET /api/v1/checks/{id}/uptime?days=90 — the check's uptime on each of the
// user's last days, in the user's time zone (docs/api.md "Uptime").
func (s *Server) checkUptime(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	if s.deps.StatusPages == nil {
		return messages.Errorf(messages.EUnavailable, "uptime is not available on this server")
	}
	days, err := queryInt(r.URL.Query(), "days", statuspage.HistoryDays, 1, maxUptimeDays)
	if err != nil {
		return err
	}
	tz, out, err := s.deps.StatusPages.Uptime(r.Context(), a.user.ID, a.checkID, days)
	if err != nil {
		return err
	}
	return writeJSONTagged(w, r, a.user, map[string]any{"tz": tz, "days": out})
}

// maxUptimeDays bounds ?days= (flips are kept 400 days).
const maxUptimeDays = 400

// publicClient takes one request of the client IP's --limit-api-ip allowance for a public
// status-page route. A page's answer is computed at most once per 2 s, but an address that
// does not exist costs a store read each time: the allowance bounds what one client can make
// the store do, as on the API.
func (s *Server) publicClient(r *http.Request) error { return s.deps.Limits.APIRequest(r) }

// statusPageData: /s/{user_slug}/{page_slug}/data — the page's public JSON, shared by every
// viewer for two seconds, with a weak ETag (304 on If-None-Match).
func (s *Server) statusPageData(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	setRoute(r, patternPublicData)
	if err := s.publicClient(r); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.deps.StatusPages.Public(r.Context(), ps.ByName("user_slug"), ps.ByName("page_slug"))
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			notFound(w, r)
			return
		}
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", statusPageCacheControl)
	h.Set("ETag", b.ETag)
	if etagMatches(r.Header.Get("If-None-Match"), b.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.JSON)
	}
}

// statusPageBadge: /s/{user_slug}/{page_slug}/badge.svg — the page's name and the worst
// status of its checks; an unknown page answers the unknown badge, like every badge.
func (s *Server) statusPageBadge(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	setRoute(r, patternPublicBadge)
	if err := s.publicClient(r); err != nil {
		s.fail(w, r, err)
		return
	}
	out := badge.Unknowns
	b, err := s.deps.StatusPages.Public(r.Context(), ps.ByName("user_slug"), ps.ByName("page_slug"))
	switch {
	case err == nil:
		ss := make([]badge.Status, len(b.View.Checks))
		for i, c := range b.View.Checks {
			ss[i] = c.Status
		}
		if len(ss) > 0 {
			out = badge.Badge{Label: badgeLabel(b.View.Name), Status: badge.Worst(ss)}
		}
	case messages.CodeOf(err) != messages.ENotFound:
		s.fail(w, r, err)
		return
	}
	serveBadge(w, r, out, formatSVG)
}
