package chaos_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages/waittest"
)

// node is one ttrd process of a cluster, restartable on the same addresses. Its output,
// across every start, goes to one log file (kept when the test fails).
type node struct {
	t    *testing.T
	idx  int
	name string // --node-name: the owner_node the API shows

	URL, InternalURL string
	gossipAddr       string
	args, env        []string
	logPath          string
	bin              string // the ttrd binary; binPath when empty

	mu     sync.Mutex
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{}
	starts int

	running atomic.Bool // started and not known to have exited
	ready   atomic.Bool // the last /readyz poll answered 200
	paused  atomic.Bool // SIGSTOPped
}

// who names n and, when it runs another binary than the current code (an earlier release
// in the upgrade scenarios), that binary: a failure then says which release failed.
func (n *node) who() string {
	if n.bin == "" {
		return n.name
	}
	return n.name + " (running " + n.bin + ")"
}

// start launches the process (not waiting for it to be ready).
func (n *node) start() {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running.Load() {
		n.t.Fatalf("%s: start while running", n.name)
	}
	if n.log == nil {
		f, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			n.t.Fatal(err)
		}
		n.log = f
	}
	n.starts++
	fmt.Fprintf(n.log, "===== chaos: start %d of %s at %s =====\n", n.starts, n.who(), time.Now().Format(time.RFC3339Nano))
	bin := n.bin
	if bin == "" {
		bin = binPath
	}
	cmd := exec.Command(bin, n.args...)
	cmd.Env = n.env
	cmd.Stdout, cmd.Stderr = n.log, n.log
	// The processes die with the test binary even when it is killed (go test -timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("start %s: %v", n.who(), err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); n.running.Store(false); n.ready.Store(false); close(exited) }()
	n.cmd, n.exited = cmd, exited
	n.running.Store(true)
	n.paused.Store(false)
}

// waitReady waits until /readyz answers 200 (polled here, independently of the cluster's
// readiness poller).
func (n *node) waitReady(timeout time.Duration) {
	n.t.Helper()
	cl := &http.Client{Timeout: time.Second}
	waittest.UntilWhy(n.t, timeout, n.who()+" to be ready", func() (bool, string) {
		select {
		case <-n.exitedCh():
			n.t.Fatalf("%s exited while starting:\n%s", n.who(), n.tail(40))
		default:
		}
		code, err := getStatus(cl, n.URL+"/readyz")
		return err == nil && code == 200, n.tail(40)
	})
	n.ready.Store(true)
}

func (n *node) exitedCh() chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.exited
}

// kill is kill -9; it returns once the process is gone.
func (n *node) kill() {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil || !n.running.Load() {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	n.paused.Store(false)
}

// terminate sends SIGTERM and waits for a clean exit (status 0).
func (n *node) terminate(timeout time.Duration) error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil || !n.running.Load() {
		return fmt.Errorf("%s is not running", n.name)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(timeout):
		return fmt.Errorf("%s did not stop within %v of SIGTERM", n.name, timeout)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("%s exited with status %d after SIGTERM", n.name, code)
	}
	return nil
}

// pause is SIGSTOP, resume SIGCONT.
func (n *node) pause() {
	n.t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		n.t.Fatalf("SIGSTOP %s: %v", n.name, err)
	}
	n.paused.Store(true)
	n.ready.Store(false)
}

func (n *node) resume() {
	n.t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		n.t.Fatalf("SIGCONT %s: %v", n.name, err)
	}
	n.paused.Store(false)
}

// tail returns the last lines of the node's log.
func (n *node) tail(lines int) string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return err.Error()
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// grepLog returns the log lines containing any of subs (at most max of them).
func (n *node) grepLog(max int, subs ...string) []string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		for _, s := range subs {
			if strings.Contains(l, s) {
				out = append(out, l)
				break
			}
		}
		if len(out) >= max {
			break
		}
	}
	return out
}

func getStatus(cl *http.Client, url string) (int, error) {
	resp, err := cl.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
