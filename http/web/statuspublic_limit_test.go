package web_test

import (
	"net/http/httptest"
	"testing"

	"github.com/ttr-rip/ttr/actors/ratelimit"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/statuspage"
	"github.com/ttr-rip/ttr/http/web"
)

// TestStatusPagePublicLimit: the public HTML page of a status page takes from the client IP's
// --limit-api-ip allowance like its /data: beyond it the page is a 429 with Retry-After, and
// another address is served.
func TestStatusPagePublicLimit(t *testing.T) {
	st, ring, sessions, accounts := newWebParts(t)
	lim, err := limit.New(limit.Config{APIIP: ratelimit.PerSecond(1, 2)}, limit.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	pagesSvc, err := statuspage.New(statuspage.Config{}, statuspage.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := web.New(web.Config{PublicURL: "http://127.0.0.1:8080"},
		web.Deps{Sessions: sessions, Accounts: accounts, Limits: lim, StatusPages: pagesSvc})
	if err != nil {
		t.Fatal(err)
	}
	h := ttrhttp.NewServer(ttrhttp.DefaultConfig(), ttrhttp.Deps{Store: st, Ring: ring, Sessions: sessions,
		Accounts: accounts, Pages: pages, Limits: lim}).Handler()
	from := func(ip string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/s/nobody/nothing", nil)
		r.RemoteAddr = ip + ":4000"
		return serve(h, r)
	}
	for i := range 2 {
		if rec := from("203.0.113.5"); rec.Code != 404 {
			t.Fatalf("request %d: %d, want 404", i+1, rec.Code)
		}
	}
	rec := from("203.0.113.5")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("third request: %d, Retry-After %q; want 429 after 1 s", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := from("198.51.100.9"); rec.Code != 404 {
		t.Errorf("another address: %d, want 404", rec.Code)
	}
}
