package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/adminauth"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/siteadmin"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The admin pages (docs/operations.md "Admin pages"): an operator signs in at /admin/login
// with their username and password and gets an admin session (session.Manager's, apart from
// any user session the browser holds); the pages list users (disable, enable, delete), search
// every user's checks, show the cluster's nodes and the site's figures. Every action goes
// through siteadmin, as the admin API's do.

// adminMethod names the admin pages in the activity log (the API's is "admin").
const adminMethod = "admin_session"

// adminPageSize is how many rows an admin list shows at once.
const adminPageSize = 50

// adminPageNames are the admin templates; each is parsed with the layout and admin_nav.html.
var adminPageNames = []string{"admin_login", "admin_home", "admin_users", "admin_checks", "admin_nodes"}

// parseAdminPages parses the admin templates into p.pages.
func (p *Pages) parseAdminPages(funcs template.FuncMap) error {
	for _, name := range adminPageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/admin_nav.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	return nil
}

// adminRoutes are the admin pages' routes (none without Deps.Admin).
func (p *Pages) adminRoutes() []routeDef {
	if p.d.Admin == nil || !p.d.Sessions.AdminEnabled() {
		return nil
	}
	get, post := http.MethodGet, http.MethodPost
	return []routeDef{
		{get, "/admin/login", p.adminLoginPage},
		{post, "/admin/login", p.form(p.adminLogin, false)},
		{post, "/admin/logout", p.adminForm(p.adminLogout)},
		{get, "/admin", p.adminOnly(p.adminHome)},
		{get, "/admin/users", p.adminOnly(p.adminUsers)},
		{post, "/admin/users/:id/:action", p.adminForm(p.adminUserAction)},
		{get, "/admin/checks", p.adminOnly(p.adminChecks)},
		{get, "/admin/nodes", p.adminOnly(p.adminNodes)},
	}
}

// routeDef is one route as the page files list them.
type routeDef struct {
	method, pattern string
	h               http.HandlerFunc
}

// adminHandler serves an admin page for a signed-in admin.
type adminHandler func(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal) error

// AdminData is what every admin page's data starts with.
type AdminData struct {
	Admin string // the signed-in admin's username
	CSRF  string // the admin forms' token (bound to the admin session)
	Page  string // which admin page, for the admin navigation
}

// adminView builds an admin page's view. The shell (theme picker, user navigation) keeps the
// browser's own CSRF token; admin forms carry the admin session's.
func (p *Pages) adminView(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal, title, page string) (*view, AdminData) {
	var pr *session.Principal
	if got, err := p.d.Sessions.Resolve(r); err == nil {
		pr = &got
	}
	v := p.newView(w, r, pr, title)
	return v, AdminData{Admin: ap.Admin.Username, CSRF: p.d.Sessions.AdminCSRF(*ap), Page: page}
}

// adminOnly serves a page only to a signed-in admin; others go to the admin sign-in.
func (p *Pages) adminOnly(h adminHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ap, err := p.d.Sessions.ResolveAdmin(r)
		if err != nil {
			if errors.Is(err, session.ErrNoAdminSession) {
				http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
				return
			}
			p.fail(w, r, err)
			return
		}
		if err := h(w, r, &ap); err != nil {
			p.fail(w, r, err)
		}
	}
}

// adminForm serves an admin form POST: the body is bounded and parsed, the admin session is
// required, and its CSRF token and the origin are checked.
func (p *Pages) adminForm(h adminHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, p.cfg.FormLimit)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				p.fail(w, r, err)
				return
			}
			p.fail(w, r, messages.Errorf(messages.EInvalid, "The form could not be read."))
			return
		}
		ap, err := p.d.Sessions.ResolveAdmin(r)
		if err != nil {
			if errors.Is(err, session.ErrNoAdminSession) {
				http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
				return
			}
			p.fail(w, r, err)
			return
		}
		if err := p.d.Sessions.VerifyAdminCSRF(r, ap); err != nil {
			p.errorPage(w, r, http.StatusForbidden, "Form refused", "This form was refused: it was sent from another site, or its security token did not match. Reload the page and try again.")
			return
		}
		if err := h(w, r, &ap); err != nil {
			p.fail(w, r, err)
		}
	}
}

// adminLoginData is the admin sign-in page's data.
type adminLoginData struct {
	Username string
}

// adminLoginPage: GET /admin/login (an admin already signed in goes to /admin).
func (p *Pages) adminLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := p.d.Sessions.ResolveAdmin(r); err == nil {
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
		return
	}
	p.renderAdminLogin(w, r, http.StatusOK, "", "")
}

func (p *Pages) renderAdminLogin(w http.ResponseWriter, r *http.Request, status int, username, errMsg string) {
	var pr *session.Principal
	if got, err := p.d.Sessions.Resolve(r); err == nil {
		pr = &got
	}
	v := p.newView(w, r, pr, "Admin sign-in")
	v.Error = errMsg
	v.Data = adminLoginData{Username: username}
	p.render(w, r, status, "admin_login", v)
}

// adminLogin: POST /admin/login {username, password} — the password is checked by siteadmin
// under the failed-authentication limits (per client address, and per username and client
// address); a success starts an admin session.
func (p *Pages) adminLogin(w http.ResponseWriter, r *http.Request, _ *session.Principal) error {
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	switch {
	case username == "" || password == "":
		p.renderAdminLogin(w, r, http.StatusBadRequest, username, "Enter your username and password.")
		return nil
	case len(username) > siteadmin.MaxUsernameLen || !utf8.ValidString(username) || len(password) > adminauth.MaxPasswordBytes:
		p.renderAdminLogin(w, r, http.StatusBadRequest, "", "That username or password is too long.")
		return nil
	}
	a, err := p.d.Admin.Site.SignIn(r.Context(), r, adminMethod, username, password)
	if errors.Is(err, siteadmin.ErrSignIn) {
		p.renderAdminLogin(w, r, http.StatusUnauthorized, username, "Wrong username or password.")
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := p.d.Sessions.BeginAdmin(w, r, a.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}

// adminLogout: POST /admin/logout.
func (p *Pages) adminLogout(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal) error {
	if err := p.d.Sessions.EndAdmin(w, r); err != nil {
		return err
	}
	p.d.Admin.Site.SignedOut(r.Context(), r, adminMethod, ap.Admin.ID)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
	return nil
}

// adminHomeData is the overview's data.
type adminHomeData struct {
	AdminData
	O siteadmin.Overview
}

// adminHome: GET /admin — the site's figures (the metrics summary).
func (p *Pages) adminHome(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal) error {
	o, err := p.d.Admin.Site.Overview(r.Context())
	if err != nil {
		return err
	}
	v, ad := p.adminView(w, r, ap, "Admin overview", "home")
	v.Data = adminHomeData{AdminData: ad, O: o}
	p.render(w, r, http.StatusOK, "admin_home", v)
	return nil
}

// afterParam reads ?after= (the last id of the previous page; 0 = the first page).
func afterParam(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("after")
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0, messages.Errorf(messages.EInvalid, "after must be a user or check id")
	}
	return id, nil
}

// adminUsersData is the user list's data.
type adminUsersData struct {
	AdminData
	Users []persistence.UserSummary
	Next  int64 // the after= of the next page (0: this is the last)
	First bool
}

// adminUsers: GET /admin/users?after= — users by id, a page at a time.
func (p *Pages) adminUsers(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal) error {
	return p.renderAdminUsers(w, r, ap, http.StatusOK, "")
}

func (p *Pages) renderAdminUsers(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal, status int, notice string) error {
	after, err := afterParam(r)
	if err != nil {
		return err
	}
	users, err := p.d.Admin.Site.Users(r.Context(), after, adminPageSize)
	if err != nil {
		return err
	}
	v, ad := p.adminView(w, r, ap, "Users", "users")
	v.Notice = notice
	d := adminUsersData{AdminData: ad, Users: users, First: after == 0}
	if len(users) == adminPageSize {
		d.Next = users[len(users)-1].ID
	}
	v.Data = d
	p.render(w, r, status, "admin_users", v)
	return nil
}

// adminUserAction: POST /admin/users/{id}/{disable|enable|delete}. A deletion must be
// confirmed with the user's slug.
func (p *Pages) adminUserAction(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal) error {
	ps := httprouter.ParamsFromContext(r.Context())
	id, err := strconv.ParseInt(ps.ByName("id"), 10, 64)
	if err != nil || id <= 0 {
		p.NotFound(w, r)
		return nil
	}
	ctx, site := r.Context(), p.d.Admin.Site
	var notice string
	switch action := ps.ByName("action"); action {
	case "disable", "enable":
		if err := site.SetDisabled(ctx, id, action == "disable"); err != nil {
			return err
		}
		notice = "User " + strconv.FormatInt(id, 10) + " is " + action + "d."
		site.Recorded(ctx, r, adminMethod, ap.Admin, id, action+" user")
	case "delete":
		confirm, slug := strings.TrimSpace(r.PostFormValue("confirm")), r.PostFormValue("slug")
		if confirm == "" || confirm != slug {
			return messages.Errorf(messages.EInvalid, "To delete a user, type their user slug to confirm.")
		}
		n, err := site.DeleteUser(ctx, id)
		if err != nil {
			return err
		}
		notice = "User " + strconv.FormatInt(id, 10) + " and their " + strconv.Itoa(n) + " checks are deleted; the slug " + slug + " is held for 24 hours."
		site.Recorded(ctx, r, adminMethod, ap.Admin, id, "delete user")
	default:
		p.NotFound(w, r)
		return nil
	}
	return p.renderAdminUsers(w, r, ap, http.StatusOK, notice)
}

// adminChecksData is the check search's data.
type adminChecksData struct {
	AdminData
	Q      string
	Checks []persistence.CheckSummary
	Next   int64
	First  bool
}

// adminChecks: GET /admin/checks?q=&after= — every user's checks whose name or slug
// contains q.
func (p *Pages) adminChecks(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal) error {
	after, err := afterParam(r)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	checks, err := p.d.Admin.Site.SearchChecks(r.Context(), q, after, adminPageSize)
	if err != nil {
		return err
	}
	v, ad := p.adminView(w, r, ap, "All checks", "checks")
	d := adminChecksData{AdminData: ad, Q: q, Checks: checks, First: after == 0}
	if len(checks) == adminPageSize {
		d.Next = checks[len(checks)-1].ID
	}
	v.Data = d
	p.render(w, r, http.StatusOK, "admin_checks", v)
	return nil
}

// adminNodesData is the cluster view's data.
type adminNodesData struct {
	AdminData
	Nodes []siteadmin.Node
}

// adminNodes: GET /admin/nodes — the cluster's members.
func (p *Pages) adminNodes(w http.ResponseWriter, r *http.Request, ap *session.AdminPrincipal) error {
	v, ad := p.adminView(w, r, ap, "Nodes", "nodes")
	v.Data = adminNodesData{AdminData: ad, Nodes: p.d.Admin.Site.Nodes(r.Context())}
	p.render(w, r, http.StatusOK, "admin_nodes", v)
	return nil
}

// AdminDeps are the admin pages' collaborators.
type AdminDeps struct {
	// Site carries out sign-ins and actions, as for the admin API.
	Site *siteadmin.Service
}
