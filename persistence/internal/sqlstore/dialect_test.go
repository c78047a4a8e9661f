package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

var (
	errUnique  = errors.New("unique violation")
	errDown    = errors.New("connection refused")
	anonymous  = &Dialect{Name: "anon", Anonymous: true, Contains: fakeContains, Greatest: "max", ILike: "LIKE", Unique: fakeUnique, Unavailable: fakeUnavailable}
	numbered   = &Dialect{Name: "numbered", Contains: fakeContains, Greatest: "GREATEST", ILike: "ILIKE", LockRows: " FOR UPDATE", Unique: fakeUnique, Unavailable: fakeUnavailable}
	fakeByName = map[string]Constraint{"users": UserSlug, "checks": CheckSlug, "uuid": CheckUUID, "pings": PingNumber, "other": OtherUnique}
)

func fakeContains(col, p string) string { return "contains(" + col + ", " + p + ")" }

// uniqueErr is a unique violation of the named constraint, as fakeUnique reads it.
type uniqueErr string

func (e uniqueErr) Error() string { return "unique " + string(e) }
func (e uniqueErr) Unwrap() error { return errUnique }

func fakeUnique(err error) Constraint {
	var u uniqueErr
	if errors.As(err, &u) {
		return fakeByName[string(u)]
	}
	return NoConstraint
}

func fakeUnavailable(err error) bool { return errors.Is(err, errDown) }

func TestRebind(t *testing.T) {
	tests := []struct {
		name     string
		d        *Dialect
		in, want string
	}{
		{"numbered dialect untouched", numbered, `SELECT a FROM t WHERE a = $1 AND b = $1`, `SELECT a FROM t WHERE a = $1 AND b = $1`},
		{"in order becomes anonymous", anonymous, `UPDATE t SET a = $1, b = $2 WHERE id = $3`, `UPDATE t SET a = ?, b = ? WHERE id = ?`},
		{"repeated keeps numbers", anonymous, `WHERE a = $1 AND (b = $1 OR c < $2)`, `WHERE a = ?1 AND (b = ?1 OR c < ?2)`},
		{"out of order keeps numbers", anonymous, `SELECT id, $2 FROM t WHERE id = $1`, `SELECT id, ?2 FROM t WHERE id = ?1`},
		{"multi-digit", anonymous, Params(1, 11), `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`},
		{"quoted dollar left alone", anonymous, `SELECT '$1', "$2" FROM t WHERE a = $1`, `SELECT '$1', "$2" FROM t WHERE a = ?`},
		{"not a placeholder", anonymous, `SELECT $ FROM t WHERE a = $0`, `SELECT $ FROM t WHERE a = $0`},
		{"no parameters", anonymous, `SELECT 1`, `SELECT 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Rebind(tt.in); got != tt.want {
				t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParam(t *testing.T) {
	if got := anonymous.Param(3); got != "?" {
		t.Errorf("anonymous Param(3) = %q", got)
	}
	if got := numbered.Param(12); got != "$12" {
		t.Errorf("numbered Param(12) = %q", got)
	}
}

// TestRenderedSQL: every statement a Store holds for a ? dialect is rendered (no $N left),
// and none for a $N dialect has a ?.
func TestRenderedSQL(t *testing.T) {
	numberedParam := regexp.MustCompile(`\$[1-9]`)
	for _, d := range []*Dialect{anonymous, numbered} {
		s := New(Config{Dialect: d})
		var texts []string
		collect := func(v reflect.Value) {
			for i := range v.NumField() {
				// hasTag is a fragment with a %s for the parameter, not a statement.
				if f := v.Field(i); f.Kind() == reflect.String && v.Type().Field(i).Name != "hasTag" {
					texts = append(texts, f.String())
				}
			}
		}
		q := reflect.ValueOf(s.q)
		for i := range q.NumField() {
			collect(q.Field(i))
		}
		for _, c := range d.CommitSQL() {
			texts = append(texts, c)
		}
		for _, rt := range resealTables(d) {
			texts = append(texts, rt.sel, rt.Update)
		}
		if len(texts) < 40 {
			t.Fatalf("%s: only %d statements found", d.Name, len(texts))
		}
		for _, text := range texts {
			if d.Anonymous && numberedParam.MatchString(text) {
				t.Errorf("%s: numbered placeholder left in %s", d.Name, text)
			}
			if !d.Anonymous && strings.Contains(text, "?") {
				t.Errorf("%s: ? placeholder in %s", d.Name, text)
			}
		}
	}
}

func TestMapErr(t *testing.T) {
	conflict := func(msg string) error { return &messages.Error{Code: messages.EConflict, Message: msg} }
	invalid := messages.Errorf(messages.EInvalid, "bad")
	tests := []struct {
		name   string
		err    error
		closed bool
		want   error            // compared by code and message, unless check is set
		check  func(error) bool // for results that are not an EConflict
	}{
		{name: "nil", err: nil, check: func(e error) bool { return e == nil }},
		{name: "no rows", err: fmt.Errorf("scan: %w", sql.ErrNoRows), check: func(e error) bool { return e == messages.ErrNotFound }},
		{name: "contract error passes", err: invalid, check: func(e error) bool { return e == invalid }},
		{name: "unreachable", err: errDown, check: persistence.IsUnavailable},
		{name: "closed store", err: errors.New("anything"), closed: true, check: persistence.IsUnavailable},
		{name: "user slug", err: uniqueErr("users"), want: conflict("user slug already in use")},
		{name: "check slug", err: uniqueErr("checks"), want: conflict("slug already in use")},
		{name: "uuid", err: uniqueErr("uuid"), want: conflict("uuid already in use")},
		{name: "other unique stays internal", err: uniqueErr("other"), check: func(e error) bool { return errors.Is(e, errUnique) && messages.CodeOf(e) != messages.EConflict }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := anonymous.MapErr(tt.err, tt.closed)
			if tt.check != nil {
				if !tt.check(got) {
					t.Errorf("MapErr(%v) = %v", tt.err, got)
				}
				return
			}
			if got == nil || got.Error() != tt.want.Error() || messages.CodeOf(got) != messages.CodeOf(tt.want) {
				t.Errorf("MapErr(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestWriteOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want persistence.OutcomeKind
	}{
		{uniqueErr("pings"), persistence.OutcomeFenced},
		{uniqueErr("checks"), persistence.OutcomeConflict},
		{uniqueErr("uuid"), persistence.OutcomeConflict},
		{uniqueErr("other"), persistence.OutcomeFailed},
		{errors.New("value too long"), persistence.OutcomeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			got := anonymous.WriteOutcome(tt.err)
			if got.Kind != tt.want {
				t.Errorf("WriteOutcome(%v) = %v, want %v", tt.err, got.Kind, tt.want)
			}
			if (got.Kind == persistence.OutcomeConflict) != (messages.CodeOf(got.Err) == messages.EConflict) {
				t.Errorf("WriteOutcome(%v).Err = %v", tt.err, got.Err)
			}
		})
	}
}
