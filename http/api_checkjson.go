package http

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

// apiTimeLayout is RFC 3339 in UTC with milliseconds (the store's precision).
const apiTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// JSONTime is a time in API JSON: RFC 3339 UTC, or null when zero. The pages, which take the
// API's answers as Go values in-process (inprocess.go), read it with Time.
type JSONTime time.Time

// MarshalJSON implements json.Marshaler.
func (t JSONTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format(apiTimeLayout) + `"`), nil
}

// Time is t as a time.Time (the zero time where the JSON has null).
func (t JSONTime) Time() time.Time { return time.Time(t) }

// formatTime renders t as the API does (it must not be zero).
func formatTime(t time.Time) string { return t.UTC().Format(apiTimeLayout) }

// CheckJSON is the check JSON (docs/api.md#the-check-json), also the Go value the pages take
// in-process (inprocess.go). Its read-only names are listed in readOnlyFields: keep the two in
// step.
type CheckJSON struct {
	ID                     int64                 `json:"id"`
	UUID                   string                `json:"uuid"`
	Slug                   string                `json:"slug"`
	Name                   string                `json:"name"`
	Desc                   string                `json:"desc"`
	Tags                   []string              `json:"tags"`
	CreatedAt              JSONTime              `json:"created_at"`
	Status                 messages.CheckStatus  `json:"status"`
	Late                   bool                  `json:"late"`
	Started                bool                  `json:"started"`
	ScheduleType           messages.ScheduleType `json:"schedule_type"`
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
	LastPing            JSONTime                             `json:"last_ping"`
	LastStart           JSONTime                             `json:"last_start"`
	LastDurationSeconds *float64                             `json:"last_duration_seconds"`
	NextDeadline        JSONTime                             `json:"next_deadline"`
	NPings              int64                                `json:"n_pings"`
	FailureCount        int32                                `json:"failure_count"`
	LastReason          string                               `json:"last_reason"`
	PingURL             string                               `json:"ping_url"`
	HCPingURL           string                               `json:"hc_ping_url"`
	Channels            map[messages.ChannelKind]ChannelJSON `json:"channels"`
	BadgeEnabled        bool                                 `json:"badge_enabled"`
	BadgeURLs           *BadgeURLsJSON                       `json:"badge_urls"`           // null while the badge is disabled
	ConfigVersion       int64                                `json:"config_version"`       // the ETag's value
	OwnerNode           string                               `json:"owner_node,omitempty"` // in a cluster
}

// ChannelJSON is one integration's public face: never its secrets. configured says that
// settings are stored (whether they can still be decrypted shows on the next delivery, and
// a PUT that needs them answers 409); last_notification_* are the last delivery's status,
// message and time, null before the first.
type ChannelJSON struct {
	Enabled                   bool                     `json:"enabled"`
	Configured                bool                     `json:"configured"`
	LastNotificationStatus    *messages.DeliveryStatus `json:"last_notification_status"`
	LastNotificationMessage   *string                  `json:"last_notification_message"`
	LastNotificationTimestamp JSONTime                 `json:"last_notification_timestamp"`
}

// apiChannels are the channels (docs/api.md#channels; channelSpecs describes each): every one always
// appears in a check's channels object, configured or not, and no other name does.
var apiChannels = []messages.ChannelKind{
	messages.ChannelTelegram, messages.ChannelSlack, messages.ChannelDiscord,
	messages.ChannelWebhook, messages.ChannelEmail,
}

// BadgeURLsJSON are the addresses of a check's badge in its three forms.
type BadgeURLsJSON struct {
	SVG     string `json:"svg"`
	JSON    string `json:"json"`
	Shields string `json:"shields"`
}

// renderCheck builds the Check JSON of c, owned by u, with its channels, at now.
func (s *Server) renderCheck(u messages.User, c messages.Check, chans []messages.Channel, now time.Time) CheckJSON {
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	late, started := checklogic.Derived(c.CheckConfig, c.CheckState, now)
	j := CheckJSON{
		ID:                     c.ID,
		UUID:                   c.UUID,
		Slug:                   c.Slug,
		Name:                   c.Name,
		Desc:                   c.Desc,
		Tags:                   tags,
		CreatedAt:              JSONTime(c.CreatedAt),
		Status:                 c.Status,
		Late:                   late,
		Started:                started,
		ScheduleType:           c.ScheduleType,
		Schedule:               c.Schedule,
		TZ:                     c.TZ,
		IntervalSeconds:        c.IntervalSeconds,
		GraceSeconds:           c.GraceSeconds,
		MaxRuntimeSeconds:      c.MaxRuntimeSeconds,
		ManualResume:           c.ManualResume,
		NotifyAfterFailures:    c.NotifyAfterFailures,
		NotifyOnUp:             c.NotifyOnUp,
		RealertIntervalSeconds: c.RealertIntervalSeconds,
		ContentRule:            c.ContentRule,
		PingFilter:             c.PingFilter,
		LastPing:               JSONTime(c.LastPing),
		LastStart:              JSONTime(c.LastStart),
		NextDeadline:           JSONTime(c.NextDeadline),
		NPings:                 c.NPings,
		FailureCount:           c.FailureCount,
		LastReason:             c.LastReason,
		PingURL:                base + "/p/" + url.PathEscape(u.Slug) + "/" + url.PathEscape(c.Slug),
		HCPingURL:              base + "/ping/" + url.PathEscape(c.UUID),
		Channels:               make(map[messages.ChannelKind]ChannelJSON, len(apiChannels)),
		ConfigVersion:          c.ConfigVersion,
		BadgeEnabled:           c.BadgeID != "",
	}
	if c.BadgeID != "" {
		b := base + routeBadgeCheck + c.BadgeID
		j.BadgeURLs = &BadgeURLsJSON{SVG: b + ".svg", JSON: b + ".json", Shields: b + ".shields"}
	}
	if s.deps.OwnerOf != nil {
		j.OwnerNode = s.deps.OwnerOf(c.ID)
	}
	if c.LastDuration >= 0 {
		d := float64(c.LastDuration.Milliseconds()) / 1000
		j.LastDurationSeconds = &d
	}
	for _, name := range apiChannels {
		j.Channels[name] = ChannelJSON{}
	}
	for _, ch := range chans {
		if _, ok := j.Channels[ch.Name]; !ok {
			continue // not a channel this edge knows: it has no settings to show
		}
		j.Channels[ch.Name] = ChannelJSON{
			Enabled:                   ch.Enabled,
			Configured:                len(ch.ConfigEnc) > 0,
			LastNotificationStatus:    nullString(ch.LastStatus),
			LastNotificationMessage:   nullString(ch.LastMessage),
			LastNotificationTimestamp: JSONTime(ch.LastAt),
		}
	}
	return j
}

func nullString[S ~string](s S) *S {
	if s == "" {
		return nil
	}
	return &s
}

// readOnlyFields are the names of the Check JSON that PUT and PATCH accept and ignore, so a
// check fetched with GET can be sent back as is. owner_node is the cluster's addition.
var readOnlyFields = []string{
	"id", "uuid", "created_at", "status", "late", "started", "last_ping", "last_start",
	"last_duration_seconds", "next_deadline", "n_pings", "failure_count", "last_reason",
	"ping_url", "hc_ping_url", "channels", "owner_node", "config_version", "badge_urls",
}

func isReadOnlyField(name string) bool { return slices.Contains(readOnlyFields, name) }
