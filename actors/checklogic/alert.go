package checklogic

import (
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Alert is one alert an event calls for; the actor writes one outbox row per enabled channel.
type Alert struct {
	Kind   string // messages.AlertDown, AlertUp or AlertRealert
	FlipID string // down, realert: the up→down flip of the down period; up: the down→up flip
	N      int32  // realert number, 1-based; 0 for the other kinds
	// From and To are the check's status before and after the event that wrote the alert
	// (the webhook's previous_status and status). A down alert written at the Nth failure,
	// after the flip, is down→down; a realert is always down→down.
	From, To string
	Reason   string    // down: the reason of the failure that wrote it; realert: the latest failure; up: the flip's
	At       time.Time // when the change it reports happened
}

// Key is the alert's idempotency key for one channel (SPEC §4 "Alert kinds and keys").
func (a Alert) Key(channel string) string {
	if a.Kind == messages.AlertRealert {
		return fmt.Sprintf("%s:%s:%d:%s", a.Kind, a.FlipID, a.N, channel)
	}
	return a.Kind + ":" + a.FlipID + ":" + channel
}
