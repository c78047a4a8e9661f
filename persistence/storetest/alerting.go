package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// ResealBatch is the Reseal batch size the stores Run opens must use, so that the suite
// crosses batch boundaries with a few rows and knows where a batch ends.
const ResealBatch = 5

// --- rate state ----------------------------------------------------------------------------

func testRateState(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	if _, ok, err := s.LoadRateState(ctx, "d1"); err != nil || ok {
		t.Fatalf("rate state of an unknown destination: found %v, %v", ok, err)
	}
	full := messages.RateState{
		RPS: 2.5, Burst: 5, Tokens: 1.0 / 3, BackoffLevel: 3,
		BackoffUntil: Ms(t0.Add(8 * time.Second)), UpdatedAt: Ms(t0),
	}
	AssertNoZeroFields(t, full)
	if err := s.SaveRateState(ctx, "d1", full); err != nil {
		t.Fatal(err)
	}
	load := func(dest string) messages.RateState {
		t.Helper()
		st, ok, err := s.LoadRateState(ctx, dest)
		if err != nil || !ok {
			t.Fatalf("load rate state of %s: found %v, %v", dest, ok, err)
		}
		return st
	}
	diff(t, "rate state", load("d1"), full)

	// A second save replaces the first; zero times and numbers read back as zero; another
	// destination is apart.
	later := messages.RateState{RPS: 20, Burst: 20, Tokens: 0, UpdatedAt: Ms(t0.Add(time.Minute))}
	if err := s.SaveRateState(ctx, "d1", later); err != nil {
		t.Fatal(err)
	}
	diff(t, "rate state after a second save", load("d1"), later)
	if err := s.SaveRateState(ctx, "d2", messages.RateState{}); err != nil {
		t.Fatal(err)
	}
	diff(t, "zero rate state", load("d2"), messages.RateState{})
	diff(t, "first destination after the second's save", load("d1"), later)

	for _, tc := range []struct {
		name string
		dest string
		st   messages.RateState
	}{
		{"empty destination", "", full},
		{"NaN rate", "d3", messages.RateState{RPS: math.NaN()}},
		{"infinite tokens", "d3", messages.RateState{Tokens: math.Inf(1)}},
	} {
		wantCode(t, s.SaveRateState(ctx, tc.dest, tc.st), messages.EInvalid)
	}
	if _, ok, err := s.LoadRateState(ctx, "d3"); err != nil || ok {
		t.Errorf("a refused save left a rate state: %v, %v", ok, err)
	}
}

// --- secrets at rest -----------------------------------------------------------------------

// sealedData is a store with sealed values in each table Reseal covers, and the values a
// Reseal call must see, in the order it must see them.
type sealedData struct {
	users []messages.User
	want  []persistence.Sealed // users by id, channels by (check, name), outbox by id
	// checks and their owners, to read channels and deliveries back
	checks []messages.Check
}

// fillSealed writes more than two batches of sealed values to each table, and values
// Reseal must skip (NULL).
func fillSealed(t *testing.T, s persistence.Store) sealedData {
	ctx := ctxT(t)
	var d sealedData
	const n = 2*ResealBatch + 2
	for range n {
		u := NewUser(t, s)
		d.users = append(d.users, u)
		d.want = append(d.want, persistence.Sealed{Table: "users", Key: strconv.FormatInt(u.ID, 10), Value: u.PingKeyEnc, Index: u.PingKeyIndex})
	}
	bare := messages.User{Slug: "bare-" + RandomHex(4)} // no ping key: nothing to reseal
	if err := s.CreateUser(ctx, &bare); err != nil {
		t.Fatal(err)
	}

	// Channels: two per check, of two users, and one without settings.
	var writes []persistence.Write
	var chans []persistence.Sealed
	for i := range n / 2 {
		u := d.users[i%2]
		c := NewCheck(t, s, u.ID)
		d.checks = append(d.checks, c)
		for k, name := range []messages.ChannelKind{messages.ChannelWebhook, messages.ChannelSlack} {
			enc := []byte(fmt.Sprintf("sealed channel %d %s", c.ID, name))
			writes = append(writes, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version + int64(k), State: c.CheckState,
				Channel: &messages.Channel{CheckID: c.ID, UserID: u.ID, Name: name, Enabled: true, ConfigEnc: enc}})
			chans = append(chans, persistence.Sealed{Table: "channels", UserID: u.ID, Key: fmt.Sprintf("%d:%s", c.ID, name), Value: enc})
		}
	}
	c0 := d.checks[0]
	writes = append(writes, persistence.Write{CheckID: c0.ID, ExpectVersion: c0.Version + 2, State: c0.CheckState,
		Channel: &messages.Channel{CheckID: c0.ID, UserID: c0.UserID, Name: messages.ChannelEmail, Enabled: false}})
	for i, o := range commit(t, s, writes...) {
		if o.Kind != persistence.OutcomeCommitted {
			t.Fatalf("channel write %d: %v (%v)", i, o.Kind, o.Err)
		}
	}
	for i := range d.checks {
		d.checks[i].Version += 2
	}
	d.checks[0].Version++
	slices.SortFunc(chans, func(a, b persistence.Sealed) int {
		ka, kb := channelKey(a.Key), channelKey(b.Key)
		return cmp.Or(cmp.Compare(ka.id, kb.id), cmp.Compare(ka.name, kb.name))
	})
	d.want = append(d.want, chans...)

	// Outbox rows of every status (a delivered row still holds its destination), one
	// without an idempotency key, one without a destination.
	var rows []messages.OutboxRow
	for i := range n {
		c := d.checks[i%len(d.checks)]
		u := d.users[i%2]
		r := outboxRow(u, c.ID, "dest-"+strconv.Itoa(i%3), fmt.Sprintf("reseal-%d", i))
		r.DestEnc = []byte(fmt.Sprintf("sealed dest %d", i))
		switch i % 3 {
		case 1:
			r.Status = messages.OutboxDelivered
		case 2:
			r.Status = messages.OutboxFailed
		}
		if i == n-1 {
			r.IdempotencyKey = ""
		}
		rows = append(rows, r)
	}
	noDest := outboxRow(d.users[0], d.checks[0].ID, "dest-0", "reseal-nodest")
	noDest.DestEnc = nil
	rows = append(rows, noDest)
	if err := s.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[:n] {
		d.want = append(d.want, persistence.Sealed{Table: "outbox", UserID: r.UserID, Key: r.IdempotencyKey, Value: r.DestEnc})
	}

	// Destinations of two users, in id order.
	for i := range ResealBatch + 1 {
		u := d.users[i%2]
		dest := persistence.Destination{Code: "code-" + RandomHex(8), UserID: u.ID, Kind: messages.ChannelWebhook,
			ConfigEnc: []byte(fmt.Sprintf("sealed destination %d", i)), CreatedAt: t0}
		if err := s.CreateDestination(ctx, &dest); err != nil {
			t.Fatal(err)
		}
		d.want = append(d.want, persistence.Sealed{Table: "destinations", UserID: u.ID, Key: dest.Code, Value: dest.ConfigEnc})
	}
	return d
}

type chKey struct {
	id   int64
	name string
}

// channelKey splits a channel's Sealed.Key ("<check id>:<channel>").
func channelKey(key string) chKey {
	id, name, _ := strings.Cut(key, ":")
	n, _ := strconv.ParseInt(id, 10, 64)
	return chKey{n, name}
}

// read returns every sealed value of d as the store has it now, in the order of d.want.
func (d sealedData) read(t *testing.T, s persistence.Store) []persistence.Sealed {
	t.Helper()
	ctx := ctxT(t)
	var out []persistence.Sealed
	for _, u := range d.users {
		got := must[messages.User](t)(s.UserBySlug(ctx, u.Slug))
		out = append(out, persistence.Sealed{Table: "users", Key: strconv.FormatInt(u.ID, 10), Value: got.PingKeyEnc, Index: got.PingKeyIndex})
	}
	var chans []persistence.Sealed
	for _, c := range d.checks {
		for _, ch := range must[[]messages.Channel](t)(s.Channels(ctx, c.UserID, c.ID)) {
			if ch.ConfigEnc != nil {
				chans = append(chans, persistence.Sealed{Table: "channels", UserID: ch.UserID, Key: fmt.Sprintf("%d:%s", ch.CheckID, ch.Name), Value: ch.ConfigEnc})
			}
		}
	}
	slices.SortFunc(chans, func(a, b persistence.Sealed) int {
		ka, kb := channelKey(a.Key), channelKey(b.Key)
		return cmp.Or(cmp.Compare(ka.id, kb.id), cmp.Compare(ka.name, kb.name))
	})
	out = append(out, chans...)
	var dels []messages.OutboxRow
	for _, c := range d.checks {
		dels = append(dels, must[[]messages.OutboxRow](t)(s.ListDeliveries(ctx, c.UserID, c.ID, 100))...)
	}
	slices.SortFunc(dels, func(a, b messages.OutboxRow) int { return cmp.Compare(a.ID, b.ID) })
	for _, r := range dels {
		if r.DestEnc != nil {
			out = append(out, persistence.Sealed{Table: "outbox", UserID: r.UserID, Key: r.IdempotencyKey, Value: r.DestEnc})
		}
	}
	var dests []persistence.Destination
	for _, u := range d.users[:2] {
		dests = append(dests, must[[]persistence.Destination](t)(s.Destinations(ctx, u.ID))...)
	}
	slices.SortFunc(dests, func(a, b persistence.Destination) int { return cmp.Compare(a.ID, b.ID) })
	for _, x := range dests {
		out = append(out, persistence.Sealed{Table: "destinations", UserID: x.UserID, Key: x.Code, Value: x.ConfigEnc})
	}
	return out
}

// resealed is what the fake sealer makes of v: the value with a mark appended and, for a
// ping key, a new lookup index.
func resealed(v persistence.Sealed) persistence.Sealed {
	v.Value = append(slices.Clip(v.Value), '+')
	if v.Table == "users" {
		v.Index = append([]byte("new:"), v.Index...)
	}
	return v
}

// testReseal: every sealed value is passed to f once, with what binds it (table, key, user),
// in keyset order, and what f returns is written back, ping key indexes included.
func testReseal(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	d := fillSealed(t, s)
	diff(t, "sealed values before Reseal", d.read(t, s), d.want)

	var seen []persistence.Sealed
	n, err := s.Reseal(ctx, func(v persistence.Sealed) (persistence.Sealed, error) {
		seen = append(seen, v)
		return resealed(v), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "values passed to f", seen, d.want)
	if n != len(d.want) {
		t.Errorf("Reseal rewrote %d values, want %d", n, len(d.want))
	}
	var want []persistence.Sealed
	for _, v := range d.want {
		want = append(want, resealed(v))
	}
	diff(t, "sealed values after Reseal", d.read(t, s), want)

	// The new index finds the user; the old one no longer does.
	u := d.users[0]
	got := must[messages.User](t)(s.UserByPingKeyIndex(ctx, resealed(d.want[0]).Index))
	if got.ID != u.ID {
		t.Errorf("user by new index: %d, want %d", got.ID, u.ID)
	}
	_, err = s.UserByPingKeyIndex(ctx, u.PingKeyIndex)
	wantCode(t, err, messages.ENotFound)

	// Values f returns as they are are neither written nor counted.
	n, err = s.Reseal(ctx, func(v persistence.Sealed) (persistence.Sealed, error) { return v, nil })
	if err != nil || n != 0 {
		t.Errorf("Reseal that changes nothing: %d values, %v", n, err)
	}
	diff(t, "sealed values after a Reseal that changes nothing", d.read(t, s), want)

	// f may not move a value to another row, nor empty it.
	for _, bad := range []func(persistence.Sealed) persistence.Sealed{
		func(v persistence.Sealed) persistence.Sealed { v.Key += "x"; return v },
		func(v persistence.Sealed) persistence.Sealed { v.Table = "channels"; return v },
		func(v persistence.Sealed) persistence.Sealed { v.UserID++; return v },
		func(v persistence.Sealed) persistence.Sealed { v.Value = nil; return v },
	} {
		n, err := s.Reseal(ctx, func(v persistence.Sealed) (persistence.Sealed, error) { return bad(resealed(v)), nil })
		if err == nil || n != 0 {
			t.Errorf("Reseal with a bad f: %d values, %v", n, err)
		}
	}
	diff(t, "sealed values after refused Reseals", d.read(t, s), want)
}

// testResealAbort: f's error stops Reseal; the batch at hand is rolled back whole, the
// batches before it stay rewritten, and a second run finishes the job.
func testResealAbort(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	d := fillSealed(t, s)
	stop := errors.New("stop")
	failAt := func(call int) func(persistence.Sealed) (persistence.Sealed, error) {
		calls := 0
		return func(v persistence.Sealed) (persistence.Sealed, error) {
			calls++
			if calls == call {
				return persistence.Sealed{}, stop
			}
			return resealed(v), nil
		}
	}

	// The second value fails: the first, in the same batch, is not written either.
	n, err := s.Reseal(ctx, failAt(2))
	if !errors.Is(err, stop) || n != 0 {
		t.Fatalf("Reseal failing at the second value: %d values, %v; want 0 and f's error", n, err)
	}
	diff(t, "sealed values after an abort in the first batch", d.read(t, s), d.want)

	// Failing within the second batch keeps the first batch only.
	n, err = s.Reseal(ctx, failAt(ResealBatch+3))
	if !errors.Is(err, stop) || n != ResealBatch {
		t.Fatalf("Reseal failing in the second batch: %d values, %v; want %d and f's error", n, err, ResealBatch)
	}
	want := slices.Clone(d.want)
	for i := range ResealBatch {
		want[i] = resealed(want[i])
	}
	diff(t, "sealed values after an abort in the second batch", d.read(t, s), want)

	// Run again, with f leaving what is already resealed as it is (as a rotation leaves what
	// is sealed under the first key): the rest is rewritten, each value once in all.
	n, err = s.Reseal(ctx, func(v persistence.Sealed) (persistence.Sealed, error) {
		if v.Value[len(v.Value)-1] == '+' {
			return v, nil
		}
		return resealed(v), nil
	})
	if err != nil || n != len(d.want)-ResealBatch {
		t.Fatalf("second run: %d values, %v; want %d", n, err, len(d.want)-ResealBatch)
	}
	for i := range want {
		want[i] = resealed(d.want[i])
	}
	diff(t, "sealed values after the second run", d.read(t, s), want)
}

// testRenameDestinations: after a secret rotation, a destination's pending outbox rows and
// its rate state move to its new hash; rate state the new hash already has is kept.
func testRenameDestinations(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	c := NewCheck(t, s, u.ID)
	if err := s.InsertOutbox(ctx, []messages.OutboxRow{
		outboxRow(u, c.ID, "old1", "k1"), outboxRow(u, c.ID, "old1", "k2"), outboxRow(u, c.ID, "other", "k3"),
	}); err != nil {
		t.Fatal(err)
	}
	for dest, rps := range map[string]float64{"old1": 1, "old2": 2, "new2": 3} {
		if err := s.SaveRateState(ctx, dest, messages.RateState{RPS: rps}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.RenameDestinations(ctx, map[string]string{"old1": "new1", "old2": "new2", "same": "same"})
	if err != nil || n != 2 {
		t.Fatalf("RenameDestinations = %d, %v; want 2 rows moved", n, err)
	}
	for dest, want := range map[string]int{"new1": 2, "old1": 0, "other": 1} {
		rows, err := s.PendingOutbox(ctx, dest, 10)
		if err != nil || len(rows) != want {
			t.Errorf("pending rows of %s: %d, %v; want %d", dest, len(rows), err, want)
		}
	}
	for dest, want := range map[string]float64{"new1": 1, "new2": 3} {
		st, ok, err := s.LoadRateState(ctx, dest)
		if err != nil || !ok || st.RPS != want {
			t.Errorf("rate state of %s: %+v %v %v; want rps %v", dest, st, ok, err, want)
		}
	}
	for _, dest := range []string{"old1", "old2"} {
		if _, ok, err := s.LoadRateState(ctx, dest); err != nil || ok {
			t.Errorf("rate state of %s left behind: %v %v", dest, ok, err)
		}
	}
}
