package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// recentPingsPerCheck is how many of each check's newest pings the aggregate carries (the
// dashboard's strip).
const recentPingsPerCheck = 20

// aggregateJSON is GET /api/v1/checks/aggregate: everything the dashboard shows, in one
// answer it can poll with If-None-Match.
type aggregateJSON struct {
	Checks  aggregatePage          `json:"checks"`
	Stats   countsJSON             `json:"stats"`
	Summary summaryJSON            `json:"summary"`
	Tags    []persistence.TagCount `json:"tags"`
	// UserSlug and PingBaseURL: a check's ping URL is PingBaseURL + its slug.
	UserSlug    string `json:"user_slug"`
	PingBaseURL string `json:"ping_base_url"`
}

// countsJSON counts the user's checks by status (the counts of GET /api/v1/checks/stats; its
// 24-hour activity figures, which count every recent ping, stay there, off the polling path).
type countsJSON struct {
	Total  int64 `json:"total"`
	New    int64 `json:"new"`
	Up     int64 `json:"up"`
	Down   int64 `json:"down"`
	Paused int64 `json:"paused"`
	Late   int64 `json:"late"`
}

// aggregatePage is a page of checks as GET /api/v1/checks answers it, each with its newest
// pings.
type aggregatePage struct {
	Items      []aggregateCheck `json:"items"`
	NextCursor *string          `json:"next_cursor"`
	PrevCursor *string          `json:"prev_cursor"`
	Size       int              `json:"size"`
}

// aggregateCheck is the check JSON with its newest pings, newest first.
type aggregateCheck struct {
	checkJSON
	RecentPings []recentPingJSON `json:"recent_pings"`
}

// recentPingJSON is one ping of the strip: what it was and when.
type recentPingJSON struct {
	N          int64                `json:"n"`
	At         apiTime              `json:"at"`
	Kind       messages.PingLogKind `json:"kind"`
	ExitStatus *int32               `json:"exit_status"`
	Failed     bool                 `json:"failed"` // it counted as a failure (a content rule's reason)
}

// aggregate: GET /api/v1/checks/aggregate takes GET /api/v1/checks's parameters (sort_by
// defaults to status: failing first) and answers that page (each check with its newest recentPingsPerCheck pings, from one store query),
// the stats, the metrics summary, the tags, the user slug and the ping base URL. Its weak
// ETag covers the user, the parameters and the answer: a dashboard polling every few
// seconds gets 304 while nothing it shows changed. The answer holds no clock reading (the
// countdowns run in the browser from next_deadline), so an idle account keeps its ETag.
func (s *Server) aggregate(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	q := r.URL.Query()
	if !q.Has("sort_by") {
		q.Set("sort_by", "status") // the dashboard's order: failing first
	}
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	ctx := r.Context()
	page, rows, err := s.checkPage(ctx, a.user, p)
	if err != nil {
		return err
	}
	pings, err := s.deps.Store.RecentPings(ctx, a.user.ID, checkIDs(rows), recentPingsPerCheck)
	if err != nil {
		return err
	}
	byCheck := make(map[int64][]recentPingJSON, len(rows))
	for _, pr := range pings {
		j := recentPingJSON{N: pr.N, At: apiTime(pr.At), Kind: pr.Kind, Failed: pr.Reason != ""}
		if pr.ExitStatus >= 0 {
			e := pr.ExitStatus
			j.ExitStatus = &e
		}
		byCheck[pr.CheckID] = append(byCheck[pr.CheckID], j)
	}
	out := aggregateJSON{
		Checks:      aggregatePage{Items: make([]aggregateCheck, 0, len(page.Items)), NextCursor: page.NextCursor, PrevCursor: page.PrevCursor, Size: page.Size},
		UserSlug:    a.user.Slug,
		PingBaseURL: strings.TrimRight(s.cfg.PublicURL, "/") + "/p/" + url.PathEscape(a.user.Slug) + "/",
	}
	for _, c := range page.Items {
		recent := byCheck[c.ID]
		if recent == nil {
			recent = []recentPingJSON{}
		}
		out.Checks.Items = append(out.Checks.Items, aggregateCheck{checkJSON: c, RecentPings: recent})
	}
	now := s.now()
	st, err := s.deps.Store.CheckStats(ctx, a.user.ID, now)
	if err != nil {
		return err
	}
	out.Stats = countsJSON{Total: st.Total, New: st.New, Up: st.Up, Down: st.Down, Paused: st.Paused, Late: st.Late}
	out.Summary = s.userSummary(st)
	if out.Tags, err = s.deps.Store.CheckTags(ctx, a.user.ID); err != nil {
		return err
	}
	if out.Tags == nil {
		out.Tags = []persistence.TagCount{}
	}
	return writeListTagged(w, r, a.user, q, rows, out)
}
