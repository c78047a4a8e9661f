package cluster_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/cluster/mtls"
	"github.com/ttr-rip/ttr/messages"
)

// benchRouter measures Request round trips from node 0 to an identity on node `to`, and
// reports their p50 and p99.
func benchRouter(b *testing.B, nodes, to int, tls bool) {
	o := fixtureOptions{nodes: nodes}
	if tls {
		o.tls = func(int) *mtls.Transport { return clustertest.TLS(b, seedA) }
	}
	f := newFixture(b, o)
	r := f.routers[0]
	id := f.ownedBy(b, to)
	body := wrapperspb.Int64(0)
	ctx := context.Background()
	request(b, r, id, "echo", 0, "") // activated and connected
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rep, err := r.Request(ctx, id, "echo", 1, body, "")
		if err != nil || rep.GetCode() != messages.Code_CODE_OK {
			b.Fatalf("%v %v", rep, err)
		}
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	}
}

func BenchmarkRouterLocal(b *testing.B)  { benchRouter(b, 1, 0, false) }
func BenchmarkRouterRemote(b *testing.B) { benchRouter(b, 2, 1, false) }

// BenchmarkRouterRemoteTLS is BenchmarkRouterRemote over mutual TLS: the difference is the
// cost of TLS per remote hop.
func BenchmarkRouterRemoteTLS(b *testing.B) { benchRouter(b, 2, 1, true) }

// benchRouterParallel measures throughput with many callers, each on its own identity.
func benchRouterParallel(b *testing.B, nodes, to int) {
	f := newFixture(b, fixtureOptions{nodes: nodes})
	r := f.routers[0]
	ids := make(chan string, 1024)
	for range cap(ids) {
		ids <- f.ownedBy(b, to)
	}
	body := wrapperspb.Int64(0)
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := <-ids
		for pb.Next() {
			rep, err := r.Request(context.Background(), id, "echo", 1, body, "")
			if err != nil || rep.GetCode() != messages.Code_CODE_OK {
				b.Errorf("%v %v", rep, err)
				return
			}
		}
	})
}

func BenchmarkRouterLocalParallel(b *testing.B)  { benchRouterParallel(b, 1, 0) }
func BenchmarkRouterRemoteParallel(b *testing.B) { benchRouterParallel(b, 2, 1) }
