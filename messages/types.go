package messages

// Envelope.Type values: the inner message a body holds. New kinds of message are added here,
// never as new wire types (see ttr.proto).
const (
	TypePing       = "ping"        // Ping → Reply{detail: failure reason}
	TypeTick       = "tick"        // Tick (no reply)
	TypeUpdate     = "update"      // Update (sent by the previous release's edge only)
	TypeEdit       = "edit"        // CheckEdit
	TypeCommand    = "command"     // Command
	TypePause      = "pause"       // Pause
	TypeResume     = "resume"      // Resume
	TypeDelete     = "delete"      // Delete
	TypeSetChannel = "set_channel" // SetChannel
	TypeReload     = "reload"      // Reload (no reply)
	TypePoke       = "poke"        // Poke (no reply)
	TypeTestSend   = "test_send"   // TestSend → Reply{type "send_result", body SendResult}
	TypeRate       = "rate"        // RateQuery → Reply{type "rate_snapshot", body RateSnapshot}
	TypeLimitTake  = "limit_take"  // LimitTake → Reply{type "limit_result", body LimitResult}
)

// Reply payload types.
const (
	ReplySendResult   = "send_result"
	ReplyRateSnapshot = "rate_snapshot"
	ReplyLimitResult  = "limit_result"
)

// Identity kinds: the prefix of an identity ("check/123").
const (
	KindCheck    = "check"
	KindNotifier = "notifier"
	KindLimiter  = "limiter"
)
