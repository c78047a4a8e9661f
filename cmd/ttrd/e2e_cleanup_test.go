package main_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// TestCleanupRunMatchesDryRun: what `ttrd cleanup --dry-run` lists is exactly what a running
// ttrd's cleanup then removes through its check actors — the daily check last pinged 15 days
// ago and a user abandoned for 30 days go at N = 14; the monthly cron check pinged 20 days
// ago, a paused check, the recent checks and their user stay — and every removal is in the
// activity log.
func TestCleanupRunMatchesDryRun(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "ttr.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	const day = 24 * time.Hour
	at := func(ago time.Duration, status messages.CheckStatus, cron string) func(*messages.Check) {
		return func(c *messages.Check) {
			c.CreatedAt, c.LastPing, c.Status = storetest.Ms(now.Add(-400*day)), storetest.Ms(now.Add(-ago)), status
			if cron != "" {
				c.ScheduleType, c.Schedule, c.IntervalSeconds = messages.ScheduleCron, cron, 0
			}
		}
	}
	active := storetest.NewUser(t, st)
	daily := storetest.NewCheck(t, st, active.ID, at(15*day, messages.StatusDown, ""))
	monthly := storetest.NewCheck(t, st, active.ID, at(20*day, messages.StatusUp, "0 0 1 * *"))
	paused := storetest.NewCheck(t, st, active.ID, at(200*day, messages.StatusPaused, ""))
	var recent []messages.Check
	for range 3 {
		recent = append(recent, storetest.NewCheck(t, st, active.ID, at(time.Minute, messages.StatusUp, "")))
	}
	abandoned := messages.User{Slug: storetest.RandomHex(4), AuthKeyHash: []byte(storetest.RandomHex(16)),
		PingKeyEnc: []byte("sealed:" + storetest.RandomHex(8)), PingKeyIndex: []byte(storetest.RandomHex(16)),
		SlugPings: true, CreatedAt: storetest.Ms(now.Add(-30 * day))}
	if err := st.CreateUser(ctx, &abandoned); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The dry run: 1 of 6 checks is within a share of 0.5.
	flags := []string{"--cleanup-inactive-days", "14", "--cleanup-max-share", "0.5"}
	out, err := exec.Command(binPath, append([]string{"cleanup", "--dry-run", "--data-dir", dir}, flags...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ttrd cleanup --dry-run: %v\n%s", err, out)
	}
	listed := map[string][]int64{}
	for _, m := range regexp.MustCompile(`(?m)^(check|user)\s+(\d+)\s`).FindAllStringSubmatch(string(out), -1) {
		id, _ := strconv.ParseInt(m[2], 10, 64)
		listed[m[1]] = append(listed[m[1]], id)
	}
	if !slices.Equal(listed["check"], []int64{daily.ID}) || !slices.Equal(listed["user"], []int64{abandoned.ID}) {
		t.Fatalf("the dry run lists checks %v and users %v; want [%d] and [%d]:\n%s", listed["check"], listed["user"], daily.ID, abandoned.ID, out)
	}

	// A real run, a second after start-up.
	d := startDaemon(t, dir, append(flags, "--cleanup-first-run", "1s")...)
	waittest.Until(t, 30*time.Second, "the cleanup run to end", func() bool {
		return strings.Contains(d.logs.String(), `msg="cleanup done"`) || strings.Contains(d.logs.String(), `msg="cleanup stopped"`)
	})
	if logs := d.logs.String(); !strings.Contains(logs, `msg="cleanup done" removed_checks=1 removed_users=1`) {
		t.Fatalf("the run did not end removing one check and one user:\n%s", logs)
	}
	d.stop()

	st, err = sqlite.Open(ctx, filepath.Join(dir, "ttr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetCheck(ctx, active.ID, daily.ID); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("the daily check pinged 15 days ago is still there (%v)", err)
	}
	for _, c := range append([]messages.Check{monthly, paused}, recent...) {
		if _, err := st.GetCheck(ctx, active.ID, c.ID); err != nil {
			t.Errorf("check %d (%s, %s) was removed: %v", c.ID, c.Status, c.Schedule, err)
		}
	}
	if _, err := st.UserBySlug(ctx, abandoned.Slug); messages.CodeOf(err) != messages.ENotFound {
		t.Errorf("the abandoned user is still there (%v)", err)
	}
	if _, err := st.UserBySlug(ctx, active.Slug); err != nil {
		t.Errorf("the active user was removed: %v", err)
	}
	rows, err := st.ListAllAudit(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var removals []string
	for _, e := range rows {
		if e.Event == "cleanup_remove" {
			removals = append(removals, e.Credential)
		}
	}
	slices.Sort(removals)
	want := []string{"check:" + strconv.FormatInt(daily.ID, 10), "user:" + strconv.FormatInt(abandoned.ID, 10)}
	if !slices.Equal(removals, want) {
		t.Errorf("activity log removals %v, want %v", removals, want)
	}
}
