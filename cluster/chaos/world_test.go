package chaos_test

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages/waittest"
)

// Canary timing: a canary pinged every second stays up; once it stops it is due down
// interval + grace after its last ping.
const (
	canaryInterval = 2 * time.Second
	canaryGrace    = 1 * time.Second
)

// retention is how many pings per check the store keeps (the last 100 by default):
// beyond it, rows are pruned and only the sequence numbers prove nothing was lost.
const retention = 100

func itoa(i int) string { return strconv.Itoa(i) }

// world is a cluster with its user, checks, sink, ledger and load.
type world struct {
	t        *testing.T
	c        *cluster
	sc       scale
	sink     *sink
	led      *ledger
	userKey  string
	userSlug string
	hourly   []target
	canaries [][]target // one group per fault round
	load     *load
	groups   []*canaryGroup
}

// setup creates the user, sc.Checks hourly checks and sc.Rounds groups of sc.Canaries
// canaries (each alerting its own path on the sink), through every node in turn.
func setup(t *testing.T, c *cluster, sc scale) *world {
	t.Helper()
	w := &world{t: t, c: c, sc: sc, sink: newSink(t), led: &ledger{}}
	var u struct {
		AuthKey  string `json:"auth_key"`
		UserSlug string `json:"user_slug"`
	}
	c.mustCall("POST", "/api/v1/users", "", map[string]any{}, &u) // sign-up must declare JSON
	w.userKey, w.userSlug = u.AuthKey, u.UserSlug

	type spec struct {
		slug   string
		canary bool
	}
	var specs []spec
	for i := 0; i < sc.Checks; i++ {
		specs = append(specs, spec{slug: fmt.Sprintf("h%04d", i)})
	}
	for r := 0; r < sc.Rounds; r++ {
		for i := 0; i < sc.Canaries; i++ {
			specs = append(specs, spec{slug: fmt.Sprintf("canary-r%d-%02d", r, i), canary: true})
		}
	}
	made := make([]target, len(specs))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 8)
	for i, s := range specs {
		wg.Add(1)
		go func(i int, s spec) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			body := map[string]any{"slug": s.slug, "interval_seconds": 3600, "grace_seconds": 600}
			if s.canary {
				body = map[string]any{"slug": s.slug, "interval_seconds": int(canaryInterval / time.Second), "grace_seconds": int(canaryGrace / time.Second)}
			}
			var out struct {
				ID int64 `json:"id"`
			}
			_, err := c.call("POST", "/api/v1/checks", w.userKey, body, &out)
			if err == nil && s.canary {
				_, err = c.call("PUT", fmt.Sprintf("/api/v1/checks/%d/webhook", out.ID), w.userKey,
					map[string]any{"webhook_url": w.sink.URL + canaryPath(out.ID), "webhook_enabled": true}, nil)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			made[i] = target{ID: out.ID, Slug: s.slug, Path: "/p/" + url.PathEscape(w.userSlug) + "/" + s.slug}
		}(i, s)
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("creating checks: %d errors, first: %v", len(errs), errs[0])
	}
	w.hourly = made[:sc.Checks]
	for r := 0; r < sc.Rounds; r++ {
		w.canaries = append(w.canaries, made[sc.Checks+r*sc.Canaries:sc.Checks+(r+1)*sc.Canaries])
	}
	return w
}

func canaryPath(id int64) string { return "/c/" + strconv.FormatInt(id, 10) }

// start starts the load over the hourly checks and waits until each was acknowledged once
// (so every one is up with a deadline). Canary groups start with their round (startRound).
func (w *world) start() {
	w.t.Helper()
	w.load = w.c.startLoad(w.led, w.hourly, w.sc.Rate, w.sc.Workers)
	w.t.Cleanup(func() {
		w.load.stop()
		for _, g := range w.groups {
			g.stop()
		}
	})
	w.waitAckedLoad(len(w.hourly), 2*time.Minute)
	waittest.UntilWhy(w.t, 30*time.Second, "every hourly check acknowledged once", func() (bool, string) {
		acked := map[int64]bool{}
		for _, r := range w.led.snapshot() {
			if r.acked() {
				acked[r.Check] = true
			}
		}
		missing := 0
		for _, tg := range w.hourly {
			if !acked[tg.ID] {
				missing++
			}
		}
		return missing == 0, fmt.Sprintf("%d checks never acknowledged", missing)
	})
}

// startRound starts pinging round r's canaries every second and waits until each was
// acknowledged twice (up, with a deadline 3 s ahead).
func (w *world) startRound(r int) *canaryGroup {
	w.t.Helper()
	g := w.c.startCanaries(w.led, w.canaries[r])
	w.groups = append(w.groups, g)
	waittest.UntilWhy(w.t, 30*time.Second, "every canary acknowledged twice", func() (bool, string) {
		n := map[int64]int{}
		for _, rec := range w.led.snapshot() {
			if rec.Canary && rec.acked() {
				n[rec.Check]++
			}
		}
		missing := 0
		for _, tg := range w.canaries[r] {
			if n[tg.ID] < 2 {
				missing++
			}
		}
		return missing == 0, fmt.Sprintf("%d canaries acknowledged less than twice", missing)
	})
	return g
}

// waitAckedLoad waits until n load pings were acknowledged.
func (w *world) waitAckedLoad(n int, timeout time.Duration) {
	w.t.Helper()
	waittest.UntilWhy(w.t, timeout, fmt.Sprintf("%d acknowledged load pings", n), func() (bool, string) {
		got := w.led.ackedLoad()
		return got >= n, fmt.Sprintf("%d acknowledged; ledger %+v", got, stats(w.led.snapshot()))
	})
}

// finishLoad lets the load run until it reached sc.Pings acknowledged pings, then stops it.
func (w *world) finishLoad() {
	w.t.Helper()
	w.waitAckedLoad(w.sc.Pings, 5*time.Minute)
	w.load.stop()
	s := stats(w.led.snapshot())
	w.t.Logf("ledger: %d pings (%d load acknowledged over %d checks), %d acknowledged, %d refused, %d without answer, %d retried after connection errors (%d errors), statuses %s, slowest %v",
		s.Total, s.AckedLoad, s.Checks, s.Acked, s.Refused, s.Failed, s.Retried, s.ConnErrs, statusSummary(s.Statuses), s.MaxLatency.Round(time.Millisecond))
	recs := w.led.snapshot()
	sort.Slice(recs, func(i, j int) bool { return recs[i].Done.Sub(recs[i].Sent) > recs[j].Done.Sub(recs[j].Sent) })
	var slow []string
	nslow := 0
	for _, r := range recs {
		d := r.Done.Sub(r.Sent)
		if d < 2*time.Second {
			break
		}
		nslow++
		if len(slow) < 8 {
			slow = append(slow, fmt.Sprintf("check %d sent %s took %v: %v", r.Check, r.Sent.Format("15:04:05.000"), d.Round(time.Millisecond), r.Tried))
		}
	}
	if len(slow) > 0 {
		w.t.Logf("%d pings took ≥ 2 s; the slowest:\n%s", nslow, strings.Join(slow, "\n"))
	}
}

// db runs f on a connection to the cluster's database.
func (c *cluster) db(f func(ctx context.Context, conn *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return f(ctx, conn)
}

// storedPings is what the store holds of one check's pings.
type storedPings struct {
	NPings, Rows, MaxN int64
}

func (c *cluster) storedPings() (map[int64]storedPings, error) {
	out := map[int64]storedPings{}
	err := c.db(func(ctx context.Context, conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT c.id, c.n_pings, COALESCE(p.cnt, 0), COALESCE(p.maxn, 0)
			FROM checks c LEFT JOIN (SELECT check_id, count(*) AS cnt, max(n) AS maxn FROM pings GROUP BY check_id) p
			ON p.check_id = c.id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var s storedPings
			if err := rows.Scan(&id, &s.NPings, &s.Rows, &s.MaxN); err != nil {
				return err
			}
			out[id] = s
		}
		return rows.Err()
	})
	return out, err
}

// verifyLedger: every acknowledged ping is in the store. Per check, the pings the client saw
// acknowledged must be counted (n_pings), numbered (the highest sequence number n) and kept
// as rows (up to the retention). The store may hold more (a ping whose answer was lost to a
// connection error and was sent again counts twice), never fewer.
func (w *world) verifyLedger() {
	w.t.Helper()
	acked := map[int64]int64{}
	for _, r := range w.led.snapshot() {
		if r.acked() {
			acked[r.Check]++
		}
	}
	var st map[int64]storedPings
	var err error
	for i := 0; i < 10; i++ { // the store may be coming back (scenario 4)
		if st, err = w.c.storedPings(); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		w.t.Fatalf("read the store: %v", err)
	}
	var bad []string
	var total, lost int64
	for id, a := range acked {
		total += a
		s := st[id]
		if s.MaxN < a || s.NPings < a || s.Rows < min(a, retention) {
			lost += a - min(s.MaxN, s.NPings, a)
			bad = append(bad, fmt.Sprintf("check %d: %d acknowledged, store has n_pings=%d rows=%d max(n)=%d", id, a, s.NPings, s.Rows, s.MaxN))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		w.t.Errorf("acknowledged pings missing from the store on %d of %d checks (about %d of %d pings):\n%s",
			len(bad), len(acked), lost, total, strings.Join(bad[:min(len(bad), 15)], "\n"))
		w.explainMissing(acked, st)
	} else {
		w.t.Logf("store holds all %d acknowledged pings of %d checks", total, len(acked))
	}
}

// explainMissing logs, for a few checks that lost acknowledged pings, which node answered
// them and when, so the report can say where they were lost.
func (w *world) explainMissing(acked map[int64]int64, st map[int64]storedPings) {
	shown := 0
	for id, a := range acked {
		s := st[id]
		if s.MaxN >= a && s.NPings >= a {
			continue
		}
		var lines []string
		for _, r := range w.led.snapshot() {
			if r.Check == id && r.acked() {
				lines = append(lines, fmt.Sprintf("%s by %s (%d attempts)", r.Done.Format("15:04:05.000"), r.Node, r.Attempts))
			}
		}
		w.t.Logf("check %d acknowledged at: %s", id, strings.Join(lines, ", "))
		if shown++; shown == 5 {
			return
		}
	}
}

// flipRow is a recorded status change.
type flipRow struct {
	ID       string
	Check    int64
	From, To string
	At       time.Time
	Node     string
}

func (c *cluster) flips(ids []int64) (map[int64][]flipRow, error) {
	out := map[int64][]flipRow{}
	err := c.db(func(ctx context.Context, conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT id, check_id, from_status, to_status, COALESCE(at, 0), node
			FROM flips WHERE check_id = ANY($1) ORDER BY check_id, at, id`, ids)
		if err != nil {
			return err
		}
		for rows.Next() {
			var f flipRow
			var at int64
			if err := rows.Scan(&f.ID, &f.Check, &f.From, &f.To, &at, &f.Node); err != nil {
				return err
			}
			f.At = time.UnixMilli(at)
			out[f.Check] = append(out[f.Check], f)
		}
		return rows.Err()
	})
	return out, err
}

func downFlips(fs []flipRow) []flipRow {
	var out []flipRow
	for _, f := range fs {
		if f.To == "down" {
			out = append(out, f)
		}
	}
	return out
}

// verifyNoDown: none of ids ever went down (an hourly check, or a canary still pinging).
func (w *world) verifyNoDown(what string, ids []int64) {
	w.t.Helper()
	fl, err := w.c.flips(ids)
	if err != nil {
		w.t.Fatalf("read flips: %v", err)
	}
	var bad []string
	for _, id := range ids {
		if d := downFlips(fl[id]); len(d) > 0 {
			bad = append(bad, fmt.Sprintf("check %d: %d down flips, first %s at %s by %s", id, len(d), d[0].ID, d[0].At.Format("15:04:05.000"), d[0].Node))
		}
	}
	if len(bad) > 0 {
		w.t.Errorf("%s went down (%d of %d):\n%s", what, len(bad), len(ids), strings.Join(bad[:min(len(bad), 15)], "\n"))
	}
}

// canaryOutcome is what became of one stopped canary.
type canaryOutcome struct {
	ID       int64
	Deadline time.Time // latest due time (last acknowledgement + interval + grace)
	Down     time.Time // when the down flip was first seen in the store (zero: never)
	Flip     string
}

// watchDown polls the store every 100 ms for the first down flip of each id, recording when
// it was seen (the flip's own time may be its due time, not when it was written).
type downWatch struct {
	mu   sync.Mutex
	seen map[int64]time.Time
	flip map[int64]string
	stop chan struct{}
	done chan struct{}
}

func (c *cluster) watchDown(ids []int64) *downWatch {
	dw := &downWatch{seen: map[int64]time.Time{}, flip: map[int64]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(dw.done)
		for {
			fl, err := c.flips(ids)
			now := time.Now()
			if err == nil {
				dw.mu.Lock()
				for id, fs := range fl {
					if d := downFlips(fs); len(d) > 0 && dw.seen[id].IsZero() {
						dw.seen[id], dw.flip[id] = now, d[0].ID
					}
				}
				dw.mu.Unlock()
			}
			select {
			case <-dw.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return dw
}

func (dw *downWatch) close() {
	select {
	case <-dw.stop:
	default:
		close(dw.stop)
	}
	<-dw.done
}

func (dw *downWatch) get(id int64) (time.Time, string) {
	dw.mu.Lock()
	defer dw.mu.Unlock()
	return dw.seen[id], dw.flip[id]
}

// verifyCanaries: every canary of g (stopped) went down exactly once (one up→down flip) and
// its alert arrived with one distinct key, down:<flip>:webhook, and no other key. A key may
// repeat at most allowRepeats times per destination (a send in flight when a node failed).
// It returns each canary's outcome for timing checks.
func (w *world) verifyCanaries(g *canaryGroup, dw *downWatch, allowRepeats int, within time.Duration) []canaryOutcome {
	w.t.Helper()
	ids := g.ids()
	want := func(flip string) string { return "down:" + flip + ":webhook" }
	waittest.UntilWhy(w.t, within, "every canary down and alerted", func() (bool, string) {
		fl, err := w.c.flips(ids)
		if err != nil {
			return false, err.Error()
		}
		paths := w.sink.byPath()
		var notDown, notAlerted int
		for _, id := range ids {
			d := downFlips(fl[id])
			if len(d) == 0 {
				notDown++
				continue
			}
			found := false
			for _, dl := range paths[canaryPath(id)] {
				found = found || dl.Key == want(d[0].ID)
			}
			if !found {
				notAlerted++
			}
		}
		return notDown == 0 && notAlerted == 0, fmt.Sprintf("%d of %d canaries not down, %d down but not alerted", notDown, len(ids), notAlerted)
	})
	time.Sleep(3 * time.Second) // a repeat would come within the alert back-off (≤ 1 s)
	fl, err := w.c.flips(ids)
	if err != nil {
		w.t.Fatalf("read flips: %v", err)
	}
	paths := w.sink.byPath()
	var out []canaryOutcome
	var problems []string
	repeats := 0
	for _, id := range ids {
		d := downFlips(fl[id])
		o := canaryOutcome{ID: id, Deadline: g.deadline(id)}
		o.Down, _ = dw.get(id)
		if len(d) != 1 {
			problems = append(problems, fmt.Sprintf("canary %d: %d down flips %v (want exactly one)", id, len(d), flipList(fl[id])))
		}
		if len(d) > 0 {
			o.Flip = d[0].ID
			if d[0].From != "up" {
				problems = append(problems, fmt.Sprintf("canary %d: down flip %s from %q, want from up", id, d[0].ID, d[0].From))
			}
		}
		keys := map[string]int{}
		for _, dl := range paths[canaryPath(id)] {
			keys[dl.Key]++
		}
		for k, n := range keys {
			switch {
			case o.Flip != "" && k == want(o.Flip):
				if n > 1+allowRepeats {
					problems = append(problems, fmt.Sprintf("canary %d: key %s delivered %d times (allowed %d)", id, k, n, 1+allowRepeats))
				}
				repeats += n - 1
			default:
				problems = append(problems, fmt.Sprintf("canary %d: unexpected alert key %q ×%d", id, k, n))
			}
		}
		out = append(out, o)
	}
	if len(problems) > 0 {
		w.t.Errorf("canary alerts wrong (%d problems):\n%s", len(problems), strings.Join(problems[:min(len(problems), 20)], "\n"))
	}
	w.t.Logf("%d canaries: each one down flip and one alert key (%d repeated deliveries, %d allowed per destination)", len(ids), repeats, allowRepeats)
	return out
}

func flipList(fs []flipRow) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s %s→%s @%s by %s", f.ID, f.From, f.To, f.At.Format("15:04:05.000"), f.Node))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// verifySinkPaths: nothing was delivered anywhere but to a canary's path.
func (w *world) verifySinkPaths() {
	w.t.Helper()
	known := map[string]bool{}
	for _, g := range w.canaries {
		for _, tg := range g {
			known[canaryPath(tg.ID)] = true
		}
	}
	for p, ds := range w.sink.byPath() {
		if !known[p] {
			w.t.Errorf("%d deliveries to %s, which no check alerts", len(ds), p)
		}
	}
}

// hourlyIDs returns the ids of the hourly checks.
func (w *world) hourlyIDs() []int64 {
	out := make([]int64, len(w.hourly))
	for i, tg := range w.hourly {
		out[i] = tg.ID
	}
	return out
}

// owners maps check ids to owner_node as the API shows it (through any ready node).
func (w *world) owners() (map[int64]string, error) {
	out := map[int64]string{}
	cursor := ""
	for page := 0; page < 1000; page++ {
		path := "/api/v1/checks?size=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var resp struct {
			Items []struct {
				ID        int64  `json:"id"`
				OwnerNode string `json:"owner_node"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if _, err := w.c.call("GET", path, w.userKey, nil, &resp); err != nil {
			return nil, err
		}
		for _, it := range resp.Items {
			out[it.ID] = it.OwnerNode
		}
		if resp.NextCursor == nil || *resp.NextCursor == "" || len(resp.Items) == 0 {
			break
		}
		cursor = *resp.NextCursor
	}
	missing := 0
	for _, o := range out {
		if o == "" {
			missing++
		}
	}
	if missing > 0 {
		return out, fmt.Errorf("%d of %d checks have no owner_node in the list", missing, len(out))
	}
	return out, nil
}

// deadlineCount is how many checks have a wake-up time in the store: exactly those must
// have one wheel entry in the cluster.
func (c *cluster) deadlineCount() (int, error) {
	var n int
	err := c.db(func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `SELECT count(*) FROM checks WHERE next_wake_at IS NOT NULL`).Scan(&n)
	})
	return n, err
}

// verifyFlipChains: no flip was recorded twice. Each check's flips, in order, form a chain
// (each starts where the previous ended) with no repeated change; the first starts at new.
func (w *world) verifyFlipChains() {
	w.t.Helper()
	var ids []int64
	ids = append(ids, w.hourlyIDs()...)
	for _, g := range w.canaries {
		for _, tg := range g {
			ids = append(ids, tg.ID)
		}
	}
	fl, err := w.c.flips(ids)
	if err != nil {
		w.t.Fatalf("read flips: %v", err)
	}
	var bad []string
	for _, id := range ids {
		fs := fl[id]
		for i := 1; i < len(fs); i++ {
			if fs[i].From != fs[i-1].To || (fs[i].From == fs[i-1].From && fs[i].To == fs[i-1].To) {
				bad = append(bad, fmt.Sprintf("check %d: %s", id, flipList(fs)))
				break
			}
		}
	}
	if len(bad) > 0 {
		w.t.Errorf("flips recorded twice or out of chain on %d checks:\n%s", len(bad), strings.Join(bad[:min(len(bad), 15)], "\n"))
	}
}

// placementState compares what the nodes hold with what they own.
type placementState struct {
	ok  bool
	why string
}

// checkPlacement: after the faults, each check with a deadline has exactly one wheel entry
// in the cluster and each check at most one activation. When /cluster lists ids this is
// checked id by id; when it gives only counts, per node: its wheel entries equal the checks
// it owns (owner_node) that have a deadline, and its activations are no more than the checks
// it owns.
func (w *world) checkPlacement() placementState {
	var withDeadline []int64
	err := w.c.db(func(ctx context.Context, conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT id FROM checks WHERE next_wake_at IS NOT NULL`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			withDeadline = append(withDeadline, id)
		}
		return rows.Err()
	})
	if err != nil {
		return placementState{why: err.Error()}
	}
	owners, err := w.owners()
	if err != nil {
		return placementState{why: err.Error()}
	}
	views := map[string]clusterView{}
	for _, n := range w.c.running() {
		v, err := n.clusterView()
		if err != nil {
			return placementState{why: err.Error()}
		}
		if v.Fenced || v.State != "active" && v.State != "" {
			return placementState{why: fmt.Sprintf("%s: %s", n.name, v.summary())}
		}
		views[n.name] = v
	}
	var problems []string
	exact := true
	for _, v := range views {
		exact = exact && v.WheelIDs != nil && v.CheckActorIDs != nil
	}
	if exact {
		wheel, acts := map[int64][]string{}, map[int64][]string{}
		for name, v := range views {
			for _, id := range v.WheelIDs {
				wheel[id] = append(wheel[id], name)
			}
			for _, id := range v.CheckActorIDs {
				acts[id] = append(acts[id], name)
			}
		}
		for _, id := range withDeadline {
			if len(wheel[id]) != 1 {
				problems = append(problems, fmt.Sprintf("check %d: wheel entries on %v", id, wheel[id]))
			}
		}
		for id, on := range acts {
			if len(on) > 1 {
				problems = append(problems, fmt.Sprintf("check %d: activations on %v", id, on))
			}
		}
	} else {
		owned, ownedDeadline := map[string]int{}, map[string]int{}
		for _, o := range owners {
			owned[o]++
		}
		for _, id := range withDeadline {
			ownedDeadline[owners[id]]++
		}
		for name, v := range views {
			if v.WheelCount < 0 {
				problems = append(problems, name+": /cluster shows no wheel entries")
			} else if v.WheelCount != ownedDeadline[name] {
				problems = append(problems, fmt.Sprintf("%s: %d wheel entries, owns %d checks with a deadline", name, v.WheelCount, ownedDeadline[name]))
			}
			if v.CheckActors < 0 {
				problems = append(problems, name+": /cluster shows no check activations")
			} else if v.CheckActors > owned[name] {
				problems = append(problems, fmt.Sprintf("%s: %d check activations, owns %d checks", name, v.CheckActors, owned[name]))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return placementState{why: strings.Join(problems[:min(len(problems), 10)], "; ")}
	}
	return placementState{ok: true, why: fmt.Sprintf("%d checks with a deadline, exact=%v", len(withDeadline), exact)}
}

// verifyPlacement waits up to timeout for checkPlacement to hold.
func (w *world) verifyPlacement(timeout time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := w.checkPlacement()
		if st.ok {
			w.t.Logf("placement: one wheel entry per check with a deadline, at most one activation per check (%s)", st.why)
			return
		}
		if time.Now().After(deadline) {
			w.t.Errorf("placement still wrong after %v: %s", timeout, st.why)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// lockWaits summarises the cluster's sessions on PostgreSQL: those waiting for a lock and
// those idle inside a transaction (a paused node's open transaction holds its row locks).
func (c *cluster) lockWaits() string {
	var waiting, idleInTx, total int
	var oldestIdle float64
	err := c.db(func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, `SELECT
				count(*) FILTER (WHERE wait_event_type = 'Lock'),
				count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
				count(*),
				COALESCE(max(EXTRACT(EPOCH FROM now() - state_change)) FILTER (WHERE state LIKE 'idle in transaction%'), 0)
			FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&waiting, &idleInTx, &total, &oldestIdle)
	})
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d sessions: %d waiting for a lock, %d idle in a transaction (oldest for %.1fs)", total, waiting, idleInTx, oldestIdle)
}
