package sqlite

import (
	"github.com/ttr-rip/ttr/persistence/internal/schema"

	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The queries of this file are the API's: each names the user in its WHERE clause.

var checkInsert = `INSERT INTO checks (user_id, uuid, created_at, version, ` +
	strings.Join(schema.ConfigColumns, ", ") + `, ` + strings.Join(schema.StateColumns, ", ") + `)
	VALUES (` + placeholders(4+len(schema.ConfigColumns)+len(schema.StateColumns)) + `)`

func checkInsertArgs(c *messages.Check) []any {
	args := []any{c.UserID, c.UUID, ms(c.CreatedAt), int64(1)}
	args = append(args, configArgs(&c.CheckConfig, 1)...)
	return append(args, stateArgs(&c.CheckState)...)
}

// CreateCheck inserts c with version 1 and sets c.ID and c.Version.
func (s *Store) CreateCheck(ctx context.Context, c *messages.Check) error {
	var id int64
	if err := s.w.QueryRowContext(ctx, checkInsert+` RETURNING id`, checkInsertArgs(c)...).Scan(&id); err != nil {
		return fmt.Errorf("create check: %w", s.mapErr(err))
	}
	c.ID, c.Version, c.ConfigVersion = id, 1, 1
	return nil
}

// CreateCheckIfMissing inserts c unless the user has a check with its slug, and returns the
// check that exists afterwards.
func (s *Store) CreateCheckIfMissing(ctx context.Context, c *messages.Check) (messages.CheckRef, bool, error) {
	var id int64
	err := s.w.QueryRowContext(ctx, checkInsert+` ON CONFLICT (user_id, slug) DO NOTHING RETURNING id`, checkInsertArgs(c)...).Scan(&id)
	switch {
	case err == nil:
		c.ID, c.Version, c.ConfigVersion = id, 1, 1
		return messages.CheckRef{ID: id, UserID: c.UserID, UUID: c.UUID, Slug: c.Slug}, true, nil
	case errors.Is(err, sql.ErrNoRows):
		// The writer is a single connection, so the row that conflicted is visible to it.
		ref, err := scanRef(s.w.QueryRowContext(ctx, `SELECT id, user_id, uuid, slug FROM checks WHERE user_id = ? AND slug = ?`, c.UserID, c.Slug))
		if err != nil {
			return messages.CheckRef{}, false, fmt.Errorf("create check if missing: %w", s.mapErr(err))
		}
		return ref, false, nil
	default:
		return messages.CheckRef{}, false, fmt.Errorf("create check if missing: %w", s.mapErr(err))
	}
}

func scanRef(row scanner) (messages.CheckRef, error) {
	var r messages.CheckRef
	err := row.Scan(&r.ID, &r.UserID, &r.UUID, &r.Slug)
	return r, err
}

// GetCheck returns the user's check.
func (s *Store) GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error) {
	c, err := scanCheck(s.r.QueryRowContext(ctx, `SELECT `+schema.CheckColumns+` FROM checks WHERE id = ? AND user_id = ?`, checkID, userID))
	if err != nil {
		return messages.Check{}, s.mapErr(err)
	}
	return c, nil
}

// nullLast is math.MaxInt64: a NULL time sorts after every time.
const nullLast = "9223372036854775807"

// sortExprs are the keyset sort expressions; NULL times sort after every time.
var sortExprs = map[string]string{
	"":              "id",
	"id":            "id",
	"name":          "name",
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
	b.WriteString(`SELECT ` + schema.CheckColumns + ` FROM checks WHERE user_id = ?`)
	for _, t := range q.Tags {
		if t == "" {
			continue
		}
		b.WriteString(` AND instr(tags, ?) > 0`)
		args = append(args, " "+t+" ")
	}
	op, dir := ">", "ASC"
	if q.Desc {
		op, dir = "<", "DESC"
	}
	if q.After != nil {
		switch {
		case expr == "id":
			b.WriteString(` AND id ` + op + ` ?`)
			args = append(args, q.After.ID)
		case expr == "name":
			b.WriteString(` AND (name, id) ` + op + ` (?, ?)`)
			args = append(args, q.After.Str, q.After.ID)
		default:
			b.WriteString(` AND (` + expr + `, id) ` + op + ` (?, ?)`)
			args = append(args, q.After.Int, q.After.ID)
		}
	}
	if expr == "id" {
		b.WriteString(` ORDER BY id ` + dir)
	} else {
		b.WriteString(` ORDER BY ` + expr + ` ` + dir + `, id ` + dir)
	}
	b.WriteString(` LIMIT ?`)
	args = append(args, q.Limit)

	rows, err := s.r.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []messages.Check
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("list checks: %w", s.mapErr(err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list checks: %w", s.mapErr(err))
	}
	return out, nil
}

// CheckStats counts the user's checks by status.
func (s *Store) CheckStats(ctx context.Context, userID int64, now time.Time) (persistence.Stats, error) {
	var st persistence.Stats
	t := now.UnixMilli()
	err := s.r.QueryRowContext(ctx, `SELECT count(*),
		COALESCE(sum(status = 'new'), 0),
		COALESCE(sum(status = 'up'), 0),
		COALESCE(sum(status = 'down'), 0),
		COALESCE(sum(status = 'paused'), 0),
		COALESCE(sum(status = 'up' AND next_due < ? AND next_deadline > ?), 0)
		FROM checks WHERE user_id = ?`, t, t, userID).Scan(&st.Total, &st.New, &st.Up, &st.Down, &st.Paused, &st.Late)
	if err != nil {
		return persistence.Stats{}, fmt.Errorf("check stats: %w", s.mapErr(err))
	}
	return st, nil
}

// CheckTags returns the user's tags with the number of checks carrying each.
func (s *Store) CheckTags(ctx context.Context, userID int64) ([]persistence.TagCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT tags FROM checks WHERE user_id = ? AND tags <> ''`, userID)
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
	err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM checks WHERE user_id = ? AND slug = ? AND id <> ?)`, userID, slug, exceptID).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("slug taken: %w", s.mapErr(err))
	}
	return taken, nil
}

// ResolveSlug finds the user's check by slug.
func (s *Store) ResolveSlug(ctx context.Context, userID int64, slug string) (messages.CheckRef, error) {
	ref, err := scanRef(s.r.QueryRowContext(ctx, `SELECT id, user_id, uuid, slug FROM checks WHERE user_id = ? AND slug = ?`, userID, slug))
	if err != nil {
		return messages.CheckRef{}, s.mapErr(err)
	}
	return ref, nil
}

// owned returns ErrNotFound unless the user has the check.
func (s *Store) owned(ctx context.Context, userID, checkID int64) error {
	var one int
	return s.mapErr(s.r.QueryRowContext(ctx, `SELECT 1 FROM checks WHERE id = ? AND user_id = ?`, checkID, userID).Scan(&one))
}

// ListPings returns the newest pings of the user's check, bodies left out.
func (s *Store) ListPings(ctx context.Context, userID, checkID int64, limit int) ([]messages.PingRecord, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+pingColumns+`, COALESCE(length(body), 0) FROM pings
		WHERE check_id = ? AND EXISTS (SELECT 1 FROM checks WHERE id = ? AND user_id = ?)
		ORDER BY n DESC LIMIT ?`, checkID, checkID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list pings: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []messages.PingRecord
	for rows.Next() {
		var size int64
		p, err := scanPing(rows, &size)
		if err != nil {
			return nil, fmt.Errorf("list pings: %w", s.mapErr(err))
		}
		p.BodySize = size
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
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
	p, err := scanPing(s.r.QueryRowContext(ctx, `SELECT `+pingColumns+`, body FROM pings
		WHERE check_id = ? AND n = ? AND EXISTS (SELECT 1 FROM checks WHERE id = ? AND user_id = ?)`,
		checkID, n, checkID, userID), &body)
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
	rows, err := s.r.QueryContext(ctx, `SELECT `+flipColumns+` FROM flips
		WHERE check_id = ? AND EXISTS (SELECT 1 FROM checks WHERE id = ? AND user_id = ?)
		ORDER BY at DESC, length(id) DESC, id DESC LIMIT ?`, checkID, checkID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list flips: %w", s.mapErr(err))
	}
	defer rows.Close()
	var out []messages.Flip
	for rows.Next() {
		f, err := scanFlip(rows)
		if err != nil {
			return nil, fmt.Errorf("list flips: %w", s.mapErr(err))
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list flips: %w", s.mapErr(err))
	}
	if len(out) == 0 {
		return nil, s.owned(ctx, userID, checkID)
	}
	return out, nil
}

// Channels returns the channels of the user's check.
func (s *Store) Channels(ctx context.Context, userID, checkID int64) ([]messages.Channel, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+channelColumns+` FROM channels
		WHERE check_id = ? AND user_id = ? ORDER BY name`, checkID, userID)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", s.mapErr(err))
	}
	defer rows.Close()
	out, err := s.collectChannels(rows)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	if len(out) == 0 {
		return nil, s.owned(ctx, userID, checkID)
	}
	return out, nil
}

func (s *Store) collectChannels(rows *sql.Rows) ([]messages.Channel, error) {
	var out []messages.Channel
	for rows.Next() {
		ch, err := scanChannel(rows)
		if err != nil {
			return nil, s.mapErr(err)
		}
		out = append(out, ch)
	}
	return out, s.mapErr(rows.Err())
}

// ListDeliveries returns the newest outbox rows of the user's check.
func (s *Store) ListDeliveries(ctx context.Context, userID, checkID int64, limit int) ([]messages.OutboxRow, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE check_id = ? AND user_id = ? ORDER BY id DESC LIMIT ?`, checkID, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", s.mapErr(err))
	}
	defer rows.Close()
	out, err := s.collectOutbox(rows)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	if len(out) == 0 {
		return nil, s.owned(ctx, userID, checkID)
	}
	return out, nil
}

func (s *Store) collectOutbox(rows *sql.Rows) ([]messages.OutboxRow, error) {
	var out []messages.OutboxRow
	for rows.Next() {
		o, err := scanOutbox(rows)
		if err != nil {
			return nil, s.mapErr(err)
		}
		out = append(out, o)
	}
	return out, s.mapErr(rows.Err())
}
