package check_test

import (
	"testing"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/messages"
)

// TestUnknownTypeIsRefusedAsSuch: a message of a type this release does not know (a newer
// edge's, during a rolling upgrade) is answered CODE_UNKNOWN_TYPE, which a newer edge turns
// into 503 + Retry-After, and changes nothing.
func TestUnknownTypeIsRefusedAsSuch(t *testing.T) {
	w, c, router, ctx := serveOneCheck(t)
	rep, err := router.Request(ctx, check.Identity(c.ID), "edit-v2", 1, &messages.CheckEdit{UserId: w.user.ID}, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetCode() != messages.Code_CODE_UNKNOWN_TYPE {
		t.Fatalf("reply %v, want CODE_UNKNOWN_TYPE", rep)
	}
	got, err := w.store.GetCheck(ctx, w.user.ID, c.ID)
	if err != nil || got.Version != c.Version || got.ConfigVersion != 1 {
		t.Fatalf("after the refusal: %+v, %v", got, err)
	}
}

// TestEditAndCommandsBumpConfigVersionNotPings: through the real actor and store, an edit,
// a pause and a resume each bump config_version by one; pings do not.
func TestEditAndCommandsBumpConfigVersionNotPings(t *testing.T) {
	w, c, router, ctx := serveOneCheck(t)
	client := check.NewClient(router)
	version := func() int64 {
		t.Helper()
		got, err := w.store.GetCheck(ctx, w.user.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.ConfigVersion
	}
	name := "renamed"
	steps := []struct {
		name string
		run  func() error
		want int64
	}{
		{"ping", func() error { _, err := client.Ping(ctx, c.ID, ping(c.UUID)); return err }, 1},
		{"edit", func() error { return client.Edit(ctx, c.ID, &messages.CheckEdit{UserId: w.user.ID, Name: &name}) }, 2},
		{"ping", func() error { _, err := client.Ping(ctx, c.ID, ping(c.UUID)); return err }, 2},
		{"pause", func() error { return client.Pause(ctx, w.user.ID, c.ID, nil) }, 3},
		{"pause again (no change)", func() error { return client.Pause(ctx, w.user.ID, c.ID, []int64{3}) }, 3},
		{"toggle (resume)", func() error { return client.TogglePause(ctx, w.user.ID, c.ID, []int64{3}) }, 4},
		{"stale edit", func() error {
			err := client.Edit(ctx, c.ID, &messages.CheckEdit{UserId: w.user.ID, IfConfigVersions: []int64{3}, Name: &name})
			if messages.CodeOf(err) != messages.EPrecondition {
				t.Errorf("stale edit: %v, want EPrecondition", err)
			}
			return nil
		}, 4},
		{"another user's edit", func() error {
			err := client.Edit(ctx, c.ID, &messages.CheckEdit{UserId: w.user.ID + 1, Name: &name})
			if messages.CodeOf(err) != messages.ENotFound {
				t.Errorf("another user's edit: %v, want ENotFound", err)
			}
			return nil
		}, 4},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := version(); got != s.want {
			t.Fatalf("after %s: config version %d, want %d", s.name, got, s.want)
		}
	}
}

// TestAnotherUsersChannelIsNotFound: a channel setting that names another user than the
// check's is answered not found and stores nothing; the check's own user's is stored.
func TestAnotherUsersChannelIsNotFound(t *testing.T) {
	w, c, router, ctx := serveOneCheck(t)
	client := check.NewClient(router)
	channels := func() int {
		t.Helper()
		got, err := w.store.Channels(ctx, w.user.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	err := client.SetChannel(ctx, w.user.ID+1, c.ID, messages.ChannelWebhook, true, []byte("enc"), false)
	if messages.CodeOf(err) != messages.ENotFound {
		t.Fatalf("another user's channel: %v, want ENotFound", err)
	}
	if n := channels(); n != 0 {
		t.Fatalf("another user's channel stored: %d channels", n)
	}
	if err := client.SetChannel(ctx, w.user.ID, c.ID, messages.ChannelWebhook, true, []byte("enc"), false); err != nil {
		t.Fatal(err)
	}
	if n := channels(); n != 1 {
		t.Fatalf("the owner's channel: %d channels, want 1", n)
	}
}
