package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// The queries of this file are the API's: each names the user in its WHERE clause.

// nullLast is math.MaxInt64: a NULL time sorts after every time.
const nullLast = "9223372036854775807"

type checkSQL struct {
	insertCheck, insertCheckIfMissing, checkBySlug, getCheck, checkStats, checkTags, slugTaken, owned string
	changeStamp                                                                                       string
	listPings, getPing, listFlips, channels, listDeliveries                                           string
	// pageChannels and recentPings end with "IN (" and take the ids, then their own end.
	pageChannels, recentPings string
	pingLogStart              string
	// sortExprs are the keyset sort expressions of ListChecks; listChecks its fixed start and
	// hasTag the condition for each tag (text built per call: its shape depends on the query).
	sortExprs          map[string]string
	listChecks, hasTag string
	param              func(int) string
}

func newCheckSQL(d *Dialect) checkSQL {
	r := d.Rebind
	insert := `INSERT INTO checks (user_id, uuid, created_at, version, ` +
		strings.Join(schema.ConfigColumns, ", ") + `, ` + strings.Join(schema.StateColumns, ", ") + `)
		VALUES (` + Params(1, 4+len(schema.ConfigColumns)+len(schema.StateColumns)) + `)`
	return checkSQL{
		insertCheck:          r(insert + ` RETURNING id`),
		insertCheckIfMissing: r(insert + ` ON CONFLICT (user_id, slug) DO NOTHING RETURNING id`),
		checkBySlug:          r(`SELECT ` + refColumns + ` FROM checks WHERE user_id = $1 AND slug = $2`),
		getCheck:             r(`SELECT ` + schema.CheckColumns + ` FROM checks WHERE id = $1 AND user_id = $2`),
		checkStats: r(`SELECT count(*),
			count(*) FILTER (WHERE status = 'new'),
			count(*) FILTER (WHERE status = 'up'),
			count(*) FILTER (WHERE status = 'down'),
			count(*) FILTER (WHERE status = 'paused'),
			count(*) FILTER (WHERE status = 'up' AND next_due < $2 AND next_deadline > $2)
			FROM checks WHERE user_id = $1`),
		// Sums are cast back to BIGINT (PostgreSQL's sum of bigint is numeric); last_at is
		// taken modulo 2^32 so the sum cannot overflow for any number of channels a user holds.
		changeStamp: r(`SELECT k.n, k.ids, k.versions, k.passed, ch.n, ch.times, ch.texts FROM
			(SELECT count(*) AS n, CAST(COALESCE(sum(id), 0) AS BIGINT) AS ids,
				CAST(COALESCE(sum(version), 0) AS BIGINT) AS versions,
				count(*) FILTER (WHERE status = 'up' AND next_due < $2)
				+ count(*) FILTER (WHERE status = 'up' AND next_deadline < $2)
				+ count(*) FILTER (WHERE status = 'up' AND next_deadline <= $2) AS passed
				FROM checks WHERE user_id = $1) k,
			(SELECT count(*) AS n, CAST(COALESCE(sum(COALESCE(last_at, 0) % 4294967296), 0) AS BIGINT) AS times,
				CAST(COALESCE(sum(length(last_status) + length(last_message)), 0) AS BIGINT) AS texts
				FROM channels WHERE user_id = $1) ch`),
		checkTags: r(`SELECT tags FROM checks WHERE user_id = $1 AND tags <> ''`),
		slugTaken: r(`SELECT EXISTS (SELECT 1 FROM checks WHERE user_id = $1 AND slug = $2 AND id <> $3)`),
		owned:     r(`SELECT 1 FROM checks WHERE id = $1 AND user_id = $2`),
		listPings: r(`SELECT ` + PingColumns + `, COALESCE(octet_length(body), 0) FROM pings
			WHERE check_id = $1 AND EXISTS (SELECT 1 FROM checks WHERE id = $1 AND user_id = $2)
			ORDER BY n DESC LIMIT $3`),
		pingLogStart: r(`SELECT COALESCE(min(n), 0) FROM pings
			WHERE check_id = $1 AND EXISTS (SELECT 1 FROM checks WHERE id = $1 AND user_id = $2)`),
		getPing: r(`SELECT ` + PingColumns + `, body FROM pings
			WHERE check_id = $1 AND n = $2 AND EXISTS (SELECT 1 FROM checks WHERE id = $1 AND user_id = $3)`),
		// Flip ids share the "<check>." prefix, so a longer id has a larger sequence.
		listFlips: r(`SELECT ` + FlipColumns + ` FROM flips
			WHERE check_id = $1 AND EXISTS (SELECT 1 FROM checks WHERE id = $1 AND user_id = $2)
			ORDER BY at DESC, length(id) DESC, id` + d.Collate + ` DESC LIMIT $3`),
		channels: r(`SELECT ` + channelColumns + ` FROM channels
			WHERE check_id = $1 AND user_id = $2 ORDER BY name`),
		listDeliveries: r(`SELECT ` + outboxColumns + ` FROM outbox
			WHERE check_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3`),
		// NULL times sort after every time, and names by bytes.
		sortExprs: map[string]string{
			"":              "id",
			"id":            "id",
			"name":          "name" + d.Collate,
			"created_at":    "COALESCE(created_at, " + nullLast + ")",
			"next_deadline": "COALESCE(next_deadline, " + nullLast + ")",
			"last_ping":     "COALESCE(last_ping, " + nullLast + ")",
			// persistence.StatusKey: the rank in the high bits, then the deadline.
			"status": `((CASE status WHEN 'down' THEN 0 WHEN 'up' THEN 1 WHEN 'new' THEN 2 WHEN 'paused' THEN 3 ELSE 4 END)
				* 1125899906842624 + COALESCE(next_deadline, 1125899906842623))`,
		},
		// A page's rows are found by their keys. The unary plus keeps SQLite's planner, which
		// has no statistics, from walking the user's index over all their checks (or
		// channels) and testing each against the list; PostgreSQL takes it as the same value.
		pageChannels: `SELECT ` + channelColumns + ` FROM channels WHERE +user_id = ` + d.Param(1) + ` AND check_id IN (`,
		// A ping's n is the check's n_pings when it was written (the write that appends it
		// sets both), so the newest k pings are those above n_pings - k: an index range.
		// Read in index order (oldest first within a check: no sort); RecentPings reverses.
		recentPings: `SELECT p.check_id, p.n, p.at, p.kind, p.exit_status, p.reason, p.remote_ip
			FROM checks c JOIN pings p ON p.check_id = c.id AND p.n > c.n_pings - ` + d.Param(1) + `
			WHERE +c.user_id = ` + d.Param(2) + ` AND c.id IN (`,
		listChecks: `SELECT ` + schema.CheckColumns + ` FROM checks WHERE user_id = ` + d.Param(1),
		hasTag:     d.Contains("tags", "%s"),
		param:      d.Param,
	}
}

// CreateCheck inserts c with version 1 and sets c.ID and c.Version.
func (s *Store) CreateCheck(ctx context.Context, c *messages.Check) error {
	var id int64
	if err := s.cfg.Write.QueryRow(ctx, s.q.insertCheck, checkInsertArgs(c)...).Scan(&id); err != nil {
		return fmt.Errorf("create check: %w", s.mapErr(err))
	}
	c.ID, c.Version, c.ConfigVersion = id, 1, 1
	return nil
}

func checkInsertArgs(c *messages.Check) []any {
	args := make([]any, 0, 4+len(schema.ConfigColumns)+len(schema.StateColumns))
	args = append(args, c.UserID, c.UUID, MS(c.CreatedAt), int64(1))
	return StateArgs(ConfigArgs(args, &c.CheckConfig, 1), &c.CheckState)
}

// CreateCheckIfMissing inserts c unless the user has a check with its slug, and returns the
// check that exists afterwards.
func (s *Store) CreateCheckIfMissing(ctx context.Context, c *messages.Check) (messages.CheckRef, bool, error) {
	w := s.cfg.Write
	for range 3 {
		var id int64
		err := w.QueryRow(ctx, s.q.insertCheckIfMissing, checkInsertArgs(c)...).Scan(&id)
		if err == nil {
			c.ID, c.Version, c.ConfigVersion = id, 1, 1
			return messages.CheckRef{ID: id, UserID: c.UserID, UUID: c.UUID, Slug: c.Slug}, true, nil
		}
		if err = s.mapErr(err); err != messages.ErrNotFound {
			return messages.CheckRef{}, false, fmt.Errorf("create check if missing: %w", err)
		}
		// The conflicting row has committed (PostgreSQL's ON CONFLICT waited for it; SQLite's
		// writer is the connection that wrote it), so a new statement sees it — unless it
		// was deleted in between: then try again.
		ref, err := scanRef(w.QueryRow(ctx, s.q.checkBySlug, c.UserID, c.Slug))
		if err = s.mapErr(err); err == nil {
			return ref, false, nil
		}
		if err != messages.ErrNotFound {
			return messages.CheckRef{}, false, fmt.Errorf("create check if missing: %w", err)
		}
	}
	return messages.CheckRef{}, false, fmt.Errorf("create check if missing: slug %q keeps changing", c.Slug)
}

// GetCheck returns the user's check.
func (s *Store) GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error) {
	c, err := ScanCheck(s.cfg.Read.QueryRow(ctx, s.q.getCheck, checkID, userID))
	if err != nil {
		return messages.Check{}, s.mapErr(err)
	}
	return c, nil
}

// ListChecks returns a page of the user's checks in keyset order.
func (s *Store) ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error) {
	expr, ok := s.q.sortExprs[q.SortBy]
	if !ok {
		return nil, messages.Errorf(messages.EInvalid, "unknown sort column %q", q.SortBy)
	}
	if err := CheckLimit(q.Limit); err != nil {
		return nil, err
	}
	var b strings.Builder
	args := []any{userID}
	arg := func(v any) string {
		args = append(args, v)
		return s.q.param(len(args))
	}
	b.WriteString(s.q.listChecks)
	for _, t := range q.Tags {
		if t != "" {
			fmt.Fprintf(&b, " AND "+s.q.hasTag, arg(" "+t+" "))
		}
	}
	if q.Search != "" {
		b.WriteString(` AND name ` + s.cfg.Dialect.ILike + ` ` + arg(containsPattern(q.Search)) + ` ESCAPE '\'`)
	}
	switch q.Status {
	case "":
	case persistence.StatusLate:
		now := q.Now.UnixMilli()
		b.WriteString(` AND status = 'up' AND next_due < ` + arg(now) + ` AND next_deadline > ` + arg(now))
	case messages.StatusNew, messages.StatusUp, messages.StatusDown, messages.StatusPaused:
		b.WriteString(` AND status = ` + arg(string(q.Status)))
	default:
		return nil, messages.Errorf(messages.EInvalid, "unknown status %q", q.Status)
	}
	op, dir := ">", "ASC"
	if q.Desc {
		op, dir = "<", "DESC"
	}
	if q.After != nil {
		switch q.SortBy {
		case "", "id":
			b.WriteString(` AND id ` + op + ` ` + arg(q.After.ID))
		case "name":
			b.WriteString(` AND (` + expr + `, id) ` + op + ` (` + arg(q.After.Str) + `, ` + arg(q.After.ID) + `)`)
		default:
			b.WriteString(` AND (` + expr + `, id) ` + op + ` (CAST(` + arg(q.After.Int) + ` AS BIGINT), ` + arg(q.After.ID) + `)`)
		}
	}
	if expr == "id" {
		b.WriteString(` ORDER BY id ` + dir)
	} else {
		b.WriteString(` ORDER BY ` + expr + ` ` + dir + `, id ` + dir)
	}
	b.WriteString(` LIMIT ` + arg(q.Limit))
	out, err := query(ctx, s.cfg.Read, ScanCheck, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", s.mapErr(err))
	}
	return out, nil
}

// CheckStats counts the user's checks by status.
func (s *Store) CheckStats(ctx context.Context, userID int64, now time.Time) (persistence.Stats, error) {
	var st persistence.Stats
	err := s.cfg.Read.QueryRow(ctx, s.q.checkStats, userID, now.UnixMilli()).
		Scan(&st.Total, &st.New, &st.Up, &st.Down, &st.Paused, &st.Late)
	if err != nil {
		return persistence.Stats{}, fmt.Errorf("check stats: %w", s.mapErr(err))
	}
	return st, nil
}

// ChangeStamp reads the validator of the user's checks and channels at now
// (persistence.ChangeStamp).
func (s *Store) ChangeStamp(ctx context.Context, userID int64, now time.Time) (persistence.ChangeStamp, error) {
	var c persistence.ChangeStamp
	err := s.cfg.Read.QueryRow(ctx, s.q.changeStamp, userID, now.UnixMilli()).
		Scan(&c.Checks, &c.IDSum, &c.VersionSum, &c.Passed, &c.Channels, &c.DeliveryTimes, &c.DeliveryTexts)
	if err != nil {
		return persistence.ChangeStamp{}, fmt.Errorf("change stamp: %w", s.mapErr(err))
	}
	return c, nil
}

// CheckTags returns the user's tags with the number of checks carrying each.
func (s *Store) CheckTags(ctx context.Context, userID int64) ([]persistence.TagCount, error) {
	all, err := query(ctx, s.cfg.Read, scanString, s.q.checkTags, userID)
	if err != nil {
		return nil, fmt.Errorf("check tags: %w", s.mapErr(err))
	}
	counts := map[string]int64{}
	for _, tags := range all {
		f := strings.Fields(tags)
		for i, t := range f {
			if !slices.Contains(f[:i], t) { // each distinct tag of a check once
				counts[t]++
			}
		}
	}
	out := make([]persistence.TagCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, persistence.TagCount{Tag: t, Count: n})
	}
	slices.SortFunc(out, func(a, b persistence.TagCount) int { return strings.Compare(a.Tag, b.Tag) })
	return out, nil
}

// SlugTaken reports whether another check of the user has slug.
func (s *Store) SlugTaken(ctx context.Context, userID int64, slug string, exceptID int64) (bool, error) {
	var taken bool
	if err := s.cfg.Read.QueryRow(ctx, s.q.slugTaken, userID, slug, exceptID).Scan(&taken); err != nil {
		return false, fmt.Errorf("slug taken: %w", s.mapErr(err))
	}
	return taken, nil
}

// ResolveSlug finds the user's check by slug.
func (s *Store) ResolveSlug(ctx context.Context, userID int64, slug string) (messages.CheckRef, error) {
	ref, err := scanRef(s.cfg.Read.QueryRow(ctx, s.q.checkBySlug, userID, slug))
	if err != nil {
		return messages.CheckRef{}, s.mapErr(err)
	}
	return ref, nil
}

// ListPings returns the newest pings of the user's check, bodies left out.
func (s *Store) ListPings(ctx context.Context, userID, checkID int64, limit int) ([]messages.PingRecord, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, func(r Row) (messages.PingRecord, error) {
		var size int64
		p, err := scanPing(r, &size)
		p.BodySize = size
		return p, err
	}, s.q.listPings, checkID, userID, limit)
	return ownedList(ctx, s, "list pings", out, err, userID, checkID)
}

// PingLogStart returns the n of the oldest ping the user's check holds (0 when none).
func (s *Store) PingLogStart(ctx context.Context, userID, checkID int64) (int64, error) {
	var n int64
	if err := s.cfg.Read.QueryRow(ctx, s.q.pingLogStart, checkID, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("ping log start: %w", s.mapErr(err))
	}
	if n > 0 {
		return n, nil
	}
	var one int // an empty log, or not the user's check
	return 0, s.mapErr(s.cfg.Read.QueryRow(ctx, s.q.owned, checkID, userID).Scan(&one))
}

// GetPing returns one ping of the user's check with its body.
func (s *Store) GetPing(ctx context.Context, userID, checkID, n int64) (messages.PingRecord, error) {
	var body []byte
	p, err := scanPing(s.cfg.Read.QueryRow(ctx, s.q.getPing, checkID, n, userID), &body)
	if err != nil {
		return messages.PingRecord{}, s.mapErr(err)
	}
	p.Body, p.BodySize = body, int64(len(body))
	return p, nil
}

// ListFlips returns the newest flips of the user's check.
func (s *Store) ListFlips(ctx context.Context, userID, checkID int64, limit int) ([]messages.Flip, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanFlip, s.q.listFlips, checkID, userID, limit)
	return ownedList(ctx, s, "list flips", out, err, userID, checkID)
}

// Channels returns the channels of the user's check.
func (s *Store) Channels(ctx context.Context, userID, checkID int64) ([]messages.Channel, error) {
	out, err := query(ctx, s.cfg.Read, ScanChannel, s.q.channels, checkID, userID)
	return ownedList(ctx, s, "channels", out, err, userID, checkID)
}

// PageChannels returns the channels of the user's checks among checkIDs.
func (s *Store) PageChannels(ctx context.Context, userID int64, checkIDs []int64) ([]messages.Channel, error) {
	if len(checkIDs) == 0 {
		return nil, nil
	}
	args := []any{userID}
	out, err := query(ctx, s.cfg.Read, ScanChannel, s.q.pageChannels+s.inList(&args, checkIDs)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("page channels: %w", s.mapErr(err))
	}
	return out, nil
}

// RecentPings returns the newest perCheck pings of each of the user's checks among
// checkIDs: what the dashboard's strip shows of each (persistence.CheckReader).
func (s *Store) RecentPings(ctx context.Context, userID int64, checkIDs []int64, perCheck int) ([]messages.PingRecord, error) {
	if err := CheckLimit(perCheck); err != nil {
		return nil, err
	}
	if len(checkIDs) == 0 {
		return nil, nil
	}
	args := []any{int64(perCheck), userID} // in the order of their placeholders
	rows, err := s.cfg.Read.Query(ctx, s.q.recentPings+s.inList(&args, checkIDs)+`) ORDER BY c.id, p.n`, args...)
	if err != nil {
		return nil, fmt.Errorf("recent pings: %w", s.mapErr(err))
	}
	defer rows.Close()
	out := make([]messages.PingRecord, 0, min(len(checkIDs), maxInList)*perCheck)
	var (
		at    sql.NullInt64
		ip    sql.NullString
		exit  int64
		first int // where the current check's pings start in out
	)
	for rows.Next() {
		var p messages.PingRecord
		// The exit status is read as an int64: database/sql converts to int32 through text.
		if err := rows.Scan(&p.CheckID, &p.N, &at, (*string)(&p.Kind), &exit, &p.Reason, &ip); err != nil {
			return nil, fmt.Errorf("recent pings: %w", s.mapErr(err))
		}
		p.At, p.ExitStatus, p.RemoteIP = FromMS(at), int32(exit), ip.String
		if len(out) > 0 && out[len(out)-1].CheckID != p.CheckID {
			slices.Reverse(out[first:])
			first = len(out)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent pings: %w", s.mapErr(err))
	}
	slices.Reverse(out[first:])
	return out, nil
}

// maxInList bounds the ids one IN list takes (a page of checks is at most a few hundred).
const maxInList = 1000

// inList appends ids to args and returns their placeholders, comma-separated.
func (s *Store) inList(args *[]any, ids []int64) string {
	var b strings.Builder
	for i, id := range ids[:min(len(ids), maxInList)] {
		if i > 0 {
			b.WriteString(", ")
		}
		*args = append(*args, id)
		b.WriteString(s.q.param(len(*args)))
	}
	return b.String()
}

// containsPattern is a LIKE pattern matching text that contains q literally (\ escapes).
func containsPattern(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(CleanText(q)) + "%"
}

// ListDeliveries returns the newest outbox rows of the user's check.
func (s *Store) ListDeliveries(ctx context.Context, userID, checkID int64, limit int) ([]messages.OutboxRow, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	out, err := query(ctx, s.cfg.Read, scanOutbox, s.q.listDeliveries, checkID, userID, limit)
	return ownedList(ctx, s, "list deliveries", out, err, userID, checkID)
}

// ownedList finishes a list of a check's rows: an empty list is ErrNotFound unless the user
// has the check.
func ownedList[T any](ctx context.Context, s *Store, what string, out []T, err error, userID, checkID int64) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, s.mapErr(err))
	}
	if len(out) > 0 {
		return out, nil
	}
	var one int
	return nil, s.mapErr(s.cfg.Read.QueryRow(ctx, s.q.owned, checkID, userID).Scan(&one))
}
