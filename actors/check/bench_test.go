package check_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/batcher"
	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/cluster"
	"github.com/ttr-rip/ttr/cluster/clustertest"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// memStore loads every check as a fresh interval check and commits everything at once: the
// benchmark measures the actor path (router, host, check actor, batcher), not a store.
type memStore struct{}

func (memStore) LoadCheck(_ context.Context, id int64, _ int) (messages.Check, []messages.Channel, []string, error) {
	return messages.Check{ID: id, UserID: 1, UUID: "u", Version: 1,
		CheckConfig: messages.CheckConfig{Slug: "s", ScheduleType: messages.ScheduleInterval, IntervalSeconds: 3600, GraceSeconds: 60, TZ: "UTC"},
		CheckState:  checklogic.Initial()}, nil, nil, nil
}

func (memStore) Commit(_ context.Context, w []persistence.Write) ([]persistence.Outcome, error) {
	out := make([]persistence.Outcome, len(w))
	for i := range out {
		out[i].Kind = persistence.OutcomeCommitted
	}
	return out, nil
}

// BenchmarkPingPath sends pings through the router to check actors on one node, 64 at a
// time over 1,000 checks, with a store that costs nothing.
func BenchmarkPingPath(b *testing.B) {
	cl := clustertest.Start(b, 1, clustertest.Options{})
	ring, err := keyring.Parse("k1:"+keyring.NewKey(), "0123456789abcdef0123456789abcdef")
	if err != nil {
		b.Fatal(err)
	}
	bt, err := batcher.New(batcher.Config{}, batcher.Deps{Store: memStore{}})
	if err != nil {
		b.Fatal(err)
	}
	if err := bt.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer bt.Stop()
	prod := check.NewProducer(check.Deps{Store: memStore{}, Batcher: bt, Wheel: noWheel{}, Ring: ring, Poker: noPoker{},
		Passivate: cluster.RequestPassivation})
	if _, err := cluster.SpawnHost(cl.Nodes[0], messages.KindCheck, cl.Memberships[0], prod, cluster.HostOptions{}); err != nil {
		b.Fatal(err)
	}
	client := check.NewClient(cluster.NewRouter(cl.Nodes[0], cl.Memberships[0], cluster.RouterOptions{}))
	const checks = 1000
	var next atomic.Int64
	b.SetParallelism(32) // 64 callers on two cores, like the HTTP benchmark
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for pb.Next() {
			id := next.Add(1)%checks + 1
			if _, err := client.Ping(ctx, id, ping("u")); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
