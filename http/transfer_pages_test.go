package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

// fakePages holds status pages in memory, by user.
type fakePages struct {
	mu     sync.Mutex
	pages  map[int64][]ttrhttp.PageSettings
	nextID int64
	writes int
}

func (f *fakePages) ListPages(_ context.Context, userID int64) ([]ttrhttp.PageSettings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.pages[userID]), nil
}

func (f *fakePages) ValidatePage(p *ttrhttp.PageSettings) error {
	if p.Name == "" {
		return messages.Errorf(messages.EInvalid, "name must be 1 to 100 characters")
	}
	if p.Layout == "" {
		p.Layout = "cards"
	}
	return nil
}

func (f *fakePages) CreatePage(_ context.Context, userID int64, p ttrhttp.PageSettings) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	p.ID = f.nextID
	f.pages[userID] = append(f.pages[userID], p)
	f.writes++
	return p.ID, nil
}

func (f *fakePages) UpdatePage(_ context.Context, userID int64, p ttrhttp.PageSettings) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.pages[userID], func(h ttrhttp.PageSettings) bool { return h.ID == p.ID })
	if i < 0 {
		return messages.Errorf(messages.ENotFound, "no such page")
	}
	f.pages[userID][i] = p
	f.writes++
	return nil
}

type pagesReport struct {
	Checks      []struct{ Slug, Result string } `json:"checks"`
	StatusPages []struct {
		Slug, Result, Detail string
		ID                   int64
		Notes                []string
	} `json:"status_pages"`
}

// TestTransferStatusPages: a document carries status pages with their checks by slug; an
// import makes them after the checks (naming the new checks, in order), a dry run makes
// nothing, an import again changes nothing, and a page's problems are its own.
func TestTransferStatusPages(t *testing.T) {
	fp := &fakePages{pages: map[int64][]ttrhttp.PageSettings{}}
	e := newAPIEnv(t, func(c *ttrhttp.Config, d *ttrhttp.Deps) {
		d.Transfer = ttrhttp.NewTransfer(*c, ttrhttp.TransferDeps{Store: d.Store, Checks: d.Checks, Ring: d.Ring, Now: d.Now, Pages: fp})
	})
	u, v := e.newUser(), e.newUser()
	a := e.create(u, map[string]any{"slug": "a", "name": "A"})
	b := e.create(u, map[string]any{"slug": "b", "name": "B"})
	def := e.create(u, map[string]any{"name": "default slug"}) // its slug is its UUID
	id := func(m map[string]any) int64 { n, _ := m["id"].(json.Number).Int64(); return n }
	fp.pages[u.ID] = []ttrhttp.PageSettings{{ID: 100, Slug: "pub", Name: "Public", Layout: "grid", ShowActivity: true,
		CheckIDs: []int64{id(b), id(def), id(a)}}}
	fp.nextID = 100

	rec := e.do("GET", "/api/v1/checks/export", u.Key, nil)
	if rec.Code != 200 {
		t.Fatalf("export: %d %s", rec.Code, rec.Body)
	}
	doc := rec.Body.Bytes()
	var d struct {
		StatusPages []map[string]any `json:"status_pages"`
	}
	_ = json.Unmarshal(doc, &d)
	if len(d.StatusPages) != 1 || fmt.Sprint(d.StatusPages[0]["checks"]) != fmt.Sprintf("[b %s a]", def["uuid"]) ||
		d.StatusPages[0]["layout"] != "grid" || d.StatusPages[0]["show_activity"] != true {
		t.Fatalf("exported pages: %v", d.StatusPages)
	}

	imp := func(who apiUser, q string, body []byte) pagesReport {
		t.Helper()
		rec := e.do("POST", "/api/v1/checks/import"+q, who.Key, body)
		if rec.Code != http.StatusOK {
			t.Fatalf("import: %d %s", rec.Code, rec.Body)
		}
		var r pagesReport
		apiJSON(t, rec, &r)
		return r
	}
	// Into v: a dry run reports the page and makes nothing.
	r := imp(v, "?dry_run=1", doc)
	if len(r.StatusPages) != 1 || r.StatusPages[0].Result != "created" || r.StatusPages[0].Slug != "pub" || fp.writes != 0 {
		t.Fatalf("dry run: %+v (writes %d)", r.StatusPages, fp.writes)
	}
	// The import makes it with v's new checks, in the page's order.
	r = imp(v, "", doc)
	if r.StatusPages[0].Result != "created" || r.StatusPages[0].ID == 0 {
		t.Fatalf("import: %+v", r.StatusPages)
	}
	got := fp.pages[v.ID]
	if len(got) != 1 || got[0].Name != "Public" || got[0].Layout != "grid" || !got[0].ShowActivity || len(got[0].CheckIDs) != 3 {
		t.Fatalf("v's pages: %+v", got)
	}
	var slugs []string
	for _, cid := range got[0].CheckIDs {
		c := e.store.checks[cid]
		if c.UserID != v.ID {
			t.Fatalf("v's page shows check %d of user %d", cid, c.UserID)
		}
		if c.Slug == c.UUID {
			slugs = append(slugs, "<uuid>")
		} else {
			slugs = append(slugs, c.Slug)
		}
	}
	if fmt.Sprint(slugs) != "[b <uuid> a]" {
		t.Fatalf("v's page's checks: %v", slugs)
	}
	// Again: unchanged (v's own export, so the UUID-slugged check is matched by its slug).
	vdoc := e.do("GET", "/api/v1/checks/export", v.Key, nil).Body.Bytes()
	writes := fp.writes
	if r = imp(v, "", vdoc); r.StatusPages[0].Result != "unchanged" || fp.writes != writes {
		t.Fatalf("again: %+v", r.StatusPages)
	}

	// A changed page is updated; a page's problems are its own.
	odd := []byte(`{"version":1,"user_slug":"x","checks":[],"status_pages":[
		{"slug":"pub","name":"Renamed","description":"","layout":"grid","show_activity":true,"checks":["a","nope"]},
		{"slug":"pub","name":"Twice","description":"","layout":"","show_activity":false,"checks":[]},
		{"slug":"nameless","name":"","description":"","layout":"","show_activity":false,"checks":[]},
		{"slug":"bad","checks":[1]}]}`)
	r = imp(v, "", odd)
	if len(r.StatusPages) != 4 {
		t.Fatalf("pages: %+v", r.StatusPages)
	}
	p0 := r.StatusPages[0]
	if p0.Result != "updated" || len(p0.Notes) != 1 || !strings.Contains(p0.Notes[0], `"nope"`) {
		t.Errorf("changed page: %+v", p0)
	}
	if pg := fp.pages[v.ID][0]; pg.Name != "Renamed" || len(pg.CheckIDs) != 1 || e.store.checks[pg.CheckIDs[0]].Slug != "a" {
		t.Errorf("after the update: %+v", pg)
	}
	for i, want := range []string{"twice", "name must be", "status page must be"} {
		if p := r.StatusPages[i+1]; p.Result != "error" || !strings.Contains(p.Detail, want) {
			t.Errorf("page %d: %+v, want an error saying %q", i+1, p, want)
		}
	}
	if len(fp.pages[v.ID]) != 1 {
		t.Errorf("a refused page was made: %+v", fp.pages[v.ID])
	}
}
