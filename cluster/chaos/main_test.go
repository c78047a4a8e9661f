package chaos_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

var longFlag = flag.Bool("chaos.long", false, "run the long versions of the fault scenarios (also TTR_CHAOS_LONG=1)")

// binPath is the ttrd binary built once for every scenario, without -race: three processes
// plus PostgreSQL share two cores, and the race detector would make them the bottleneck.
// binHelp is its -h output, which says which flags this build has.
var binPath, binHelp string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "ttrd-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "ttrd")
	build := exec.Command("go", "build", "-o", binPath, "github.com/ttr-rip/ttr/cmd/ttrd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build ttrd:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	help, _ := exec.Command(binPath, "-h").CombinedOutput()
	binHelp = string(help)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// long reports whether the long versions run (make chaos).
func long() bool { return *longFlag || os.Getenv("TTR_CHAOS_LONG") == "1" }

// harnessLimits turns off the abuse limits and quotas the fault tests would trip over
// (docs/benchmarks.md "Limits").
var harnessLimits = []string{"--limit-signup", "0", "--limit-auth-fail", "0", "--limit-api-credential", "0",
	"--limit-api-ip", "0", "--limit-ping-check", "0", "--limit-test-send", "0", "--limit-alert-host", "0", "--quota-checks", "0"}

// hasFlag reports whether the built ttrd has --name.
func hasFlag(name string) bool { return hasFlagIn(binHelp, name) }

// hasFlagIn reports whether the -h output help lists --name.
func hasFlagIn(help, name string) bool {
	return regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `(\s|$)`).MatchString(help)
}

// requireCluster skips while ttrd has no cluster mode: the only reason these tests skip.
func requireCluster(t *testing.T) {
	t.Helper()
	for _, f := range []string{"join", "gossip-addr", "internal-addr", "cluster-name"} {
		if !hasFlag(f) {
			t.Skipf("ttrd has no --%s flag yet: the cluster wiring has not landed, nothing to test", f)
		}
	}
}

// scale is how big a scenario is: the short version keeps all five scenarios within a few
// minutes on two cores, the long one (make chaos) runs more of everything.
type scale struct {
	Checks   int           // hourly checks (interval 1 h: they stay up)
	Canaries int           // canary checks per fault round (interval 2 s, grace 1 s)
	Pings    int           // acknowledged load pings at least, over the hourly checks
	Rate     int           // load pings per second
	Workers  int           // concurrent load requests
	Rounds   int           // fault rounds (each with its own canaries)
	Cycles   int           // kill/restart cycles (scenario 5)
	Outage   time.Duration // PostgreSQL down time (scenario 4)
	Pause    time.Duration // SIGSTOP length (scenario 3)
}

func scaleFor() scale {
	if long() {
		return scale{Checks: 1000, Canaries: 30, Pings: 20000, Rate: 250, Workers: 16, Rounds: 3, Cycles: 15,
			Outage: 8 * time.Second, Pause: 10 * time.Second}
	}
	return scale{Checks: 300, Canaries: 20, Pings: 2000, Rate: 150, Workers: 12, Rounds: 1, Cycles: 5,
		Outage: 5 * time.Second, Pause: 10 * time.Second}
}
