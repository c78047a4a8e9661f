package notify_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/actors/ratelimit"
	"github.com/ttr-rip/ttr/messages"
)

// localHosts is a HostLimiter of one node's buckets (the cluster-wide one is a limiter actor
// per key, tested in actors/limiter).
type localHosts struct {
	mu    sync.Mutex
	sets  map[ratelimit.Limit]*ratelimit.Set
	takes int
}

func (l *localHosts) Take(_ context.Context, name, key string, lim ratelimit.Limit, cost int) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if name != notify.HostCapName {
		return false, 0, fmt.Errorf("unexpected allowance %q", name)
	}
	if l.sets == nil {
		l.sets = map[ratelimit.Limit]*ratelimit.Set{}
	}
	s := l.sets[lim]
	if s == nil {
		s = ratelimit.NewSet(lim, 0)
		l.sets[lim] = s
	}
	l.takes++
	ok, wait := s.Take(key, time.Now(), cost)
	return ok, wait, nil
}

// TestHostCapBoundsAlertsToOneHost sends alerts of many checks to many URLs on one host (the
// query string varied: what made ttr a reflector). Every alert arrives, and the receiver
// never counts more than the cap times the seconds since the first send plus the burst.
func TestHostCapBoundsAlertsToOneHost(t *testing.T) {
	t.Parallel() // seconds of wall clock, mostly waiting
	const (
		perSecond = 20
		burst     = 20
		dests     = 40
		perDest   = 3
	)
	h := newHarness(t, func(d *notify.Deps) {
		d.HostCap = &notify.HostCap{Limiter: &localHosts{}, Limit: ratelimit.PerSecond(perSecond, burst)}
	})
	recv := newSink(t, nil)
	var ids []int64
	for d := range dests {
		for i := range perDest {
			ids = append(ids, h.add(fmt.Sprint("dest", d), fmt.Sprintf("%s/hook?v=%d", recv.srv.URL, d), fmt.Sprintf("down:%d-%d:webhook", d, i)))
		}
	}
	start := time.Now()
	for d := range dests {
		h.spawn(fmt.Sprint("dest", d))
	}
	for _, id := range ids {
		h.waitStatus(id, messages.OutboxDelivered, 30*time.Second)
	}
	recv.mu.Lock()
	hits := append([]hit(nil), recv.hits...)
	recv.mu.Unlock()
	if len(hits) != dests*perDest {
		t.Fatalf("receiver counted %d requests, want %d (each alert once)", len(hits), dests*perDest)
	}
	for i, hit := range hits {
		allowed := perSecond*hit.at.Sub(start).Seconds() + burst
		if float64(i+1) > allowed+1 { // +1: the clocks of sender and receiver are read apart
			t.Fatalf("request %d arrived %v after the start: more than %.0f allowed by then", i+1, hit.at.Sub(start), allowed)
		}
	}
	took := hits[len(hits)-1].at.Sub(start)
	t.Logf("%d alerts to one host in %v (cap %d/s, burst %d)", len(hits), took.Round(time.Millisecond), perSecond, burst)
}

func TestDestinationHost(t *testing.T) {
	tests := []struct {
		channel messages.ChannelKind
		dest    messages.ChannelConfig
		want    string
	}{
		{messages.ChannelWebhook, messages.ChannelConfig{URL: "https://Hooks.Example.COM:8443/a?v=1"}, "hooks.example.com"},
		{messages.ChannelWebhook, messages.ChannelConfig{URL: "https://example.com./x"}, "example.com"},
		{messages.ChannelSlack, messages.ChannelConfig{URL: "https://hooks.slack.com/services/x"}, "hooks.slack.com"},
		{messages.ChannelDiscord, messages.ChannelConfig{URL: "https://[2001:db8::1]/x"}, "2001:db8::1"},
		{messages.ChannelEmail, messages.ChannelConfig{EmailTo: "Ops <ops@Example.ORG>"}, "example.org"},
		{messages.ChannelEmail, messages.ChannelConfig{EmailTo: "nobody"}, ""},
		{messages.ChannelTelegram, messages.ChannelConfig{BotToken: "t", ChatID: "1"}, ""},
		{messages.ChannelWebhook, messages.ChannelConfig{URL: "::"}, ""},
	}
	for _, tt := range tests {
		if got := notify.DestinationHost(tt.channel, tt.dest); got != tt.want {
			t.Errorf("DestinationHost(%s, %+v) = %q, want %q", tt.channel, tt.dest, got, tt.want)
		}
	}
}

// TestHostCapExemptsChatHosts: an exempt host is never asked about.
func TestHostCapExemptsChatHosts(t *testing.T) {
	lim := &localHosts{}
	h := newHarness(t, func(d *notify.Deps) {
		d.HostCap = &notify.HostCap{Limiter: lim, Limit: ratelimit.PerSecond(1, 1), Exempt: []string{"127.0.0.1"}}
	})
	recv := newSink(t, nil)
	var ids []int64
	for i := range 5 {
		ids = append(ids, h.add("dest", recv.srv.URL, fmt.Sprintf("down:%d:webhook", i)))
	}
	h.spawn("dest")
	for _, id := range ids {
		h.waitStatus(id, messages.OutboxDelivered, 10*time.Second)
	}
	lim.mu.Lock()
	defer lim.mu.Unlock()
	if lim.takes != 0 {
		t.Errorf("the limiter was asked %d times about an exempt host", lim.takes)
	}
}
