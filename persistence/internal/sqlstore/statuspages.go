package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// Status pages (persistence.StatusPageStore) and uptime marks. Every query names the user
// but statusPageBySlug, which finds a public page by its address. The uptime marks
// themselves are written by Commit with each flip (InsMark).

// statusPageColumns are the columns of a page but its checks.
const statusPageColumns = `id, user_id, slug, name, description, layout, show_activity, created_at, updated_at, version`

type statusPageSQL struct {
	insertPage, pageChecks, getPage, listPages, countPages, updatePage, deletePage, deletePageChecks string
	insertPageCheck, pageBySlug, pageCheckRows                                                       string
}

func newStatusPageSQL(d *Dialect) statusPageSQL {
	r := d.Rebind
	return statusPageSQL{
		insertPage: r(`INSERT INTO status_pages (user_id, slug, name, description, layout, show_activity,
			created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) RETURNING id`),
		pageChecks: r(`SELECT check_id FROM status_page_checks WHERE page_id = $1 ORDER BY position`),
		getPage:    r(`SELECT ` + statusPageColumns + ` FROM status_pages WHERE id = $1 AND user_id = $2`),
		listPages:  r(`SELECT ` + statusPageColumns + ` FROM status_pages WHERE user_id = $1 ORDER BY id LIMIT $2`),
		countPages: r(`SELECT count(*) FROM status_pages WHERE user_id = $1`),
		updatePage: r(`UPDATE status_pages SET slug = $1, name = $2, description = $3, layout = $4,
			show_activity = $5, updated_at = $6, version = version + 1
			WHERE id = $7 AND user_id = $8 AND ($9 = 0 OR version = $9) RETURNING version`),
		deletePage:       r(`DELETE FROM status_pages WHERE id = $1 AND user_id = $2`),
		deletePageChecks: r(`DELETE FROM status_page_checks WHERE page_id = $1`),
		insertPageCheck:  r(`INSERT INTO status_page_checks (page_id, position, check_id) VALUES ($1, $2, $3)`),
		pageBySlug: r(`SELECT p.id, p.user_id, p.slug, p.name, p.description, p.layout, p.show_activity,
				p.created_at, p.updated_at, p.version, u.slug, u.tz, u.slug_pings
			FROM users u JOIN status_pages p ON p.user_id = u.id
			WHERE u.slug = $1 AND p.slug = $2 AND u.disabled_at IS NULL`),
		// The page's own user is named twice: a check id on a page is the owner's (the
		// writes check it) and stays so only as long as the check is theirs.
		pageCheckRows: r(`SELECT ` + prefixed("c.", schema.CheckColumns) + `
			FROM status_page_checks pc JOIN status_pages p ON p.id = pc.page_id
			JOIN checks c ON c.id = pc.check_id AND c.user_id = p.user_id
			WHERE pc.page_id = $1 AND p.user_id = $2 ORDER BY pc.position`),
	}
}

// prefixed qualifies every column of a comma-separated list with p ("c.").
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func scanStatusPage(row Row, extra ...any) (messages.StatusPage, error) {
	var p messages.StatusPage
	var created, updated int64
	dest := append([]any{&p.ID, &p.UserID, &p.Slug, &p.Name, &p.Description, &p.Layout, &p.ShowActivity,
		&created, &updated, &p.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return messages.StatusPage{}, err
	}
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, nil
}

// idList renders the placeholders first, first+1, … for n values (an IN list).
func (d *Dialect) idList(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Param(first + i))
	}
	return b.String()
}

// ownChecks fails with ENotFound unless every id is one of the user's checks (ids distinct).
func (s *Store) ownChecks(ctx context.Context, tx Querier, userID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, userID)
	for _, id := range ids {
		args = append(args, id)
	}
	var n int
	q := `SELECT count(*) FROM checks WHERE user_id = ` + s.d.Param(1) + ` AND id IN (` + s.d.idList(2, len(ids)) + `)`
	if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return err
	}
	if n != len(ids) {
		return messages.ErrNotFound
	}
	return nil
}

func (s *Store) writePageChecks(ctx context.Context, tx Querier, pageID int64, ids []int64) error {
	if _, err := tx.Exec(ctx, s.q.deletePageChecks, pageID); err != nil {
		return err
	}
	for i, id := range ids {
		if _, err := tx.Exec(ctx, s.q.insertPageCheck, pageID, i, id); err != nil {
			return err
		}
	}
	return nil
}

// CreateStatusPage inserts p with its checks.
func (s *Store) CreateStatusPage(ctx context.Context, p *messages.StatusPage) error {
	return s.tx(ctx, "create status page", func(tx Querier) error {
		if err := s.ownChecks(ctx, tx, p.UserID, p.CheckIDs); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, s.q.insertPage, p.UserID, p.Slug, p.Name, p.Description, p.Layout, p.ShowActivity,
			p.CreatedAt.UnixMilli(), p.UpdatedAt.UnixMilli()).Scan(&p.ID)
		if err != nil {
			return pageConflict(s.d, err)
		}
		p.Version = 1
		return s.writePageChecks(ctx, tx, p.ID, p.CheckIDs)
	})
}

// pageConflict turns the violation of a user's unique page slug into EConflict.
func pageConflict(d *Dialect, err error) error {
	if d.Unique(err) == StatusPageSlug {
		return &messages.Error{Code: messages.EConflict, Message: "status page slug already in use"}
	}
	return err
}

func (s *Store) pageCheckIDs(ctx context.Context, q Querier, pageID int64) ([]int64, error) {
	return query(ctx, q, func(r Row) (id int64, err error) { return id, r.Scan(&id) }, s.q.pageChecks, pageID)
}

// GetStatusPage reads one of the user's pages.
func (s *Store) GetStatusPage(ctx context.Context, userID, pageID int64) (messages.StatusPage, error) {
	p, err := scanStatusPage(s.cfg.Read.QueryRow(ctx, s.q.getPage, pageID, userID))
	if err != nil {
		return messages.StatusPage{}, fmt.Errorf("get status page: %w", s.mapErr(err))
	}
	if p.CheckIDs, err = s.pageCheckIDs(ctx, s.cfg.Read, p.ID); err != nil {
		return messages.StatusPage{}, fmt.Errorf("get status page: %w", s.mapErr(err))
	}
	return p, nil
}

// ListStatusPages returns the user's pages (with their checks).
func (s *Store) ListStatusPages(ctx context.Context, userID int64, limit int) ([]messages.StatusPage, error) {
	ps, err := query(ctx, s.cfg.Read, func(r Row) (messages.StatusPage, error) { return scanStatusPage(r) }, s.q.listPages, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list status pages: %w", s.mapErr(err))
	}
	for i := range ps {
		if ps[i].CheckIDs, err = s.pageCheckIDs(ctx, s.cfg.Read, ps[i].ID); err != nil {
			return nil, fmt.Errorf("list status pages: %w", s.mapErr(err))
		}
	}
	return ps, nil
}

// CountStatusPages counts the user's pages.
func (s *Store) CountStatusPages(ctx context.Context, userID int64) (int64, error) {
	var n int64
	if err := s.cfg.Read.QueryRow(ctx, s.q.countPages, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count status pages: %w", s.mapErr(err))
	}
	return n, nil
}

// UpdateStatusPage replaces the page's settings and checks.
func (s *Store) UpdateStatusPage(ctx context.Context, p *messages.StatusPage, ifVersion int64) error {
	return s.tx(ctx, "update status page", func(tx Querier) error {
		if err := s.ownChecks(ctx, tx, p.UserID, p.CheckIDs); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, s.q.updatePage, p.Slug, p.Name, p.Description, p.Layout, p.ShowActivity,
			p.UpdatedAt.UnixMilli(), p.ID, p.UserID, ifVersion).Scan(&p.Version)
		if errors.Is(err, sql.ErrNoRows) {
			// Either no such page of the user's, or another version of it.
			if _, gerr := scanStatusPage(tx.QueryRow(ctx, s.q.getPage, p.ID, p.UserID)); gerr == nil {
				return &messages.Error{Code: messages.EPrecondition, Message: "the status page has changed (If-Match)"}
			}
			return messages.ErrNotFound
		}
		if err != nil {
			return pageConflict(s.d, err)
		}
		return s.writePageChecks(ctx, tx, p.ID, p.CheckIDs)
	})
}

// DeleteStatusPage deletes one of the user's pages (its checks' rows cascade).
func (s *Store) DeleteStatusPage(ctx context.Context, userID, pageID int64) error {
	return s.tx(ctx, "delete status page", func(tx Querier) error {
		n, err := tx.Exec(ctx, s.q.deletePage, pageID, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return messages.ErrNotFound
		}
		return nil
	})
}

// StatusPageBySlug finds a public page by its address.
func (s *Store) StatusPageBySlug(ctx context.Context, userSlug, pageSlug string) (persistence.PublicPage, error) {
	var pp persistence.PublicPage
	p, err := scanStatusPage(s.cfg.Read.QueryRow(ctx, s.q.pageBySlug, userSlug, pageSlug), &pp.UserSlug, &pp.TZ, &pp.SlugPings)
	if err != nil {
		return persistence.PublicPage{}, fmt.Errorf("status page by slug: %w", s.mapErr(err))
	}
	if p.CheckIDs, err = s.pageCheckIDs(ctx, s.cfg.Read, p.ID); err != nil {
		return persistence.PublicPage{}, fmt.Errorf("status page by slug: %w", s.mapErr(err))
	}
	pp.Page = p
	return pp, nil
}

// PageChecks returns the checks of the user's page in order.
func (s *Store) PageChecks(ctx context.Context, userID, pageID int64) ([]messages.Check, error) {
	cs, err := query(ctx, s.cfg.Read, ScanCheck, s.q.pageCheckRows, pageID, userID)
	if err != nil {
		return nil, fmt.Errorf("page checks: %w", s.mapErr(err))
	}
	return cs, nil
}

// UptimeMarks returns the newest mark at or before each instant for each check: one query
// of len(checkIDs) × len(at) index lookups. The instants go in as a VALUES list (the same
// for every check of a page: its owner's day boundaries), the ids as an IN list.
func (s *Store) UptimeMarks(ctx context.Context, userID int64, checkIDs []int64, at []time.Time) ([]persistence.UptimeMark, error) {
	if len(checkIDs) == 0 || len(at) == 0 {
		return nil, nil
	}
	// Placeholders are numbered in the order they appear (SQLite's ? binds by position).
	args := make([]any, 0, 1+len(at)+len(checkIDs))
	var b strings.Builder
	b.WriteString(`WITH b(t) AS (VALUES `)
	for i, t := range at {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, t.UnixMilli())
		b.WriteString("(CAST(" + s.d.Param(len(args)) + " AS BIGINT))")
	}
	args = append(args, userID)
	b.WriteString(`)
		SELECT x.check_id, x.t, m.at, m.status, m.up_ms, m.tracked_ms
		FROM (SELECT c.id AS check_id, b.t AS t,
				(SELECT u.id FROM uptime_marks u WHERE u.check_id = c.id AND u.at <= b.t
					ORDER BY u.at DESC, u.id DESC LIMIT 1) AS mid
			FROM checks c CROSS JOIN b
			WHERE c.user_id = ` + s.d.Param(len(args)) + ` AND c.id IN (` + s.d.idList(len(args)+1, len(checkIDs)) + `)) x
		JOIN uptime_marks m ON m.id = x.mid`)
	for _, id := range checkIDs {
		args = append(args, id)
	}
	out, err := query(ctx, s.cfg.Read, func(r Row) (persistence.UptimeMark, error) {
		var (
			m                      persistence.UptimeMark
			t, markAt, up, tracked int64
		)
		err := r.Scan(&m.CheckID, &t, &markAt, (*string)(&m.Status), &up, &tracked)
		m.T, m.At = time.UnixMilli(t).UTC(), time.UnixMilli(markAt).UTC()
		m.Up, m.Tracked = time.Duration(up)*time.Millisecond, time.Duration(tracked)*time.Millisecond
		return m, err
	}, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("uptime marks: %w", s.mapErr(err))
	}
	return out, nil
}

// markStatusUp and markStatusTracked are the SQL conditions of a mark's status counting as
// up, and as tracked (up or down: new and paused time is excluded from uptime).
const (
	markStatusUp      = `p.status = '` + string(messages.StatusUp) + `'`
	markStatusTracked = `p.status IN ('` + string(messages.StatusUp) + `', '` + string(messages.StatusDown) + `')`
)

// insertMarkSQL writes the uptime mark of a flip ($1 check id, $2 at in ms, $3 the status
// entered): the previous mark's sums plus the time since it, counted as its status says. A
// flip stamped before the previous mark (never expected) is moved to it, so that the marks
// of a check are ordered by time as they are by id.
var insertMarkSQL = `INSERT INTO uptime_marks (check_id, at, status, up_ms, tracked_ms)
	SELECT CAST($1 AS BIGINT),
		CASE WHEN p.at IS NULL OR CAST($2 AS BIGINT) > p.at THEN CAST($2 AS BIGINT) ELSE p.at END,
		CAST($3 AS TEXT),
		COALESCE(p.up_ms + CASE WHEN ` + markStatusUp + ` AND CAST($2 AS BIGINT) > p.at THEN CAST($2 AS BIGINT) - p.at ELSE 0 END, 0),
		COALESCE(p.tracked_ms + CASE WHEN ` + markStatusTracked + ` AND CAST($2 AS BIGINT) > p.at THEN CAST($2 AS BIGINT) - p.at ELSE 0 END, 0)
	FROM (SELECT 1 AS one) o LEFT JOIN (SELECT at, status, up_ms, tracked_ms FROM uptime_marks
		WHERE check_id = CAST($1 AS BIGINT) ORDER BY at DESC, id DESC LIMIT 1) p ON 1 = 1`

// MarkArgs are the arguments of InsMark for a flip of check checkID.
func MarkArgs(checkID int64, f *messages.Flip) []any {
	return []any{checkID, f.At.UnixMilli(), string(f.To)}
}
