package hcapi

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

// checkJSON is healthchecks.io's check (Check.to_dict), field for field and in its order.
// The read-write fields (uuid and the URLs, channels) and the read-only unique_key are
// omitted from the answers they do not belong to; timeout, or schedule and tz, by kind.
type checkJSON struct {
	Name              string  `json:"name"`
	Slug              string  `json:"slug"`
	Tags              string  `json:"tags"`
	Desc              string  `json:"desc"`
	Grace             int64   `json:"grace"`
	NPings            int64   `json:"n_pings"`
	Status            string  `json:"status"`
	Started           bool    `json:"started"`
	LastPing          *string `json:"last_ping"`
	NextPing          *string `json:"next_ping"`
	ManualResume      bool    `json:"manual_resume"`
	Methods           string  `json:"methods"`
	Subject           string  `json:"subject"`
	SubjectFail       string  `json:"subject_fail"`
	StartKw           string  `json:"start_kw"`
	SuccessKw         string  `json:"success_kw"`
	FailureKw         string  `json:"failure_kw"`
	FilterSubject     bool    `json:"filter_subject"`
	FilterBody        bool    `json:"filter_body"`
	FilterHTTPBody    bool    `json:"filter_http_body"`
	FilterDefaultFail bool    `json:"filter_default_fail"`
	BadgeURL          string  `json:"badge_url"`
	LastDuration      *int64  `json:"last_duration,omitempty"`
	UniqueKey         string  `json:"unique_key,omitempty"`
	UUID              string  `json:"uuid,omitempty"`
	PingURL           string  `json:"ping_url,omitempty"`
	UpdateURL         string  `json:"update_url,omitempty"`
	PauseURL          string  `json:"pause_url,omitempty"`
	ResumeURL         string  `json:"resume_url,omitempty"`
	Channels          *string `json:"channels,omitempty"`
	Timeout           *int64  `json:"timeout,omitempty"`
	Schedule          *string `json:"schedule,omitempty"`
	TZ                *string `json:"tz,omitempty"`
}

// renderCheck builds the JSON of c for API version v. channels is the comma-separated list of
// the check's enabled destinations (read-write answers only).
func (h *Handler) renderCheck(c messages.Check, readonly bool, v int, channels string, now time.Time) checkJSON {
	j := checkJSON{
		Name:              c.Name,
		Slug:              hcSlug(c),
		Tags:              strings.Join(c.Tags, " "),
		Desc:              c.Desc,
		Grace:             c.GraceSeconds,
		NPings:            c.NPings,
		Status:            Status(c, v, now),
		Started:           !c.LastStart.IsZero(),
		LastPing:          isoString(c.LastPing),
		NextPing:          isoString(nextPing(c)),
		ManualResume:      c.ManualResume,
		Methods:           c.Methods,
		StartKw:           c.StartKw,
		SuccessKw:         c.SuccessKw,
		FailureKw:         c.FailureKw,
		FilterSubject:     c.FilterSubject,
		FilterBody:        c.FilterBody,
		FilterHTTPBody:    c.FilterHTTPBody,
		FilterDefaultFail: c.FilterDefaultFail,
	}
	if c.FilterSubject {
		j.Subject, j.SubjectFail = c.SuccessKw, c.FailureKw
	}
	if c.BadgeID != "" {
		j.BadgeURL = h.base + "/b/c/" + c.BadgeID + ".svg"
	}
	if c.LastDuration > 0 {
		d := int64(c.LastDuration / time.Second)
		j.LastDuration = &d
	}
	if readonly {
		j.UniqueKey = UniqueKey(c.UUID)
	} else {
		j.UUID = c.UUID
		j.PingURL = h.base + "/ping/" + c.UUID
		j.UpdateURL = h.base + "/api/v" + strconv.Itoa(v) + "/checks/" + c.UUID
		j.PauseURL = j.UpdateURL + "/pause"
		j.ResumeURL = j.UpdateURL + "/resume"
		j.Channels = &channels
	}
	if c.ScheduleType == messages.ScheduleInterval {
		t := c.IntervalSeconds
		j.Timeout = &t
	} else {
		s, tz := c.Schedule, c.TZ
		j.Schedule, j.TZ = &s, &tz
	}
	return j
}

// hcSlug is the slug healthchecks.io shows: "" for a check whose slug is still its UUID (ttr's
// default, healthchecks.io's "no slug").
func hcSlug(c messages.Check) string {
	if c.Slug == c.UUID {
		return ""
	}
	return c.Slug
}

// Status is healthchecks.io's status of c for API version v: new, up, grace (late), down or
// paused — and, in v1, started while a run is in progress.
func Status(c messages.Check, v int, now time.Time) string {
	late, started := checklogic.Derived(c.CheckConfig, c.CheckState, now)
	if started && v == 1 {
		return "started"
	}
	if c.Status == messages.StatusUp {
		switch {
		case !c.NextDeadline.IsZero() && !now.Before(c.NextDeadline):
			return string(messages.StatusDown) // the owner's tick is on its way
		case late:
			return "grace"
		}
	}
	return string(c.Status)
}

// nextPing is when the next ping is expected (healthchecks.io's next_ping, the start of the
// grace period): the schedule's next due time of an up check, or the start of a run in
// progress when that is earlier; zero for none.
func nextPing(c messages.Check) time.Time {
	var t time.Time
	if c.Status == messages.StatusUp {
		t = c.NextDue
	}
	if !c.LastStart.IsZero() && c.Status != messages.StatusDown && (t.IsZero() || c.LastStart.Before(t)) {
		t = c.LastStart
	}
	return t
}

// UniqueKey is healthchecks.io's unique_key of a check: the SHA-1 (hex) of the first 16 hex
// digits of its UUID — stable, and not enough to ping the check.
func UniqueKey(uuid string) string {
	hexDigits := strings.ReplaceAll(strings.ToLower(uuid), "-", "")
	if len(hexDigits) > 16 {
		hexDigits = hexDigits[:16]
	}
	sum := sha1.Sum([]byte(hexDigits))
	return hex.EncodeToString(sum[:])
}

// isoString is Python's isoformat() of a UTC time without its microseconds
// ("2020-03-24T14:02:03+00:00"); nil for the zero time.
func isoString(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05") + "+00:00"
	return &s
}

// isoStringMicro is Python's isoformat() of a UTC time with its microseconds, which it omits
// when they are zero.
func isoStringMicro(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
}
