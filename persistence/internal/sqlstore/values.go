package sqlstore

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
)

// How values are stored, the same in both dialects: times as unix milliseconds (NULL for the
// zero time), durations in milliseconds (NULL for "none"), empty byte strings as NULL, tags
// as " a b " (so a tag is found by searching for " tag ").

// MS stores a time as unix milliseconds; the zero time is NULL.
func MS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// FromMS reads a time stored by MS.
func FromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// DurMS stores a duration in milliseconds; a negative duration ("none") is NULL.
func DurMS(d time.Duration) any {
	if d < 0 {
		return nil
	}
	return d.Milliseconds()
}

func fromDurMS(v sql.NullInt64) time.Duration {
	if !v.Valid {
		return -1
	}
	return time.Duration(v.Int64) * time.Millisecond
}

// EncodeTimes stores a short list of times compactly: 8 bytes each, big-endian unix
// milliseconds, in order. An empty list is nil (NULL).
func EncodeTimes(ts []time.Time) []byte {
	if len(ts) == 0 {
		return nil
	}
	b := make([]byte, 0, 8*len(ts))
	for _, t := range ts {
		b = binary.BigEndian.AppendUint64(b, uint64(t.UnixMilli()))
	}
	return b
}

// decodeTimes reads a list stored by EncodeTimes; NULL or empty is nil.
func decodeTimes(b []byte) ([]time.Time, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%d bytes is not a list of 8-byte times", len(b))
	}
	ts := make([]time.Time, len(b)/8)
	for i := range ts {
		ts[i] = time.UnixMilli(int64(binary.BigEndian.Uint64(b[8*i:]))).UTC()
	}
	return ts, nil
}

// Blob stores bytes; an empty slice is NULL and reads back as nil.
func Blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// NullStr stores "" as NULL (for unique columns where empty means "none").
func NullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func encodeTags(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return " " + strings.Join(tags, " ") + " "
}

func decodeTags(s string) []string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil
	}
	return f
}

// CleanText makes request-derived text storable as text: valid UTF-8 without NUL (PostgreSQL
// rejects both; SQLite is given the same value, so both stores keep the same).
func CleanText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// CheckLimit refuses a page size that is not positive.
func CheckLimit(limit int) error {
	if limit <= 0 {
		return messages.Errorf(messages.EInvalid, "limit must be positive")
	}
	return nil
}
