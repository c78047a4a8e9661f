package web

import (
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

// apiCheck is the check JSON as the pages read it from the API (docs/api.md, "The check
// JSON"), with the aggregate's recent pings.
type apiCheck struct {
	ID                     int64                 `json:"id"`
	UUID                   string                `json:"uuid"`
	Slug                   string                `json:"slug"`
	Name                   string                `json:"name"`
	Desc                   string                `json:"desc"`
	Tags                   []string              `json:"tags"`
	Status                 messages.CheckStatus  `json:"status"`
	Late                   bool                  `json:"late"`
	Started                bool                  `json:"started"`
	ScheduleType           string                `json:"schedule_type"`
	Schedule               string                `json:"schedule"`
	TZ                     string                `json:"tz"`
	IntervalSeconds        int64                 `json:"interval_seconds"`
	GraceSeconds           int64                 `json:"grace_seconds"`
	MaxRuntimeSeconds      int64                 `json:"max_runtime_seconds"`
	ManualResume           bool                  `json:"manual_resume"`
	NotifyAfterFailures    int32                 `json:"notify_after_failures"`
	NotifyOnUp             bool                  `json:"notify_on_up"`
	RealertIntervalSeconds int64                 `json:"realert_interval_seconds"`
	ContentRule            *messages.ContentRule `json:"content_rule"`
	messages.PingFilter
	LastPing            time.Time                           `json:"last_ping"`
	LastDurationSeconds *float64                            `json:"last_duration_seconds"`
	NextDeadline        time.Time                           `json:"next_deadline"`
	LastReason          string                              `json:"last_reason"`
	PingURL             string                              `json:"ping_url"`
	HCPingURL           string                              `json:"hc_ping_url"`
	Channels            map[messages.ChannelKind]apiChannel `json:"channels"`
	BadgeEnabled        bool                                `json:"badge_enabled"`
	ConfigVersion       int64                               `json:"config_version"`
	RecentPings         []apiPing                           `json:"recent_pings"`
}

// apiChannel is one channel of the check JSON.
type apiChannel struct {
	Enabled    bool                     `json:"enabled"`
	Configured bool                     `json:"configured"`
	LastStatus *messages.DeliveryStatus `json:"last_notification_status"`
	LastMsg    *string                  `json:"last_notification_message"`
	LastAt     time.Time                `json:"last_notification_timestamp"`
}

// apiPing is one ping of the aggregate's strip.
type apiPing struct {
	N      int64                `json:"n"`
	At     time.Time            `json:"at"`
	Kind   messages.PingLogKind `json:"kind"`
	Failed bool                 `json:"failed"`
}

// apiAggregate is GET /api/v1/checks/aggregate.
type apiAggregate struct {
	Checks struct {
		Items      []apiCheck `json:"items"`
		NextCursor *string    `json:"next_cursor"`
		PrevCursor *string    `json:"prev_cursor"`
	} `json:"checks"`
	Stats struct {
		Total, New, Up, Down, Paused, Late int64
	} `json:"stats"`
	Tags []struct {
		Tag   string `json:"tag"`
		Count int64  `json:"count"`
	} `json:"tags"`
	UserSlug    string `json:"user_slug"`
	PingBaseURL string `json:"ping_base_url"`
}

// displayStatus is what a check shows: its stored status, or late / started derived from it.
func (c apiCheck) displayStatus() messages.CheckStatus {
	switch {
	case c.Status == messages.StatusUp && c.Started:
		return "started"
	case c.Status == messages.StatusUp && c.Late:
		return "late"
	}
	return c.Status
}

// aggregateOf is the aggregate the API handed in-process (ttrhttp.WithAnswerSink) as the pages
// read its JSON: the same fields, without encoding and decoding them.
func aggregateOf(a *ttrhttp.Aggregate) apiAggregate {
	var out apiAggregate
	out.Checks.NextCursor, out.Checks.PrevCursor = a.Checks.NextCursor, a.Checks.PrevCursor
	out.Checks.Items = make([]apiCheck, len(a.Checks.Items))
	for i, c := range a.Checks.Items {
		j := apiCheck{
			ID: c.ID, UUID: c.UUID, Slug: c.Slug, Name: c.Name, Desc: c.Desc, Tags: c.Tags,
			Status: c.Status, Late: c.Late, Started: c.Started,
			ScheduleType: c.ScheduleType, Schedule: c.Schedule, TZ: c.TZ,
			IntervalSeconds: c.IntervalSeconds, GraceSeconds: c.GraceSeconds, MaxRuntimeSeconds: c.MaxRuntimeSeconds,
			ManualResume: c.ManualResume, NotifyAfterFailures: c.NotifyAfterFailures, NotifyOnUp: c.NotifyOnUp,
			RealertIntervalSeconds: c.RealertIntervalSeconds, ContentRule: c.ContentRule, PingFilter: c.PingFilter,
			LastPing: time.Time(c.LastPing), LastDurationSeconds: c.LastDurationSeconds,
			NextDeadline: time.Time(c.NextDeadline), LastReason: c.LastReason,
			PingURL: c.PingURL, HCPingURL: c.HCPingURL, BadgeEnabled: c.BadgeEnabled, ConfigVersion: c.ConfigVersion,
			Channels:    make(map[messages.ChannelKind]apiChannel, len(c.Channels)),
			RecentPings: make([]apiPing, len(c.RecentPings)),
		}
		for name, ch := range c.Channels {
			j.Channels[name] = apiChannel{Enabled: ch.Enabled, Configured: ch.Configured,
				LastStatus: ch.LastNotificationStatus, LastMsg: ch.LastNotificationMessage, LastAt: time.Time(ch.LastNotificationTimestamp)}
		}
		for k, p := range c.RecentPings {
			j.RecentPings[k] = apiPing{N: p.N, At: time.Time(p.At), Kind: p.Kind, Failed: p.Failed}
		}
		out.Checks.Items[i] = j
	}
	st := a.Stats
	out.Stats.Total, out.Stats.New, out.Stats.Up, out.Stats.Down, out.Stats.Paused, out.Stats.Late = st.Total, st.New, st.Up, st.Down, st.Paused, st.Late
	out.Tags = make([]struct {
		Tag   string `json:"tag"`
		Count int64  `json:"count"`
	}, len(a.Tags))
	for i, t := range a.Tags {
		out.Tags[i].Tag, out.Tags[i].Count = t.Tag, t.Count
	}
	out.UserSlug, out.PingBaseURL = a.UserSlug, a.PingBaseURL
	return out
}
