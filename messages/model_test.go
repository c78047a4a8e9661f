package messages_test

import (
	"testing"

	"github.com/ttr-rip/ttr/messages"
)

// TestCarriedValues pins the strings the named types stand for. Stores, protobuf and JSON
// carry them as they are; during a rolling upgrade nodes of two releases exchange them and
// read the rows the other wrote (the outbox's SQL names some of them too): renaming a value
// is a migration, not a refactor.
func TestCarriedValues(t *testing.T) {
	tests := []struct {
		got  string
		want string
	}{
		{string(messages.StatusNew), "new"},
		{string(messages.StatusUp), "up"},
		{string(messages.StatusDown), "down"},
		{string(messages.StatusPaused), "paused"},
		{string(messages.KindSuccess), "success"},
		{string(messages.KindStart), "start"},
		{string(messages.KindFail), "fail"},
		{string(messages.KindLog), "log"},
		{string(messages.KindIgnored), "ign"},
		{string(messages.ScheduleInterval), "interval"},
		{string(messages.ScheduleCron), "cron"},
		{string(messages.ScheduleOnCalendar), "oncalendar"},
		{string(messages.ChannelWebhook), "webhook"},
		{string(messages.ChannelTelegram), "telegram"},
		{string(messages.ChannelSlack), "slack"},
		{string(messages.ChannelDiscord), "discord"},
		{string(messages.ChannelEmail), "email"},
		{string(messages.AlertDown), "down"},
		{string(messages.AlertUp), "up"},
		{string(messages.AlertRealert), "realert"},
		{string(messages.AlertFlapping), "flapping"},
		{string(messages.AlertFlapEnd), "flap-end"},
		{string(messages.AlertTest), "test"},
		{string(messages.OutboxPending), "pending"},
		{string(messages.OutboxDelivered), "delivered"},
		{string(messages.OutboxFailed), "failed"},
		{string(messages.DeliveryNone), ""},
		{string(messages.DeliveryOK), "ok"},
		{string(messages.DeliveryError), "error"},
		{string(messages.SendDelivered), "delivered"},
		{string(messages.SendTransient), "transient"},
		{string(messages.SendPermanent), "permanent"},
		{string(messages.SendRateLimited), "rate_limited"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("value %q, want %q", tt.got, tt.want)
		}
	}
}

// TestCheckConfigCloneSharesNothing: changing a clone's tags and content rule leaves the
// original as it was.
func TestCheckConfigCloneSharesNothing(t *testing.T) {
	orig := messages.CheckConfig{Tags: []string{"prod"}, ContentRule: &messages.ContentRule{Type: "present", Pattern: "ok"}}
	c := orig.Clone()
	c.Tags[0] = "dev"
	c.ContentRule.Pattern = "changed"
	if orig.Tags[0] != "prod" || orig.ContentRule.Pattern != "ok" {
		t.Fatalf("the original changed with its clone: %+v %+v", orig.Tags, *orig.ContentRule)
	}
}
