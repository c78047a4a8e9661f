package http

import (
	"net/http"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/schedule"
)

// previewCount is how many due times a preview shows.
const previewCount = 5

// previewRequest is the body of POST /api/v1/schedule/preview.
type previewRequest struct {
	ScheduleType    *string `json:"schedule_type"`
	Schedule        *string `json:"schedule"`
	IntervalSeconds *int64  `json:"interval_seconds"`
	TZ              *string `json:"tz"`
}

// previewSchedule: POST /api/v1/schedule/preview → {"next": [5 RFC 3339 times]}, validated
// as a check's schedule would be (missing fields take a check's defaults). An interval's due
// times are now + k·interval. It needs X-Auth-Key like the rest of the API: the schedule
// builder is part of the signed-in UI, and no anonymous caller needs the parser's CPU.
func (s *Server) previewSchedule(w http.ResponseWriter, r *http.Request, _ apiArgs) error {
	var in previewRequest
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
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
	now := s.now()
	sch, err := checkconfig.ValidateSchedule(&cfg, now)
	if err != nil {
		return err
	}
	// An interval schedule is due interval after the time given: now + k·interval.
	next := make([]string, 0, previewCount)
	for _, t := range schedule.Preview(sch, now, previewCount) {
		next = append(next, formatTime(t))
	}
	writeJSON(w, http.StatusOK, map[string][]string{"next": next})
	return nil
}
