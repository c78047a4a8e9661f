package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/messages/freeport"
)

// clusterSize is the number of nodes of the cluster configuration.
const clusterSize = 3

// clusterNode is the listen addresses of one node of the cluster configuration.
type clusterNode struct {
	name                           string // --node-name, and the server's name in the logs
	http, internal, remote, gossip string
}

// args are the node's flags: its own listeners, the shared database and every node to join
// (each node lists all three, as deploy/ and .ci/cluster do, so the start order does not
// matter).
func (n clusterNode) args(databaseURL string, join []string) []string {
	args := []string{"--node-name", n.name, "--http-addr", n.http, "--internal-addr", n.internal,
		"--remote-addr", n.remote, "--gossip-addr", n.gossip, "--join", strings.Join(join, ","),
		"--database-url", databaseURL, "--log-level", "info", "--log-format", "json"}
	return append(args, benchLimits...)
}

// startCluster3 starts three ttrd nodes on one fresh PostgreSQL database, joined into one
// cluster, and provisions the checks through the first; the load spreads its connections over
// the nodes (connection i goes to node i mod 3), so each node's edge answers a third of the
// pings and forwards those of checks owned by another node.
func (b *Bench) startCluster3(ctx context.Context) (*deployment, error) {
	name, url, err := b.pg.create(ctx)
	if err != nil {
		return nil, err
	}
	d := &deployment{db: name, cleanup: []func(){func() {
		if err := b.pg.drop(name); err != nil {
			b.logf("drop database %s: %v\n", name, err)
		}
	}}}
	settings, version, dataDir, err := postgresSettings(ctx, url)
	if err != nil {
		d.close()
		return nil, err
	}
	b.pgVer = version
	nodes := make([]clusterNode, clusterSize)
	var join []string
	for i := range nodes {
		n := &nodes[i]
		n.name = fmt.Sprintf("%s-%d", cfgCluster3, i+1)
		for _, p := range []*string{&n.http, &n.internal, &n.remote, &n.gossip} {
			if *p, err = freeport.Pick(); err != nil {
				d.close()
				return nil, err
			}
		}
		join = append(join, n.gossip)
	}
	// One secret environment for all: every node must open what another sealed.
	secrets := ttrdSecrets()
	// Started together: a node waits a few seconds for a peer before it arms its deadlines,
	// which it would do alone, and for nothing, if the others started only once it was ready.
	servers := make([]*Server, clusterSize)
	errs := make([]error, clusterSize)
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			servers[i], errs[i] = startServer(ctx, n.name, b.ttrdPath(), n.args(url, join), secrets,
				n.http, n.internal, b.logPath(n.name), time.Minute)
		})
	}
	wg.Wait()
	for i, s := range servers {
		if s != nil {
			d.servers = append(d.servers, s)
		} else if err == nil {
			err = errs[i]
		}
	}
	if err != nil {
		d.close()
		return nil, err
	}
	start := time.Now()
	for _, s := range d.servers {
		if err := waitClusterView(ctx, s.Internal, clusterSize, 60*time.Second); err != nil {
			d.close()
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	b.logf("%-15s %d nodes ready, each sees %d active members (%.1f s after the last was ready)\n",
		cfgCluster3, clusterSize, clusterSize, time.Since(start).Seconds())
	if err := b.provision(ctx, d); err != nil {
		d.close()
		return nil, err
	}
	fs := "unknown"
	if dataDir != "" {
		fs = fsType(dataDir)
	}
	d.durability = fmt.Sprintf("%s (SHOW in the benchmark's database, shared by the %d nodes; PostgreSQL %s, data on %s; ttrd reports its store: %q)",
		settings, clusterSize, version, fs, d.servers[0].logField("ttrd ready", "store"))
	return d, nil
}

// waitClusterView polls a node's /cluster (internal listener) until it sees want members,
// each active and placed, and holds a valid lease.
func waitClusterView(ctx context.Context, internal string, want int, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	why := "no answer"
	for {
		resp, err := client.Get("http://" + internal + "/cluster")
		if err == nil {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch {
			case rerr != nil:
				why = rerr.Error()
			case resp.StatusCode != http.StatusOK:
				why = "GET /cluster: " + resp.Status
			default:
				var ok bool
				if ok, why = clusterSettled(body, want); ok {
					return nil
				}
			}
		} else {
			why = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not formed after %s: %s", timeout, why)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// clusterView is the part of ttrd's /cluster answer the harness reads (cmd/ttrd's clusterView:
// cluster.MemberInfo has no JSON tags, so its fields keep their Go names).
type clusterView struct {
	State      string `json:"state"`
	Fenced     bool   `json:"fenced"`
	LeaseValid bool   `json:"lease_valid"`
	Members    []struct {
		Name    string
		State   string
		Placed  bool
		Problem string
	} `json:"members"`
}

// clusterSettled reports whether a /cluster answer shows want members, all active and placed,
// seen by an active node with a valid lease; otherwise it says what is missing.
func clusterSettled(body []byte, want int) (bool, string) {
	var v clusterView
	if err := json.Unmarshal(body, &v); err != nil {
		return false, fmt.Sprintf("GET /cluster: %v", err)
	}
	switch {
	case v.State != "active":
		return false, fmt.Sprintf("node state %q", v.State)
	case v.Fenced:
		return false, "node fenced"
	case !v.LeaseValid:
		return false, "node lease not valid"
	case len(v.Members) != want:
		return false, fmt.Sprintf("%d members, want %d", len(v.Members), want)
	}
	for _, m := range v.Members {
		if m.State != "active" || !m.Placed {
			return false, fmt.Sprintf("member %s is %q, placed %v %s", m.Name, m.State, m.Placed, m.Problem)
		}
	}
	return true, ""
}

// spreadNote says how the 200 responses of a multi-node configuration's closed-loop rounds
// fell on its nodes, so a load that misses a node cannot pass unseen ("" for one node).
func spreadNote(c ConfigResult) string {
	var per []int64
	for _, p := range c.Phases {
		if p.Kind != "closed" || len(p.OKPerNode) < 2 {
			continue
		}
		if per == nil {
			per = make([]int64, len(p.OKPerNode))
		}
		for i, n := range p.OKPerNode {
			if i < len(per) {
				per[i] += n
			}
		}
	}
	var total int64
	for _, n := range per {
		total += n
	}
	if total == 0 {
		return ""
	}
	parts := make([]string, len(per))
	idle := 0
	for i, n := range per {
		parts[i] = fmt.Sprintf("%.0f %%", float64(n)/float64(total)*100)
		if n == 0 {
			idle++
		}
	}
	note := fmt.Sprintf("%s: the closed-loop pings were answered %s by its %d nodes (connection i goes to node i mod %d)",
		c.Name, strings.Join(parts, " · "), len(per), len(per))
	if idle > 0 {
		return note + fmt.Sprintf("; **%d nodes answered none**: the load did not spread.", idle)
	}
	return note + "."
}
