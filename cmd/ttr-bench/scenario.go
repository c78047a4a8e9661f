package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Scenarios are the results of the benchmark scenarios beyond throughput and latency, each
// nil when it did not run.
type Scenarios struct {
	Idle      *IdleResult     `json:"idle_checks,omitempty"`
	Deadlines *DeadlineResult `json:"deadlines,omitempty"`
	Alerts    *AlertResult    `json:"alerts,omitempty"`
}

// ScenarioStatus is how a scenario ended: "ok", or "failed" with why.
type ScenarioStatus struct {
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// failed reports whether the scenario did not complete its measurement.
func (s ScenarioStatus) failed() bool { return s.Status != "ok" }

// scenarioTimeout bounds one scenario's waits for ttrd (start-up, deadlines, alerts).
const scenarioTimeout = 5 * time.Minute

// Fixed settings of the scenarios.
const (
	scenarioUsers = 4 // owners of the seeded checks: "a few users"
	// leadQuick and leadFull separate ttrd's start from the first deadline of the deadlines
	// and alerts scenarios, so the deadlines fall due on a node that is ready and idle.
	leadQuick = 2 * time.Second
	leadFull  = 5 * time.Second
)

// lead is the time from starting ttrd to the first deadline of a scenario.
func (b *Bench) lead() time.Duration {
	if b.cfg.Quick {
		return leadQuick
	}
	return leadFull
}

// runScenarios runs the selected scenarios one after the other, each on a fresh ttrd node of
// its own with nothing else running, after the configurations are done.
func (b *Bench) runScenarios(ctx context.Context) Scenarios {
	var out Scenarios
	for _, name := range b.cfg.Scenarios {
		if ctx.Err() != nil {
			break
		}
		switch name {
		case scIdle:
			out.Idle = b.idleScenario(ctx)
		case scDeadlines:
			out.Deadlines = b.deadlineScenario(ctx)
		case scAlerts:
			out.Alerts = b.alertScenario(ctx)
		}
	}
	return out
}

// inScratch runs f with a fresh scratch directory for a scenario, removed afterwards (a
// million checks take a few hundred MB) unless -keep.
func (b *Bench) inScratch(name string, f func(dir string) error) error {
	dir, err := tempDir(b.workDir, name)
	if err != nil {
		return err
	}
	if !b.cfg.Keep {
		defer os.RemoveAll(dir)
	}
	return f(dir)
}

// failedStatus is a failed scenario's status, logged.
func (b *Bench) failedStatus(name string, err error) ScenarioStatus {
	b.logf("%-15s failed: %v\n", name, err)
	return ScenarioStatus{Status: "failed", Note: err.Error()}
}

// migrateStore creates and migrates the embedded store in dataDir with the binary under test
// (which also generates the node's secrets there), so seeded rows meet its schema.
func (b *Bench) migrateStore(ctx context.Context, dataDir string) error {
	cmd := exec.CommandContext(ctx, b.ttrdPath(), "migrate", "--data-dir", absPath(dataDir), "--log-format", "json")
	cmd.Env = cleanEnv(os.Environ())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ttrd migrate: %w\n%s", err, out)
	}
	return nil
}

// startSQLiteNode starts ttrd on the embedded store in dataDir and waits until it is ready;
// a slow start is measured, not failed.
func (b *Bench) startSQLiteNode(ctx context.Context, name, dataDir string, extra ...string) (*Server, error) {
	return b.startTTRDWithin(ctx, name, append([]string{"--data-dir", absPath(dataDir)}, extra...), nil, scenarioTimeout)
}

// startupSeconds is the time from exec to the first 200 of /readyz.
func (s *Server) startupSeconds() float64 { return s.Ready.Sub(s.Started).Seconds() }

// deadlinesArmed is the deadlines_armed of ttrd's "ttrd ready" log line (-1 when absent).
func (s *Server) deadlinesArmed() int64 {
	v, err := strconv.ParseFloat(s.logField("ttrd ready", "deadlines_armed"), 64) // JSON numbers: "1e+06"
	if err != nil {
		return -1
	}
	return int64(v)
}

// settledRSS waits d and returns the process's resident memory then. Go returns freed memory
// to the system a little at a time, and a GC cannot be forced from outside, so the reading is
// taken after start-up has had time to settle.
func settledRSS(ctx context.Context, s *Server, d time.Duration) (int64, error) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.exited:
		return 0, fmt.Errorf("%s exited: %v", s.Name, s.waitErr)
	}
	return procRSS(s.Pid())
}

// apiGet GETs an API path with the user's access key and decodes a 200 answer into out.
func apiGet(ctx context.Context, addr, authKey, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Key", authKey)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, out)
}

// getStatus GETs a path without credentials (a ping URL) and returns the status code.
func getStatus(ctx context.Context, addr, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// countDown adds up the down checks of the users, from GET /api/v1/checks/stats.
func countDown(ctx context.Context, addr string, users []seededUser) (int64, error) {
	var down int64
	for _, u := range users {
		var st struct {
			Down int64 `json:"down"`
		}
		if err := apiGet(ctx, addr, u.AuthKey, "/api/v1/checks/stats", &st); err != nil {
			return 0, err
		}
		down += st.Down
	}
	return down, nil
}

// verifySeeded proves ttrd serves seeded checks: the API shows each sample up with the
// seeded deadline, and a ping to one sample by uuid and to another by slug answers 200. A
// wrong seed fails here rather than passing silently.
func verifySeeded(ctx context.Context, addr string, seed seedResult) (string, error) {
	keyOf := map[int64]seededUser{}
	for _, u := range seed.Users {
		keyOf[u.ID] = u
	}
	for _, c := range seed.Samples {
		var got struct {
			UUID         string    `json:"uuid"`
			Status       string    `json:"status"`
			NextDeadline time.Time `json:"next_deadline"`
		}
		if err := apiGet(ctx, addr, keyOf[c.UserID].AuthKey, fmt.Sprintf("/api/v1/checks/%d", c.ID), &got); err != nil {
			return "", fmt.Errorf("seeded check %d: %w", c.ID, err)
		}
		if got.UUID != c.UUID || got.Status != "up" || !got.NextDeadline.Equal(c.Deadline) {
			return "", fmt.Errorf("seeded check %d: the API shows uuid %s, status %q, next deadline %v; seeded %s, up, %v",
				c.ID, got.UUID, got.Status, got.NextDeadline, c.UUID, c.Deadline)
		}
	}
	first, last := seed.Samples[0], seed.Samples[len(seed.Samples)-1]
	user := keyOf[last.UserID]
	for _, path := range []string{"/ping/" + first.UUID, "/p/" + user.Slug + "/" + last.Slug} {
		code, err := getStatus(ctx, addr, path)
		if err != nil {
			return "", err
		}
		if code != http.StatusOK {
			return "", fmt.Errorf("seeded check: GET %s answered %d", path, code)
		}
	}
	return fmt.Sprintf("%d seeded checks read back through the API (status up, seeded deadline); pings by uuid and by slug answered 200", len(seed.Samples)), nil
}

// fileSize is the size of the embedded store's files (database and WAL) in dir.
func fileSize(dir string) int64 {
	var n int64
	for _, f := range []string{"ttr.db", "ttr.db-wal"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += st.Size()
		}
	}
	return n
}

// quantilesOf are the p50, p99 and max of ascending values.
func quantilesOf(sorted []float64) map[string]float64 {
	if len(sorted) == 0 {
		return nil
	}
	at := func(q float64) float64 { return sorted[nearestRank(q, len(sorted))-1] }
	return map[string]float64{"p50": at(50), "p99": at(99), "max": sorted[len(sorted)-1]}
}
