package main_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPingLogRecordsForwardedProto: behind a trusted proxy (--trust-proxy) a ping's
// X-Forwarded-Proto travels from the edge through the check's actor and the group commit to
// the ping log; from any other peer it is not believed.
func TestPingLogRecordsForwardedProto(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trust []string
		want  any
	}{
		{"trusted proxy", []string{"--trust-proxy", "127.0.0.1/32"}, "https"},
		{"no trusted proxy", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDaemon(t, t.TempDir(), tc.trust...)
			u := d.newUser()
			c := d.createCheck(u.AuthKey, map[string]any{"name": "proto", "slug": "proto"})
			req, err := http.NewRequest("POST", d.URL+"/p/"+u.UserSlug+"/proto", strings.NewReader("hi"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Forwarded-Proto", "HTTPS")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("ping: %d", res.StatusCode)
			}
			var out struct {
				Pings []map[string]any `json:"pings"`
			}
			if code := d.api(u.AuthKey, "GET", upCheckPath(c.ID)+"/pings", nil, &out); code != 200 || len(out.Pings) != 1 {
				t.Fatalf("ping log: %d, %d rows", code, len(out.Pings))
			}
			if got := out.Pings[0]["forwarded_proto"]; got != tc.want {
				t.Errorf("forwarded_proto = %#v, want %#v", got, tc.want)
			}
		})
	}
}
