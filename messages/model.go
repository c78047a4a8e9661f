package messages

import (
	"slices"
	"time"
)

// CheckStatus is a check's stored status. Stores, protobuf and JSON carry it as its string;
// convert at those boundaries.
type CheckStatus string

// Check statuses as stored. "late" and "started" are derived for display.
const (
	StatusNew    CheckStatus = "new"
	StatusUp     CheckStatus = "up"
	StatusDown   CheckStatus = "down"
	StatusPaused CheckStatus = "paused"
)

// PingLogKind is what a ping reported, as stored in the ping log (the protobuf PingKind is
// what the edge sends; PingKind.Logged converts).
type PingLogKind string

// Ping kinds as stored in the ping log.
const (
	KindSuccess PingLogKind = "success"
	KindStart   PingLogKind = "start"
	KindFail    PingLogKind = "fail"
	KindLog     PingLogKind = "log"
	// KindIgnored is a ping the check's options set aside (a method it does not take, no
	// keyword matched, a pause only a person may end): logged with its reason, it changes
	// nothing. "ign" is healthchecks.io's name for it.
	KindIgnored PingLogKind = "ign"
)

// Values of PingFilter.Methods.
const (
	MethodsAny  = ""     // every method pings
	MethodsPOST = "POST" // other methods' pings are ignored
)

// ChannelKind names an integration of a check (a channel's name, an outbox row's channel).
type ChannelKind string

// Channel names.
const (
	ChannelWebhook  ChannelKind = "webhook"
	ChannelTelegram ChannelKind = "telegram"
	ChannelSlack    ChannelKind = "slack"
	ChannelDiscord  ChannelKind = "discord"
	ChannelEmail    ChannelKind = "email"
)

// ScheduleType is how a check's due times are computed (actors/schedule implements each).
// Stores, protobuf and JSON carry it as its string; convert at those boundaries.
type ScheduleType string

// Schedule types.
const (
	ScheduleInterval   ScheduleType = "interval"   // due IntervalSeconds after the last ping
	ScheduleCron       ScheduleType = "cron"       // a 5-field cron expression
	ScheduleOnCalendar ScheduleType = "oncalendar" // systemd OnCalendar expressions, one a line
)

// User is an account. Times are UTC; a zero time.Time means "none" throughout this package.
type User struct {
	ID           int64
	Slug         string
	AuthKeyHash  []byte // SHA-256 of the access key
	PingKeyEnc   []byte // the ping key, sealed under the key ring
	PingKeyIndex []byte // HMAC-SHA256 of the ping key under the server secret
	SlugPings    bool   // /p/{user_slug}/{check} accepted
	CreatedAt    time.Time
	// DisabledAt is when an admin disabled the user (zero: enabled). A disabled user's API
	// calls and sessions are refused; their pings still count.
	DisabledAt time.Time
	// LastSeenAt is when the user last signed in or used the API, to within an hour (it is
	// written at most that often); zero: never.
	LastSeenAt time.Time
}

// ContentRule checks ping bodies and query strings.
type ContentRule struct {
	Type    string `json:"type"` // "present" | "absent"
	Pattern string `json:"pattern"`
	Regex   bool   `json:"regex"`
}

// CheckConfig is what a user writes. The API validates it; the check actor applies it.
type CheckConfig struct {
	Slug                   string       `json:"slug"`
	Name                   string       `json:"name"`
	Desc                   string       `json:"desc"`
	Tags                   []string     `json:"tags"`
	ScheduleType           ScheduleType `json:"schedule_type"`
	Schedule               string       `json:"schedule"` // cron / OnCalendar expression
	TZ                     string       `json:"tz"`
	IntervalSeconds        int64        `json:"interval_seconds"`
	GraceSeconds           int64        `json:"grace_seconds"`
	MaxRuntimeSeconds      int64        `json:"max_runtime_seconds"` // 0 = none
	ManualResume           bool         `json:"manual_resume"`
	NotifyAfterFailures    int32        `json:"notify_after_failures"`
	NotifyOnUp             bool         `json:"notify_on_up"`
	RealertIntervalSeconds int64        `json:"realert_interval_seconds"` // 0 = never
	ContentRule            *ContentRule `json:"content_rule"`
	// BadgeID is the random id of the check's badge (/b/c/{badge_id}); "" while its badge is
	// disabled. Enabling the badge makes one, rotating replaces it.
	BadgeID string `json:"badge_id,omitempty"`
	PingFilter
}

// Clone returns a copy of c that shares nothing with it (its tags and content rule are its
// own): a change to the copy, or a JSON decode into it, leaves c as it was.
func (c CheckConfig) Clone() CheckConfig {
	c.Tags = slices.Clone(c.Tags)
	if c.ContentRule != nil {
		r := *c.ContentRule
		c.ContentRule = &r
	}
	return c
}

// PingFilter is how a check sorts its pings beyond their URL: healthchecks.io's check options
// of the same names, so that a check managed through either API means the same
// (docs/api.md, "healthchecks.io compatibility").
type PingFilter struct {
	Methods string `json:"methods"` // MethodsAny or MethodsPOST
	// FilterHTTPBody classifies an HTTP ping by keywords in its body: failure, else success,
	// else start, else fail (FilterDefaultFail) or ignored.
	FilterHTTPBody    bool   `json:"filter_http_body"`
	StartKw           string `json:"start_kw"` // comma-separated keywords
	SuccessKw         string `json:"success_kw"`
	FailureKw         string `json:"failure_kw"`
	FilterDefaultFail bool   `json:"filter_default_fail"`
	// The options of pings by email, which ttr does not receive: stored and returned so that
	// a check imported from or managed like a healthchecks.io check keeps them, never used.
	FilterSubject bool   `json:"filter_subject"`
	FilterBody    bool   `json:"filter_body"`
	Subject       string `json:"subject"`
	SubjectFail   string `json:"subject_fail"`
}

// CheckState is what the check actor owns and persists with every write.
type CheckState struct {
	Status       CheckStatus
	LastPing     time.Time
	LastPingKind PingLogKind
	LastStart    time.Time // set while a run is in progress
	LastStartRID string
	LastDuration time.Duration // -1 = none
	NextDue      time.Time     // next expected ping (deadline - grace)
	NextDeadline time.Time     // schedule deadline = NextDue + grace
	RunDeadline  time.Time     // max-runtime deadline while started
	RealertDue   time.Time
	NextWakeAt   time.Time // earliest of the deadlines above; wheel and sweeper key
	NPings       int64     // sequence of the last ping (ping rows are numbered 1..NPings)
	FailureCount int32     // consecutive failures
	DownFlip     string    // id of the up→down flip of the current down period ("" when up)
	DownAlerted  bool      // a down alert was written for DownFlip
	RealertCount int32
	FlipSeq      int64 // number of flips recorded; flip ids are "<check id>.<seq>"
	LastReason   string

	// Flapping (docs/architecture.md#alerting-rules): recent status changes, and the suppression they caused.
	FlapHistory    []time.Time // times of the status changes within the flap window, oldest first
	FlapSince      time.Time   // start of the current suppression (names its flap-start/flap-end keys)
	SuppressUntil  time.Time   // alerts are held until then; zero = not suppressed
	LastSentStatus CheckStatus // the status the latest up/down alert reported ("" = none yet)
}

// Check is a check row: identity, configuration and state.
type Check struct {
	ID        int64
	UserID    int64
	UUID      string
	CreatedAt time.Time
	Version   int64 // fencing token: every state write is conditional on it
	// ConfigVersion counts the changes a user made: edits, pause, resume (never pings). It
	// is the check's ETag, and If-Match compares against it. A new check has 1.
	ConfigVersion int64
	CheckConfig
	CheckState
}

// CheckRef is what the edge resolves a ping URL to.
type CheckRef struct {
	ID     int64
	UserID int64
	UUID   string
	Slug   string
}

// PingRecord is one row of a check's ping log.
type PingRecord struct {
	CheckID    int64
	N          int64 // per-check sequence, 1-based
	At         time.Time
	Kind       PingLogKind
	ExitStatus int32 // -1 = none
	RID        string
	Method     string
	RemoteIP   string
	UserAgent  string
	Body       []byte
	BodySize   int64 // size of the stored body (ListPings leaves Body nil)
	RequestID  string
	Reason     string // why the ping counted as a failure (content rule), or ""
	// ForwardedProto is the scheme a trusted proxy says the ping came in with ("http" or
	// "https"), or "" (direct, or no trusted proxy: docs/operations.md "Abuse limits").
	ForwardedProto string
}

// Flip is a recorded status change.
type Flip struct {
	ID      string // "<check id>.<seq>"
	CheckID int64
	At      time.Time
	From    CheckStatus
	To      CheckStatus
	Reason  string
	Node    string
}

// OutboxStatus is where an outbox row stands in its delivery. Stores carry it as its string;
// the outbox's SQL names the same values.
type OutboxStatus string

// Outbox statuses: a row is written pending and ends delivered or failed (given up).
const (
	OutboxPending   OutboxStatus = "pending"
	OutboxDelivered OutboxStatus = "delivered"
	OutboxFailed    OutboxStatus = "failed"
)

// AlertKind is what an outbox row announces. Stores, the alert payload's JSON and the API
// carry it as its string; it also begins the row's idempotency key.
type AlertKind string

// Alert kinds.
const (
	AlertDown     AlertKind = "down"
	AlertUp       AlertKind = "up"
	AlertRealert  AlertKind = "realert"
	AlertFlapping AlertKind = "flapping" // a flap started: alerts are paused (key flap-start:…)
	AlertFlapEnd  AlertKind = "flap-end" // the flap ended (key flap-end:…)
	AlertTest     AlertKind = "test"
)

// DeliveryStatus is how the latest send to a channel went, as written back to the channel.
type DeliveryStatus string

// Delivery statuses; a channel nothing was sent to yet has DeliveryNone.
const (
	DeliveryNone  DeliveryStatus = ""
	DeliveryOK    DeliveryStatus = "ok"
	DeliveryError DeliveryStatus = "error"
)

// SendOutcome is how one send went, as a test send answers it (SendResult.Outcome carries it
// as its string, and so does the API's answer).
type SendOutcome string

// Send outcomes.
const (
	SendDelivered   SendOutcome = "delivered"
	SendTransient   SendOutcome = "transient" // may work on a retry
	SendPermanent   SendOutcome = "permanent" // the destination refused it
	SendRateLimited SendOutcome = "rate_limited"
)

// OutboxRow is one alert to one destination, written durably with the status change that
// caused it and delivered at least once.
type OutboxRow struct {
	ID             int64 // global sequence: FIFO order per destination
	UserID         int64
	CheckID        int64
	Kind           AlertKind
	Channel        ChannelKind
	DestHash       string // destination identity (keyed hash), names its notifier
	DestEnc        []byte // the destination as configured when written, sealed
	Payload        []byte // JSON message
	IdempotencyKey string
	Status         OutboxStatus
	Attempts       int32
	NextAttemptAt  time.Time
	ClaimedBy      string
	ClaimUntil     time.Time
	LastError      string
	CreatedAt      time.Time
	DeliveredAt    time.Time
}

// Channel is one integration of a check.
type Channel struct {
	CheckID     int64
	UserID      int64
	Name        ChannelKind
	Enabled     bool
	ConfigEnc   []byte // ChannelConfig JSON, sealed; nil = not configured
	LastStatus  DeliveryStatus
	LastMessage string
	LastAt      time.Time
}

// ChannelConfig is the plaintext settings of a channel (sealed at rest as a whole: every
// field may be a secret).
type ChannelConfig struct {
	URL      string `json:"url,omitempty"`       // webhook, slack, discord
	BotToken string `json:"bot_token,omitempty"` // telegram
	ChatID   string `json:"chat_id,omitempty"`   // telegram
	EmailTo  string `json:"email_to,omitempty"`  // email
}

// RateState is a destination's adaptive rate control as persisted (docs/architecture.md#alerting-rules), so a 429's
// back-off survives a restart or a handover.
type RateState struct {
	RPS          float64   // current rate
	Burst        float64   // current bucket size
	Tokens       float64   // tokens at UpdatedAt
	BackoffLevel int32     // consecutive 429s (exponent of the back-off)
	BackoffUntil time.Time // nothing is sent before this
	UpdatedAt    time.Time
}

// Delivery status written back to a channel after a send.
type ChannelStatus struct {
	CheckID int64
	Channel ChannelKind
	Status  DeliveryStatus
	Message string
	At      time.Time
}

// Logged is the ping log's kind for a ping the edge sent as k: an unspecified kind is a
// success, as a bare ping URL is.
func (k PingKind) Logged() PingLogKind {
	switch k {
	case PingKind_PING_KIND_START:
		return KindStart
	case PingKind_PING_KIND_FAIL:
		return KindFail
	case PingKind_PING_KIND_LOG:
		return KindLog
	default:
		return KindSuccess
	}
}
