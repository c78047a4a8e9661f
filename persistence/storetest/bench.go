package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// BenchCommit measures the write batcher's hot path on s: batches of 100 writes, each a
// check-row update with its version condition and the append of a ping with a 100-byte
// body, spread over 1,000 checks. One op is one write, so ns/op is the cost of a write.
func BenchCommit(b *testing.B, s persistence.Store) {
	const (
		nChecks = 1000
		batch   = 100
	)
	ctx := context.Background()
	u := NewUser(b, s)
	checks := make([]messages.Check, nChecks)
	for i := range checks {
		checks[i] = NewCheck(b, s, u.ID)
	}
	body := make([]byte, 100)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	writes := make([]persistence.Write, 0, batch)
	pings := make([]messages.PingRecord, batch)
	now := time.Now()
	next := 0
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		writes = writes[:0]
		for k := 0; k < batch && done+k < b.N; k++ {
			c := &checks[next]
			next = (next + 1) % nChecks
			now = now.Add(time.Millisecond)
			st := c.CheckState
			st.Status = messages.StatusUp
			st.NPings++
			st.LastPing = now
			st.LastPingKind = messages.KindSuccess
			st.NextDue = now.Add(time.Hour)
			st.NextDeadline = now.Add(2 * time.Hour)
			st.NextWakeAt = st.NextDeadline
			pings[k] = messages.PingRecord{
				CheckID: c.ID, N: st.NPings, At: now, Kind: messages.KindSuccess, ExitStatus: -1,
				Method: "POST", RemoteIP: "192.0.2.1", UserAgent: "curl/8.5.0", Body: body,
				RequestID: "bench",
			}
			writes = append(writes, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: st, Ping: &pings[k]})
		}
		out, err := s.Commit(ctx, writes)
		if err != nil {
			b.Fatal(err)
		}
		for k, w := range writes {
			if out[k].Kind != persistence.OutcomeCommitted {
				b.Fatalf("write %d: %v %v", k, out[k].Kind, out[k].Err)
			}
			c := &checks[(next-len(writes)+k+nChecks)%nChecks]
			c.Version++
			c.CheckState = w.State
		}
		done += len(writes)
	}
}
