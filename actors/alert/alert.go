// Package alert renders alert messages (docs/architecture.md#alerting-rules) as the canonical JSON payload stored in the
// outbox. Every channel derives what it sends from that payload: the webhook posts it as is,
// chat channels send its message text. Pure: no I/O.
package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Payload is the webhook JSON (docs/api.md#alert-payload).
type Payload struct {
	CheckID        int64                `json:"check_id"`
	CheckUUID      string               `json:"check_uuid"`
	CheckName      string               `json:"check_name"`
	Kind           messages.AlertKind   `json:"kind"`
	Status         messages.CheckStatus `json:"status"`
	PreviousStatus messages.CheckStatus `json:"previous_status"`
	Reason         string               `json:"reason"`
	Message        string               `json:"message"`
	Timestamp      string               `json:"timestamp"`
}

// Input describes one alert.
type Input struct {
	CheckID      int64
	CheckUUID    string
	CheckName    string
	Kind         messages.AlertKind
	From, To     messages.CheckStatus // To is the status a flap-end notice reports
	Reason       string
	LastDuration time.Duration // -1 = unknown
	At           time.Time
	// FlapChanges, FlapWindow and FlapSuppress are a flapping notice's: the status changes
	// counted within the window, and how long alerts are paused (checklogic.Alert's
	// Changes, Window and Suppress).
	FlapChanges  int32
	FlapWindow   time.Duration
	FlapSuppress time.Duration
}

// Build returns the payload JSON for in.
func Build(in Input) []byte {
	p := Payload{
		CheckID:        in.CheckID,
		CheckUUID:      in.CheckUUID,
		CheckName:      in.CheckName,
		Kind:           in.Kind,
		Status:         in.To,
		PreviousStatus: in.From,
		Reason:         in.Reason,
		Message:        Message(in),
		Timestamp:      in.At.UTC().Format(time.RFC3339Nano),
	}
	b, err := json.Marshal(p)
	if err != nil { // a struct of strings and ints always marshals
		panic(err)
	}
	return b
}

// Message is the human text of an alert (docs/architecture.md#alerting-rules).
func Message(in Input) string {
	name := displayName(in)
	switch in.Kind {
	case messages.AlertUp:
		return fmt.Sprintf("🟢 Check Up: [%s] is back up. Last run took %s.", name, Duration(in.LastDuration))
	case messages.AlertTest:
		return fmt.Sprintf("🔔 This is a test notification for your check '[%s]'.", name)
	case messages.AlertRealert:
		return fmt.Sprintf("🔴 Check Still Down: [%s] reported a failure. Reason: %s.", name, reasonText(in.Reason))
	case messages.AlertFlapping:
		return fmt.Sprintf("⚠️ Check Flapping: [%s] changed status %d times in %s; alerts are paused for %s.",
			name, in.FlapChanges, Span(in.FlapWindow), Span(in.FlapSuppress))
	case messages.AlertFlapEnd:
		return fmt.Sprintf("✅ Check Stable: [%s] stopped flapping; it is %s.", name, statusText(in.To))
	default:
		return fmt.Sprintf("🔴 Check Failed: [%s] reported a failure. Reason: %s.", name, reasonText(in.Reason))
	}
}

func displayName(in Input) string {
	if in.CheckName != "" {
		return in.CheckName
	}
	return in.CheckUUID
}

func statusText(s messages.CheckStatus) string {
	if s == "" {
		return "unknown"
	}
	return string(s)
}

func reasonText(r string) string {
	if r == "" {
		return "unknown"
	}
	return r
}

// Duration renders a run duration for messages: "unknown" when there is none.
func Duration(d time.Duration) string {
	if d < 0 {
		return "unknown"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Span renders a configured length of time for messages, to the second and without zero
// units: "2m", "1h30m", "45s".
func Span(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.d
		}
	}
	return b.String()
}
