package main

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		status  int
		wantErr error // errClosedByServer, or nil
		bad     bool  // any other error
	}{
		{name: "content length", in: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK", status: 200},
		{name: "header case", in: "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 5\r\n\r\nbusy!", status: 503},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n3;x=y\r\nabc\r\n0\r\nTrailer: t\r\n\r\n", status: 200},
		{name: "connection close", in: "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 429, wantErr: errClosedByServer},
		{name: "no framing", in: "HTTP/1.0 200 OK\r\n\r\nbody to EOF", status: 200, wantErr: errClosedByServer},
		{name: "no body 204", in: "HTTP/1.1 204 No Content\r\n\r\n", status: 204},
		{name: "garbage", in: "SSH-2.0-OpenSSH\r\n", bad: true},
		{name: "bad status", in: "HTTP/1.1 2x0 OK\r\n\r\n", bad: true},
		{name: "truncated body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nOK", bad: true},
		{name: "bad length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, err := readResponse(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.bad {
				if err == nil || errors.Is(err, errClosedByServer) {
					t.Fatalf("got status %d, err %v; want a protocol error", status, err)
				}
				return
			}
			if status != tc.status || !errors.Is(err, tc.wantErr) && err != tc.wantErr {
				t.Fatalf("got %d, %v; want %d, %v", status, err, tc.status, tc.wantErr)
			}
		})
	}
}

func TestReadResponseKeepsPipelinedNext(t *testing.T) {
	br := bufio.NewReader(strings.NewReader(
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK" + "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"))
	for _, want := range []int{200, 404} {
		if got, err := readResponse(br); err != nil || got != want {
			t.Fatalf("got %d, %v; want %d", got, err, want)
		}
	}
	if _, err := readResponse(br); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last response: %v, want EOF", err)
	}
}

func TestFormatRequest(t *testing.T) {
	got := string(formatRequest("127.0.0.1:8080", "/ping/abc"))
	if want := "GET /ping/abc HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: ttr-bench\r\n\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	f := Fixture{UserSlug: "u1", Checks: []CheckRef{{Slug: "c1", UUID: "id1"}, {Slug: "c2", UUID: "id2"}}}
	if got := strings.Join(f.paths(), " "); got != "/p/u1/c1 /ping/id1 /p/u1/c2 /ping/id2" {
		t.Errorf("paths = %s: want native and healthchecks-style URLs alternating", got)
	}
	if reqs := f.requests("h"); len(reqs) != 4 || !strings.HasPrefix(string(reqs[1]), "GET /ping/id1 ") {
		t.Errorf("requests do not follow paths: %q", reqs)
	}
}

const wrkOutput = `Running 8s test @ http://127.0.0.1:40001
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  403.00us  21.94ms   91.64%
    Req/Sec    29.47k     1.56k   32.59k    72.50%
  Latency Distribution
     50%  1.03ms
     75%  1.19ms
     90%  1.40ms
     99%    2.46s
  469189 requests in 8.00s, 58.17MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 189
Requests/sec:  58648.61
Transfer/sec:      7.27MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 469189 || r.OK != 469000 || r.Seconds != 8 {
		t.Errorf("requests %d ok %d seconds %v", r.Requests, r.OK, r.Seconds)
	}
	if r.Errors["non-2xx"] != 189 || r.Errors["socket read"] != 3 || r.Errors["socket timeout"] != 1 || len(r.Errors) != 3 {
		t.Errorf("errors = %v", r.Errors)
	}
	if r.Latency["50"] != 1030 || r.Latency["99"] != 2.46e6 || r.Latency["75"] != 1190 {
		t.Errorf("latency = %v", r.Latency)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("output without a request count must be an error")
	}
}

func TestParseStatCPU(t *testing.T) {
	// The command name holds spaces and a ')'; utime=250 and stime=50 ticks.
	stat := []byte("4242 (my (weird) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 1000 1000000 300 18446744073709551615\n")
	got, err := parseStatCPU(stat)
	if err != nil || got != 3 {
		t.Fatalf("got %v, %v; want 3 s", got, err)
	}
	if _, err := parseStatCPU([]byte("4242 (short) S 1")); err == nil {
		t.Error("a truncated stat line must be an error")
	}
}

func TestPostgresProcessCounts(t *testing.T) {
	const db = "ttr_bench_abc"
	for _, tc := range []struct {
		cmdline string
		want    bool
	}{
		{"/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf", true},
		{"postgres: 15/main: walwriter ", true},
		{"postgres: 15/main: checkpointer ", true},
		{"postgres: postgres ttr_bench_abc 127.0.0.1(51234) idle", true},
		{"postgres: postgres ttr_bench_abc [local] COMMIT", true},
		{"postgres: postgres ttr_test_other 127.0.0.1(51235) idle", false},
		{"postgres: postgres ttr_bench_abcdef 127.0.0.1(51236) idle", false},
		{"postgres: 15/main: autovacuum worker ttr_bench_abc", true},
		{"postgres: 15/main: autovacuum worker someone_else", false},
	} {
		if got := postgresProcessCounts(tc.cmdline, db); got != tc.want {
			t.Errorf("%q: got %v, want %v", tc.cmdline, got, tc.want)
		}
	}
}

func TestParseMetricSums(t *testing.T) {
	body := []byte(`# HELP ttr_store_batch_size Writes per group commit.
# TYPE ttr_store_batch_size histogram
ttr_store_batch_size_bucket{le="1"} 3
ttr_store_batch_size_sum 420
ttr_store_batch_size_count 10
ttr_store_commit_seconds_sum{store="a"} 0.5
ttr_store_commit_seconds_sum{store="b"} 0.25
ttr_store_commit_seconds_count{store="a"} 10
ttr_store_commit_seconds_count{store="b"} 5
ttr_store_commits_total 15
`)
	got := parseMetricSums(body, "ttr_store_batch_size", "ttr_store_commit_seconds")
	want := map[string]float64{"ttr_store_batch_size_sum": 420, "ttr_store_batch_size_count": 10,
		"ttr_store_commit_seconds_sum": 0.75, "ttr_store_commit_seconds_count": 15}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestParseRunFlags(t *testing.T) {
	c, err := parseRunFlags([]string{"-quick", "-rounds", "4", "-configs", "ref, ttrd-sqlite"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Checks != 1000 || c.Duration != 3*time.Second || c.Warmup != time.Second || c.Docs != "" || c.Out != "bin/bench-quick" {
		t.Errorf("quick defaults not applied: %+v", c)
	}
	if c.Rounds != 4 {
		t.Errorf("an explicit -rounds wins over -quick: got %d", c.Rounds)
	}
	if strings.Join(c.Configs, ",") != "ref,ttrd-sqlite" {
		t.Errorf("configs = %q", c.Configs)
	}
	full, err := parseRunFlags(nil, io.Discard)
	if err != nil || full.Checks != 10000 || full.Docs != "docs/benchmarks.md" || full.Out != "docs/bench-latest" || full.Conns != 64 {
		t.Errorf("full defaults: %+v, %v", full, err)
	}
	if _, err := parseRunFlags([]string{"-configs", "ref,nginx", "-rounds", "0", "-scenarios", "idle,soak"}, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "nginx") || !strings.Contains(err.Error(), "-rounds") || !strings.Contains(err.Error(), "soak") {
		t.Errorf("every problem is reported at once: %v", err)
	}
	if !slices.Equal(full.Configs, allConfigs()) || !slices.Equal(full.Scenarios, allScenarios()) || full.IdleChecks != 1_000_000 ||
		full.DeadlineChecks != 100_000 || full.DeadlineSpread != time.Minute || full.AlertChecks != 10_000 {
		t.Errorf("full run: every configuration and scenario at full size: %+v", full)
	}
	if c.IdleChecks != 50_000 || c.DeadlineChecks != 10_000 || c.DeadlineSpread != 15*time.Second || c.AlertChecks != 1000 || c.Settle != time.Second {
		t.Errorf("quick scenario sizes not applied: %+v", c)
	}
	only, err := parseRunFlags([]string{"-quick", "-configs", "none", "-scenarios", "alerts", "-alert-checks", "50"}, io.Discard)
	if err != nil || len(only.Configs) != 0 || !slices.Equal(only.Scenarios, []string{scAlerts}) || only.AlertChecks != 50 {
		t.Errorf("one scenario alone: %+v, %v", only, err)
	}
	if _, err := parseRunFlags([]string{"-configs", "none", "-scenarios", "none"}, io.Discard); err == nil {
		t.Error("nothing to measure is an error")
	}
}
