package http

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Page sizes of GET /api/v1/checks.
const (
	defaultPageSize = 25
	maxPageSize     = 100
)

// maxSearchRunes bounds the name search q.
const maxSearchRunes = 100

// listParams are the validated query of GET /api/v1/checks.
type listParams struct {
	size   int
	sortBy string
	dir    string // asc | desc
	tags   []string
	search string               // q: a part of the name
	status messages.CheckStatus // one of persistence.ListStatuses, or ""
	cursor *cursor
}

// parseListParams validates size, sort_by, sort_direction, tag and cursor.
func parseListParams(q url.Values) (listParams, error) {
	p := listParams{sortBy: "id", dir: "asc"}
	var err error
	if p.size, err = queryInt(q, "size", defaultPageSize, 1, maxPageSize); err != nil {
		return p, err
	}
	if q.Has("sort_by") {
		p.sortBy = q.Get("sort_by")
		if !slices.Contains(sortColumns, p.sortBy) {
			return p, invalid("sort_by must be one of %s", strings.Join(sortColumns, ", "))
		}
	}
	if q.Has("sort_direction") {
		p.dir = q.Get("sort_direction")
		if p.dir != "asc" && p.dir != "desc" {
			return p, invalid("sort_direction must be asc or desc")
		}
	}
	for _, v := range q["tag"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if err := checkconfig.ValidateTag(t); err != nil {
				return p, invalid("tag: %q is not a tag", truncateRunes(t, 60))
			}
			if !slices.Contains(p.tags, t) {
				p.tags = append(p.tags, t)
			}
		}
	}
	if len(p.tags) > checkconfig.MaxTags {
		return p, invalid("tag: at most %d tags", checkconfig.MaxTags)
	}
	p.search = strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(p.search) > maxSearchRunes {
		return p, invalid("q: at most %d characters", maxSearchRunes)
	}
	if p.status = messages.CheckStatus(q.Get("status")); p.status != "" && !slices.Contains(persistence.ListStatuses, p.status) {
		names := make([]string, len(persistence.ListStatuses))
		for i, s := range persistence.ListStatuses {
			names[i] = string(s)
		}
		return p, invalid("status must be one of %s", strings.Join(names, ", "))
	}
	if q.Has("cursor") && q.Get("cursor") != "" {
		c, err := decodeCursor(q.Get("cursor"), p.sortBy, p.dir)
		if err != nil {
			return p, err
		}
		p.cursor = &c
	}
	return p, nil
}

// checkPage is the answer of GET /api/v1/checks.
type checkPage struct {
	Items      []CheckJSON `json:"items"`
	NextCursor *string     `json:"next_cursor"`
	PrevCursor *string     `json:"prev_cursor"`
	Size       int         `json:"size"` // the page size asked for
}

// listChecks: GET /api/v1/checks. The weak ETag covers the user, every query parameter (the
// cursor included), the rows' ids and versions and the answer itself (derived fields such as
// late change with time, channel status without a version).
func (s *Server) listChecks(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	q := r.URL.Query()
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	page, rows, err := s.checkPage(r.Context(), a.user, p, s.now())
	if err != nil {
		return err
	}
	return writeListTagged(w, r, a.user, q, rows, page)
}

// checkPage reads one page of the user's checks. Keyset pages on (sort column, id): a
// forward page asks for the rows after the cursor's key; a back page asks for the rows
// before it by reversing the direction, then reverses them. One row more than the page
// tells whether another page follows in that direction. The page's channels come from one
// query, not one per row. now decides the late filter and the derived fields.
func (s *Server) checkPage(ctx context.Context, u messages.User, p listParams, now time.Time) (checkPage, []messages.Check, error) {
	lq := persistence.ListQuery{SortBy: p.sortBy, Desc: p.dir == "desc", Tags: p.tags, Limit: p.size + 1,
		Search: p.search, Status: p.status, Now: now}
	back := p.cursor != nil && p.cursor.Back
	if p.cursor != nil {
		lq.After = p.cursor.Key.key()
		if back {
			lq.Desc = !lq.Desc
		}
	}
	rows, err := s.deps.Store.ListChecks(ctx, u.ID, lq)
	if err != nil {
		return checkPage{}, nil, err
	}
	more := len(rows) > p.size
	if more {
		rows = rows[:p.size]
	}
	if back {
		slices.Reverse(rows)
	}

	page := checkPage{Items: make([]CheckJSON, 0, len(rows)), Size: p.size}
	at := func(c messages.Check, back bool) *string {
		s := cursor{SortBy: p.sortBy, Dir: p.dir, Key: keyOf(c, p.sortBy), Back: back}.encode()
		return &s
	}
	if len(rows) > 0 {
		first, last := rows[0], rows[len(rows)-1]
		switch {
		case back: // came from a later page: there is one after this
			page.NextCursor = at(last, false)
			if more {
				page.PrevCursor = at(first, true)
			}
		case p.cursor != nil: // came from an earlier page
			page.PrevCursor = at(first, true)
			if more {
				page.NextCursor = at(last, false)
			}
		case more:
			page.NextCursor = at(last, false)
		}
	}
	chans, err := s.deps.Store.PageChannels(ctx, u.ID, checkIDs(rows))
	if err != nil {
		return checkPage{}, nil, err
	}
	byCheck := make(map[int64][]messages.Channel, len(rows))
	for _, ch := range chans {
		byCheck[ch.CheckID] = append(byCheck[ch.CheckID], ch)
	}
	for _, c := range rows {
		page.Items = append(page.Items, s.renderCheck(u, c, byCheck[c.ID], now))
	}
	return page, rows, nil
}

func checkIDs(rows []messages.Check) []int64 {
	ids := make([]int64, len(rows))
	for i, c := range rows {
		ids[i] = c.ID
	}
	return ids
}

// writeListTagged answers v (a page of rows, or more around it) with listETag, or 304.
func writeListTagged(w http.ResponseWriter, r *http.Request, u messages.User, q url.Values, rows []messages.Check, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	etag := listETag(u, q, rows, body)
	w.Header().Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
	return nil
}

// listETag is a weak validator of one page for one user.
func listETag(u messages.User, q url.Values, rows []messages.Check, body []byte) string {
	h := sha256.New()
	var n [8]byte
	put := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	put(u.ID)
	h.Write([]byte(u.Slug + "\x00" + q.Encode() + "\x00")) // Encode sorts by key
	for _, c := range rows {
		put(c.ID)
		put(c.Version)
	}
	h.Write(body)
	return `W/"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
}

// etagMatches applies If-None-Match's weak comparison: any listed tag (or *) equal to etag
// once W/ is ignored.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}
