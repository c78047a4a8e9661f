package web

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/badge"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/statuspage"
	"github.com/ttr-rip/ttr/messages"
)

// Status pages in the web UI: the public page (/s/{user slug}/{page slug}, a document of its
// own without the signed-in shell) and the owner's editor (list, create, edit, preview,
// delete). The public page shows the view package statuspage computes — the same one /data
// serves, which app.js refreshes it from — and works without JavaScript.

// statusRoutes are the status-page routes of Routes.
func (p *Pages) statusRoutes() []routeDef {
	if p.d.StatusPages == nil {
		return nil
	}
	return []routeDef{
		{http.MethodGet, ttrhttp.RouteStatusPage, p.statusPublic},
		{http.MethodHead, ttrhttp.RouteStatusPage, p.statusPublic},
		{http.MethodGet, "/status-pages", p.signedIn(p.statusList)},
		{http.MethodGet, "/status-pages/edit", p.signedIn(p.statusEdit)},
		{http.MethodPost, "/status-pages/save", p.form(p.statusSave, true)},
		{http.MethodPost, "/status-pages/delete", p.form(p.statusDelete, true)},
		{http.MethodPost, "/status-pages/slug-pings-off", p.form(p.slugPingsOff, true)},
	}
}

// loadStatusTemplates parses the public page and the editor's pages, each with the view
// partial they share.
func (p *Pages) loadStatusTemplates(funcs template.FuncMap) error {
	funcs["statusName"] = func(s badge.Status) string {
		if s == "" {
			return ""
		}
		return strings.ToUpper(string(s[:1])) + string(s[1:])
	}
	sets := map[string][]string{
		"statuspublic": {"templates/status_public.html", "templates/status_view.html"},
		"statuspages":  {"templates/layout.html", "templates/statuspages.html"},
		"statusedit":   {"templates/layout.html", "templates/statusedit.html", "templates/status_view.html"},
	}
	for name, files := range sets {
		base := files[0][strings.LastIndexByte(files[0], '/')+1:]
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	return nil
}

// publicData is the public page's data.
type publicData struct {
	View    *statuspage.View
	Layout  string // the layout shown (the page's, or ?layout=)
	Layouts []string
	DataURL string
	Self    string // the page's path, for the layout links
	Preview bool
}

// statusPublic: GET /s/{user slug}/{page slug}?layout=cards|grid|timeline. Public: no
// session, no cookie set; cacheable for as long as /data is.
func (p *Pages) statusPublic(w http.ResponseWriter, r *http.Request) {
	// The allowance of the page's /data and badge (ttrhttp's publicClient), per client IP.
	if err := p.d.Limits.APIRequest(r); err != nil {
		p.fail(w, r, err)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/s/"), "/")
	if len(parts) != 2 {
		p.NotFound(w, r)
		return
	}
	b, err := p.d.StatusPages.Public(r.Context(), parts[0], parts[1])
	if err != nil {
		if messages.CodeOf(err) == messages.ENotFound {
			p.NotFound(w, r)
			return
		}
		p.fail(w, r, err)
		return
	}
	layout := r.URL.Query().Get("layout")
	if !statuspage.ValidLayout(layout) {
		layout = b.View.Layout
	}
	self := "/s/" + parts[0] + "/" + parts[1]
	theme, mode := p.theme(r, nil)
	v := &view{Title: b.View.Name, Theme: theme, Mode: mode, Path: r.URL.Path,
		Data: publicData{View: b.View, Layout: layout, Layouts: messages.StatusPageLayouts, DataURL: self + "/data", Self: self}}
	p.render(w, r, http.StatusOK, "statuspublic", v)
}

// statusListData is the editor's list.
type statusListData struct {
	Pages     []statuspage.Page
	SlugPings bool
	BaseURL   string
}

// statusList: GET /status-pages — the user's pages, and whether slug pings are on.
func (p *Pages) statusList(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	return p.renderStatusList(w, r, pr, "")
}

func (p *Pages) renderStatusList(w http.ResponseWriter, r *http.Request, pr *session.Principal, notice string) error {
	pages, err := p.d.StatusPages.List(r.Context(), pr.User.ID)
	if err != nil {
		return err
	}
	me, err := p.d.Accounts.Me(r.Context(), pr.User.ID)
	if err != nil {
		return err
	}
	v := p.newView(w, r, pr, "Status pages")
	v.Notice = notice
	v.Data = statusListData{Pages: pages, SlugPings: me.SlugPings, BaseURL: strings.TrimRight(p.cfg.PublicURL, "/")}
	p.render(w, r, http.StatusOK, "statuspages", v)
	return nil
}

// pickCheck is one of the user's checks in the editor: on the page or not, and its place.
type pickCheck struct {
	ID       int64
	Name     string
	Status   messages.CheckStatus
	Included bool
	Order    int
}

// statusEditData is the editor's form.
type statusEditData struct {
	ID        int64 // 0: a new page
	Version   int64
	In        statuspage.Input
	Checks    []pickCheck
	Layouts   []string
	SlugPings bool
	FirstPage bool // just published the user's first page
	URL       string
	Preview   *publicData
}

// statusEdit: GET /status-pages/edit[?id=N] — the form of a new or existing page, with a
// preview of the saved page.
func (p *Pages) statusEdit(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	d := statusEditData{In: statuspage.Input{Layout: messages.LayoutCards}}
	if idStr := r.URL.Query().Get("id"); idStr != "" {
		id, err := strconv.ParseInt(idStr, 10, 64)
		if err != nil || id <= 0 {
			return messages.ErrNotFound
		}
		pg, err := p.d.StatusPages.Get(r.Context(), pr.User.ID, id)
		if err != nil {
			return err
		}
		d.ID, d.Version, d.In = pg.ID, pg.Version, statuspage.InputOf(pg.StatusPage)
		d.URL = strings.TrimRight(p.cfg.PublicURL, "/") + "/s/" + pg.UserSlug + "/" + pg.Slug
		d.FirstPage = r.URL.Query().Get("first") == "1"
		if view, err := p.d.StatusPages.Preview(r.Context(), pr.User.ID, d.In); err == nil {
			d.Preview = &publicData{View: view, Layout: view.Layout, Preview: true}
		}
	}
	return p.renderStatusEdit(w, r, pr, http.StatusOK, d, "")
}

func (p *Pages) renderStatusEdit(w http.ResponseWriter, r *http.Request, pr *session.Principal, status int, d statusEditData, errMsg string) error {
	checks, err := p.d.StatusPages.UserChecks(r.Context(), pr.User.ID)
	if err != nil {
		return err
	}
	me, err := p.d.Accounts.Me(r.Context(), pr.User.ID)
	if err != nil {
		return err
	}
	d.SlugPings, d.Layouts = me.SlugPings, messages.StatusPageLayouts
	d.Checks = make([]pickCheck, 0, len(checks))
	for _, c := range checks {
		pc := pickCheck{ID: c.ID, Name: c.Name, Status: c.Status}
		if pc.Name == "" {
			pc.Name = c.Slug
		}
		if i := slices.Index(d.In.CheckIDs, c.ID); i >= 0 {
			pc.Included, pc.Order = true, i+1
		}
		d.Checks = append(d.Checks, pc)
	}
	// The page's checks first, in their order; then the others by name.
	slices.SortStableFunc(d.Checks, func(a, b pickCheck) int {
		switch {
		case a.Included && b.Included:
			return a.Order - b.Order
		case a.Included:
			return -1
		case b.Included:
			return 1
		}
		return 0
	})
	title := "New status page"
	if d.ID != 0 {
		title = "Edit " + d.In.Name
	}
	v := p.newView(w, r, pr, title)
	v.Error = errMsg
	if d.FirstPage {
		v.Notice = "Your first status page is public."
	}
	v.Data = d
	p.render(w, r, status, "statusedit", v)
	return nil
}

// inputFromForm reads the editor's form: the checks ticked, ordered by their order fields
// (ties and blanks keep the form's order).
func inputFromForm(r *http.Request) statuspage.Input {
	in := statuspage.Input{
		Slug: strings.TrimSpace(r.PostFormValue("slug")), Name: r.PostFormValue("name"),
		Description: r.PostFormValue("description"), Layout: r.PostFormValue("layout"),
		ShowActivity: r.PostFormValue("show_activity") == "on",
	}
	type picked struct {
		id    int64
		order int
	}
	var ps []picked
	for _, s := range r.PostForm["check"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			continue
		}
		order, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("order_" + s)))
		if err != nil {
			order = 1 << 30
		}
		ps = append(ps, picked{id, order})
	}
	slices.SortStableFunc(ps, func(a, b picked) int { return a.order - b.order })
	for _, pk := range ps {
		in.CheckIDs = append(in.CheckIDs, pk.id)
	}
	return in
}

// statusSave: POST /status-pages/save — create (no id) or update a page; the "preview"
// button renders the form with a preview of what was entered and saves nothing.
func (p *Pages) statusSave(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	in := inputFromForm(r)
	d := statusEditData{In: in}
	if id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64); err == nil && id > 0 {
		d.ID = id
		d.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	}
	userErr := func(err error) error {
		switch messages.CodeOf(err) {
		case messages.EInvalid, messages.EConflict, messages.EForbidden, messages.EPrecondition:
			return p.renderStatusEdit(w, r, pr, ttrhttp.StatusOf(err), d, messages.MessageOf(err))
		}
		return err
	}
	if r.PostFormValue("action") == "preview" {
		view, err := p.d.StatusPages.Preview(r.Context(), pr.User.ID, in)
		if err != nil {
			return userErr(err)
		}
		d.Preview = &publicData{View: view, Layout: view.Layout, Preview: true}
		return p.renderStatusEdit(w, r, pr, http.StatusOK, d, "")
	}
	if d.ID == 0 {
		pg, first, err := p.d.StatusPages.Create(r.Context(), pr.User.ID, in)
		if err != nil {
			return userErr(err)
		}
		next := "/status-pages/edit?id=" + strconv.FormatInt(pg.ID, 10)
		if first && pg.SlugPings {
			next += "&first=1"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	if _, err := p.d.StatusPages.Update(r.Context(), pr.User.ID, d.ID, in, d.Version); err != nil {
		return userErr(err)
	}
	http.Redirect(w, r, "/status-pages/edit?id="+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
	return nil
}

// statusDelete: POST /status-pages/delete {id}.
func (p *Pages) statusDelete(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return messages.ErrNotFound
	}
	if err := p.d.StatusPages.Delete(r.Context(), pr.User.ID, id); err != nil {
		return err
	}
	return p.renderStatusList(w, r, pr, "The status page was deleted.")
}

// slugPingsOff: POST /status-pages/slug-pings-off — the offer made with the first page.
func (p *Pages) slugPingsOff(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	off := false
	if err := p.d.Accounts.Update(r.Context(), pr.User.ID, account.Settings{SlugPings: &off}); err != nil {
		return err
	}
	return p.renderStatusList(w, r, pr, "Slug pings are off: /p/"+pr.User.Slug+"/… URLs no longer count. Ping through /ping/ URLs.")
}
