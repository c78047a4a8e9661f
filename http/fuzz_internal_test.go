package http

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/http/pingpath"
	"github.com/ttr-rip/ttr/messages"
)

// FuzzParsePingQuery: any query string is either refused with the rid error or yields a
// canonical lower-case UUID rid (or none); nothing panics.
func FuzzParsePingQuery(f *testing.F) {
	for _, s := range []string{"", "rid=0b9c1f3e-5d2a-4c1b-8f3e-6a7b8c9d0e1f", "rid=%30b9c1f3e-5d2a-4c1b-8f3e-6a7b8c9d0e1f&create=1",
		"create=1&rid=x", "rid=%zz", "a=1&&b=2&rid=", "rid=+", "create=1&create=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parsePingQuery(raw)
		if err != nil {
			if err != errBadRid {
				t.Fatalf("parsePingQuery(%q) error %v, want errBadRid", raw, err)
			}
			return
		}
		if q.rid != "" && (!pingpath.IsUUID(q.rid) || q.rid != strings.ToLower(q.rid)) {
			t.Fatalf("parsePingQuery(%q) rid %q is not a lower-case UUID", raw, q.rid)
		}
	})
}

// FuzzDecodeCheckBody: any body sent to POST /api/v1/checks is decoded and validated into a
// configuration or refused with a message (400 or 413), never an internal error or a panic.
func FuzzDecodeCheckBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"x","schedule":"*/5 * * * *","schedule_type":"cron","tz":"Europe/Berlin"}`,
		`{"interval_seconds":60,"grace_seconds":-1}`, `{"content_rule":{"type":"absent","pattern":"a{1000}","regex":true}}`,
		`{"tags":["a","a"]}`, `{"slug":"start"}`, `[]`, `null`, `{"name":1}`, `{"channels":{}}`, `{"schedule_type":"oncalendar","schedule":"Mon *-*-* 00:00"}`} {
		f.Add([]byte(s))
	}
	s := NewServer(DefaultConfig(), Deps{})
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	const id = "0b9c1f3e-5d2a-4c1b-8f3e-6a7b8c9d0e1f"
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/checks", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		edit, err := s.decodeCheckEdit(httptest.NewRecorder(), r)
		if err == nil {
			_, err = checkconfig.Edit(checkconfig.Default(id), edit, id, now)
		}
		if err == nil {
			return
		}
		if c := messages.CodeOf(err); c != messages.EInvalid && c != messages.ETooLarge {
			t.Fatalf("body %q: error %v has code %q, want invalid or too_large", body, err, c)
		}
	})
}
