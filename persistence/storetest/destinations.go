package storetest

import (
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// testDestinations: a user's destinations come back oldest first with what was stored, never
// another user's; a code is unique; a destination without its settings is refused; the
// user's channels come back across all of the user's checks and only theirs.
func testDestinations(t *testing.T, s persistence.Store) {
	ctx := ctxT(t)
	u := NewUser(t, s)
	other := NewUser(t, s)
	mk := func(userID int64, kind messages.ChannelKind, at time.Time) persistence.Destination {
		d := persistence.Destination{Code: "c-" + RandomHex(8), UserID: userID, Kind: kind,
			ConfigEnc: []byte("sealed " + kind), CreatedAt: at}
		if err := s.CreateDestination(ctx, &d); err != nil {
			t.Fatal(err)
		}
		if d.ID == 0 {
			t.Fatal("CreateDestination did not set the id")
		}
		return d
	}
	late := mk(u.ID, messages.ChannelEmail, t0.Add(time.Hour))
	early := mk(u.ID, messages.ChannelSlack, t0)
	mk(other.ID, messages.ChannelSlack, t0)

	got := must[[]persistence.Destination](t)(s.Destinations(ctx, u.ID))
	diff(t, "destinations", got, []persistence.Destination{early, late})
	if none := must[[]persistence.Destination](t)(s.Destinations(ctx, u.ID+other.ID+1000)); len(none) != 0 {
		t.Errorf("an unknown user's destinations: %v", none)
	}

	dup := early
	dup.ID = 0
	wantCode(t, s.CreateDestination(ctx, &dup), messages.EConflict)
	bad := persistence.Destination{Code: "c-" + RandomHex(8), UserID: u.ID, Kind: messages.ChannelSlack, CreatedAt: t0}
	wantCode(t, s.CreateDestination(ctx, &bad), messages.EInvalid)

	c1 := NewCheck(t, s, u.ID)
	c2 := NewCheck(t, s, u.ID)
	c3 := NewCheck(t, s, other.ID)
	var writes []persistence.Write
	for _, c := range []messages.Check{c1, c2, c3} {
		writes = append(writes, persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState,
			Channel: &messages.Channel{CheckID: c.ID, UserID: c.UserID, Name: messages.ChannelWebhook, Enabled: true, ConfigEnc: []byte("w")}})
	}
	wantKinds(t, commit(t, s, writes...), persistence.OutcomeCommitted, persistence.OutcomeCommitted, persistence.OutcomeCommitted)
	chans := must[[]messages.Channel](t)(s.UserChannels(ctx, u.ID))
	if len(chans) != 2 || chans[0].CheckID != c1.ID || chans[1].CheckID != c2.ID {
		t.Fatalf("UserChannels = %+v, want the webhooks of checks %d and %d", chans, c1.ID, c2.ID)
	}
	for _, ch := range chans {
		if ch.UserID != u.ID || ch.Name != messages.ChannelWebhook || !ch.Enabled || string(ch.ConfigEnc) != "w" {
			t.Errorf("channel %+v", ch)
		}
	}
}
