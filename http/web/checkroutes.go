package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/http/session"
)

// checkHandler serves a page under /checks/ for a signed-in browser; id is the {id} segment
// (0 on /checks/new).
type checkHandler func(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error

// checkPageRoute is one page under /checks/: its path shape after /checks/ ("{id}" stands for
// a check id) and its handlers by method.
type checkPageRoute struct {
	shape []string
	get   func(p *Pages) checkHandler
	post  func(p *Pages) checkHandler
}

// checkPageRoutes are the pages under /checks/. They share one catch-all route because
// httprouter cannot hold /checks/new beside /checks/:id (a static segment and a parameter at
// one position), the reason the API has its own dispatcher.
var checkPageRoutes = []checkPageRoute{
	{shape: []string{"new"}, get: func(p *Pages) checkHandler { return p.newCheckPage }, post: func(p *Pages) checkHandler { return p.createCheck }},
	{shape: []string{"{id}", "edit"}, get: func(p *Pages) checkHandler { return p.editCheckPage }, post: func(p *Pages) checkHandler { return p.updateCheck }},
	{shape: []string{"{id}", "delete"}, get: func(p *Pages) checkHandler { return p.deleteCheckPage }, post: func(p *Pages) checkHandler { return p.rowAction("delete") }},
	{shape: []string{"{id}", "pause"}, post: func(p *Pages) checkHandler { return p.rowAction("pause") }},
	{shape: []string{"{id}", "resume"}, post: func(p *Pages) checkHandler { return p.rowAction("resume") }},
	{shape: []string{"{id}", "ping"}, post: func(p *Pages) checkHandler { return p.rowAction("ping") }},
	{shape: []string{"{id}"}, get: func(p *Pages) checkHandler { return p.checkPage }},
	{shape: []string{"{id}", "badge"}, post: func(p *Pages) checkHandler { return p.badgeAction }},
	{shape: []string{"{id}", "integrations"}, get: func(p *Pages) checkHandler { return p.integrationsPage }, post: func(p *Pages) checkHandler { return p.integrationAction }},
}

// matchCheckPage finds the route of rest (the path after /checks, starting with "/") and the
// check id in it. ok is false when no shape matches (404); a shape without a handler for the
// method is 405.
func matchCheckPage(rest string) (checkPageRoute, int64, bool) {
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
next:
	for _, rt := range checkPageRoutes {
		if len(rt.shape) != len(segs) {
			continue
		}
		var id int64
		for i, want := range rt.shape {
			if want == "{id}" {
				v, err := strconv.ParseInt(segs[i], 10, 64)
				if err != nil || v <= 0 || strconv.FormatInt(v, 10) != segs[i] {
					continue next
				}
				id = v
			} else if segs[i] != want {
				continue next
			}
		}
		return rt, id, true
	}
	return checkPageRoute{}, 0, false
}

// checkPages serves GET (post false) or POST /checks/*rest.
func (p *Pages) checkPages(post bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rt, id, ok := matchCheckPage(strings.TrimPrefix(r.URL.Path, "/checks"))
		if !ok {
			p.NotFound(w, r)
			return
		}
		get := rt.get
		if post {
			get = rt.post
		}
		if get == nil {
			w.Header().Set("Allow", allowOf(rt))
			p.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed", "This address does not take that kind of request.")
			return
		}
		h := get(p)
		wrap := func(w http.ResponseWriter, r *http.Request, pr *session.Principal) error { return h(w, r, pr, id) }
		if post {
			p.form(wrap, true)(w, r)
			return
		}
		p.signedIn(wrap)(w, r)
	}
}

func allowOf(rt checkPageRoute) string {
	var m []string
	if rt.get != nil {
		m = append(m, http.MethodGet)
	}
	if rt.post != nil {
		m = append(m, http.MethodPost)
	}
	return strings.Join(m, ", ")
}
