package check_test

import (
	"testing"

	"github.com/ttr-rip/ttr/actors/check"
	"github.com/ttr-rip/ttr/messages"
)

// previousEdgeConfig is a configuration as the previous release's edge sends it in an
// Update: its whole CheckConfig as JSON, with the fields that release knows and no others.
const previousEdgeConfig = `{"slug":"c1","name":"renamed by an older edge","desc":"d","tags":["prod"],` +
	`"schedule_type":"interval","schedule":"","tz":"UTC","interval_seconds":120,"grace_seconds":30,` +
	`"max_runtime_seconds":0,"manual_resume":false,"notify_after_failures":1,"notify_on_up":true,` +
	`"realert_interval_seconds":0,"content_rule":null}`

// TestUpdateFromThePreviousReleaseEdge: during a rolling upgrade an edge of the previous
// release edits a check by sending its whole configuration as JSON. The actor applies the
// fields it carries and keeps those that release does not know (the badge, the ping
// filter); a wrong owner, a malformed body and an empty configuration are refused.
func TestUpdateFromThePreviousReleaseEdge(t *testing.T) {
	w, c, router, ctx := serveOneCheck(t)
	client := check.NewClient(router)

	// Fields of this release only, set through this release's edge.
	on, post := true, messages.MethodsPOST
	if err := client.Edit(ctx, c.ID, &messages.CheckEdit{UserId: w.user.ID, BadgeEnabled: &on, NewBadgeId: "b4dg3-0123456789abcdefghij", Methods: &post}); err != nil {
		t.Fatal(err)
	}
	before, err := w.store.GetCheck(ctx, w.user.ID, c.ID)
	if err != nil || before.BadgeID == "" || before.Methods != messages.MethodsPOST {
		t.Fatalf("after the edit: badge %q, methods %q, %v", before.BadgeID, before.Methods, err)
	}

	update := func(userID int64, configJSON string) *messages.Reply {
		t.Helper()
		rep, err := router.Request(ctx, check.Identity(c.ID), messages.TypeUpdate, 1,
			&messages.Update{UserId: userID, ConfigJson: []byte(configJSON)}, "")
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for _, bad := range []struct {
		name, json string
		user       int64
		want       messages.Code
	}{
		{"another user's", previousEdgeConfig, w.user.ID + 1, messages.Code_CODE_NOT_FOUND},
		{"empty", "", w.user.ID, messages.Code_CODE_INVALID},
		{"not JSON", "{", w.user.ID, messages.Code_CODE_INVALID},
		{"an invalid schedule", `{"schedule_type":"cron","schedule":"61 * * * *"}`, w.user.ID, messages.Code_CODE_INVALID},
	} {
		if rep := update(bad.user, bad.json); rep.GetCode() != bad.want {
			t.Errorf("%s update: %v, want %v", bad.name, rep, bad.want)
		}
	}
	if got, err := w.store.GetCheck(ctx, w.user.ID, c.ID); err != nil || got.ConfigVersion != before.ConfigVersion {
		t.Fatalf("refused updates changed the check: config version %d → %d, %v", before.ConfigVersion, got.ConfigVersion, err)
	}

	if rep := update(w.user.ID, previousEdgeConfig); rep.GetCode() != messages.Code_CODE_OK {
		t.Fatalf("update: %v", rep)
	}
	got, err := w.store.GetCheck(ctx, w.user.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "renamed by an older edge" || got.IntervalSeconds != 120 || got.GraceSeconds != 30 ||
		len(got.Tags) != 1 || got.Tags[0] != "prod" {
		t.Errorf("the older edge's fields were not applied: %+v", got.CheckConfig)
	}
	if got.BadgeID != before.BadgeID || got.Methods != messages.MethodsPOST {
		t.Errorf("fields the older edge does not know were reset: badge %q (was %q), methods %q", got.BadgeID, before.BadgeID, got.Methods)
	}
	if got.ConfigVersion != before.ConfigVersion+1 {
		t.Errorf("config version %d, want %d", got.ConfigVersion, before.ConfigVersion+1)
	}
}
