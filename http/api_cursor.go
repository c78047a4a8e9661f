package http

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Sort columns of GET /api/v1/checks.
var sortColumns = []string{"id", "name", "created_at", "next_deadline", "last_ping", "status"}

// maxCursorLen bounds a cursor before it is decoded.
const maxCursorLen = 1024

// cursor is a position in a keyset-ordered list of checks: opaque to clients (base64url
// JSON). It names the order it belongs to, so it cannot be replayed under another one, and
// whether it pages forward (rows after Key) or back (rows before Key).
type cursor struct {
	SortBy string         `json:"sort_by"`
	Dir    string         `json:"dir"` // asc | desc
	Key    persistenceKey `json:"key"`
	Back   bool           `json:"back,omitempty"`
}

// persistenceKey is persistence.Key with stable JSON names.
type persistenceKey struct {
	Int int64  `json:"i,omitempty"`
	Str string `json:"s,omitempty"`
	ID  int64  `json:"id"`
}

func (k persistenceKey) key() *persistence.Key {
	return &persistence.Key{Int: k.Int, Str: k.Str, ID: k.ID}
}

// encode renders the cursor for a response.
func (c cursor) encode() string {
	b, err := json.Marshal(c)
	if err != nil { // cannot happen: plain strings and integers
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a cursor from a request and checks it belongs to the order sortBy/dir.
func decodeCursor(s, sortBy, dir string) (cursor, error) {
	errBad := invalid("cursor is not valid (start again without it)")
	if len(s) > maxCursorLen {
		return cursor{}, errBad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, errBad
	}
	var c cursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return cursor{}, errBad
	}
	if !slices.Contains(sortColumns, c.SortBy) || (c.Dir != "asc" && c.Dir != "desc") || c.Key.ID <= 0 {
		return cursor{}, errBad
	}
	if c.SortBy != sortBy || c.Dir != dir {
		return cursor{}, invalid("cursor belongs to sort_by=%s&sort_direction=%s; repeat those parameters or start again without it", c.SortBy, c.Dir)
	}
	return c, nil
}

// keyOf is a check's position in the order by sortBy: persistence.Key's encoding, with a
// NULL time after every time (math.MaxInt64).
func keyOf(c messages.Check, sortBy string) persistenceKey {
	k := persistenceKey{ID: c.ID}
	switch sortBy {
	case "id":
		k.Int = c.ID
	case "name":
		k.Str = c.Name
	case "created_at":
		k.Int = timeKey(c.CreatedAt.UnixMilli(), c.CreatedAt.IsZero())
	case "next_deadline":
		k.Int = timeKey(c.NextDeadline.UnixMilli(), c.NextDeadline.IsZero())
	case "last_ping":
		k.Int = timeKey(c.LastPing.UnixMilli(), c.LastPing.IsZero())
	case "status":
		k.Int = persistence.StatusKey(c.Status, c.NextDeadline)
	}
	return k
}

func timeKey(ms int64, null bool) int64 {
	if null {
		return math.MaxInt64
	}
	return ms
}
