package http

import (
	"encoding/base64"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{
		{SortBy: "id", Dir: "asc", Key: persistenceKey{Int: 5, ID: 5}},
		{SortBy: "name", Dir: "desc", Key: persistenceKey{Str: "backup ☃", ID: 9}, Back: true},
		{SortBy: "last_ping", Dir: "asc", Key: persistenceKey{Int: math.MaxInt64, ID: 3}},
	} {
		s := c.encode()
		if strings.ContainsAny(s, "+/=") {
			t.Errorf("cursor %q is not base64url without padding", s)
		}
		got, err := decodeCursor(s, c.SortBy, c.Dir)
		if err != nil {
			t.Fatalf("decode %q: %v", s, err)
		}
		if got != c {
			t.Errorf("round trip: got %+v, want %+v", got, c)
		}
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	good := cursor{SortBy: "name", Dir: "asc", Key: persistenceKey{Str: "a", ID: 1}}.encode()
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, cursor, sortBy, dir, want string
	}{
		{"other sort_by", good, "id", "asc", "cursor belongs to sort_by=name&sort_direction=asc"},
		{"other direction", good, "name", "desc", "cursor belongs to sort_by=name"},
		{"not base64", "!!!", "name", "asc", "cursor is not valid"},
		{"padded base64", good + "=", "name", "asc", "cursor is not valid"},
		{"not JSON", b64("hello"), "name", "asc", "cursor is not valid"},
		{"unknown field", b64(`{"sort_by":"name","dir":"asc","key":{"id":1},"x":1}`), "name", "asc", "cursor is not valid"},
		{"bad sort", b64(`{"sort_by":"nope","dir":"asc","key":{"id":1}}`), "nope", "asc", "cursor is not valid"},
		{"bad dir", b64(`{"sort_by":"id","dir":"up","key":{"id":1}}`), "id", "up", "cursor is not valid"},
		{"zero id", b64(`{"sort_by":"id","dir":"asc","key":{"id":0}}`), "id", "asc", "cursor is not valid"},
		{"trailing data", b64(`{"sort_by":"id","dir":"asc","key":{"id":1}} {}`), "id", "asc", "cursor is not valid"},
		{"array", b64(`[1]`), "id", "asc", "cursor is not valid"},
		{"too long", strings.Repeat("A", maxCursorLen+1), "id", "asc", "cursor is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeCursor(tt.cursor, tt.sortBy, tt.dir)
			if messages.CodeOf(err) != messages.EInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want EInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestKeyOf(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 123e6, time.UTC)
	c := messages.Check{ID: 7, CreatedAt: at, CheckConfig: messages.CheckConfig{Name: "n"}}
	c.LastPing = at
	tests := []struct {
		sortBy string
		want   persistenceKey
	}{
		{"id", persistenceKey{Int: 7, ID: 7}},
		{"name", persistenceKey{Str: "n", ID: 7}},
		{"created_at", persistenceKey{Int: at.UnixMilli(), ID: 7}},
		{"last_ping", persistenceKey{Int: at.UnixMilli(), ID: 7}},
		{"next_deadline", persistenceKey{Int: math.MaxInt64, ID: 7}}, // NULL sorts last
	}
	for _, tt := range tests {
		if got := keyOf(c, tt.sortBy); got != tt.want {
			t.Errorf("keyOf(%s) = %+v, want %+v", tt.sortBy, got, tt.want)
		}
	}
}

func TestETagMatches(t *testing.T) {
	const tag = `W/"abc"`
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{`W/"abc"`, true},
		{`"abc"`, true},
		{`W/"x", W/"abc"`, true},
		{`*`, true},
		{`W/"abd"`, false},
		{`abc`, false},
	}
	for _, tt := range tests {
		if got := etagMatches(tt.header, tag); got != tt.want {
			t.Errorf("etagMatches(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
