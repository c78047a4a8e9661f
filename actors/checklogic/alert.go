package checklogic

import (
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Alert is one alert an event calls for; the actor writes one outbox row per enabled channel.
type Alert struct {
	// Kind is messages.AlertDown, AlertUp, AlertRealert, AlertFlapping (suppression started)
	// or AlertFlapEnd (suppression ended).
	Kind   messages.AlertKind
	FlipID string // down, realert: the up→down flip of the down period; up: the flip to up
	N      int32  // realert number, 1-based; 0 for the other kinds
	// CheckID is set on flapping and flap-end notices only: their keys name the check, where
	// the other kinds' flip ids do.
	CheckID int64
	// Since is FlapSince on flapping and flap-end notices: when the suppression started
	// (the time of the event that made the check flapping); it names the suppression in
	// their keys.
	Since time.Time
	// Changes, Window and Suppress are set on a flapping notice, for its message: the
	// status changes counted within Window, and how long alerts are held after the latest.
	Changes          int32
	Window, Suppress time.Duration
	// From and To are the webhook's previous_status and status: the status before and
	// after the change the alert reports. A down alert is from the status before its down
	// flip (written at the Nth failure after the flip: new if that was the check's first
	// flip, else up — also when a pause came before it, which the state does not tell); an
	// up alert down→up; a realert down→down; a flapping notice is its change's, a flap-end
	// S→S for the status S the check is in.
	From, To messages.CheckStatus
	// Reason: down, the failure that wrote it; realert, the latest failure; up, the flip's;
	// flapping and flap-end, ReasonFlapping and ReasonStable.
	Reason string
	// At is when the change it reports happened: a flap notice's is when suppression
	// started or ended, as is a down or up alert's written when a suppression ended.
	At time.Time
}

// Key is the alert's idempotency key for one channel (docs/architecture.md#alerting-rules).
func (a Alert) Key(channel messages.ChannelKind) string {
	switch a.Kind {
	case messages.AlertRealert:
		return fmt.Sprintf("%s:%s:%d:%s", a.Kind, a.FlipID, a.N, channel)
	case messages.AlertFlapping:
		return fmt.Sprintf("flap-start:%d:%d:%s", a.CheckID, a.Since.Unix(), channel)
	case messages.AlertFlapEnd:
		return fmt.Sprintf("flap-end:%d:%d:%s", a.CheckID, a.Since.Unix(), channel)
	}
	return string(a.Kind) + ":" + a.FlipID + ":" + string(channel)
}
