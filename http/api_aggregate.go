package http

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// recentPingsPerCheck is how many of each check's newest pings the aggregate carries (the
// dashboard's strip).
const recentPingsPerCheck = 20

// Aggregate is GET /api/v1/checks/aggregate: everything the dashboard shows, in one answer
// it can poll with If-None-Match. The dashboard takes it as this Go value (inprocess.go).
type Aggregate struct {
	Checks  AggregatePage          `json:"checks"`
	Stats   CountsJSON             `json:"stats"`
	Summary summaryJSON            `json:"summary"`
	Tags    []persistence.TagCount `json:"tags"`
	// UserSlug and PingBaseURL: a check's ping URL is PingBaseURL + its slug.
	UserSlug    string `json:"user_slug"`
	PingBaseURL string `json:"ping_base_url"`
}

// CountsJSON counts the user's checks by status (the counts of GET /api/v1/checks/stats; its
// 24-hour activity figures, which count every recent ping, stay there, off the polling path).
type CountsJSON struct {
	Total  int64 `json:"total"`
	New    int64 `json:"new"`
	Up     int64 `json:"up"`
	Down   int64 `json:"down"`
	Paused int64 `json:"paused"`
	Late   int64 `json:"late"`
}

// AggregatePage is a page of checks as GET /api/v1/checks answers it, each with its newest
// pings.
type AggregatePage struct {
	Items      []AggregateCheck `json:"items"`
	NextCursor *string          `json:"next_cursor"`
	PrevCursor *string          `json:"prev_cursor"`
	Size       int              `json:"size"`
}

// AggregateCheck is the check JSON with its newest pings, newest first.
type AggregateCheck struct {
	CheckJSON
	RecentPings []RecentPingJSON `json:"recent_pings"`
}

// RecentPingJSON is one ping of the strip: what it was and when.
type RecentPingJSON struct {
	N          int64                `json:"n"`
	At         JSONTime             `json:"at"`
	Kind       messages.PingLogKind `json:"kind"`
	ExitStatus *int32               `json:"exit_status"`
	Failed     bool                 `json:"failed"` // it counted as a failure (a content rule's reason)
}

// aggregateFormat names the aggregate's JSON in its ETag: change it whenever the answer for
// unchanged data changes (a field added, a format changed), so cached ETags stop matching.
const aggregateFormat = "aggregate/2"

// aggregate: GET /api/v1/checks/aggregate takes GET /api/v1/checks's parameters (sort_by
// defaults to status: failing first) and answers that page (each check with its newest
// recentPingsPerCheck pings, from one store query), the stats, the metrics summary, the tags,
// the user slug and the ping base URL.
//
// Its weak ETag is decided before the answer is built, from the store's change stamp of the
// user's checks and channels (one query; persistence.ChangeStamp), the parameters, the user's
// slug and the cluster's members: a dashboard polling every few seconds gets its 304 for the
// price of that query. The stamp is read first and the answer built after it at the same
// clock reading, so an answer is never older than its ETag: a change that lands in between
// shows in this answer and again changes the next poll's ETag (one 200 too many, never a
// stale 304). The answer holds no clock reading (the countdowns run in the browser from
// next_deadline); what time changes in it (late) is in the stamp.
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
	// Milliseconds, as the store keeps times: the stamp and the answer then agree on which
	// deadlines have passed.
	now := s.now().Truncate(time.Millisecond)
	stamp, err := s.deps.Store.ChangeStamp(ctx, a.user.ID, now)
	if err != nil {
		return err
	}
	nodes := s.clusterNodes()
	etag := aggregateETag(a.user, q, s.cfg.PublicURL, stamp, nodes)
	w.Header().Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	out, err := s.buildAggregate(ctx, a.user, p, now, nodes)
	if err != nil {
		return err
	}
	return writeAnswer(w, r, http.StatusOK, &out)
}

// aggregateETag is the aggregate's weak validator: everything its answer depends on besides
// the store (the user, the parameters, the public URL, the cluster's members, which decide
// nodes_online and owner_node) and the store's change stamp.
func aggregateETag(u messages.User, q url.Values, publicURL string, st persistence.ChangeStamp, nodes []Node) string {
	h := sha256.New()
	var n [8]byte
	put := func(vs ...int64) {
		for _, v := range vs {
			binary.BigEndian.PutUint64(n[:], uint64(v))
			h.Write(n[:])
		}
	}
	str := func(s string) {
		put(int64(len(s)))
		h.Write([]byte(s))
	}
	str(aggregateFormat)
	put(u.ID)
	str(u.Slug)
	str(q.Encode()) // Encode sorts by key
	str(publicURL)
	put(st.Checks, st.IDSum, st.VersionSum, st.Passed, st.Channels, st.DeliveryTimes, st.DeliveryTexts)
	put(int64(len(nodes)))
	if nodes == nil {
		put(-1) // no member list: this node alone
	}
	for _, nd := range nodes {
		str(nd.ID)
		str(nd.Name)
		str(nd.State)
		if nd.StoreOK {
			put(1)
		} else {
			put(0)
		}
	}
	return `W/"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
}

// buildAggregate reads and assembles the aggregate's answer at now.
func (s *Server) buildAggregate(ctx context.Context, u messages.User, p listParams, now time.Time, nodes []Node) (Aggregate, error) {
	page, rows, err := s.checkPage(ctx, u, p, now)
	if err != nil {
		return Aggregate{}, err
	}
	strip := recentPingsPerCheck
	if l := s.cfg.PingLogLimit; l > 0 && l < int64(strip) {
		strip = int(l) // what the pruner keeps: see Config.PingLogLimit
	}
	pings, err := s.deps.Store.RecentPings(ctx, u.ID, checkIDs(rows), strip)
	if err != nil {
		return Aggregate{}, err
	}
	// The pings come grouped by check (Store.RecentPings orders them by check id, and the
	// conformance suite holds both stores to it): each check's strip is a slice of one array
	// (and the exit statuses of another), not a slice grown ping by ping.
	byCheck := make(map[int64][]RecentPingJSON, len(rows))
	all := make([]RecentPingJSON, len(pings))
	exits := make([]int32, len(pings))
	first := 0
	for i, pr := range pings {
		all[i] = RecentPingJSON{N: pr.N, At: JSONTime(pr.At), Kind: pr.Kind, Failed: pr.Reason != ""}
		if pr.ExitStatus >= 0 {
			exits[i] = pr.ExitStatus
			all[i].ExitStatus = &exits[i]
		}
		if i+1 == len(pings) || pings[i+1].CheckID != pr.CheckID {
			byCheck[pr.CheckID] = all[first : i+1 : i+1]
			first = i + 1
		}
	}
	out := Aggregate{
		Checks:      AggregatePage{Items: make([]AggregateCheck, 0, len(page.Items)), NextCursor: page.NextCursor, PrevCursor: page.PrevCursor, Size: page.Size},
		UserSlug:    u.Slug,
		PingBaseURL: strings.TrimRight(s.cfg.PublicURL, "/") + "/p/" + url.PathEscape(u.Slug) + "/",
	}
	for _, c := range page.Items {
		recent := byCheck[c.ID]
		if recent == nil {
			recent = []RecentPingJSON{}
		}
		out.Checks.Items = append(out.Checks.Items, AggregateCheck{CheckJSON: c, RecentPings: recent})
	}
	st, err := s.deps.Store.CheckStats(ctx, u.ID, now)
	if err != nil {
		return Aggregate{}, err
	}
	out.Stats = CountsJSON{Total: st.Total, New: st.New, Up: st.Up, Down: st.Down, Paused: st.Paused, Late: st.Late}
	out.Summary = s.userSummary(st, nodes)
	if out.Tags, err = s.deps.Store.CheckTags(ctx, u.ID); err != nil {
		return Aggregate{}, err
	}
	if out.Tags == nil {
		out.Tags = []persistence.TagCount{}
	}
	return out, nil
}
