package http

import (
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/siteadmin"
	"github.com/ttr-rip/ttr/messages"
)

// Route patterns of the admin API.
const (
	routeAdminStats       = "/api/v1/admin/stats"
	routeAdminUsers       = "/api/v1/admin/users"
	routeAdminUser        = "/api/v1/admin/users/:id"
	routeAdminUserDisable = "/api/v1/admin/users/:id/disable"
	routeAdminUserEnable  = "/api/v1/admin/users/:id/enable"
	routeAdminChecks      = "/api/v1/admin/checks"
	routeAdminActivity    = "/api/v1/admin/activity"
)

// SlugHold is how long the slug of a deleted user stays unavailable (24 hours), so a
// stale cache can never route pings to a newcomer who took it.
const SlugHold = siteadmin.SlugHold

// maxSearchLen bounds the admin check search.
const maxSearchLen = 200

// adminRoutes registers the admin API.
func (s *Server) adminRoutes(r *httprouter.Router) {
	r.GET(routeAdminStats, s.adminAuthed(routeAdminStats, s.adminStats))
	r.GET(routeAdminUsers, s.adminAuthed(routeAdminUsers, s.adminListUsers))
	r.DELETE(routeAdminUser, s.adminAuthed(routeAdminUser, s.adminDeleteUser))
	r.POST(routeAdminUserDisable, s.adminAuthed(routeAdminUserDisable, s.adminSetDisabled(true)))
	r.POST(routeAdminUserEnable, s.adminAuthed(routeAdminUserEnable, s.adminSetDisabled(false)))
	r.GET(routeAdminChecks, s.adminAuthed(routeAdminChecks, s.adminSearchChecks))
	r.GET(routeAdminActivity, s.adminAuthed(routeAdminActivity, s.adminActivity))
}

// adminActivity: GET /api/v1/admin/activity?size=&cursor= — everyone's authentication
// activity, unknown credentials included (docs/api.md "Activity").
func (s *Server) adminActivity(w http.ResponseWriter, r *http.Request, _ adminArgs) error {
	return s.ServeActivity(w, r, 0)
}

// siteJSON is the cluster-wide overview (admin stats, and the admin's metrics summary).
type siteJSON struct {
	Users           int64     `json:"users"`
	DisabledUsers   int64     `json:"disabled_users"`
	Checks          statsJSON `json:"checks"`
	PingsPerMinute  int64     `json:"pings_per_minute"`
	AlertsPerMinute int64     `json:"alerts_per_minute"`
	OutboxPending   int64     `json:"outbox_pending"`
	NodesOnline     int       `json:"nodes_online"`
	Nodes           []Node    `json:"nodes"`
}

// site reads the overview.
func (s *Server) site(r *http.Request) (siteJSON, error) {
	o, err := s.deps.Admin.Site.Overview(r.Context())
	if err != nil {
		return siteJSON{}, err
	}
	st, c := o.Stats, o.Stats.Checks
	return siteJSON{
		Users: st.Users, DisabledUsers: st.DisabledUsers,
		Checks:         statsJSON{Total: c.Total, New: c.New, Up: c.Up, Down: c.Down, Paused: c.Paused, Late: c.Late},
		PingsPerMinute: st.PingsLastMinute, AlertsPerMinute: st.AlertsLastMinute, OutboxPending: st.OutboxPending,
		NodesOnline: o.NodesOnline, Nodes: o.Nodes,
	}, nil
}

// adminStats: GET /api/v1/admin/stats → users, checks by status, pings and delivered alerts
// in the last minute, outbox backlog, nodes.
func (s *Server) adminStats(w http.ResponseWriter, r *http.Request, _ adminArgs) error {
	out, err := s.site(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// adminUserJSON is a user in the admin list.
type adminUserJSON struct {
	ID            int64    `json:"id"`
	UserSlug      string   `json:"user_slug"`
	KeyHashPrefix string   `json:"key_hash_prefix"`
	CreatedAt     JSONTime `json:"created_at"`
	LastPing      JSONTime `json:"last_ping"`
	LastSeen      JSONTime `json:"last_seen"`
	Checks        int64    `json:"checks"`
	Disabled      bool     `json:"disabled"`
	DisabledAt    JSONTime `json:"disabled_at"`
}

// adminPage reads size (1..100, default 25) and cursor (the last id of the previous page).
func adminPage(r *http.Request) (size int, after int64, err error) {
	q := r.URL.Query()
	if size, err = queryInt(q, "size", 25, 1, 100); err != nil {
		return 0, 0, err
	}
	if c := q.Get("cursor"); c != "" {
		v, ok := parseID(c)
		if !ok {
			return 0, 0, invalid("cursor is not one this API returned")
		}
		after = v
	}
	return size, after, nil
}

// nextCursor is the cursor of the page after one of n rows ending at lastID ("" = last page).
func nextCursor(n, size int, lastID int64) string {
	if n < size {
		return ""
	}
	return strconv.FormatInt(lastID, 10)
}

// adminListUsers: GET /api/v1/admin/users?size=&cursor= → {items, next_cursor}, by id.
func (s *Server) adminListUsers(w http.ResponseWriter, r *http.Request, _ adminArgs) error {
	size, after, err := adminPage(r)
	if err != nil {
		return err
	}
	rows, err := s.deps.Admin.Store.ListUsers(r.Context(), after, size)
	if err != nil {
		return err
	}
	items := make([]adminUserJSON, 0, len(rows))
	var last int64
	for _, u := range rows {
		items = append(items, adminUserJSON{
			ID: u.ID, UserSlug: u.Slug, KeyHashPrefix: u.KeyHashPrefix, CreatedAt: JSONTime(u.CreatedAt),
			LastPing: JSONTime(u.LastPing), LastSeen: JSONTime(u.LastSeen), Checks: u.Checks, Disabled: !u.DisabledAt.IsZero(), DisabledAt: JSONTime(u.DisabledAt),
		})
		last = u.ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": nextCursor(len(rows), size, last)})
	return nil
}

// adminSetDisabled: POST /api/v1/admin/users/{id}/disable|enable → 204. A disabled user's
// API calls are refused with 403 at once on every node (the key is looked up with each
// request); their pings still count.
func (s *Server) adminSetDisabled(disable bool) adminFunc {
	return func(w http.ResponseWriter, r *http.Request, a adminArgs) error {
		if err := s.deps.Admin.Site.SetDisabled(r.Context(), a.userID, disable); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// adminDeleteUser: DELETE /api/v1/admin/users/{id} → 204. The user is disabled first (so
// they create nothing meanwhile), each check is deleted through its actor (its owner stops
// it and its wheel entry goes), then the account; its slug is held for SlugHold. A request
// cut short by its deadline leaves the user disabled with fewer checks: repeating it
// finishes the work.
func (s *Server) adminDeleteUser(w http.ResponseWriter, r *http.Request, a adminArgs) error {
	if _, err := s.deps.Admin.Site.DeleteUser(r.Context(), a.userID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminCheckJSON is a check in the admin search.
type adminCheckJSON struct {
	ID       int64                `json:"id"`
	UserID   int64                `json:"user_id"`
	UserSlug string               `json:"user_slug"`
	Slug     string               `json:"slug"`
	Name     string               `json:"name"`
	Status   messages.CheckStatus `json:"status"`
	LastPing JSONTime             `json:"last_ping"`
}

// adminSearchChecks: GET /api/v1/admin/checks?q=&size=&cursor= → every user's checks whose
// name or slug contains q, by id: {items, next_cursor}.
func (s *Server) adminSearchChecks(w http.ResponseWriter, r *http.Request, _ adminArgs) error {
	size, after, err := adminPage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if len(q) > maxSearchLen {
		return invalid("q must be at most %d bytes", maxSearchLen)
	}
	rows, err := s.deps.Admin.Store.SearchChecks(r.Context(), q, after, size)
	if err != nil {
		return err
	}
	items := make([]adminCheckJSON, 0, len(rows))
	var last int64
	for _, c := range rows {
		items = append(items, adminCheckJSON{ID: c.ID, UserID: c.UserID, UserSlug: c.UserSlug, Slug: c.Slug,
			Name: c.Name, Status: c.Status, LastPing: JSONTime(c.LastPing)})
		last = c.ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": nextCursor(len(rows), size, last)})
	return nil
}
