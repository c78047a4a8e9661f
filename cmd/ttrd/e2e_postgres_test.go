package main_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages/freeport"
	"github.com/ttr-rip/ttr/messages/waittest"
	"github.com/ttr-rip/ttr/persistence/keyring"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

// startPostgresDaemon starts ttrd on a fresh PostgreSQL database with generated secrets.
func startPostgresDaemon(t *testing.T) (*daemon, string) {
	t.Helper()
	dbURL := storetest.PostgresURL(t)
	addr := freeport.Addr(t)
	d := &daemon{t: t, addr: addr, URL: "http://" + addr,
		args: append([]string{"--http-addr", addr, "--database-url", dbURL, "--gossip-addr", "127.0.0.1:0", "--log-level", "debug", "--log-format", "text"},
			harnessLimits()...),
		env: append(os.Environ(),
			"TTR_ENCRYPTION_KEYS=k1:"+keyring.NewKey(),
			"TTR_SECRET_KEY="+keyring.NewKey())}
	d.start()
	t.Cleanup(d.kill)
	return d, dbURL
}

// blockDatabase makes the database refuse connections and ends the existing ones: to ttrd
// the store is gone, while the shared server keeps running. It returns the undo.
func blockDatabase(t *testing.T, dbURL string) func() {
	t.Helper()
	u, _ := url.Parse(dbURL)
	name := strings.TrimPrefix(u.Path, "/")
	admin := os.Getenv("TTR_TEST_DATABASE_URL")
	if admin == "" {
		admin = storetest.DefaultPostgresURL
	}
	exec := func(sql string, args ...any) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
	return func() { exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true") }
}

// TestPostgresStoreOutage: while the store is unreachable every ping is answered 503 with
// Retry-After (never a 200 without a commit), /readyz is 503, and a deadline that falls inside
// the outage is extended by its length, so the check does not go down because of it.
func TestPostgresStoreOutage(t *testing.T) {
	d, dbURL := startPostgresDaemon(t)
	u := d.newUser()
	c := d.createCheck(u.AuthKey, map[string]any{"slug": "job", "interval_seconds": 2, "grace_seconds": 2})
	if code, _, _ := d.ping("GET", "/p/"+u.UserSlug+"/job", ""); code != 200 {
		t.Fatalf("ping before the outage: %d", code)
	}
	before := d.getCheck(u.AuthKey, c.ID)
	deadline := *before.NextDeadline // 4 s after the ping: inside the outage below

	unblock := blockDatabase(t, dbURL)
	outageStart := time.Now()
	var sawUnavailable bool
	for time.Since(outageStart) < 6*time.Second {
		code, _, hdr := d.ping("GET", "/p/"+u.UserSlug+"/job", "")
		switch code {
		case 503:
			sawUnavailable = true
			if hdr.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		case 200:
			t.Fatalf("ping answered 200 %v into the outage: acknowledged without a commit", time.Since(outageStart))
		default:
			t.Fatalf("ping during the outage answered %d", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !sawUnavailable {
		t.Fatal("no ping was refused during the outage")
	}
	if resp, err := httpGet(d.URL + "/readyz"); err != nil || resp != 503 {
		t.Fatalf("/readyz during the outage: %d %v", resp, err)
	}
	if time.Now().Before(deadline) {
		t.Fatalf("test setup: the deadline %v should have passed inside the outage", deadline)
	}
	unblock()
	outage := time.Since(outageStart)
	waittest.Until(t, 10*time.Second, "ready after the outage", func() bool {
		code, err := httpGet(d.URL + "/readyz")
		return err == nil && code == 200
	})
	after := d.getCheck(u.AuthKey, c.ID)
	if after.Status != "up" {
		t.Fatalf("status %q right after the outage: the refused pings made it go down", after.Status)
	}
	if ext := after.NextDeadline.Sub(deadline); ext < outage-2*time.Second || ext > outage+3*time.Second {
		t.Fatalf("deadline moved by %v, want about the outage's length %v", ext, outage)
	}
	if code, _, _ := d.ping("GET", "/p/"+u.UserSlug+"/job", ""); code != 200 {
		t.Fatalf("ping after recovery: %d", code)
	}
	if got := d.getCheck(u.AuthKey, c.ID); got.NPings != before.NPings+1 {
		t.Fatalf("n_pings = %d, want %d: only acknowledged pings are stored", got.NPings, before.NPings+1)
	}
}

func httpGet(u string) (int, error) {
	resp, err := httpClient.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
