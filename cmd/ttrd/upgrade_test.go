package main_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/cmd/ttrd/releasetest"
	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/migrations"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// upgradeCase is what one schema change adds to the upgrade test. The phases run in this
// order, every case's phase before the next phase:
//
//   - fill, on the previous release, writes through its HTTP API what the change must carry
//     over (or nothing);
//   - verify, on this release after `ttrd migrate`, reads the migrated value back and uses
//     the new column or table;
//   - mixed (optional), on the previous release again, on the migrated schema after every
//     verify: a rolling upgrade runs both releases on one store, so the previous release
//     must still read and write rows this release wrote, and its writes (it names only the
//     columns it knows) must leave the new ones alone;
//   - final (optional), on this release after `ttrd migrate --contract`, checks what mixed
//     left.
//
// Every case sees every snapshot, so a case may also check that its change left the others'
// data alone. Each phase runs as a subtest named "<phase>/<case>" under the store's name, so
// a failure names the store, the release and the schema change. A failed fill stops the
// store's run: the later phases would only report its consequences.
type upgradeCase struct {
	name   string
	fill   func(t *testing.T, old *daemon, w *upgradeWorld)
	verify func(t *testing.T, cur *daemon, w *upgradeWorld)
	mixed  func(t *testing.T, old *daemon, w *upgradeWorld)
	final  func(t *testing.T, cur *daemon, w *upgradeWorld)
}

// upgradeCases run in order, phase by phase (see upgradeCase).
var upgradeCases = []upgradeCase{
	// Everything the previous release can store: users, checks of every schedule type with
	// slugs, tags and content rules, pings of every kind with bodies, flips, channels and a
	// pending alert. Its verify compares all of it with what the previous release reported.
	{name: "baseline", fill: fillBaseline, verify: verifyBaseline},

	// ---- Each schema change adds its case below this line, in migration order: a fill that
	// writes what the new column or table must be derived from (or nothing), a verify that
	// reads the migrated value back through the current release, and, where the previous
	// release writes the rows the change extends, a mixed and a final. ----

	// 00003_config_version: every check has version 1 (its ETag), edits bump it.
	{name: "config_version", fill: fillConfigVersion, verify: verifyConfigVersion, mixed: mixedConfigVersion, final: finalConfigVersion},
	// 00006_hc_options: the ping filter options are at their defaults (no filter).
	{name: "hc_options", fill: fillHCOptions, verify: verifyHCOptions, mixed: mixedHCOptions, final: finalHCOptions},
	// 00007_admin: users are enabled, the admin tables are empty and usable.
	{name: "admin", fill: fillAdmin, verify: verifyAdmin, mixed: mixedAdmin, final: finalAdmin},
	// 00008_badges: badges are off, user badge keys are made on first use.
	{name: "badges", fill: fillBadges, verify: verifyBadges, mixed: mixedBadges, final: finalBadges},
	// 00009_tokens: no tokens, no network limits; tokens work for the old users.
	{name: "tokens", fill: fillTokens, verify: verifyTokens, final: finalTokens},
	// 00010_destinations: the old channels are listed as destinations with stable ids.
	{name: "destinations", fill: fillDestinations, verify: verifyDestinations, mixed: mixedDestinations, final: finalDestinations},
	// 00011_cleanup_telegram: every old user counts as seen at the upgrade.
	{name: "cleanup_telegram", fill: fillCleanup, verify: verifyCleanup},
	// 00012_web: users gain display settings (defaults for every old user) and sessions.
	{name: "web", fill: func(*testing.T, *daemon, *upgradeWorld) {}, verify: verifyWeb},
	// 00013_status_pages: uptime marks derived from the old flips; status pages for old users.
	{name: "status_pages", fill: fillStatusPages, verify: verifyStatusPages},
	// 00014_retention: the pruner's indexes are built (valid on PostgreSQL); old logs are whole.
	{name: "retention", fill: func(*testing.T, *daemon, *upgradeWorld) {}, verify: verifyRetention},
	// 00015_ping_forwarded_proto: old pings have no forwarded scheme; the previous release still logs pings.
	{name: "forwarded_proto", fill: fillForwardedProto, verify: verifyForwardedProto, mixed: mixedForwardedProto, final: finalForwardedProto},
	// 00017_admin_sessions: admins sign in to the admin pages on the migrated store.
	{name: "admin_sessions", fill: func(*testing.T, *daemon, *upgradeWorld) {}, verify: verifyAdminSessions},
}

// upgradeWorld is what the fills created and what the previous release reported about it.
type upgradeWorld struct {
	user     user
	checks   map[string]int64 // check id by slug
	sinkURL  string           // a webhook receiver that is down: its alert stays pending
	pingedAt time.Time        // when the fills' pings were sent (bounds for a sanity check)
	before   snapshot         // what the previous release answered, taken after every fill
	migrated snapshot         // what this release answered right after the migration, before any verify
	cases    map[string]any   // each case's own state between its phases, by case name

	// migratedFrom and migratedUntil bound when `ttrd migrate` ran.
	migratedFrom, migratedUntil time.Time
	// db opens the store with database/sql (closed when t ends), for values no API shows.
	db func(t *testing.T) *sql.DB
}

// upgradePhase is one of upgradeCase's functions.
type upgradePhase func(t *testing.T, d *daemon, w *upgradeWorld)

// in returns a copy of d that reports to t: a subtest must not fail its parent's T (FailNow
// stops only the goroutine that runs the T it is called on). The copy shares the process.
func (d *daemon) in(t *testing.T) *daemon {
	c := *d
	c.t = t
	return &c
}

// runPhase runs phase (when set) of every case as the subtest "<phase>/<case>" and reports
// whether all passed.
func runPhase(t *testing.T, phase string, d *daemon, w *upgradeWorld, of func(upgradeCase) upgradePhase) bool {
	t.Helper()
	ok := true
	for _, c := range upgradeCases {
		if f := of(c); f != nil {
			ok = t.Run(phase+"/"+c.name, func(t *testing.T) { f(t, d.in(t), w) }) && ok
		}
	}
	return ok
}

// snapshot is what a release answers about every check of the world's user.
type snapshot struct {
	checks     map[int64]map[string]any   // GET /api/v1/checks/{id}
	listed     []int64                    // GET /api/v1/checks, in order
	pings      map[int64][]map[string]any // GET …/pings?limit=1000
	bodies     map[string]string          // GET …/pings/{n}/body by "<id>/<n>"
	flips      map[int64][]map[string]any // GET …/flips
	deliveries map[int64][]map[string]any // GET …/deliveries
}

// upgradeStore is one store kind the upgrade test runs on.
type upgradeStore struct {
	name string
	// args are the flags naming the store; env its secrets (PostgreSQL).
	args func(t *testing.T) (args, env []string)
	// sql names the store's database/sql driver and data source, from args.
	sql func(args []string) (driver, dsn string)
}

// TestUpgradeFromPreviousRelease fills a fresh store with the previous release (built from
// testdata/upgrade/base), migrates it with this release's `ttrd migrate`, reads everything
// back through this release and compares it with what the previous release reported, then
// runs the previous release again on the migrated schema (a rolling upgrade runs both), and
// finally applies the contract set with `ttrd migrate --contract`.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the previous release: not in -short")
	}
	base := releasetest.BuildBase(t)
	stores := []upgradeStore{
		{
			name: "sqlite",
			args: func(t *testing.T) ([]string, []string) {
				return []string{"--data-dir", t.TempDir()}, nil
			},
			sql: func(args []string) (string, string) { return "sqlite", filepath.Join(args[1], "ttr.db") },
		},
		{
			name: "postgres",
			args: func(t *testing.T) ([]string, []string) {
				return []string{"--database-url", storetest.PostgresURL(t), "--gossip-addr", "127.0.0.1:0"},
					[]string{"TTR_ENCRYPTION_KEYS=k1:" + keyring.NewKey(), "TTR_SECRET_KEY=" + keyring.NewKey()}
			},
			sql: func(args []string) (string, string) { return "pgx", args[1] },
		},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { testUpgrade(t, base, st) })
	}
}

func testUpgrade(t *testing.T, base string, st upgradeStore) {
	storeArgs, env := st.args(t)
	addr := freeport.Addr(t) // one address for every run: ping URLs in the JSON stay the same
	sink := freeport.Addr(t) // nothing listens here: deliveries fail and stay pending
	closed := "http://" + freeport.Addr(t)
	args := append([]string{"--http-addr", addr, "--webhook-allow-nets", "127.0.0.0/8",
		"--telegram-api-url", closed, "--smtp-host", "127.0.0.1", "--smtp-port", portOf(t, freeport.Addr(t)), "--smtp-from", "ttr@example.com", "--smtp-tls", "none",
		"--alert-backoff", "200ms", "--alert-backoff-max", "1s", "--log-level", "debug", "--log-format", "text"}, storeArgs...)
	run := func(bin, label string) *daemon {
		t.Helper()
		d := &daemon{t: t, addr: addr, URL: "http://" + addr, args: args, env: append(os.Environ(), env...), bin: bin, label: label}
		d.start()
		t.Cleanup(d.kill)
		return d
	}
	prev := "the previous release (" + releasetest.BaseCommit(t, releasetest.RepoRoot(t))[:12] + ")"
	const this = "this release"

	// 1. The previous release fills a fresh store.
	old := run(base, prev)
	driver, dsn := st.sql(storeArgs)
	w := &upgradeWorld{checks: map[string]int64{}, sinkURL: "http://" + sink + "/hook", cases: map[string]any{},
		db: func(t *testing.T) *sql.DB {
			t.Helper()
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}}
	for _, c := range upgradeCases {
		if !t.Run("fill/"+c.name, func(t *testing.T) { c.fill(t, old.in(t), w) }) {
			t.Fatalf("fill %s on %s failed: the upgrade was not tried", c.name, prev)
		}
	}
	w.before = takeSnapshot(t, old, w)
	old.stop()

	// 2. This release migrates it and reads everything back.
	w.migratedFrom = time.Now()
	out := runTTRD(t, append([]string{"migrate"}, args...), env)
	w.migratedUntil = time.Now()
	if !strings.Contains(out, "migrations applied") {
		t.Errorf("ttrd migrate said:\n%s", out)
	}
	cur := run("", this)
	w.migrated = takeSnapshot(t, cur, w)
	runPhase(t, "verify", cur, w, func(c upgradeCase) upgradePhase { return c.verify })
	cur.stop()

	// 3. The previous release still serves on the migrated schema: it reads a check and
	// accepts a ping, which this release then sees; each case's mixed phase reads and
	// writes the rows its change extended.
	old = run(base, prev)
	id := w.checks["backup"]
	if c := old.getCheck(w.user.AuthKey, id); c.Slug != "backup" {
		t.Errorf("%s on the migrated schema: check %d has slug %q", prev, id, c.Slug)
	}
	if code, body, _ := old.ping("POST", "/p/"+w.user.UserSlug+"/backup", "after the upgrade"); code != 200 {
		t.Fatalf("%s on the migrated schema: ping answered %d %s", prev, code, body)
	}
	runPhase(t, "mixed", old, w, func(c upgradeCase) upgradePhase { return c.mixed })
	old.stop()

	// 4. Once every node runs this release, the contract set runs by hand; this release
	// serves on the result and sees the ping the previous release took.
	runTTRD(t, append([]string{"migrate", "--contract"}, args...), env)
	if n := countContractSteps(t, w.db(t)); n == 0 {
		t.Error("ttrd migrate --contract applied no contract step")
	}
	cur = run("", this)
	if c := cur.getCheck(w.user.AuthKey, id); c.NPings != int64(len(w.before.pings[id]))+1 {
		t.Errorf("after contract: n_pings %d, want %d (the previous release's last ping included)", c.NPings, len(w.before.pings[id])+1)
	}
	runPhase(t, "final", cur, w, func(c upgradeCase) upgradePhase { return c.final })
	cur.stop()
}

// fillBaseline writes, through the previous release's API, one of everything it stores.
func fillBaseline(t *testing.T, old *daemon, w *upgradeWorld) {
	w.user = old.newUser()
	key, slug := w.user.AuthKey, w.user.UserSlug
	create := func(body map[string]any) int64 {
		t.Helper()
		c := old.createCheck(key, body)
		w.checks[c.Slug] = c.ID
		return c.ID
	}
	create(map[string]any{"name": "nightly backup", "slug": "backup", "desc": "pg_dump to S3",
		"tags": []string{"db", "nightly"}, "interval_seconds": 3600, "grace_seconds": 300,
		"max_runtime_seconds": 600, "notify_after_failures": 3,
		"content_rule": map[string]any{"type": "absent", "pattern": "ERROR", "regex": false}})
	create(map[string]any{"name": "daily report", "slug": "report", "tags": []string{"reports"},
		"schedule_type": "cron", "schedule": "0 3 * * *", "tz": "Europe/Berlin", "grace_seconds": 900,
		"content_rule": map[string]any{"type": "present", "pattern": "done|finished", "regex": true}})
	create(map[string]any{"name": "weekday sync", "slug": "calendar", "schedule_type": "oncalendar",
		"schedule": "Mon..Fri *-*-* 06:00", "tz": "America/New_York", "realert_interval_seconds": 3600,
		"notify_on_up": false, "manual_resume": true})
	create(map[string]any{"name": "flappy", "slug": "flappy", "interval_seconds": 1, "grace_seconds": 1})
	paused := create(map[string]any{"name": "on hold", "slug": "paused", "interval_seconds": 60})
	if code := old.api(key, "POST", fmt.Sprintf("/api/v1/checks/%d/pause", paused), nil, nil); code != 200 {
		t.Fatalf("pause: %d", code)
	}

	// The webhook of the flappy check points at a receiver that is down: the alert of its
	// down flip is written, fails and waits for its retry.
	if code := old.api(key, "PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", w.checks["flappy"]),
		map[string]any{"webhook_url": w.sinkURL, "webhook_enabled": true}, nil); code != 200 {
		t.Fatalf("webhook: %d", code)
	}

	w.pingedAt = time.Now()
	rid := uuid.NewString()
	for _, p := range []struct{ method, path, body string }{
		{"GET", "/p/" + slug + "/backup/start?rid=" + rid, ""},
		{"POST", "/p/" + slug + "/backup?rid=" + rid, "dump finished, 2.1 GB"},
		{"POST", "/p/" + slug + "/backup/log", "rotated old dumps\x00binary"},
		{"POST", "/p/" + slug + "/backup", "ERROR: disk full"}, // breaks the content rule
		{"GET", "/p/" + slug + "/backup/0", ""},
		{"HEAD", "/p/" + slug + "/backup/start", ""},
		{"POST", "/ping/" + uuidOf(t, old, key, w.checks["report"]) + "/fail", "exit 2\nstack trace"},
		{"GET", "/ping/" + uuidOf(t, old, key, w.checks["report"]) + "/start", ""},
		{"GET", "/p/" + slug + "/calendar/log", ""},
		{"GET", "/p/" + slug + "/calendar/3", ""},
		{"GET", "/p/" + slug + "/flappy", ""},
	} {
		if code, body, _ := old.ping(p.method, p.path, p.body); code != 200 {
			t.Fatalf("%s %s: %d %s", p.method, p.path, code, body)
		}
	}
	// Auto-provisioned through the ping key.
	if code, body, _ := old.ping("GET", "/ping/"+w.user.PingKey+"/auto-created?create=1", ""); code != 201 && code != 200 {
		t.Fatalf("auto-provision: %d %s", code, body)
	}

	// Every other channel, on the backup check (no alert is due there: its count is 1 of 3).
	for ch, body := range map[string]map[string]any{
		"telegram": {"telegram_bot_token": "123456:ABCdefGhIJKlmNoPQRsTUVwxyZ", "telegram_chat_id": "-100123456"},
		"slack":    {"slack_webhook_url": "http://" + freeport.Addr(t) + "/services/T0/B0/x"},
		"discord":  {"discord_webhook_url": "http://" + freeport.Addr(t) + "/api/webhooks/1/x", "discord_enabled": false},
		"email":    {"email_to": "Ops <ops@example.com>"},
	} {
		if code := old.api(key, "PUT", fmt.Sprintf("/api/v1/checks/%d/%s", w.checks["backup"], ch), body, nil); code != 200 {
			t.Fatalf("channel %s: %d", ch, code)
		}
	}

	// The flappy check misses its deadline: down, and its alert pending.
	flappy := w.checks["flappy"]
	waittest.Until(t, 20*time.Second, "the flappy check down with a pending alert", func() bool {
		var out struct {
			Deliveries []map[string]any `json:"deliveries"`
		}
		old.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d/deliveries", flappy), nil, &out)
		return old.getCheck(key, flappy).Status == "down" && len(out.Deliveries) > 0 &&
			out.Deliveries[0]["status"] == "pending" && out.Deliveries[0]["attempts"].(float64) > 0
	})
	var list struct {
		Items []checkJSON `json:"items"`
	}
	old.api(key, "GET", "/api/v1/checks?size=100", nil, &list)
	for _, c := range list.Items {
		w.checks[c.Slug] = c.ID
	}
	if _, ok := w.checks["auto-created"]; !ok {
		t.Fatal("the auto-provisioned check is not listed")
	}
}

// verifyBaseline reads back, through the current release, everything the previous one
// reported, and compares.
func verifyBaseline(t *testing.T, _ *daemon, w *upgradeWorld) {
	after := w.migrated
	before := w.before
	if !slices.Equal(after.listed, before.listed) {
		t.Errorf("listed checks %v, the previous release listed %v", after.listed, before.listed)
	}
	for id, old := range before.checks {
		compareJSON(t, fmt.Sprintf("check %d", id), old, after.checks[id], checkVolatile)
	}
	for id, old := range before.pings {
		compareRows(t, fmt.Sprintf("pings of check %d", id), old, after.pings[id], nil)
	}
	for k, old := range before.bodies {
		if after.bodies[k] != old {
			t.Errorf("ping body %s: %q, the previous release answered %q", k, after.bodies[k], old)
		}
	}
	for id, old := range before.flips {
		compareRows(t, fmt.Sprintf("flips of check %d", id), old, after.flips[id], nil)
	}
	for id, old := range before.deliveries {
		// A pending alert keeps being tried: its attempts, error and next try move on.
		compareRows(t, fmt.Sprintf("deliveries of check %d", id), old, after.deliveries[id], deliveryVolatile)
	}

	// What the fills made sure of is really there (a comparison of two empty snapshots
	// would pass).
	flappy := w.checks["flappy"]
	if len(before.flips[flappy]) < 2 || before.checks[flappy]["status"] != "down" {
		t.Errorf("the flappy check: status %v, %d flips; want down after new→up→down", before.checks[flappy]["status"], len(before.flips[flappy]))
	}
	if d := after.deliveries[flappy]; len(d) == 0 || d[0]["status"] != "pending" {
		t.Errorf("the flappy check's alert after the upgrade: %v, want pending", d)
	}
	if n := len(before.pings[w.checks["backup"]]); n != 6 {
		t.Errorf("the backup check has %d pings, want 6", n)
	}
	if len(before.bodies) < 4 {
		t.Errorf("%d ping bodies, want at least 4", len(before.bodies))
	}
	chans, _ := after.checks[w.checks["backup"]]["channels"].(map[string]any)
	for _, ch := range []string{"telegram", "slack", "discord", "email"} {
		if c, _ := chans[ch].(map[string]any); c["configured"] != true {
			t.Errorf("channel %s of the backup check after the upgrade: %v, want configured", ch, c)
		}
	}
	if st := after.checks[w.checks["paused"]]["status"]; st != "paused" {
		t.Errorf("the paused check after the upgrade: %v", st)
	}
}

// checkVolatile are the check JSON names whose values may change between two reads of an
// unchanged check: late is derived from the clock; a channel's last notification moves on
// while a pending alert is retried.
var checkVolatile = map[string]bool{"late": true, "channels": true}

// deliveryVolatile are the delivery names a retry changes.
var deliveryVolatile = map[string]bool{"attempts": true, "last_error": true, "next_attempt_at": true}

// compareJSON reports every name of old whose value differs in cur (names new in cur are
// allowed: a release may add fields). For channels only the settings' presence is compared.
func compareJSON(t *testing.T, what string, old, cur map[string]any, volatile map[string]bool) {
	t.Helper()
	if cur == nil {
		t.Errorf("%s: missing after the upgrade", what)
		return
	}
	for k, v := range old {
		if volatile[k] {
			continue
		}
		if !reflect.DeepEqual(v, cur[k]) {
			t.Errorf("%s: %s = %v after the upgrade, the previous release answered %v", what, k, cur[k], v)
		}
	}
	if oc, ok := old["channels"].(map[string]any); ok {
		cc, _ := cur["channels"].(map[string]any)
		for name, v := range oc {
			o, _ := v.(map[string]any)
			c, _ := cc[name].(map[string]any)
			if o["enabled"] != c["enabled"] || o["configured"] != c["configured"] {
				t.Errorf("%s: channel %s = %v after the upgrade, the previous release answered %v", what, name, c, o)
			}
		}
	}
}

func compareRows(t *testing.T, what string, old, cur []map[string]any, volatile map[string]bool) {
	t.Helper()
	if len(old) != len(cur) {
		t.Errorf("%s: %d after the upgrade, the previous release answered %d", what, len(cur), len(old))
		return
	}
	for i := range old {
		compareJSON(t, fmt.Sprintf("%s[%d]", what, i), old[i], cur[i], volatile)
	}
}

// takeSnapshot reads every check of the world's user and its logs through d's API.
func takeSnapshot(t *testing.T, d *daemon, w *upgradeWorld) snapshot {
	t.Helper()
	key := w.user.AuthKey
	s := snapshot{checks: map[int64]map[string]any{}, pings: map[int64][]map[string]any{}, bodies: map[string]string{},
		flips: map[int64][]map[string]any{}, deliveries: map[int64][]map[string]any{}}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if code := d.api(key, "GET", "/api/v1/checks?size=100", nil, &list); code != 200 {
		t.Fatalf("list checks: %d", code)
	}
	for _, c := range list.Items {
		s.listed = append(s.listed, int64(c["id"].(float64)))
	}
	for _, id := range s.listed {
		var c map[string]any
		if code := d.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d", id), nil, &c); code != 200 {
			t.Fatalf("get check %d: %d", id, code)
		}
		s.checks[id] = c
		for _, l := range []struct {
			path, name string
			into       map[int64][]map[string]any
		}{{"pings", "pings", s.pings}, {"flips", "flips", s.flips}, {"deliveries", "deliveries", s.deliveries}} {
			var out map[string][]map[string]any
			if code := d.api(key, "GET", fmt.Sprintf("/api/v1/checks/%d/%s?limit=1000", id, l.path), nil, &out); code != 200 {
				t.Fatalf("%s of check %d: %d", l.path, id, code)
			}
			l.into[id] = out[l.name]
		}
		for _, p := range s.pings[id] {
			if u, ok := p["body_url"].(string); ok {
				s.bodies[fmt.Sprintf("%d/%v", id, p["n"])] = getBody(t, d, key, u)
			}
		}
	}
	return s
}

func getBody(t *testing.T, d *daemon, key, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", d.URL+path, nil)
	req.Header.Set("X-Auth-Key", key)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

func uuidOf(t *testing.T, d *daemon, key string, id int64) string {
	t.Helper()
	return d.getCheck(key, id).UUID
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		t.Fatalf("no port in %q", addr)
	}
	return addr[i+1:]
}

// countContractSteps counts the contract migrations recorded in a store.
func countContractSteps(t *testing.T, db *sql.DB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+migrations.ContractTable+` WHERE version_id > 0`).Scan(&n); err != nil {
		t.Fatalf("count contract steps: %v", err)
	}
	return n
}
