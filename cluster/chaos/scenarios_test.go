package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages/waittest"
)

// failoverBound is how soon after a kill -9 the dead node's checks must be armed on the
// survivors (docs/testing.md#fault-tests), and fireSlack what a canary may take beyond its due time to
// show as down in the store (the wheel's tick, activation, the commit, a 100 ms poll).
const (
	failoverBound = 3 * time.Second
	fireSlack     = 1 * time.Second
)

// busiestOwner returns the running node that owns most of g's canaries (preferring nodes
// not in avoid) and every check's owner.
func (w *world) busiestOwner(g *canaryGroup, avoid map[*node]bool) (*node, map[int64]string) {
	w.t.Helper()
	owners, err := w.owners()
	if err != nil {
		w.t.Fatalf("owner_node of the checks: %v", err)
	}
	count := map[string]int{}
	for _, id := range g.ids() {
		count[owners[id]]++
	}
	var best *node
	for _, n := range w.c.running() {
		switch {
		case best == nil:
			best = n
		case avoid[best] && !avoid[n]:
			best = n
		case avoid[best] == avoid[n] && count[n.name] > count[best.name]:
			best = n
		}
	}
	if best == nil || count[best.name] == 0 {
		w.t.Fatalf("no running node owns a canary: owners %v", count)
	}
	return best, owners
}

func ownedBy(owners map[int64]string, name string, ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if owners[id] == name {
			out = append(out, id)
		}
	}
	return out
}

// wheelSum adds up the wheel entries the given nodes report (-1 when one reports none).
func wheelSum(nodes []*node) (int, string) {
	sum := 0
	var parts []string
	for _, n := range nodes {
		v, err := n.clusterView()
		if err != nil {
			return -1, fmt.Sprintf("%s: %v", n.name, err)
		}
		if v.WheelCount < 0 {
			return -1, n.name + ": no wheel entries in /cluster"
		}
		sum += v.WheelCount
		parts = append(parts, fmt.Sprintf("%s=%d", n.name, v.WheelCount))
	}
	return sum, strings.Join(parts, " ")
}

// TestKillNode: kill -9 of a node under load, with ttrd's default failure detection. Every
// acknowledged ping is in the store; the dead node's checks are armed on the survivors
// within 3 s (their wheel entries cover every check with a deadline, owner_node moves) and
// its canaries go down on time; every canary alerts once, with one distinct key (a repeat
// only for a send in flight on the dead node).
func TestKillNode(t *testing.T) {
	sc := scaleFor()
	c := startCluster(t, clusterOpts{})
	w := setup(t, c, sc)
	w.start()
	killed := map[*node]bool{}
	for r := 0; r < sc.Rounds; r++ {
		g := w.startRound(r)
		time.Sleep(time.Second)
		victim, owners := w.busiestOwner(g, killed)
		killed[victim] = true
		var survivors []*node
		for _, n := range c.running() {
			if n != victim {
				survivors = append(survivors, n)
			}
		}
		var all []int64
		for id := range owners {
			all = append(all, id)
		}
		victimChecks := ownedBy(owners, victim.name, all)
		victimCanaries := ownedBy(owners, victim.name, g.ids())

		// Steady state first: the wheels hold exactly the checks with a deadline.
		waittest.UntilWhy(t, 10*time.Second, "wheel entries = checks with a deadline before the kill", func() (bool, string) {
			sum, detail := wheelSum(c.running())
			want, err := c.deadlineCount()
			if err != nil {
				return false, err.Error()
			}
			return sum == want, fmt.Sprintf("wheels %d (%s), store %d", sum, detail, want)
		})

		// The canaries stop 2 s before the kill, so the dead node's ones fall due within
		// a second after it: before the survivors can have armed them.
		dw := c.watchDown(g.ids())
		g.stop()
		time.Sleep(2 * time.Second)
		tKill := time.Now()
		victim.kill()
		t.Logf("round %d: killed %s (owned %d checks, %d of %d canaries)", r, victim.name, len(victimChecks), len(victimCanaries), len(g.ids()))

		// Failover: survivors' wheels cover every check with a deadline; owner_node moved.
		fo := w.measureFailover(victim, survivors, append(victimCanaries, victimChecks...), tKill)
		t.Logf("round %d: after the kill, owner_node moved in %v, survivors' wheels covered every deadline in %v (slowest poll %v)",
			r, fo.moved.Round(time.Millisecond), fo.armed.Round(time.Millisecond), fo.slowestPoll.Round(time.Millisecond))
		if fo.moved == 0 || fo.moved > failoverBound {
			t.Errorf("owner_node of %s's checks moved after %v, want ≤ %v (%s)", victim.name, fo.moved, failoverBound, fo.movedWhy)
		}
		if fo.armed == 0 || fo.armed > failoverBound {
			t.Errorf("survivors armed %s's deadlines after %v, want ≤ %v (%s)", victim.name, fo.armed, failoverBound, fo.armedWhy)
		}

		outcomes := w.verifyCanaries(g, dw, 1, 30*time.Second)
		dw.close()
		var late []string
		var delays []time.Duration
		isVictim := map[int64]bool{}
		for _, id := range victimCanaries {
			isVictim[id] = true
		}
		for _, o := range outcomes {
			due := o.Deadline
			if isVictim[o.ID] && tKill.Add(failoverBound).After(due) {
				due = tKill.Add(failoverBound)
			}
			if o.Down.IsZero() || o.Down.After(due.Add(fireSlack)) {
				late = append(late, fmt.Sprintf("canary %d (owner %s): due by %s, down seen %s",
					o.ID, owners[o.ID], due.Format("15:04:05.000"), o.Down.Format("15:04:05.000")))
			}
			if isVictim[o.ID] {
				delays = append(delays, o.Down.Sub(tKill))
			}
		}
		sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
		t.Logf("round %d: the dead node's %d canaries were seen down %v after the kill (their due times %v after it)",
			r, len(delays), delays, dueAfter(outcomes, isVictim, tKill))
		if len(late) > 0 {
			t.Errorf("canaries down late:\n%s", strings.Join(late, "\n"))
		}
		if r+1 < sc.Rounds {
			victim.start()
			victim.waitReady(60 * time.Second)
			c.waitStable(30 * time.Second)
		}
	}
	w.finishLoad()
	w.verifyLedger()
	w.verifyNoDown("hourly checks", w.hourlyIDs())
	w.verifyFlipChains()
	w.verifySinkPaths()
}

// failover is what measureFailover saw: when (after the kill) owner_node stopped naming the
// dead node on every survivor, and when the survivors' wheels held an entry for every check
// with a deadline (0: not within 15 s). Each is the end of the poll that first saw it, an
// upper bound; slowestPoll says how coarse that bound may be.
type failover struct {
	moved, armed       time.Duration
	movedWhy, armedWhy string
	slowestPoll        time.Duration
}

// measureFailover polls, every 50 ms and concurrently, owner_node of up to 12 of the dead
// node's checks on each survivor, and the survivors' /cluster wheel counts against the store.
func (w *world) measureFailover(victim *node, survivors []*node, victimChecks []int64, t0 time.Time) failover {
	sample := victimChecks[:min(len(victimChecks), 12)]
	var fo failover
	var mu sync.Mutex
	slow := func(d time.Duration) {
		mu.Lock()
		fo.slowestPoll = max(fo.slowestPoll, d)
		mu.Unlock()
	}
	giveUp := t0.Add(15 * time.Second)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // owner_node, asked of each survivor itself
		defer wg.Done()
		for time.Now().Before(giveUp) {
			start := time.Now()
			var pmu sync.Mutex
			stale, failed := 0, ""
			var pw sync.WaitGroup
			for _, s := range survivors {
				for _, id := range sample {
					pw.Add(1)
					go func(s *node, id int64) {
						defer pw.Done()
						code, b, err := w.c.callOn(s, "GET", fmt.Sprintf("/api/v1/checks/%d", id), w.userKey, nil)
						var out struct {
							OwnerNode string `json:"owner_node"`
						}
						if err == nil && code == 200 {
							err = json.Unmarshal(b, &out)
						} else if err == nil {
							err = fmt.Errorf("%d %s", code, b)
						}
						pmu.Lock()
						defer pmu.Unlock()
						switch {
						case err != nil:
							failed = fmt.Sprintf("%s: check %d: %v", s.name, id, err)
						case out.OwnerNode == victim.name || out.OwnerNode == "":
							stale++
						}
					}(s, id)
				}
			}
			pw.Wait()
			slow(time.Since(start))
			mu.Lock()
			fo.movedWhy = fmt.Sprintf("%d of %d answers still name %s or nobody; %s", stale, len(sample)*len(survivors), victim.name, failed)
			if stale == 0 && failed == "" {
				fo.moved = time.Since(t0)
				mu.Unlock()
				return
			}
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	go func() { // wheel entries on the survivors against the checks with a deadline
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, w.c.dbURL)
		if err != nil {
			mu.Lock()
			fo.armedWhy = err.Error()
			mu.Unlock()
			return
		}
		defer conn.Close(context.Background())
		for time.Now().Before(giveUp) {
			start := time.Now()
			sum, detail := wheelSum(survivors)
			var want int
			err := conn.QueryRow(ctx, `SELECT count(*) FROM checks WHERE next_wake_at IS NOT NULL`).Scan(&want)
			slow(time.Since(start))
			mu.Lock()
			fo.armedWhy = fmt.Sprintf("survivors' wheels %d (%s), store %d (%v)", sum, detail, want, err)
			if err == nil && sum >= 0 && sum >= want {
				fo.armed = time.Since(t0)
				mu.Unlock()
				return
			}
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	wg.Wait()
	return fo
}

func dueAfter(outs []canaryOutcome, pick map[int64]bool, t0 time.Time) []time.Duration {
	var out []time.Duration
	for _, o := range outs {
		if pick[o.ID] {
			out = append(out, o.Deadline.Sub(t0).Round(10*time.Millisecond))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestRollingRestart: SIGTERM, start, wait ready — each node in turn, under load, the client
// sending only to ready nodes and retrying connection errors only, on another ready node.
// Every ping ends in a 2xx; the canaries, stopped as the second node goes down, each alert
// exactly once.
func TestRollingRestart(t *testing.T) {
	sc := scaleFor()
	c := startCluster(t, clusterOpts{Relaxed: true})
	w := setup(t, c, sc)
	w.start()
	for r := 0; r < sc.Rounds; r++ {
		g := w.startRound(r)
		dw := c.watchDown(g.ids())
		for i, n := range c.nodes {
			if i == 1 {
				g.stop()
			}
			time.Sleep(time.Second)
			t0 := time.Now()
			if err := n.terminate(40 * time.Second); err != nil {
				t.Fatalf("round %d: %v\n%s", r, err, n.tail(40))
			}
			stopped := time.Since(t0)
			n.start()
			n.waitReady(60 * time.Second)
			ready := time.Since(t0)
			c.waitStable(30 * time.Second)
			t.Logf("round %d: %s stopped in %v, ready again %v after SIGTERM, cluster stable after %v",
				r, n.name, stopped.Round(time.Millisecond), ready.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
		}
		outcomes := w.verifyCanaries(g, dw, 0, 30*time.Second)
		dw.close()
		var delays []time.Duration
		for _, o := range outcomes {
			delays = append(delays, o.Down.Sub(o.Deadline).Round(10*time.Millisecond))
		}
		sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
		t.Logf("round %d: canaries seen down %v after their due times", r, delays)
	}
	w.finishLoad()
	var bad []string
	for _, rec := range w.led.snapshot() {
		if !rec.acked() {
			bad = append(bad, fmt.Sprintf("%s check %d: status %d by %q after %d attempts (%s)",
				rec.Sent.Format("15:04:05.000"), rec.Check, rec.Status, rec.Node, rec.Attempts, rec.Err))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d pings did not end in a 2xx during the rolling restart:\n%s", len(bad), strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
	w.verifyLedger()
	w.verifyNoDown("hourly checks", w.hourlyIDs())
	w.verifyFlipChains()
	w.verifySinkPaths()
}

// TestPauseNode: SIGSTOP of a node for 10 s under load, then SIGCONT. The survivors take its
// checks over; when it wakes it must not act on what it held (its lease lapsed): no flip
// recorded twice, no alert repeated beyond a send in flight at the pause; it turns not ready
// and re-joins under a new node id; afterwards each check has at most one activation and
// each check with a deadline exactly one wheel entry.
func TestPauseNode(t *testing.T) {
	sc := scaleFor()
	c := startCluster(t, clusterOpts{Relaxed: true})
	w := setup(t, c, sc)
	w.start()
	paused := map[*node]bool{}
	for r := 0; r < sc.Rounds; r++ {
		g := w.startRound(r)
		time.Sleep(time.Second)
		victim, owners := w.busiestOwner(g, paused)
		paused[victim] = true
		before, err := victim.clusterView()
		if err != nil {
			t.Fatal(err)
		}
		dw := c.watchDown(g.ids())
		g.stop()
		time.Sleep(500 * time.Millisecond)
		victim.pause()
		t.Logf("round %d: SIGSTOP %s (node id %s, %d of %d canaries) for %v", r, victim.name, before.SelfID,
			len(ownedBy(owners, victim.name, g.ids())), len(g.ids()), sc.Pause)
		for i := 0; i < 4; i++ {
			time.Sleep(sc.Pause / 4)
			t.Logf("round %d: %v into the pause, PostgreSQL: %s", r, time.Duration(i+1)*sc.Pause/4, c.lockWaits())
		}
		victim.resume()
		tCont := time.Now()
		victim.waitReady(60 * time.Second)
		readyAfter := time.Since(tCont)
		c.waitStable(60 * time.Second)
		after, err := victim.clusterView()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %s ready again %v after SIGCONT, stable after %v, node id %s → %s",
			r, victim.name, readyAfter.Round(time.Millisecond), time.Since(tCont).Round(time.Millisecond), before.SelfID, after.SelfID)
		if after.SelfID == before.SelfID {
			t.Errorf("%s kept node id %s after the pause: it should have fenced itself and re-joined under a new one", victim.name, after.SelfID)
		}
		for _, l := range victim.grepLog(5, "fenced") {
			t.Logf("%s: %s", victim.name, l)
		}
		w.verifyCanaries(g, dw, 1, 30*time.Second)
		dw.close()
		w.verifyFlipChains()
		w.verifyPlacement(30 * time.Second)
	}
	w.finishLoad()
	w.verifyLedger()
	w.verifyNoDown("hourly checks", w.hourlyIDs())
	w.verifyFlipChains()
	w.verifySinkPaths()
}

// TestPostgresRestart: the cluster's PostgreSQL (a private instance) stopped and started
// again under load. No ping is acknowledged without a commit (while it is down, pings are
// answered 503 with Retry-After); every node recovers within 10 s of its return; canaries
// that kept pinging (refused) do not go down and nothing alerts, while canaries that stop
// afterwards still go down and alert once.
func TestPostgresRestart(t *testing.T) {
	sc := scaleFor()
	pg := startPrivatePostgres(t)
	c := startCluster(t, clusterOpts{DBURL: pg.URL, Relaxed: true})
	w := setup(t, c, sc)
	w.start()
	for r := 0; r < sc.Rounds; r++ {
		roundStart := time.Now()
		g := w.startRound(r)
		time.Sleep(2 * time.Second)
		mode := "fast"
		if r%2 == 1 {
			mode = "immediate"
		}
		tStopping := time.Now()
		pg.stop(mode)
		tDown := time.Now()
		time.Sleep(sc.Outage)
		tStarting := time.Now()
		pg.start()
		tUp := time.Now()
		t.Logf("round %d: PostgreSQL stopped (%s) in %v, down for %v, started in %v",
			r, mode, tDown.Sub(tStopping).Round(time.Millisecond), tStarting.Sub(tDown).Round(time.Millisecond), tUp.Sub(tStarting).Round(time.Millisecond))

		// Recovery: every node ready and acknowledging a ping of its own.
		recovered := map[*node]time.Duration{}
		probe := w.hourly[0]
		for time.Since(tUp) < 30*time.Second && len(recovered) < len(c.nodes) {
			for _, n := range c.nodes {
				if _, ok := recovered[n]; ok {
					continue
				}
				if code, err := getStatus(c.api, n.URL+"/readyz"); err != nil || code != 200 {
					continue
				}
				rec := c.pingOn(n, probe.Path, probe.ID)
				w.led.add(rec)
				if rec.acked() {
					recovered[n] = time.Since(tUp)
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		var slowest time.Duration
		for _, n := range c.nodes {
			d, ok := recovered[n]
			if !ok {
				d = time.Hour
			}
			slowest = max(slowest, d)
		}
		t.Logf("round %d: every node ready and acknowledging %v after PostgreSQL returned", r, slowest.Round(time.Millisecond))
		if slowest > 10*time.Second {
			t.Errorf("round %d: recovery took %v after PostgreSQL returned, want ≤ 10 s (recovered: %v)", r, slowest, recovered)
		}

		// The canaries kept pinging through the outage: refused pings must not make them go
		// down once deadlines inside the outage are extended.
		time.Sleep(canaryInterval + canaryGrace + time.Second)
		w.verifyNoDown("canaries pinged through the outage", g.ids())
		paths := w.sink.byPath()
		for _, id := range g.ids() {
			if ds := paths[canaryPath(id)]; len(ds) > 0 {
				t.Errorf("round %d: canary %d alerted during/after the outage: %d deliveries, first key %s", r, id, len(ds), ds[0].Key)
			}
		}

		// No acknowledgement while the store was down; refusals are 503 + Retry-After.
		var acks, wrong []string
		refused := 0
		for _, rec := range w.led.snapshot() {
			if rec.Sent.Before(roundStart) {
				continue
			}
			inOutage := !rec.Sent.Before(tDown) && rec.Done.Before(tStarting)
			switch {
			case rec.acked() && inOutage:
				acks = append(acks, fmt.Sprintf("check %d %s→%s by %s", rec.Check, rec.Sent.Format("15:04:05.000"), rec.Done.Format("15:04:05.000"), rec.Node))
			case !rec.acked() && rec.Status == 503 && rec.RetryAfter != "":
				refused++
			case !rec.acked():
				wrong = append(wrong, fmt.Sprintf("check %d %s: status %d Retry-After %q by %q (%s)", rec.Check, rec.Sent.Format("15:04:05.000"), rec.Status, rec.RetryAfter, rec.Node, rec.Err))
			}
		}
		t.Logf("round %d: %d pings refused with 503 + Retry-After around the outage", r, refused)
		if len(acks) > 0 {
			t.Errorf("round %d: %d pings acknowledged while PostgreSQL was down (no commit possible):\n%s", r, len(acks), strings.Join(acks[:min(len(acks), 10)], "\n"))
		}
		if refused == 0 {
			t.Errorf("round %d: no ping was refused with 503 + Retry-After: the outage was not under load", r)
		}
		if len(wrong) > 0 {
			t.Errorf("round %d: %d pings answered otherwise than 2xx or 503 + Retry-After:\n%s", r, len(wrong), strings.Join(wrong[:min(len(wrong), 10)], "\n"))
		}

		// Alerting still works: the canaries stop now and each alerts once.
		dw := c.watchDown(g.ids())
		g.stop()
		w.verifyCanaries(g, dw, 0, 30*time.Second)
		dw.close()
	}
	w.finishLoad()
	w.verifyLedger()
	w.verifyNoDown("hourly checks", w.hourlyIDs())
	w.verifyFlipChains()
	w.verifySinkPaths()
}

// pingOn pings through one given node, without retries.
func (c *cluster) pingOn(n *node, path string, check int64) pingRecord {
	r := pingRecord{Check: check, Sent: time.Now(), Attempts: 1}
	resp, err := c.pool.Get(n.URL + path)
	if err != nil {
		r.ConnErrs, r.Err = 1, err.Error()
	} else {
		resp.Body.Close()
		r.Status, r.Node, r.RetryAfter = resp.StatusCode, n.name, resp.Header.Get("Retry-After")
	}
	r.Done = time.Now()
	return r
}

// quietHeap stops nothing itself: with no request in flight and idle connections closed, it
// forces a GC on n (twice) and reads its heap in use and goroutines.
func (c *cluster) quietHeap(n *node) (heap, goroutines float64) {
	c.t.Helper()
	c.pool.CloseIdleConnections()
	c.api.CloseIdleConnections()
	time.Sleep(3 * time.Second)
	for i := 0; i < 2; i++ {
		if err := n.forceGC(); err != nil {
			c.t.Fatalf("force a GC on %s: %v", n.name, err)
		}
	}
	m, err := n.metrics()
	if err != nil {
		c.t.Fatalf("metrics of %s: %v", n.name, err)
	}
	heap, ok1 := m["go_memstats_heap_inuse_bytes"]
	goroutines, ok2 := m["go_goroutines"]
	if !ok1 || !ok2 {
		c.t.Fatalf("%s's /metrics lacks go_memstats_heap_inuse_bytes or go_goroutines", n.name)
	}
	return heap, goroutines
}

// TestKillRestartCycles: a node killed (-9) and restarted 5 times under load. On a node that
// stayed up, the heap after a forced GC stays ≤ 1.2× its baseline + 10 MB and goroutines ≤
// baseline + 20 (a dead peer must not leave goroutines or queues behind).
func TestKillRestartCycles(t *testing.T) {
	sc := scaleFor()
	c := startCluster(t, clusterOpts{Relaxed: true})
	w := setup(t, c, sc)
	w.start()
	observer, victim := c.nodes[0], c.nodes[2]
	time.Sleep(3 * time.Second)
	w.load.stop()
	baseHeap, baseG := c.quietHeap(observer)
	t.Logf("baseline on %s: heap in use %.1f MB, %v goroutines", observer.name, baseHeap/1e6, baseG)
	w.load = c.startLoad(w.led, w.hourly, sc.Rate, sc.Workers)

	g := w.startRound(0)
	time.Sleep(time.Second)
	dw := c.watchDown(g.ids())
	g.stop()
	for i := 0; i < sc.Cycles; i++ {
		time.Sleep(time.Second)
		t0 := time.Now()
		victim.kill()
		waittest.UntilWhy(t, 20*time.Second, "the survivors to see the killed node gone", func() (bool, string) {
			for _, n := range c.running() {
				v, err := n.clusterView()
				if err != nil {
					return false, err.Error()
				}
				if v.activeMembers() != len(c.running()) {
					return false, n.name + ": " + v.summary()
				}
			}
			return true, ""
		})
		gone := time.Since(t0)
		victim.start()
		victim.waitReady(60 * time.Second)
		c.waitStable(30 * time.Second)
		t.Logf("cycle %d: %s declared gone %v after kill -9, back and stable after %v", i+1, victim.name, gone.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	}
	w.verifyCanaries(g, dw, 1, 30*time.Second)
	dw.close()
	w.finishLoad()
	heap, gs := c.quietHeap(observer)
	t.Logf("after %d cycles on %s: heap in use %.1f MB (baseline %.1f MB, limit %.1f MB), %v goroutines (baseline %v, limit %v)",
		sc.Cycles, observer.name, heap/1e6, baseHeap/1e6, (1.2*baseHeap+10e6)/1e6, gs, baseG, baseG+20)
	if heap > 1.2*baseHeap+10e6 {
		t.Errorf("heap in use %.1f MB after the cycles, want ≤ 1.2 × %.1f MB + 10 MB", heap/1e6, baseHeap/1e6)
	}
	if gs > baseG+20 {
		t.Errorf("%v goroutines after the cycles, want ≤ %v + 20", gs, baseG)
	}
	w.verifyLedger()
	w.verifyNoDown("hourly checks", w.hourlyIDs())
	w.verifyFlipChains()
	w.verifySinkPaths()
}
