package chaos_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/ttr-rip/ttr/messages/freeport"
)

// pgServer is a private PostgreSQL instance the test starts in a temporary directory on its
// own port, so it can be stopped and started without touching the shared test server.
type pgServer struct {
	t    *testing.T
	bin  string // directory of initdb, pg_ctl
	dir  string
	port int
	// URL is the database ttrd uses on it.
	URL string
}

// startPrivatePostgres initialises and starts the instance and creates the database "ttr".
// Without PostgreSQL's server binaries the test is skipped (failed under CI).
func startPrivatePostgres(t *testing.T) *pgServer {
	t.Helper()
	inits, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(inits) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no /usr/lib/postgresql/*/bin/initdb for a private PostgreSQL instance")
		}
		t.Skip("no /usr/lib/postgresql/*/bin/initdb for a private PostgreSQL instance")
	}
	sort.Slice(inits, func(i, j int) bool { return pgMajor(inits[i]) > pgMajor(inits[j]) })
	dir, err := os.MkdirTemp("", "ttr-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgServer{t: t, bin: filepath.Dir(inits[0]), dir: dir}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: the directory belongs to the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres OS user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	_, port, _ := net.SplitHostPort(freeport.Addr(t))
	p.port, _ = strconv.Atoi(port)
	t.Cleanup(func() {
		_, _ = p.run("pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "-t", "30", "stop")
		os.RemoveAll(dir)
	})
	if out, err := p.run("initdb", "-D", p.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.adminURL())
	if err != nil {
		t.Fatalf("connect to the private instance: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE ttr"); err != nil {
		t.Fatal(err)
	}
	p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/ttr?sslmode=disable", p.port)
	return p
}

func pgMajor(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func (p *pgServer) data() string { return filepath.Join(p.dir, "data") }

func (p *pgServer) adminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// run runs one of PostgreSQL's programs, as the postgres user when the test runs as root.
func (p *pgServer) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = p.dir
	return cmd.CombinedOutput()
}

// start starts the server and waits until it accepts connections.
func (p *pgServer) start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", p.port, p.dir)
	if out, err := p.run("pg_ctl", "-D", p.data(), "-l", filepath.Join(p.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop stops the server (mode fast: clients are disconnected, a clean shutdown; immediate:
// as a crash) and returns once it is down.
func (p *pgServer) stop(mode string) {
	p.t.Helper()
	if out, err := p.run("pg_ctl", "-D", p.data(), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		p.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}
