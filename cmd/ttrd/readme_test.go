package main_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
)

// tourHeading is the README section whose first bash block is the tour.
const tourHeading = "## Walk-through with curl"

// tourPrelude runs before the tour: strict bash, and a curl that reports each request's
// status on stderr (the tour's own output on stdout stays as a reader sees it). A failed
// step ends the tour: its background receiver goes with it.
const tourPrelude = `set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
curl() { command curl -w '%{stderr}STEP %{http_code} %{method} %{url_effective}\n' "$@"; }
`

// stepRe is one line the prelude's curl reports.
var stepRe = regexp.MustCompile(`(?m)^STEP (\d{3}) (\S+) (\S+)$`)

// TestReadmeTour pastes the README's walk-through into bash, as a reader would, against a
// fresh ttrd (a temporary data directory, webhooks to loopback allowed as the README says):
// every step must answer its expected status, and the alert must reach the tour's receiver.
func TestReadmeTour(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README tour needs %s (make test installs jq and python3 with apt-get when missing)", tool)
		}
	}
	tour := readmeTour(t)
	d := startDaemon(t, "")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", tourPrelude+tour)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TTR="+d.URL, "HOOK_PORT="+portOf(t, freeport.Addr(t)))
	// The tour starts a receiver in the background: end the whole group, whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second // a leftover child holding the output open
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		t.Fatalf("the tour failed: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), tail(stdout.String(), 40))
	}

	steps := stepRe.FindAllStringSubmatch(stderr.String(), -1)
	if want := countCurls(tour); len(steps) != want {
		t.Errorf("%d requests reported, the tour has %d curl commands\nstderr:\n%s", len(steps), want, stderr.String())
	}
	for _, s := range steps {
		code, _ := strconv.Atoi(s[1])
		u, err := url.Parse(s[3])
		if err != nil {
			t.Fatalf("step %v: %v", s, err)
		}
		if want := tourStatus(s[2], u); code != want {
			t.Errorf("%s %s answered %d, want %d", s[2], u.RequestURI(), code, want)
		}
	}
	alerts, err := os.ReadFile(filepath.Join(dir, "alerts.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"status":"down"`, `"check_name":"demo"`} {
		if !strings.Contains(string(alerts), want) {
			t.Errorf("the tour's receiver got no %s:\n%s", want, alerts)
		}
	}
}

// tourStatus is the status a step of the tour must answer.
func tourStatus(method string, u *url.URL) int {
	switch {
	case method == "POST" && (u.Path == "/api/v1/users" || u.Path == "/api/v1/checks"):
		return 201
	case u.Query().Get("create") == "1":
		return 201 // the check is created by this ping
	case method == "DELETE":
		return 204
	}
	return 200
}

// readmeTour returns the first ```bash block after tourHeading in the repository's README.
func readmeTour(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+tourHeading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q section", tourHeading)
	}
	s = s[i:]
	start := strings.Index(s, "\n```bash\n")
	if start < 0 {
		t.Fatalf("no ```bash block under %q", tourHeading)
	}
	s = s[start+len("\n```bash\n"):]
	end := strings.Index(s, "\n```\n")
	if end < 0 {
		t.Fatal("the tour's bash block is not closed")
	}
	return s[:end+1]
}

// countCurls counts the curl commands of a script, comments left out.
func countCurls(script string) int {
	n := 0
	for _, line := range strings.Split(script, "\n") {
		if i := strings.Index(line, "#"); i >= 0 && strings.TrimSpace(line[:i]) == "" {
			continue
		}
		n += strings.Count(line, "curl -")
	}
	return n
}
