// Package alert renders alert messages (SPEC §4) as the canonical JSON payload stored in the
// outbox. Every channel derives what it sends from that payload: the webhook posts it as is,
// chat channels send its message text. Pure: no I/O.
package alert

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// Payload is the webhook JSON of SPEC §4.
type Payload struct {
	CheckID        int64  `json:"check_id"`
	CheckUUID      string `json:"check_uuid"`
	CheckName      string `json:"check_name"`
	Kind           string `json:"kind"`
	Status         string `json:"status"`
	PreviousStatus string `json:"previous_status"`
	Reason         string `json:"reason"`
	Message        string `json:"message"`
	Timestamp      string `json:"timestamp"`
}

// Input describes one alert.
type Input struct {
	CheckID      int64
	CheckUUID    string
	CheckName    string
	Kind         string // messages.AlertDown | AlertUp | AlertRealert | AlertTest
	From, To     string
	Reason       string
	LastDuration time.Duration // -1 = unknown
	At           time.Time
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

// Message is the human text of SPEC §4.
func Message(in Input) string {
	name := displayName(in)
	switch in.Kind {
	case messages.AlertUp:
		return fmt.Sprintf("🟢 Check Up: [%s] is back up. Last run took %s.", name, Duration(in.LastDuration))
	case messages.AlertTest:
		return fmt.Sprintf("🔔 This is a test notification for your check '[%s]'.", name)
	case messages.AlertRealert:
		return fmt.Sprintf("🔴 Check Still Down: [%s] reported a failure. Reason: %s.", name, reasonText(in.Reason))
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
