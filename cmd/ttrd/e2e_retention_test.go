package main_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
)

// TestRetentionDaemon: with --ping-log-limit 10 the daemon's retention pass leaves a check
// exactly its newest 10 pings once they stop, the ping log API says where the log now
// starts, the pass is counted in the metrics; `ttrd vacuum` refuses while the server runs and
// shrinks the file once it has stopped.
func TestRetentionDaemon(t *testing.T) {
	internal := freeport.Addr(t)
	d := startDaemon(t, "", "--internal-addr", internal, "--ping-log-limit", "10", "--ping-dedupe-window", "10",
		"--retention-every", "1s")
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"slug": "job", "interval_seconds": 3600})
	for i := range 25 {
		if code, body, _ := d.ping("POST", "/p/"+u.UserSlug+"/job", strings.Repeat("x", 2000)); code != 200 {
			t.Fatalf("ping %d: %d %s", i, code, body)
		}
	}
	var log struct {
		Pings  []map[string]any `json:"pings"`
		Pruned *int64           `json:"pruned_before_n"`
	}
	waittest.Until(t, 15*time.Second, "the log trimmed to the newest 10", func() bool {
		d.api(u.AuthKey, "GET", fmt.Sprintf("/api/v1/checks/%d/pings", c.ID), nil, &log)
		return len(log.Pings) == 10
	})
	if n := log.Pings[0]["n"].(float64); n != 25 || log.Pings[9]["n"].(float64) != 16 || log.Pruned == nil || *log.Pruned != 16 {
		b, _ := json.Marshal(log)
		t.Errorf("log after the pass: %s; want n 25 down to 16 and pruned_before_n 16", b)
	}
	waittest.Until(t, 10*time.Second, "the pass counted", func() bool {
		m := scrape(t, internal, "ttr_retention_")
		// At least n 11 to 15 (the commit of ping 20 trimmed up to 10); more when a pass ran
		// while the pings arrived.
		return m[`ttr_retention_pruned_rows_total{table="pings"}`] >= 5 && m[`ttr_retention_runs_total{outcome="done"}`] >= 1 &&
			m[`ttr_retention_oldest_row_age_seconds{table="pings"}`] >= 0
	})

	out, err := exec.Command(binPath, "vacuum", "--data-dir", d.dataDir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "stop it first") {
		t.Errorf("ttrd vacuum while the server runs: %v\n%s", err, out)
	}
	d.stop()
	out2 := runTTRD(t, []string{"vacuum", "--data-dir", d.dataDir}, nil)
	if !strings.Contains(out2, "vacuumed") {
		t.Errorf("ttrd vacuum after the server stopped:\n%s", out2)
	}
}
