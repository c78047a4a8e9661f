package http_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

type apiPage struct {
	Items []struct {
		ID   int64    `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	} `json:"items"`
	Next *string `json:"next_cursor"`
	Prev *string `json:"prev_cursor"`
	Size int     `json:"size"`
}

func (p apiPage) ids() []int64 {
	var out []int64
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

func (e *apiEnv) page(u apiUser, q url.Values) apiPage {
	e.t.Helper()
	rec := e.do("GET", "/api/v1/checks?"+q.Encode(), u.Key, nil)
	if rec.Code != 200 {
		e.t.Fatalf("GET ?%s: %d %s", q.Encode(), rec.Code, rec.Body)
	}
	var p apiPage
	apiJSON(e.t, rec, &p)
	return p
}

// seedChecks makes 23 checks with tied names and times and NULL times.
func seedChecks(t *testing.T, e *apiEnv, u apiUser) []int64 {
	t.Helper()
	var ids []int64
	for i := range 23 {
		name := []string{"alpha", "beta", "gamma"}[i%3] // ties
		tags := []string{"all"}
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		if i%4 == 0 {
			tags = append(tags, "four")
		}
		id := apiID(t, e.create(u, map[string]any{"name": name, "tags": tags}))
		ids = append(ids, id)
		e.store.setCheck(id, func(c *messages.Check) {
			c.CreatedAt = apiEpoch.Add(time.Duration(i/5) * time.Minute) // ties
			if i%3 != 0 {                                                // some NULL
				c.LastPing = apiEpoch.Add(time.Duration(i%5) * time.Second)
				c.NextDeadline = apiEpoch.Add(time.Duration(i%4) * time.Hour)
				c.Status = messages.StatusUp
			}
		})
	}
	return ids
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	u := e.newUser()
	other := e.newUser()
	seedChecks(t, e, u)
	e.create(other, nil)

	for _, sortBy := range []string{"id", "name", "created_at", "next_deadline", "last_ping", "status"} {
		for _, dir := range []string{"asc", "desc"} {
			for _, tag := range []string{"", "even", "even,four"} {
				for _, size := range []int{1, 5, 23, 100} {
					name := sortBy + "/" + dir + "/" + tag + "/" + apiItoa(int64(size))
					t.Run(name, func(t *testing.T) {
						base := url.Values{"sort_by": {sortBy}, "sort_direction": {dir}, "size": {apiItoa(int64(size))}}
						if tag != "" {
							base.Set("tag", tag)
						}
						// The whole order, in one page, from the store itself.
						all := e.page(u, url.Values{"sort_by": {sortBy}, "sort_direction": {dir}, "size": {"100"}, "tag": {tag}})
						if all.Next != nil || all.Prev != nil {
							t.Fatalf("single page has cursors")
						}
						want := all.ids()

						// Forward.
						var pages []apiPage
						var got []int64
						q := base
						for {
							p := e.page(u, q)
							if p.Size != size || len(p.Items) > size {
								t.Fatalf("size %d, %d items", p.Size, len(p.Items))
							}
							if (len(pages) == 0) != (p.Prev == nil) {
								t.Fatalf("page %d: prev_cursor %v", len(pages), p.Prev)
							}
							pages = append(pages, p)
							got = append(got, p.ids()...)
							if p.Next == nil {
								break
							}
							q = cloneValues(base)
							q.Set("cursor", *p.Next)
							if len(pages) > 30 {
								t.Fatal("no end")
							}
						}
						if !slices.Equal(got, want) {
							t.Fatalf("forward walk %v, want %v", got, want)
						}
						// Back from the last page reproduces every page.
						for i := len(pages) - 1; i > 0; i-- {
							q = cloneValues(base)
							q.Set("cursor", *pages[i].Prev)
							p := e.page(u, q)
							if !slices.Equal(p.ids(), pages[i-1].ids()) {
								t.Fatalf("back to page %d: %v, want %v", i-1, p.ids(), pages[i-1].ids())
							}
							if (i-1 == 0) != (p.Prev == nil) || p.Next == nil {
								t.Fatalf("back page %d: prev %v next %v", i-1, p.Prev, p.Next)
							}
							// Its next cursor leads forward again.
							q = cloneValues(base)
							q.Set("cursor", *p.Next)
							if fwd := e.page(u, q); !slices.Equal(fwd.ids(), pages[i].ids()) {
								t.Fatalf("forward again to page %d: %v, want %v", i, fwd.ids(), pages[i].ids())
							}
						}
					})
				}
			}
		}
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func TestListTagsAndDefaults(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	ids := seedChecks(t, e, u)
	p := e.page(u, url.Values{})
	if p.Size != 25 || !slices.Equal(p.ids(), ids) || p.Next != nil {
		t.Errorf("default page: size %d ids %v next %v", p.Size, p.ids(), p.Next)
	}
	for _, q := range []url.Values{{"tag": {"even,four"}}, {"tag": {"even", "four"}}, {"tag": {" four , even,"}}} {
		p = e.page(u, q)
		for _, it := range p.Items {
			if !slices.Contains(it.Tags, "even") || !slices.Contains(it.Tags, "four") {
				t.Errorf("%v: item %d tags %v", q, it.ID, it.Tags)
			}
		}
		if len(p.Items) != 6 {
			t.Errorf("%v: %d items, want 6", q, len(p.Items))
		}
	}
}

func TestListBadParams(t *testing.T) {
	e := newAPIEnv(t)
	u := e.newUser()
	seedChecks(t, e, u)
	p := e.page(u, url.Values{"sort_by": {"name"}, "size": {"5"}})
	nameCursor := *p.Next
	tests := []struct {
		query  string
		detail string
	}{
		{"size=0", "size must be an integer from 1 to 100"},
		{"size=101", "size must be an integer from 1 to 100"},
		{"size=-1", "size must be"},
		{"size=abc", "size must be"},
		{"size=", "size must be"},
		{"size=1.5", "size must be"},
		{"size=99999999999999999999999", "size must be"},
		{"sort_by=foo", "sort_by must be one of id, name, created_at, next_deadline, last_ping"},
		{"sort_by=", "sort_by must be one of"},
		{"sort_by=NAME", "sort_by must be one of"},
		{"sort_direction=up", "sort_direction must be asc or desc"},
		{"cursor=garbage!", "cursor is not valid"},
		{"cursor=eyJ9", "cursor is not valid"},
		{"cursor=" + nameCursor, "cursor belongs to sort_by=name&sort_direction=asc"},
		{"sort_by=name&sort_direction=desc&cursor=" + nameCursor, "cursor belongs to sort_by=name&sort_direction=asc"},
		{"tag=bad!", `tag: "bad!" is not a tag`},
		{"tag=" + strings.Repeat("a,", 21) + "b", ""}, // repeats count once: fine
		{"tag=" + strings.Repeat("t", 51), "is not a tag"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := e.do("GET", "/api/v1/checks?"+tt.query, u.Key, nil)
			if tt.detail == "" {
				if rec.Code != 200 {
					t.Errorf("%d %s", rec.Code, rec.Body)
				}
				return
			}
			if rec.Code != 400 || !strings.Contains(apiDetail(t, rec), tt.detail) {
				t.Errorf("got %d %s, want 400 containing %q", rec.Code, rec.Body, tt.detail)
			}
		})
	}
	var many []string
	for i := range 21 {
		many = append(many, "t"+apiItoa(int64(i)))
	}
	if rec := e.do("GET", "/api/v1/checks?tag="+strings.Join(many, ","), u.Key, nil); rec.Code != 400 {
		t.Errorf("21 tags: %d", rec.Code)
	}
}

func TestListETag(t *testing.T) {
	e := newAPIEnv(t)
	u, other := e.newUser(), e.newUser()
	ids := seedChecks(t, e, u)
	seedChecks(t, e, other)
	get := func(u apiUser, q string, hdr ...string) (int, string) {
		rec := e.do("GET", "/api/v1/checks?"+q, u.Key, nil, hdr...)
		if rec.Code == http.StatusNotModified && rec.Body.Len() != 0 {
			t.Errorf("304 with a body: %q", rec.Body)
		}
		return rec.Code, rec.Header().Get("ETag")
	}
	code, tag := get(u, "size=5")
	if code != 200 || !strings.HasPrefix(tag, `W/"`) || !strings.HasSuffix(tag, `"`) {
		t.Fatalf("%d ETag %q", code, tag)
	}
	if code, again := get(u, "size=5"); code != 200 || again != tag {
		t.Errorf("same request: %d %q, want %q", code, again, tag)
	}
	if code, _ := get(u, "size=5", "If-None-Match", tag); code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", code)
	}
	if code, _ := get(u, "size=5", "If-None-Match", `W/"other", `+tag); code != http.StatusNotModified {
		t.Errorf("If-None-Match list: %d, want 304", code)
	}

	// Every parameter counts, the cursor included.
	p := e.page(u, url.Values{"size": {"5"}})
	p2 := e.page(u, url.Values{"size": {"5"}, "cursor": {*p.Next}})
	_ = p2
	distinct := map[string]string{tag: "size=5"}
	for _, q := range []string{
		"size=6", "size=5&sort_direction=asc", "size=5&tag=all", "size=5&cursor=" + url.QueryEscape(*p.Next),
		"size=5&sort_by=id", "size=5&x=1",
	} {
		code, tg := get(u, q, "If-None-Match", tag)
		if code != 200 {
			t.Errorf("%s with the first ETag: %d, want 200", q, code)
		}
		if prev, dup := distinct[tg]; dup {
			t.Errorf("%s has the ETag of %s", q, prev)
		}
		distinct[tg] = q
	}
	// Another user's same query has another ETag.
	if _, tg := get(other, "size=5"); tg == tag {
		t.Error("two users share an ETag")
	}
	// A change to a listed check changes it.
	e.store.setCheck(ids[0], func(c *messages.Check) { c.NPings++ })
	if code, _ := get(u, "size=5", "If-None-Match", tag); code != 200 {
		t.Errorf("after a change: %d, want 200", code)
	}
	_, tag = get(u, "size=5")
	// Time alone can make a check late.
	e.store.setCheck(ids[1], func(c *messages.Check) {
		c.Status = messages.StatusUp
		c.NextDue = apiEpoch.Add(time.Minute)
		c.NextDeadline = apiEpoch.Add(time.Hour)
	})
	_, tag = get(u, "size=5")
	e.setNow(apiEpoch.Add(2 * time.Minute))
	if code, _ := get(u, "size=5", "If-None-Match", tag); code != 200 {
		t.Errorf("after turning late: %d, want 200", code)
	}
	// A channel's delivery status changes it, though no version moves.
	_, tag = get(u, "size=5")
	e.store.mu.Lock()
	e.store.channels[ids[2]] = []messages.Channel{{CheckID: ids[2], Name: "webhook", LastStatus: messages.DeliveryOK}}
	e.store.mu.Unlock()
	if code, _ := get(u, "size=5", "If-None-Match", tag); code != 200 {
		t.Errorf("after a delivery: %d, want 200", code)
	}
}
