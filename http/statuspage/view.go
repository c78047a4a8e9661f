package statuspage

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/http/badge"
	"github.com/ttr-rip/ttr/http/uptime"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// HistoryDays is how many of the owner's days a page's bar shows.
const HistoryDays = 90

// RecentPings is how many of each check's last pings a page with activity shows.
const RecentPings = 3

// Window is a rolling uptime window ending now.
type Window struct {
	Name string
	D    time.Duration
}

// Windows are the rolling windows a page shows.
var Windows = []Window{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour}}

// View is the public view of a page: what /s/{user slug}/{page slug} shows and /data answers.
// Nothing in it names a check's UUID, slug, ping URL or tags.
type View struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Layout      string      `json:"layout"`
	Overall     string      `json:"overall"`      // down | late | up | unknown
	OverallText string      `json:"overall_text"` // the banner
	GeneratedAt time.Time   `json:"generated_at"`
	TZ          string      `json:"tz"` // the zone of the days
	Activity    bool        `json:"activity"`
	Checks      []CheckView `json:"checks"`
}

// CheckView is one check on a page.
type CheckView struct {
	Name                string       `json:"name"`
	Status              badge.Status `json:"status"`
	LastPing            *time.Time   `json:"last_ping"`
	LastPingAgo         string       `json:"last_ping_ago"`
	LastDurationSeconds *float64     `json:"last_duration_seconds"`
	Schedule            string       `json:"schedule"`
	Uptime              []WindowView `json:"uptime"`
	Days                []DayView    `json:"days"`
	Recent              []PingView   `json:"recent,omitempty"`
}

// WindowView is the uptime over a rolling window; Uptime is null when nothing was tracked.
type WindowView struct {
	Window string   `json:"window"`
	Uptime *float64 `json:"uptime"`
	Text   string   `json:"text"`
}

// DayView is one day of the bar, with its text alternative.
type DayView struct {
	Date   string   `json:"date"`
	Uptime *float64 `json:"uptime"`
	Level  string   `json:"level"` // none | full | high | mid | low (the bar's colour)
	Label  string   `json:"label"`
}

// PingView is one of the last pings: its time, kind and country only.
type PingView struct {
	At      time.Time            `json:"at"`
	Ago     string               `json:"ago"`
	Kind    messages.PingLogKind `json:"kind"`
	Country string               `json:"country,omitempty"`
}

// Bundle is a computed view with its JSON encoding and weak ETag, shared by every viewer
// until it expires.
type Bundle struct {
	View   *View
	JSON   []byte
	ETag   string
	PageID int64
}

type cached struct {
	mu    sync.Mutex
	b     *Bundle
	err   error
	until time.Time
}

// Public returns the view of the page at /s/{userSlug}/{pageSlug}, computed at most once per
// CacheFor: concurrent viewers wait for one computation and share it. ENotFound when no such
// page is public.
func (s *Service) Public(ctx context.Context, userSlug, pageSlug string) (*Bundle, error) {
	key := userSlug + "/" + pageSlug
	s.mu.Lock()
	e := s.views[key]
	if e == nil {
		if len(s.views) >= s.cfg.CacheSize {
			s.evict()
		}
		e = &cached{}
		s.views[key] = e
	}
	s.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.now()
	if now.Before(e.until) {
		return e.b, e.err
	}
	b, err := s.compute(ctx, userSlug, pageSlug, now)
	switch {
	case err == nil, messages.CodeOf(err) == messages.ENotFound:
		e.b, e.err, e.until = b, err, now.Add(s.cfg.CacheFor)
	default: // a failure or a cancelled viewer is not served to the next one
		e.b, e.err, e.until = nil, nil, time.Time{}
	}
	return b, err
}

// evict drops the expired views (s.mu held).
func (s *Service) evict() {
	now := s.now()
	for k, e := range s.views {
		if e.mu.TryLock() {
			if !now.Before(e.until) {
				delete(s.views, k)
			}
			e.mu.Unlock()
		}
	}
}

// compute builds a page's view in a constant number of queries: the page, its checks, the
// uptime marks at every instant the view needs, and (with activity) the last pings.
func (s *Service) compute(ctx context.Context, userSlug, pageSlug string, now time.Time) (*Bundle, error) {
	if !ValidSlug(pageSlug) {
		return nil, messages.ErrNotFound
	}
	pp, err := s.d.Store.StatusPageBySlug(ctx, userSlug, pageSlug)
	if err != nil {
		return nil, err
	}
	p := pp.Page
	checks, err := s.d.Store.PageChecks(ctx, p.UserID, p.ID)
	if err != nil {
		return nil, err
	}
	v, err := s.build(ctx, p, checks, pp.TZ, now)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	return &Bundle{View: v, JSON: body, ETag: `W/"` + base64.RawURLEncoding.EncodeToString(sum[:15]) + `"`, PageID: p.ID}, nil
}

// build computes the view of page p showing checks (in order), with days in the zone tz:
// one query for the uptime marks at every instant it needs, one for the last pings.
func (s *Service) build(ctx context.Context, p messages.StatusPage, checks []messages.Check, tz string, now time.Time) (*View, error) {
	loc, tzName := location(tz)
	ids := make([]int64, len(checks))
	for i, c := range checks {
		ids[i] = c.ID
	}
	starts := uptime.DayStarts(now, loc, HistoryDays)
	instants := append([]time.Time{now}, starts...)
	for _, w := range Windows {
		instants = append(instants, now.Add(-w.D))
	}
	sums, err := s.sums(ctx, p.UserID, ids, instants)
	if err != nil {
		return nil, err
	}
	var recent map[int64][]PingView
	if p.ShowActivity {
		if recent, err = s.recent(ctx, p.UserID, ids, now); err != nil {
			return nil, err
		}
	}
	v := &View{Name: p.Name, Description: p.Description, Layout: p.Layout, GeneratedAt: now.UTC().Truncate(time.Second),
		TZ: tzName, Activity: p.ShowActivity, Checks: make([]CheckView, 0, len(checks))}
	statuses := make([]badge.Status, 0, len(checks))
	for _, c := range checks {
		cv := checkView(c, now, loc, starts, sums(c.ID))
		cv.Recent = recent[c.ID]
		statuses = append(statuses, cv.Status)
		v.Checks = append(v.Checks, cv)
	}
	v.Overall, v.OverallText = overall(statuses)
	return v, nil
}

// Preview computes the view a page with in's settings would show now, for its owner's
// editor: nothing is saved or cached. A check id that is not the user's is ENotFound.
func (s *Service) Preview(ctx context.Context, userID int64, in Input) (*View, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	_, prefs, err := s.d.Store.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	checks := make([]messages.Check, 0, len(in.CheckIDs))
	for _, id := range in.CheckIDs { // at most MaxChecks reads, for the owner alone
		c, err := s.d.Store.GetCheck(ctx, userID, id)
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	p := messages.StatusPage{UserID: userID, Slug: in.Slug, Name: in.Name, Description: in.Description,
		Layout: in.Layout, ShowActivity: in.ShowActivity, CheckIDs: in.CheckIDs}
	return s.build(ctx, p, checks, prefs.TZ, s.now())
}

// UserChecks lists the user's checks by name (at most 1,000), for the editor to pick from.
func (s *Service) UserChecks(ctx context.Context, userID int64) ([]messages.Check, error) {
	return s.d.Store.ListChecks(ctx, userID, persistence.ListQuery{SortBy: "name", Limit: 1000})
}

// location is the owner's zone; an unknown name (a zone database older than the one that
// accepted it) falls back to UTC.
func location(name string) (*time.Location, string) {
	if name == "" {
		return time.UTC, "UTC"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC, "UTC"
	}
	return loc, name
}

// sums reads the marks at every instant in one query and returns, per check, the cumulative
// sums at any of those instants.
func (s *Service) sums(ctx context.Context, userID int64, ids []int64, instants []time.Time) (func(checkID int64) func(time.Time) uptime.Value, error) {
	marks, err := s.d.Store.UptimeMarks(ctx, userID, ids, instants)
	if err != nil {
		return nil, err
	}
	type key struct {
		id int64
		t  int64
	}
	byKey := make(map[key]uptime.Mark, len(marks))
	for _, m := range marks {
		byKey[key{m.CheckID, m.T.UnixMilli()}] = uptime.Mark{At: m.At, Status: m.Status, Up: m.Up, Tracked: m.Tracked}
	}
	return func(id int64) func(time.Time) uptime.Value {
		return func(t time.Time) uptime.Value {
			// Instants are stored to the millisecond: evaluate at the instant the mark was read for.
			t = time.UnixMilli(t.UnixMilli())
			return byKey[key{id, t.UnixMilli()}].SumsAt(t)
		}
	}, nil
}

func (s *Service) recent(ctx context.Context, userID int64, ids []int64, now time.Time) (map[int64][]PingView, error) {
	ps, err := s.d.Store.RecentPings(ctx, userID, ids, RecentPings)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]PingView, len(ids))
	for _, p := range ps {
		out[p.CheckID] = append(out[p.CheckID], PingView{At: p.At, Ago: Ago(p.At, now), Kind: p.Kind, Country: s.country(p.RemoteIP)})
	}
	return out, nil
}

func (s *Service) country(ip string) string {
	if s.d.Countries == nil || ip == "" {
		return ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	return s.d.Countries.Country(a.Unmap())
}

func checkView(c messages.Check, now time.Time, loc *time.Location, starts []time.Time, sums func(time.Time) uptime.Value) CheckView {
	cv := CheckView{Name: c.Name, Status: badge.Of(c.CheckState, now), Schedule: Schedule(c.CheckConfig)}
	if cv.Name == "" {
		cv.Name = "Unnamed check" // never the slug: it defaults to the UUID
	}
	if !c.LastPing.IsZero() {
		lp := c.LastPing
		cv.LastPing, cv.LastPingAgo = &lp, Ago(lp, now)
	} else {
		cv.LastPingAgo = "never"
	}
	if c.LastDuration >= 0 {
		d := c.LastDuration.Seconds()
		cv.LastDurationSeconds = &d
	}
	end := sums(now)
	for _, w := range Windows {
		r := ratio(end.Sub(sums(now.Add(-w.D))))
		cv.Uptime = append(cv.Uptime, WindowView{Window: w.Name, Uptime: r, Text: Percent(r)})
	}
	for _, d := range uptime.Days(starts, now, sums) {
		r := ratio(d.Value)
		date := d.Start.In(loc).Format("2006-01-02")
		label := date + ": no data"
		if r != nil {
			label = date + ": " + Percent(r) + " up"
		}
		cv.Days = append(cv.Days, DayView{Date: date, Uptime: r, Level: level(r), Label: label})
	}
	return cv
}

func ratio(v uptime.Value) *float64 {
	r, ok := v.Ratio()
	if !ok {
		return nil
	}
	return &r
}

// Percent renders an uptime ratio ("99.95%", "100%", "no data").
func Percent(r *float64) string {
	switch {
	case r == nil:
		return "no data"
	case *r >= 1:
		return "100%"
	}
	s := strconv.FormatFloat(*r*100, 'f', 2, 64)
	if s == "100.00" { // 99.995 % and above: never shown as 100 when it is not
		s = "99.99"
	}
	return s + "%"
}

// level is a day's colour class.
func level(r *float64) string {
	switch {
	case r == nil:
		return "none"
	case *r >= 1:
		return "full"
	case *r >= 0.99:
		return "high"
	case *r >= 0.9:
		return "mid"
	}
	return "low"
}

// overall is the banner: the worst active status.
func overall(ss []badge.Status) (string, string) {
	switch badge.Worst(ss) {
	case badge.Down:
		return "down", "Some checks are down"
	case badge.Late:
		return "late", "Some checks are late"
	case badge.Up:
		return "up", "All checks are up"
	}
	return "unknown", "No active checks"
}

// Ago renders how long before now t was ("just now", "5 minutes ago").
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one + " ago"
		}
		return strconv.FormatInt(n, 10) + " " + one + "s ago"
	}
	switch {
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return unit(int64(d/time.Second), "second")
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	}
	return unit(int64(d/(24*time.Hour)), "day")
}

// Schedule describes a check's schedule for the public ("every 5 minutes", "cron 0 3 * * *
// (Europe/Berlin)").
func Schedule(c messages.CheckConfig) string {
	tz := c.TZ
	if tz == "" {
		tz = "UTC"
	}
	switch c.ScheduleType {
	case messages.ScheduleCron:
		return "cron " + c.Schedule + " (" + tz + ")"
	case messages.ScheduleOnCalendar:
		return "OnCalendar " + strings.ReplaceAll(c.Schedule, "\n", "; ") + " (" + tz + ")"
	}
	return "every " + every(c.IntervalSeconds)
}

func every(sec int64) string {
	for _, u := range []struct {
		n    int64
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}} {
		if sec >= u.n && sec%u.n == 0 {
			if sec == u.n {
				return u.name
			}
			return fmt.Sprintf("%d %ss", sec/u.n, u.name)
		}
	}
	if sec == 1 {
		return "second"
	}
	return fmt.Sprintf("%d seconds", sec)
}

// DayUptime is one of the owner's days of a check's uptime (the API's answer).
type DayUptime struct {
	Date           string   `json:"date"`
	Start          string   `json:"start"`
	Uptime         *float64 `json:"uptime"`
	UpSeconds      float64  `json:"up_seconds"`
	TrackedSeconds float64  `json:"tracked_seconds"`
}

// Uptime returns the user's check's uptime on each of the user's last days (the last one so
// far), in the user's time zone, which it also returns. ENotFound for another user's check.
func (s *Service) Uptime(ctx context.Context, userID, checkID int64, days int) (string, []DayUptime, error) {
	if _, err := s.d.Store.GetCheck(ctx, userID, checkID); err != nil {
		return "", nil, err
	}
	_, prefs, err := s.d.Store.UserByID(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	loc, tzName := location(prefs.TZ)
	now := s.now()
	starts := uptime.DayStarts(now, loc, days)
	sums, err := s.sums(ctx, userID, []int64{checkID}, append([]time.Time{now}, starts...))
	if err != nil {
		return "", nil, err
	}
	out := make([]DayUptime, 0, days)
	for _, d := range uptime.Days(starts, now, sums(checkID)) {
		out = append(out, DayUptime{Date: d.Start.In(loc).Format("2006-01-02"), Start: d.Start.In(loc).Format(time.RFC3339),
			Uptime: ratio(d.Value), UpSeconds: d.Up.Seconds(), TrackedSeconds: d.Tracked.Seconds()})
	}
	return tzName, out, nil
}
