package web

import (
	"fmt"
	"hash/fnv"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
)

// dashPageSize is how many checks a dashboard page shows.
const dashPageSize = 25

// dashQuery is the dashboard's URL: its filters, order and page, passed to the API as they are
// (the API validates them and its errors are shown on the page).
type dashQuery struct {
	Q      string
	Status string
	Tags   []string
	SortBy string // "" = status (failing first)
	Dir    string // "" = asc
	Cursor string
	Size   string // "" = dashPageSize; the API allows 1 to 100
}

func parseDashQuery(v url.Values) dashQuery {
	q := dashQuery{Q: strings.TrimSpace(v.Get("q")), Status: v.Get("status"), SortBy: v.Get("sort_by"),
		Dir: v.Get("sort_direction"), Cursor: v.Get("cursor"), Size: v.Get("size")}
	for _, t := range v["tag"] {
		for _, t := range strings.Split(t, ",") {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(q.Tags, t) {
				q.Tags = append(q.Tags, t)
			}
		}
	}
	return q
}

// values renders the query as URL parameters (empty ones left out).
func (q dashQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Q)
	set("status", q.Status)
	set("tag", strings.Join(q.Tags, ","))
	set("sort_by", q.SortBy)
	set("sort_direction", q.Dir)
	set("cursor", q.Cursor)
	set("size", q.Size)
	return v
}

// href is the dashboard at q.
func (q dashQuery) href() string {
	if e := q.values().Encode(); e != "" {
		return "/dashboard?" + e
	}
	return "/dashboard"
}

// apiTarget is the aggregate the page reads and the script polls: the same URL, so the ETag
// the page was rendered from is the one the script sends back.
func (q dashQuery) apiTarget() string {
	v := q.values()
	if q.Size == "" {
		v.Set("size", strconv.Itoa(dashPageSize))
	}
	return "/api/v1/checks/aggregate?" + v.Encode()
}

// filtered reports whether any filter narrows the list.
func (q dashQuery) filtered() bool { return q.Q != "" || q.Status != "" || len(q.Tags) > 0 }

// link is a labelled URL that may be the current one.
type link struct {
	Label  string
	Href   string
	N      int64
	Active bool
}

// dashRow is one check's row.
type dashRow struct {
	ID                             int64
	Sig                            string // changes when anything the row shows changes
	Name, Slug, Desc               string
	Tags                           []string
	Status, StatusWord, StatusIcon string
	PingURL                        string
	Schedule, Grace                string
	LastPing, Deadline             template.HTML // the cells' contents (lastPingHTML, deadlineHTML)
	// What the signature reads of the times (the texts relative to now change every poll).
	lastPingISO, deadlineISO, duration string
	Strip                              template.HTML // the marks, oldest first (stripHTML)
	StripLabel                         string
	Channels                           template.HTML // the channels' badges (channelsHTML)
	Actions                            template.HTML // the row's forms and links (rowActions)
	LastReason                         string
	NameIsBlank                        bool
}

// chanCell is one configured channel of a row with its last delivery.
type chanCell struct {
	Name  string
	State string // ok | error | none | off
	Title string
}

// dashData is the dashboard's data.
type dashData struct {
	Query      dashQuery
	Self       string // this page's URL (forms come back to it)
	Counters   []link
	Tags       []link
	Sort       map[string]link // by column: name, status, last_ping, next_deadline
	Rows       []dashRow
	NextHref   string
	PrevHref   string
	Total      int64
	Down       int64
	Empty      bool // no check at all
	NoMatch    bool // checks, but none matches the filters
	ClearHref  string
	PingBase   string
	Crontab    string
	Poll       string // the aggregate's URL
	ETag       string // the aggregate's ETag when the page was rendered
	Now        string // the server's clock (RFC 3339), for the countdowns' offset
	Done       string
	AccountURL string
}

// statusWords are the status words and icons (never colour alone).
var statusWords = map[messages.CheckStatus][2]string{
	messages.StatusUp:     {"up", "✔"},
	messages.StatusDown:   {"down", "✖"},
	messages.StatusNew:    {"new", "○"},
	messages.StatusPaused: {"paused", "⏸"},
	"late":                {"late", "⚠"},
	"started":             {"running", "▶"},
}

// doneNotices are the notices a redirect after a row action names (fixed texts: the URL
// chooses one, it cannot write one).
var doneNotices = map[string]string{
	"created": "Check created.",
	"saved":   "Check saved.",
	"deleted": "Check deleted.",
	"paused":  "Check paused.",
	"resumed": "Check resumed.",
	"pinged":  "Ping sent.",
}

// dashboard: GET /dashboard — every check at a glance.
func (p *Pages) dashboard(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	q := parseDashQuery(r.URL.Query())
	agg, ans, err := getValue[ttrhttp.Aggregate](p, r, q.apiTarget())
	v := p.newView(w, r, pr, "Dashboard")
	v.Wide = true
	if err != nil {
		if messages.CodeOf(err) != messages.EInvalid {
			return err
		}
		// A filter or cursor the API refused (an old bookmark): say so, offer a way out.
		v.Error = messages.MessageOf(err)
		v.Data = dashData{Query: q, Self: q.href(), ClearHref: "/dashboard", NoMatch: true, Sort: map[string]link{}}
		p.render(w, r, http.StatusBadRequest, "dashboard", v)
		return nil
	}
	d := p.dashData(q, agg, p.d.Now(), v.CSRF)
	d.ETag = ans.header.Get("ETag")
	d.Done = doneNotices[r.URL.Query().Get("done")]
	v.Notice = d.Done
	if d.Down > 0 {
		v.Title = fmt.Sprintf("%d down · Dashboard", d.Down)
		v.Alarm = true
	}
	v.Data = d
	p.render(w, r, http.StatusOK, "dashboard", v)
	return nil
}

// dashData builds the page from the aggregate at now, its forms carrying csrf (a pure
// function of its inputs).
func (p *Pages) dashData(q dashQuery, agg *ttrhttp.Aggregate, now time.Time, csrf string) dashData {
	st := agg.Stats
	d := dashData{
		Query: q, Self: q.href(), Total: st.Total, Down: st.Down, Poll: q.apiTarget(),
		Empty: st.Total == 0, NoMatch: st.Total > 0 && len(agg.Checks.Items) == 0,
		ClearHref: "/dashboard", PingBase: agg.PingBaseURL, Now: now.UTC().Format(time.RFC3339),
		Sort: map[string]link{},
	}
	d.Crontab = "*/5 * * * * /path/to/job.sh && curl -fsS -m 10 --retry 5 -o /dev/null " + agg.PingBaseURL + "my-job"
	// Counters filter by status; the active one clears its filter.
	base := q
	base.Cursor = ""
	for _, c := range []struct {
		status messages.CheckStatus
		n      int64
	}{{"", st.Total}, {messages.StatusUp, st.Up}, {messages.StatusDown, st.Down}, {"late", st.Late}, {messages.StatusNew, st.New}, {messages.StatusPaused, st.Paused}} {
		lq := base
		lq.Status = string(c.status)
		label := "all"
		if c.status != "" {
			label = statusWords[c.status][0]
		}
		d.Counters = append(d.Counters, link{Label: label, Href: lq.href(), N: c.n, Active: q.Status == string(c.status)})
	}
	// Tags filter with AND: a tag link adds its tag, or removes it when it is on.
	for _, t := range agg.Tags {
		tq := base
		on := slices.Contains(q.Tags, t.Tag)
		if on {
			tq.Tags = slices.DeleteFunc(slices.Clone(q.Tags), func(s string) bool { return s == t.Tag })
		} else {
			tq.Tags = append(slices.Clone(q.Tags), t.Tag)
		}
		d.Tags = append(d.Tags, link{Label: t.Tag, Href: tq.href(), N: t.Count, Active: on})
	}
	// Sortable columns: a click sorts by it, a second click reverses.
	for _, col := range []string{"name", "status", "last_ping", "next_deadline"} {
		sq := base
		cur := q.SortBy
		if cur == "" {
			cur = "status"
		}
		sq.SortBy, sq.Dir = col, ""
		active := cur == col
		if active && q.Dir != "desc" {
			sq.Dir = "desc"
		}
		dir := "none"
		if active {
			dir = "ascending"
			if q.Dir == "desc" {
				dir = "descending"
			}
		}
		d.Sort[col] = link{Label: dir, Href: sq.href(), Active: active}
	}
	if c := agg.Checks.NextCursor; c != nil {
		nq := q
		nq.Cursor = *c
		d.NextHref = nq.href()
	}
	if c := agg.Checks.PrevCursor; c != nil {
		pq := q
		pq.Cursor = *c
		d.PrevHref = pq.href()
	}
	hidden := rowFormFields(csrf, d.Self)
	d.Rows = make([]dashRow, len(agg.Checks.Items))
	for i := range agg.Checks.Items {
		d.Rows[i] = rowOf(&agg.Checks.Items[i], now, hidden)
	}
	return d
}

// rowOf is one check's row at now; hidden is its forms' hidden fields (rowFormFields).
func rowOf(c *ttrhttp.AggregateCheck, now time.Time, hidden string) dashRow {
	st := displayStatus(&c.CheckJSON)
	words, ok := statusWords[st]
	if !ok {
		words = [2]string{string(st), "?"}
	}
	lastPing := c.LastPing.Time()
	row := dashRow{
		ID: c.ID, Name: c.Name, Slug: c.Slug, Desc: c.Desc, Tags: c.Tags, Status: string(st),
		StatusWord: words[0], StatusIcon: words[1], PingURL: c.PingURL,
		Schedule:    scheduleText(c.ScheduleType, c.Schedule, c.TZ, c.IntervalSeconds),
		Grace:       spanText(c.GraceSeconds),
		Actions:     rowActions(c.ID, c.Slug, c.Status == messages.StatusPaused, hidden),
		LastReason:  c.LastReason,
		NameIsBlank: strings.TrimSpace(c.Name) == "",
	}
	if !lastPing.IsZero() {
		row.lastPingISO = lastPing.UTC().Format(time.RFC3339)
	}
	if c.LastDurationSeconds != nil {
		row.duration = durationText(*c.LastDurationSeconds)
	}
	row.LastPing = lastPingHTML(lastPing, now, row.lastPingISO, row.duration)
	row.Deadline = "—"
	if deadline := c.NextDeadline.Time(); !deadline.IsZero() && c.Status != messages.StatusPaused {
		row.deadlineISO = deadline.UTC().Format(time.RFC3339)
		row.Deadline = deadlineHTML(deadline, now, row.deadlineISO)
	}
	// The strip: oldest first, so it reads left to right like time.
	counts := map[string]int{}
	classes := make([]string, 0, len(c.RecentPings))
	for i := len(c.RecentPings) - 1; i >= 0; i-- {
		cls := stripClass(&c.RecentPings[i])
		classes = append(classes, cls)
		counts[cls]++
	}
	row.Strip = stripHTML(classes)
	row.StripLabel = stripLabel(len(c.RecentPings), counts)
	row.Channels = channelsHTML(channelCells(&c.CheckJSON, now))
	row.Sig = rowSig(c, &row)
	return row
}

// lastPingHTML is the last ping's cell: when (relative to now, the exact time in its title)
// and how long the run took. Written in Go with the deadline's cell rather than in the
// template (nine template actions a row): every text here is made by this package from
// times and numbers (RFC 3339, spanText, durationText), none needs escaping.
func lastPingHTML(at, now time.Time, iso, duration string) template.HTML {
	s := "never"
	if !at.IsZero() {
		s = `<time datetime="` + iso + `" title="` + at.UTC().Format("2006-01-02 15:04:05 UTC") + `" data-rel>` + relTime(at, now) + `</time>`
	}
	if duration != "" {
		s += `<br><span class="muted">took ` + duration + `</span>`
	}
	return template.HTML(s)
}

// deadlineHTML is the deadline's cell: the time left (the script counts it down). Like
// lastPingHTML, made of times and numbers only.
func deadlineHTML(deadline, now time.Time, iso string) template.HTML {
	return template.HTML(`<time datetime="` + iso + `" data-countdown>` + countdownText(deadline, now) + `</time>`)
}

// rowSig is the row's signature: it changes when anything the row shows changes (the
// script replaces only the rows whose signature changed).
func rowSig(c *ttrhttp.AggregateCheck, row *dashRow) string {
	h := fnv.New64a()
	b := make([]byte, 0, 1024)
	b = strconv.AppendInt(b, c.ID, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, c.ConfigVersion, 10)
	for _, s := range []string{row.Status, row.lastPingISO, row.deadlineISO, row.duration, string(row.Strip), string(row.Channels), c.LastReason} {
		b = append(b, '|')
		b = append(b, s...)
	}
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(len(c.RecentPings)), 10)
	if len(c.RecentPings) > 0 {
		b = append(b, '|')
		b = strconv.AppendInt(b, c.RecentPings[0].N, 10)
	}
	_, _ = h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

// channelCells are c's configured channels, each with its state and last delivery at now.
func channelCells(c *ttrhttp.CheckJSON, now time.Time) []chanCell {
	var cells []chanCell
	for _, name := range channelOrder {
		ch, ok := c.Channels[name]
		if !ok || !ch.Configured {
			continue
		}
		cell := chanCell{Name: string(name), State: "none", Title: string(name) + ": no alert sent yet"}
		if !ch.Enabled {
			cell.State, cell.Title = "off", string(name)+": turned off"
		} else if ch.LastNotificationStatus != nil {
			cell.State = string(*ch.LastNotificationStatus)
			cell.Title = string(name) + ": last alert " + cell.State
			if m := ch.LastNotificationMessage; m != nil && *m != "" {
				cell.Title += " (" + *m + ")"
			}
			if at := ch.LastNotificationTimestamp.Time(); !at.IsZero() {
				cell.Title += ", " + relTime(at, now)
			}
		}
		cells = append(cells, cell)
	}
	return cells
}

// channelsHTML renders a row's channel badges in Go rather than in the template (five
// template actions a channel; see stripHTML). Every text is escaped here: HTMLEscapeString
// escapes quotes too, so it is safe in text and attributes.
func channelsHTML(cells []chanCell) template.HTML {
	if len(cells) == 0 {
		return `<span class="muted">none</span>`
	}
	var b strings.Builder
	for _, c := range cells {
		state := template.HTMLEscapeString(c.State)
		b.WriteString(`<span class="ch ch-`)
		b.WriteString(state)
		b.WriteString(`" title="`)
		b.WriteString(template.HTMLEscapeString(c.Title))
		b.WriteString(`">`)
		b.WriteString(template.HTMLEscapeString(c.Name))
		b.WriteString(`<span class="vh"> `)
		b.WriteString(state)
		b.WriteString(`</span></span> `)
	}
	return template.HTML(b.String())
}

// channelOrder is the order channels are shown in.
var channelOrder = []messages.ChannelKind{messages.ChannelWebhook, messages.ChannelTelegram, messages.ChannelSlack, messages.ChannelDiscord, messages.ChannelEmail}

// stripClass is a ping's mark in the strip.
func stripClass(p *ttrhttp.RecentPingJSON) string {
	switch {
	case p.Failed || p.Kind == messages.KindFail:
		return "fail"
	case p.Kind == messages.KindStart:
		return "start"
	case p.Kind == messages.KindLog:
		return "log"
	}
	return "ok"
}

// stripHTML renders the strip's marks, <i class="ok"></i>…, in Go rather than in the
// template: twenty per row, a hundred rows a page, each a template action (and its escaper,
// called through reflection) cost more than the rest of the row. classes come from
// stripClass, a fixed set of names that need no escaping.
func stripHTML(classes []string) template.HTML {
	var b strings.Builder
	b.Grow(len(classes) * 20)
	for _, cls := range classes {
		b.WriteString(`<i class="`)
		b.WriteString(cls)
		b.WriteString(`"></i>`)
	}
	return template.HTML(b.String())
}

// rowFormFields are the hidden fields of a row's forms: the CSRF token and the page to come
// back to, the same in every row, so escaped once a page.
func rowFormFields(csrf, self string) string {
	return `<input type="hidden" name="csrf" value="` + template.HTMLEscapeString(csrf) +
		`"><input type="hidden" name="next" value="` + template.HTMLEscapeString(self) + `">`
}

// rowActions renders a row's actions (ping, pause or resume, edit, delete) in Go rather than
// in the template, like the strip: with the page's CSRF token and URL in each form they were
// about 17 template actions a row, each escaper called through reflection. The slug is
// escaped here (HTMLEscapeString escapes quotes too, so it is safe in text and attributes);
// hidden comes from rowFormFields.
func rowActions(id int64, slug string, paused bool, hidden string) template.HTML {
	path := "/checks/" + strconv.FormatInt(id, 10)
	vh := `<span class="vh"> ` + template.HTMLEscapeString(slug) + `</span>`
	form := func(action, label, after string) string {
		return `<form method="post" action="` + path + "/" + action + `">` + hidden +
			`<button type="submit">` + label + vh + after + `</button></form>`
	}
	toggle := form("pause", "Pause", "")
	if paused {
		toggle = form("resume", "Resume", "")
	}
	// Laid out as the template laid them out (the spaces between the forms show).
	return template.HTML("\n      " + form("ping", "Ping", " now") + "\n      " + toggle +
		"\n      " + `<a href="` + path + `/edit">Edit` + vh + "</a>\n      " +
		`<a href="` + path + `/delete">Delete` + vh + "</a>\n    ")
}

// stripLabel is the strip in words (for screen readers and the tooltip).
func stripLabel(n int, counts map[string]int) string {
	if n == 0 {
		return "No pings yet"
	}
	var parts []string
	for _, k := range []struct{ cls, word string }{{"ok", "success"}, {"fail", "failed"}, {"start", "start"}, {"log", "log"}} {
		if counts[k.cls] > 0 {
			parts = append(parts, strconv.Itoa(counts[k.cls])+" "+k.word)
		}
	}
	return "Last " + strconv.Itoa(n) + " pings: " + strings.Join(parts, ", ")
}

// durationText is a run's duration: "850 ms", "12.3 s", "4 min 5 s".
func durationText(secs float64) string {
	switch {
	case secs < 1:
		return strconv.Itoa(int(secs*1000)) + " ms"
	case secs < 60:
		return strconv.FormatFloat(secs, 'f', 1, 64) + " s"
	}
	return spanText(int64(secs))
}

// countdownText is the time left to a deadline, or how long it has passed.
func countdownText(deadline, now time.Time) string {
	d := deadline.Sub(now)
	if d < 0 {
		return "overdue " + spanText(int64(-d/time.Second))
	}
	return "in " + spanText(int64(d/time.Second))
}

// rowAction: POST /checks/{id}/pause, /resume, /ping, /delete from the dashboard's rows; back
// to the page the form came from.
func (p *Pages) rowAction(action string) func(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	return func(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
		path := "/api/v1/checks/" + strconv.FormatInt(id, 10)
		done := action
		switch action {
		case "pause":
			done = "paused"
			if err := p.callOK(r, http.MethodPost, path+"/pause", nil); err != nil {
				return err
			}
		case "resume":
			done = "resumed"
			if err := p.callOK(r, http.MethodPost, path+"/resume", nil); err != nil {
				return err
			}
		case "delete":
			done = "deleted"
			if err := p.callOK(r, http.MethodDelete, path, nil); err != nil {
				return err
			}
		case "ping":
			done = "pinged"
			// The check must be the user's before its ping URL is used: read it first.
			c, err := p.loadCheck(r, id)
			if err != nil {
				return err
			}
			a, err := p.call(r, http.MethodPost, "/ping/"+url.PathEscape(c.UUID), nil)
			if err != nil {
				return err
			}
			if a.status != http.StatusOK {
				return messages.Errorf(ttrhttp.CodeOfStatus(a.status), "the ping was refused: %s", strings.TrimSpace(string(a.body)))
			}
		}
		next := localPath(r.PostFormValue("next"), "/dashboard")
		http.Redirect(w, r, withDone(next, done), http.StatusSeeOther)
		return nil
	}
}

// withDone adds done=<what> to a local URL, replacing an earlier one.
func withDone(next, done string) string {
	u, err := url.Parse(next)
	if err != nil {
		return "/dashboard?done=" + done
	}
	q := u.Query()
	q.Set("done", done)
	u.RawQuery = q.Encode()
	return u.String()
}
