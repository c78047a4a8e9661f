package postgres

import (
	"github.com/ttr-rip/ttr/persistence/internal/schema"

	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The queries of this file are the API's: each names the user in its WHERE clause.

var checkInsert = `INSERT INTO checks (user_id, uuid, created_at, version, ` +
	strings.Join(schema.ConfigColumns, ", ") + `, ` + strings.Join(schema.StateColumns, ", ") + `)
	VALUES (` + placeholders(1, 4+len(schema.ConfigColumns)+len(schema.StateColumns)) + `)`

func checkInsertArgs(c *messages.Check) []any {
	args := []any{c.UserID, c.UUID, ms(c.CreatedAt), int64(1)}
	args = append(args, configArgs(&c.CheckConfig, 1)...)
	return append(args, stateArgs(&c.CheckState)...)
}

// CreateCheck inserts c with version 1 and sets c.ID and c.Version.
func (s *Store) CreateCheck(ctx context.Context, c *messages.Check) error {
	var id int64
	if err := s.pool.QueryRow(ctx, checkInsert+` RETURNING id`, checkInsertArgs(c)...).Scan(&id); err != nil {
		return fmt.Errorf("create check: %w", s.mapErr(err))
	}
	c.ID, c.Version, c.ConfigVersion = id, 1, 1
	return nil
}

// CreateCheckIfMissing inserts c unless the user has a check with its slug, and returns the
// check that exists afterwards.
func (s *Store) CreateCheckIfMissing(ctx context.Context, c *messages.Check) (messages.CheckRef, bool, error) {
	for range 3 {
		var id int64
		err := s.pool.QueryRow(ctx, checkInsert+` ON CONFLICT (user_id, slug) DO NOTHING RETURNING id`, checkInsertArgs(c)...).Scan(&id)
		if err == nil {
			c.ID, c.Version, c.ConfigVersion = id, 1, 1
			return messages.CheckRef{ID: id, UserID: c.UserID, UUID: c.UUID, Slug: c.Slug}, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return messages.CheckRef{}, false, fmt.Errorf("create check if missing: %w", s.mapErr(err))
		}
		// The conflicting row has committed (ON CONFLICT waited for it), so a new statement
		// sees it — unless it was deleted in between: then try again.
		ref, err := scanRef(s.pool.QueryRow(ctx, `SELECT id, user_id, uuid, slug FROM checks WHERE user_id = $1 AND slug = $2`, c.UserID, c.Slug))
		if err == nil {
			return ref, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return messages.CheckRef{}, false, fmt.Errorf("create check if missing: %w", s.mapErr(err))
		}
	}
	return messages.CheckRef{}, false, fmt.Errorf("create check if missing: slug %q keeps changing", c.Slug)
}

func scanRef(row pgx.Row) (messages.CheckRef, error) {
	var r messages.CheckRef
	err := row.Scan(&r.ID, &r.UserID, &r.UUID, &r.Slug)
	return r, err
}

// GetCheck returns the user's check.
func (s *Store) GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error) {
	c, err := scanCheck(s.pool.QueryRow(ctx, `SELECT `+schema.CheckColumns+` FROM checks WHERE id = $1 AND user_id = $2`, checkID, userID))
	if err != nil {
		return messages.Check{}, s.mapErr(err)
	}
	return c, nil
}

// nullLast is math.MaxInt64: a NULL time sorts after every time.
const nullLast = "9223372036854775807"

// sortExprs are the keyset sort expressions; NULL times sort after every time, and names
// sort by bytes, as in SQLite, whatever the database's collation.
var sortExprs = map[string]string{
	"":              "id",
	"id":            "id",
	"name":          `name COLLATE "C"`,
	"created_at":    "COALESCE(created_at, " + nullLast + ")",
	"next_deadline": "COALESCE(next_deadline, " + nullLast + ")",
	"last_ping":     "COALESCE(last_ping, " + nullLast + ")",
}

// ListChecks returns a page of the user's checks in keyset order.
func (s *Store) ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error) {
	expr, ok := sortExprs[q.SortBy]
	if !ok {
		return nil, messages.Errorf(messages.EInvalid, "unknown sort column %q", q.SortBy)
	}
	if err := checkLimit(q.Limit); err != nil {
		return nil, err
	}
	var b strings.Builder
	args := []any{userID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	b.WriteString(`SELECT ` + schema.CheckColumns + ` FROM checks WHERE user_id = $1`)
	for _, t := range q.Tags {
		if t == "" {
			continue
		}
		b.WriteString(` AND strpos(tags, ` + arg(" "+t+" ") + `) > 0`)
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
			b.WriteString(` AND (` + expr + `, id) ` + op + ` (` + arg(q.After.Int) + `::bigint, ` + arg(q.After.ID) + `)`)
		}
	}
	if expr == "id" {
		b.WriteString(` ORDER BY id ` + dir)
	} else {
		b.WriteString(` ORDER BY ` + expr + ` ` + dir + `, id ` + dir)
	}
	b.WriteString(` LIMIT ` + arg(q.Limit))

	rows, err := s.pool.Query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", s.mapErr(err))
	}
	out, err := collect(rows, scanCheck)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", s.mapErr(err))
	}
	return out, nil
}

// CheckStats counts the user's checks by status.
func (s *Store) CheckStats(ctx context.Context, userID int64, now time.Time) (persistence.Stats, error) {
	var st persistence.Stats
	err := s.pool.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE status = 'new'),
		count(*) FILTER (WHERE status = 'up'),
		count(*) FILTER (WHERE status = 'down'),
		count(*) FILTER (WHERE status = 'paused'),
		count(*) FILTER (WHERE status = 'up' AND next_due < $2 AND next_deadline > $2)
		FROM checks WHERE user_id = $1`, userID, now.UnixMilli()).Scan(&st.Total, &st.New, &st.Up, &st.Down, &st.Paused, &st.Late)
	if err != nil {
		return persistence.Stats{}, fmt.Errorf("check stats: %w", s.mapErr(err))
	}
	return st, nil
}

// CheckTags returns the user's tags with the number of checks carrying each.
func (s *Store) CheckTags(ctx context.Context, userID int64) ([]persistence.TagCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT tags FROM checks WHERE user_id = $1 AND tags <> ''`, userID)
	if err != nil {
		return nil, fmt.Errorf("check tags: %w", s.mapErr(err))
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var tags string
		if err := rows.Scan(&tags); err != nil {
			return nil, fmt.Errorf("check tags: %w", s.mapErr(err))
		}
		countTags(counts, tags)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check tags: %w", s.mapErr(err))
	}
	return sortedTags(counts), nil
}

// countTags counts each distinct tag of one check once.
func countTags(counts map[string]int64, tags string) {
	f := strings.Fields(tags)
	for i, t := range f {
		if !slices.Contains(f[:i], t) {
			counts[t]++
		}
	}
}

func sortedTags(counts map[string]int64) []persistence.TagCount {
	out := make([]persistence.TagCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, persistence.TagCount{Tag: t, Count: n})
	}
	slices.SortFunc(out, func(a, b persistence.TagCount) int { return strings.Compare(a.Tag, b.Tag) })
	return out
}

// SlugTaken reports whether another check of the user has slug.
func (s *Store) SlugTaken(ctx context.Context, userID int64, slug string, exceptID int64) (bool, error) {
	var taken bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM checks WHERE user_id = $1 AND slug = $2 AND id <> $3)`, userID, slug, exceptID).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("slug taken: %w", s.mapErr(err))
	}
	return taken, nil
}

// ResolveSlug finds the user's check by slug.
func (s *Store) ResolveSlug(ctx context.Context, userID int64, slug string) (messages.CheckRef, error) {
	ref, err := scanRef(s.pool.QueryRow(ctx, `SELECT id, user_id, uuid, slug FROM checks WHERE user_id = $1 AND slug = $2`, userID, slug))
	if err != nil {
		return messages.CheckRef{}, s.mapErr(err)
	}
	return ref, nil
}

// owned returns ErrNotFound unless the user has the check.
func (s *Store) owned(ctx context.Context, userID, checkID int64) error {
	var one int
	return s.mapErr(s.pool.QueryRow(ctx, `SELECT 1 FROM checks WHERE id = $1 AND user_id = $2`, checkID, userID).Scan(&one))
}

// ListPings returns the newest pings of the user's check, bodies left out.
func (s *Store) ListPings(ctx context.Context, userID, checkID int64, limit int) ([]messages.PingRecord, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+pingColumns+`, COALESCE(octet_length(body), 0) FROM pings
		WHERE check_id = $1 AND EXISTS (SELECT 1 FROM checks WHERE id = $1 AND user_id = $2)
		ORDER BY n DESC LIMIT $3`, checkID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list pings: %w", s.mapErr(err))
	}
	out, err := collect(rows, func(r pgx.Row) (messages.PingRecord, error) {
		var size int64
		p, err := scanPing(r, &size)
		p.BodySize = size
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list pings: %w", s.mapErr(err))
	}
	if len(out) == 0 {
		return nil, s.owned(ctx, userID, checkID)
	}
	return out, nil
}

// GetPing returns one ping of the user's check with its body.
func (s *Store) GetPing(ctx context.Context, userID, checkID, n int64) (messages.PingRecord, error) {
	var body []byte
	p, err := scanPing(s.pool.QueryRow(ctx, `SELECT `+pingColumns+`, body FROM pings
		WHERE check_id = $1 AND n = $2 AND EXISTS (SELECT 1 FROM checks WHERE id = $1 AND user_id = $3)`,
		checkID, n, userID), &body)
	if err != nil {
		return messages.PingRecord{}, s.mapErr(err)
	}
	p.Body, p.BodySize = body, int64(len(body))
	return p, nil
}

// ListFlips returns the newest flips of the user's check.
func (s *Store) ListFlips(ctx context.Context, userID, checkID int64, limit int) ([]messages.Flip, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	// Flip ids share the "<check>." prefix, so a longer id has a larger sequence.
	rows, err := s.pool.Query(ctx, `SELECT `+flipColumns+` FROM flips
		WHERE check_id = $1 AND EXISTS (SELECT 1 FROM checks WHERE id = $1 AND user_id = $2)
		ORDER BY at DESC, length(id) DESC, id COLLATE "C" DESC LIMIT $3`, checkID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list flips: %w", s.mapErr(err))
	}
	out, err := collect(rows, scanFlip)
	if err != nil {
		return nil, fmt.Errorf("list flips: %w", s.mapErr(err))
	}
	if len(out) == 0 {
		return nil, s.owned(ctx, userID, checkID)
	}
	return out, nil
}

// Channels returns the channels of the user's check.
func (s *Store) Channels(ctx context.Context, userID, checkID int64) ([]messages.Channel, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+channelColumns+` FROM channels
		WHERE check_id = $1 AND user_id = $2 ORDER BY name`, checkID, userID)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", s.mapErr(err))
	}
	out, err := collect(rows, scanChannel)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", s.mapErr(err))
	}
	if len(out) == 0 {
		return nil, s.owned(ctx, userID, checkID)
	}
	return out, nil
}

// ListDeliveries returns the newest outbox rows of the user's check.
func (s *Store) ListDeliveries(ctx context.Context, userID, checkID int64, limit int) ([]messages.OutboxRow, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE check_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3`, checkID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", s.mapErr(err))
	}
	out, err := collect(rows, scanOutbox)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", s.mapErr(err))
	}
	if len(out) == 0 {
		return nil, s.owned(ctx, userID, checkID)
	}
	return out, nil
}
