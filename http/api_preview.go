package http

import (
	"net/http"
	"time"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/messages"
)

// previewCount is how many due times a preview shows.
const previewCount = 5

// previewLocalLayout is RFC 3339 with the zone's offset, to the second.
const previewLocalLayout = "2006-01-02T15:04:05-07:00"

// PreviewJSON answers a preview: the due times in UTC, and the same times in tz.
type PreviewJSON struct {
	Next      []string `json:"next"`
	TZ        string   `json:"tz"`
	NextLocal []string `json:"next_local"`
}

// PreviewRequest is the body of POST /api/v1/schedule/preview; a missing field takes a
// check's default.
type PreviewRequest struct {
	ScheduleType    *messages.ScheduleType `json:"schedule_type"`
	Schedule        *string                `json:"schedule"`
	IntervalSeconds *int64                 `json:"interval_seconds"`
	TZ              *string                `json:"tz"`
}

// previewSchedule: POST /api/v1/schedule/preview → {"next": [5 RFC 3339 UTC times], "tz",
// "next_local": [the same in tz, with its offset]}, validated
// as a check's schedule would be (missing fields take a check's defaults). An interval's due
// times are now + k·interval. It needs X-Auth-Key like the rest of the API: the schedule
// builder is part of the signed-in UI, and no anonymous caller needs the parser's CPU.
func (s *Server) previewSchedule(w http.ResponseWriter, r *http.Request, _ apiArgs) error {
	var in PreviewRequest
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	out, err := Preview(in, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Preview is the preview of in's schedule at now, validated as a check's schedule would be:
// the API's answer, and what the check form shows, computed in-process (it reads nothing, so
// the form needs no request to the API for it).
func Preview(in PreviewRequest, now time.Time) (*PreviewJSON, error) {
	cfg := checkconfig.Default("")
	if in.ScheduleType != nil {
		cfg.ScheduleType = *in.ScheduleType
	}
	if in.Schedule != nil {
		cfg.Schedule = *in.Schedule
	}
	if in.IntervalSeconds != nil {
		cfg.IntervalSeconds = *in.IntervalSeconds
	}
	if in.TZ != nil {
		cfg.TZ = *in.TZ
	}
	sch, err := checkconfig.ValidateSchedule(&cfg, now)
	if err != nil {
		return nil, err
	}
	// The times in the check's zone too, as the schedule builder shows them (a zone written
	// inside an OnCalendar expression governs the schedule; tz is still the zone shown).
	loc, err := time.LoadLocation(cfg.TZ)
	if err != nil {
		loc = time.UTC
	}
	// An interval schedule is due interval after the time given: now + k·interval.
	out := PreviewJSON{TZ: loc.String(), Next: make([]string, 0, previewCount), NextLocal: make([]string, 0, previewCount)}
	for _, t := range schedule.Preview(sch, now, previewCount) {
		out.Next = append(out.Next, formatTime(t))
		out.NextLocal = append(out.NextLocal, t.In(loc).Format(previewLocalLayout))
	}
	return &out, nil
}
