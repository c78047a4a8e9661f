package sqlstore

import (
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Dialect is what the shared queries need to know about a database and its driver.
type Dialect struct {
	// Name is "sqlite" or "postgres" (for error messages).
	Name string
	// Anonymous: the driver takes ? placeholders (SQLite), not $1, $2 … (PostgreSQL).
	Anonymous bool
	// Collate follows a text column whose order must be by bytes, as SQLite's default is,
	// whatever the database's collation: ` COLLATE "C"` on PostgreSQL, "" on SQLite.
	Collate string
	// Contains renders "text column col contains the string parameter p":
	// strpos(col, p) > 0 on PostgreSQL, instr(col, p) > 0 on SQLite.
	Contains func(col, p string) string
	// Greatest is the function of the larger of two values: GREATEST on PostgreSQL, the
	// scalar max on SQLite.
	Greatest string
	// ILike compares text ignoring the case of ASCII letters at least: ILIKE on PostgreSQL,
	// LIKE on SQLite.
	ILike string
	// LockRows ends a SELECT whose rows a transaction will update (" FOR UPDATE"), or is ""
	// where a write transaction locks everything anyway (SQLite).
	LockRows string
	// Unique names the unique constraint that err violates (NoConstraint when err is not a
	// unique violation).
	Unique func(err error) Constraint
	// Unavailable reports whether err says the database cannot be reached or is going away,
	// as opposed to refusing a statement.
	Unavailable func(err error) bool
}

// Constraint is a unique constraint the store's contract names, whatever the dialect calls it.
type Constraint int

// The unique constraints a write can violate.
const (
	NoConstraint    Constraint = iota
	UserSlug                   // users.slug
	CheckSlug                  // checks (user_id, slug)
	CheckUUID                  // checks.uuid
	PingNumber                 // pings (check_id, n): another activation appended the number first
	AdminUsername              // admins.username
	TelegramID                 // telegram_links.telegram_id: an account linked to one user
	DestinationCode            // destinations.code
	StatusPageSlug             // status_pages (user_id, slug)
	OtherUnique                // any other unique or primary key
)

// conflict is the EConflict a user sees for c, or nil when c is not theirs to cause.
func conflict(c Constraint) error {
	switch c {
	case UserSlug:
		return &messages.Error{Code: messages.EConflict, Message: "user slug already in use"}
	case CheckSlug:
		return &messages.Error{Code: messages.EConflict, Message: "slug already in use"}
	case CheckUUID:
		return &messages.Error{Code: messages.EConflict, Message: "uuid already in use"}
	case AdminUsername:
		return &messages.Error{Code: messages.EConflict, Message: "username already in use"}
	case TelegramID:
		return &messages.Error{Code: messages.EConflict, Message: "this Telegram account is linked to another user"}
	case DestinationCode:
		return &messages.Error{Code: messages.EConflict, Message: "destination code already in use"}
	}
	return nil
}

// MapErr turns a driver error into the Store's error contract: no row is ErrNotFound, an
// unreachable database (or a closed store) Unavailable, a unique violation a user can cause
// EConflict; an error already of the contract passes through.
func (d *Dialect) MapErr(err error, closed bool) error {
	if err == nil {
		return nil
	}
	var me *messages.Error
	if errors.As(err, &me) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) { // pgx.ErrNoRows wraps it
		return messages.ErrNotFound
	}
	if closed || d.Unavailable(err) {
		return persistence.Unavailable(err)
	}
	if e := conflict(d.Unique(err)); e != nil {
		return e
	}
	return err
}

// WriteOutcome classifies the error of a Commit write that failed alone.
func (d *Dialect) WriteOutcome(err error) persistence.Outcome {
	c := d.Unique(err)
	if c == PingNumber {
		// Another activation appended this ping number first.
		return persistence.Outcome{Kind: persistence.OutcomeFenced}
	}
	if e := conflict(c); e != nil {
		return persistence.Outcome{Kind: persistence.OutcomeConflict, Err: e}
	}
	return persistence.Outcome{Kind: persistence.OutcomeFailed, Err: err}
}

// Param renders the nth (from 1) placeholder of a query built at run time.
func (d *Dialect) Param(n int) string {
	if d.Anonymous {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

// Rebind renders a query written with $1, $2 … for the dialect. For ? drivers the numbers
// become plain ? when each appears once and in order, as the driver binds anonymous
// parameters fastest, and ?N otherwise. Placeholders inside quotes are left alone. It runs
// when a Store is built, never per call.
func (d *Dialect) Rebind(q string) string {
	if !d.Anonymous {
		return q
	}
	type param struct{ at, end, n int }
	var ps []param
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(q) && q[i+1] >= '1' && q[i+1] <= '9':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(q[i+1 : j])
			ps = append(ps, param{i, j, n})
			i = j - 1
		}
	}
	inOrder := true
	for k, p := range ps {
		inOrder = inOrder && p.n == k+1
	}
	var b strings.Builder
	last := 0
	for _, p := range ps {
		b.WriteString(q[last:p.at])
		b.WriteByte('?')
		if !inOrder {
			b.WriteString(q[p.at+1 : p.end])
		}
		last = p.end
	}
	b.WriteString(q[last:])
	return b.String()
}
