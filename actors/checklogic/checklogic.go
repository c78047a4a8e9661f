package checklogic

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ttr-rip/ttr/actors/checklogic/pingfilter"
	"github.com/ttr-rip/ttr/actors/contentrule"
	"github.com/ttr-rip/ttr/messages"
)

// Reasons recorded on flips, failures and alerts.
const (
	ReasonSuccessPing = "success ping"
	ReasonFailPing    = "fail ping"
	ReasonMissed      = "no ping within grace period"
	ReasonMaxRuntime  = "exceeded max runtime"
	ReasonPaused      = "paused"
	ReasonResumed     = "resumed"
	ReasonFlapping    = "flapping"         // the reason of a flapping notice
	ReasonStable      = "stopped flapping" // the reason of a flap-end notice
	// ReasonManualResume is the note of a ping ignored because the check is paused and
	// resumes only by hand.
	ReasonManualResume = "ignored: paused, resumes only by hand (manual_resume)"
)

// maxMissedPerEvent bounds the missed periods one tick counts one by one. Counting stops at
// notify_after_failures anyway (the down alert disarms the schedule), so this only bites for
// thresholds above it: the periods beyond it are skipped uncounted.
const maxMissedPerEvent = 1000

// PingInput is a ping as the check actor received it.
type PingInput struct {
	Kind       messages.PingLogKind // KindSuccess, KindStart, KindFail or KindLog
	ExitStatus int32                // -1 = none; 0 = success; 1..255 = failure (decides over Kind)
	RID        string               // run id; "" = none
	Body       []byte
	Query      string // the raw query string
	Method     string // the HTTP method, for the ping filter's methods option
	// Rule bounds the content rule's match: how much of the ping it reads and the user's
	// matching budget (zero: the defaults, unmetered).
	Rule contentrule.Options
}

// Effects is what one event changes. The actor persists State, Flip and Alerts in one write.
type Effects struct {
	State messages.CheckState
	// Flip is the status change the event caused, if any: ID "<check>.<seq>", At the time
	// of the change (a missed deadline's time, not the tick's).
	Flip   *messages.Flip
	Alerts []Alert
	// Reason says why the ping counted as a failure ("" if it did not). It is stored on the
	// ping row and returned to the pinger. Only OnPing sets it.
	Reason string
	// Kind is how the ping counted, for its row in the ping log: a success ping that broke
	// the content rule, or that gave a non-zero exit status, is a fail; a ping the check's
	// options set aside is messages.KindIgnored. Only OnPing sets it.
	Kind messages.PingLogKind
	// Note is recorded on the ping row instead when Reason is empty: something the pinger
	// should know although the ping counted as sent (contentrule.ReasonBudget), or why it
	// was ignored. Only OnPing sets it.
	Note string
	// Changed reports anything to persist besides a ping row: State differs from the state
	// passed in, or there is a flip or an alert.
	Changed bool
}

// Initial is the state of a new check: status new, no duration, no deadlines.
func Initial() messages.CheckState {
	return messages.CheckState{Status: messages.StatusNew, LastDuration: -1}
}

// NewCheck is a check as it is created — by the API, by a ping URL's auto-create, by the
// healthchecks-compatible API and by tests: configuration cfg (checkconfig.Default, edited),
// version 1, in the initial state, created at now (to the millisecond, as stored).
func NewCheck(userID int64, uuid string, cfg messages.CheckConfig, now time.Time) messages.Check {
	return messages.Check{
		UserID:      userID,
		UUID:        uuid,
		CreatedAt:   now.UTC().Truncate(time.Millisecond),
		Version:     1,
		CheckConfig: cfg,
		CheckState:  Initial(),
	}
}

// Derived returns the display-only statuses: late (up, past the expected time, within
// grace) and started (a run is in progress).
func Derived(_ messages.CheckConfig, st messages.CheckState, now time.Time) (late, started bool) {
	late = st.Status == messages.StatusUp && !st.NextDue.IsZero() &&
		now.After(st.NextDue) && !now.After(st.NextDeadline)
	return late, !st.LastStart.IsZero()
}

// OnPing applies one ping received at now.
//
// The check's ping filter (pingfilter.Classify) may first set the ping aside as ignored, or
// replace the URL's kind by its body's keywords; a ping to a paused check that resumes only
// by hand (manual_resume) is ignored too. An ignored ping is logged with its reason and
// changes nothing. Then a success (or exit 0) that passes the content rule brings the check
// up; a fail ping, a non-zero exit status, a failure keyword or a content-rule violation is
// a failure. Either ends the run in progress when the run ids allow it and re-arms the
// schedule from now. A start records the run — on a paused check too, which stays paused
// and does not time the run; a log ping changes nothing. A paused check is unpaused by a
// success or a failure.
func OnPing(c Config, st messages.CheckState, p PingInput, now time.Time) Effects {
	e := begin(c, st, now)
	e.endSuppressionIfDue()
	kind, reason := classify(p)
	e.eff.Kind = p.Kind
	if kind == "" {
		return e.finish()
	}
	if v := pingfilter.Classify(c.Cfg.PingFilter, p.Method, p.Body); v.Kind != "" {
		kind, reason = v.Kind, v.Reason
	}
	if kind != messages.KindIgnored && e.st.Status == messages.StatusPaused && c.Cfg.ManualResume {
		kind, reason = messages.KindIgnored, ReasonManualResume
	}
	e.eff.Kind = kind
	switch kind {
	case messages.KindIgnored:
		e.eff.Note = reason
		return e.finish()
	case messages.KindLog:
		return e.finish()
	case messages.KindStart:
		e.st.LastStart, e.st.LastStartRID = e.now, p.RID
		e.st.RunDeadline = time.Time{}
		// A new check has no deadlines (docs/architecture.md#check-rules): its first run is not timed; nor is a
		// paused check's, which has none either.
		if e.active() && c.maxRuntime() > 0 {
			e.st.RunDeadline = e.now.Add(c.maxRuntime())
		}
		return e.finish()
	}
	if reason == "" {
		if ok, why := c.Rule.CheckWith(p.Body, p.Query, p.Rule); !ok {
			reason = why
			e.eff.Kind = messages.KindFail
		} else {
			e.eff.Note = why // a rule not evaluated (budget): the ping counts as sent
		}
	}
	e.st.LastPing, e.st.LastPingKind = e.now, kind
	e.endRun(p.RID)
	e.arm(e.now) // the job ran, well or not: the next period starts now
	if reason == "" {
		e.success()
	} else {
		e.failure(e.now, reason)
		e.eff.Reason = reason
	}
	return e.finish()
}

// OnTick evaluates the deadlines that passed by now, in the order they passed: a run over
// its max runtime and each missed period are one failure each, the end of a flap
// suppression reports the state; then the re-alert. It is what the deadline wheel sends at
// NextWakeAt, and what activation sends to catch up on deadlines missed while nobody owned
// the check.
func OnTick(c Config, st messages.CheckState, now time.Time) Effects {
	e := begin(c, st, now)
	if !e.active() {
		e.endSuppressionIfDue() // a paused or new check has no other deadline
		return e.finish()
	}
	if e.st.DownAlerted {
		e.disarm()
	}
	for missed := 0; ; {
		runDue := due(e.st.RunDeadline, e.now)
		schedDue := due(e.st.NextDeadline, e.now)
		// The end of a suppression first on a tie: a change at that very instant is no
		// longer suppressed (the suppression lasts Suppress after the latest change).
		endDue := due(e.st.SuppressUntil, e.now) &&
			(!schedDue || !e.st.NextDeadline.Before(e.st.SuppressUntil)) &&
			(!runDue || !e.st.RunDeadline.Before(e.st.SuppressUntil))
		switch {
		case endDue:
			e.endSuppression()
		case schedDue && (!runDue || !e.st.RunDeadline.Before(e.st.NextDeadline)):
			if missed == maxMissedPerEvent {
				// Skip, uncounted, to the first period whose deadline is still ahead.
				e.arm(e.now.Add(-c.grace()))
				continue
			}
			missed++
			at := e.st.NextDeadline
			e.failure(at, ReasonMissed)
			if !e.st.DownAlerted {
				// Still counting: the next period's deadline counts too (docs/architecture.md#check-rules).
				e.arm(e.st.NextDue)
			}
		case runDue:
			at := e.st.RunDeadline
			if at.Before(e.st.LastPing) {
				// A ping (another run's end) was handled before this overdue tick: the
				// failure is recorded after it, so flips never go back in time.
				at = e.st.LastPing
			}
			e.st.LastStart, e.st.LastStartRID, e.st.RunDeadline = time.Time{}, "", time.Time{}
			e.failure(at, ReasonMaxRuntime)
		default:
			e.realert()
			return e.finish()
		}
	}
}

// OnPause pauses the check: no deadlines, no failures counted, no alert owed.
func OnPause(c Config, st messages.CheckState, now time.Time) Effects {
	e := begin(c, st, now)
	e.endSuppressionIfDue()
	if e.st.Status == messages.StatusPaused {
		return e.finish()
	}
	e.flip(e.now, messages.StatusPaused, ReasonPaused)
	e.st.FailureCount = 0
	e.disarm()
	e.st.LastStart, e.st.LastStartRID, e.st.RunDeadline = time.Time{}, "", time.Time{}
	e.clearDown()
	return e.finish()
}

// OnResume unpauses the check: new if it was never pinged, else up with a deadline computed
// from now (docs/architecture.md#check-rules).
func OnResume(c Config, st messages.CheckState, now time.Time) Effects {
	e := begin(c, st, now)
	e.endSuppressionIfDue()
	if e.st.Status != messages.StatusPaused {
		return e.finish()
	}
	if e.st.LastPing.IsZero() {
		e.flip(e.now, messages.StatusNew, ReasonResumed)
		return e.finish()
	}
	e.flip(e.now, messages.StatusUp, ReasonResumed)
	e.arm(e.now)
	return e.finish()
}

// OnReconfigure recomputes the deadlines after the schedule, grace, max runtime or re-alert
// interval changed. An up check is re-armed from its last ping, so a shortened period can
// make it due at once (the next tick counts it), unless it has not been pinged since it was
// resumed: its period started at the resume, so it is re-armed from now. A down check still
// counting failures is re-armed from now: the periods before now were already counted.
func OnReconfigure(c Config, st messages.CheckState, now time.Time) Effects {
	e := begin(c, st, now)
	e.endSuppressionIfDue()
	if !e.active() {
		return e.finish()
	}
	switch {
	case e.st.Status == messages.StatusUp:
		from := e.st.LastPing
		// While up, LastReason is the reason of the flip to up: "resumed" means the
		// period began at a resume we do not know the time of, after LastPing. Now is
		// the conservative anchor: never a failure for a period the check was paused in.
		if from.IsZero() || e.st.LastReason == ReasonResumed {
			from = e.now
		}
		e.arm(from)
	case !e.st.DownAlerted:
		e.arm(e.now)
	}
	if !e.st.LastStart.IsZero() {
		e.st.RunDeadline = time.Time{}
		if c.maxRuntime() > 0 {
			e.st.RunDeadline = e.st.LastStart.Add(c.maxRuntime())
		}
	}
	switch iv := c.realertInterval(); {
	case iv <= 0:
		e.st.RealertDue = time.Time{}
	case e.st.Status == messages.StatusDown && e.st.DownAlerted && e.st.RealertDue.IsZero():
		e.st.RealertDue = e.now.Add(iv)
	}
	return e.finish()
}

// eval is one evaluation: the state as passed in, the state being built and the effects.
type eval struct {
	c   Config
	in  messages.CheckState
	st  messages.CheckState
	now time.Time
	eff Effects
}

// begin starts an evaluation. It returns a value, not a pointer, so that the evaluation (over
// a kilobyte: the config and two states) stays on the caller's stack: one per ping.
func begin(c Config, st messages.CheckState, now time.Time) eval {
	// State times are UTC without a monotonic reading, so they compare and persist as stored.
	return eval{c: c, in: st, st: st, now: now.UTC().Round(0)}
}

// finish recomputes NextWakeAt and returns the effects.
func (e *eval) finish() Effects {
	e.st.NextWakeAt = nextWake(e.st)
	e.eff.State = e.st
	e.eff.Changed = !SameState(e.st, e.in) || e.eff.Flip != nil || len(e.eff.Alerts) > 0
	return e.eff
}

// SameState reports whether a and b are equal: field by field as == would compare them, and
// the flap histories as instants (CheckState holds a slice, so == does not compile for it,
// and a nil history equals an empty one). It runs on every event, so it compares by hand
// instead of with reflect.DeepEqual (6 % of a ping's CPU); TestSameStateCoversEveryField
// fails when a field is added to CheckState and not here.
func SameState(a, b messages.CheckState) bool {
	return a.Status == b.Status &&
		a.LastPing == b.LastPing &&
		a.LastPingKind == b.LastPingKind &&
		a.LastStart == b.LastStart &&
		a.LastStartRID == b.LastStartRID &&
		a.LastDuration == b.LastDuration &&
		a.NextDue == b.NextDue &&
		a.NextDeadline == b.NextDeadline &&
		a.RunDeadline == b.RunDeadline &&
		a.RealertDue == b.RealertDue &&
		a.NextWakeAt == b.NextWakeAt &&
		a.NPings == b.NPings &&
		a.FailureCount == b.FailureCount &&
		a.DownFlip == b.DownFlip &&
		a.DownAlerted == b.DownAlerted &&
		a.RealertCount == b.RealertCount &&
		a.FlipSeq == b.FlipSeq &&
		a.LastReason == b.LastReason &&
		slices.EqualFunc(a.FlapHistory, b.FlapHistory, time.Time.Equal) &&
		a.FlapSince == b.FlapSince &&
		a.SuppressUntil == b.SuppressUntil &&
		a.LastSentStatus == b.LastSentStatus
}

// active reports whether the check has deadlines at all: new and paused checks have none.
func (e *eval) active() bool {
	return e.st.Status == messages.StatusUp || e.st.Status == messages.StatusDown
}

// flip changes the status at time at. An event causes at most one flip.
func (e *eval) flip(at time.Time, to messages.CheckStatus, reason string) *messages.Flip {
	e.st.FlipSeq++
	f := &messages.Flip{
		ID:      e.flipID(),
		CheckID: e.c.CheckID,
		At:      at,
		From:    e.st.Status,
		To:      to,
		Reason:  reason,
	}
	e.st.Status = to
	e.st.LastReason = reason
	e.eff.Flip = f
	if flaps(f.From, f.To) {
		e.flapped(at, f.From, f.To)
	}
	return f
}

// flipID is the id of the latest flip: the one that brought the check into its status.
func (e *eval) flipID() string {
	return fmt.Sprintf("%d.%d", e.c.CheckID, e.st.FlipSeq)
}

// alert writes a, unless flap suppression holds it back: while suppressed no down, up or
// realert alert is written (the end of the suppression reports the state they left). Flap
// notices are appended directly. LastSentStatus follows every down and up alert written.
func (e *eval) alert(a Alert) {
	if e.suppressed() {
		return
	}
	e.eff.Alerts = append(e.eff.Alerts, a)
	switch a.Kind {
	case messages.AlertDown:
		e.st.LastSentStatus = messages.StatusDown
	case messages.AlertUp:
		e.st.LastSentStatus = messages.StatusUp
	}
}

// success applies a ping that counts as a success.
func (e *eval) success() {
	e.st.FailureCount = 0
	if e.st.Status == messages.StatusUp {
		return
	}
	owed := e.st.Status == messages.StatusDown && e.st.DownAlerted && e.c.Cfg.NotifyOnUp
	from := e.st.Status
	f := e.flip(e.now, messages.StatusUp, ReasonSuccessPing)
	if owed {
		e.alert(Alert{
			Kind: messages.AlertUp, FlipID: f.ID,
			From: from, To: messages.StatusUp, Reason: ReasonSuccessPing, At: f.At,
		})
	}
	e.clearDown()
}

// failure applies one failure that happened at time at.
func (e *eval) failure(at time.Time, reason string) {
	if e.st.FailureCount < math.MaxInt32 {
		e.st.FailureCount++
	}
	e.st.LastReason = reason
	if e.st.Status != messages.StatusDown {
		f := e.flip(at, messages.StatusDown, reason)
		e.clearDown()
		e.st.DownFlip = f.ID
	}
	if !e.st.DownAlerted && e.st.FailureCount >= e.c.threshold() {
		// While suppressed the alert is held back but the down period counts as alerted
		// all the same: the schedule stops counting, and the end of the suppression
		// writes the down alert if the check is still down then.
		from := e.in.Status // the flip's From when this event flipped it
		if from == messages.StatusDown {
			from = e.downFrom()
		}
		e.alert(Alert{
			Kind: messages.AlertDown, FlipID: e.st.DownFlip,
			From: from, To: messages.StatusDown, Reason: reason, At: at,
		})
		e.st.DownAlerted = true
		e.st.RealertCount = 0
		if iv := e.c.realertInterval(); iv > 0 {
			e.st.RealertDue = e.now.Add(iv)
		}
	}
	if e.st.DownAlerted {
		// Alerted: the schedule stops counting until a success (docs/architecture.md#check-rules: a down check is
		// not re-failed every period with an ever-growing counter).
		e.disarm()
	}
}

// downFrom is the status the current down period came from, for a down alert written after
// the event that flipped it (the webhook's previous_status). The state does not keep it,
// but a check's first flip is from new, and a later flip into down is from up — unless the
// check was paused before it: a failure on a paused check (paused→down), or the first ping
// failing after a never-pinged check was resumed (new→down). Those read as up.
func (e *eval) downFrom() messages.CheckStatus {
	if e.st.DownFlip == fmt.Sprintf("%d.1", e.c.CheckID) {
		return messages.StatusNew
	}
	return messages.StatusUp
}

// realert writes the next re-alert if it is due, and moves RealertDue past now.
func (e *eval) realert() {
	if e.st.Status != messages.StatusDown || !e.st.DownAlerted {
		e.st.RealertDue, e.st.RealertCount = time.Time{}, 0
		return
	}
	iv := e.c.realertInterval()
	if iv <= 0 {
		e.st.RealertDue = time.Time{}
		return
	}
	if !due(e.st.RealertDue, e.now) {
		return
	}
	at := e.st.RealertDue
	// Once per tick, however many intervals passed (e.g. while ttr was stopped).
	skipped := e.now.Sub(at)/iv + 1
	e.st.RealertDue = at.Add(skipped * iv)
	if e.suppressed() {
		return // held back and not counted: re-alert numbers stay gapless
	}
	e.st.RealertCount++
	e.alert(Alert{
		Kind: messages.AlertRealert, FlipID: e.st.DownFlip, N: e.st.RealertCount,
		From: messages.StatusDown, To: messages.StatusDown, Reason: e.st.LastReason, At: at,
	})
}

// flaps reports whether a flip counts as a status change for flap detection: only up↔down
// does. The first ping of a new check, a pause and a resume are the user's doing or the
// check's birth, not the job's instability; a failure on a new or paused check (new→down,
// paused→down) is not counted either, for the same reason.
func flaps(from, to messages.CheckStatus) bool {
	return (from == messages.StatusUp && to == messages.StatusDown) ||
		(from == messages.StatusDown && to == messages.StatusUp)
}

// suppressed reports whether flap suppression holds alerts back.
func (e *eval) suppressed() bool { return !e.st.FlapSince.IsZero() }

// flapped records a status change from→to at time at (docs/architecture.md#alerting-rules). The history
// keeps the changes within Window of the latest, at most Changes of them, so it stays short
// and is persisted with the check. Changes of them start a suppression, with one flapping
// notice; every change while suppressed extends it to Suppress after that change.
func (e *eval) flapped(at time.Time, from, to messages.CheckStatus) {
	fc := e.c.flap()
	// A new slice every time: the input state may share the old one's array.
	h := make([]time.Time, 0, fc.Changes)
	for _, t := range e.st.FlapHistory {
		if at.Sub(t) <= fc.Window {
			h = append(h, t)
		}
	}
	if len(h) >= fc.Changes {
		h = h[len(h)-fc.Changes+1:]
	}
	h = append(h, at)
	e.st.FlapHistory = h
	if e.suppressed() {
		if end := at.Add(fc.Suppress); end.After(e.st.SuppressUntil) {
			e.st.SuppressUntil = end
		}
		return
	}
	if len(h) < fc.Changes {
		return
	}
	// FlapSince names the suppression in the notices' keys, so it is the time of the event,
	// not of the change: a change can be dated back (a missed deadline found late, a run
	// over its max runtime dated at the last ping) to before a suppression that already
	// ended, but the owner's clock does not go back. A suppression lasts at least
	// MinFlapSuppress from FlapSince, even for a change dated back further, and the next
	// can only start at an event after it ended: two suppressions of one check never
	// start in the same second.
	e.st.FlapSince, e.st.SuppressUntil = e.now, at.Add(fc.Suppress)
	if end := e.now.Add(MinFlapSuppress); e.st.SuppressUntil.Before(end) {
		e.st.SuppressUntil = end
	}
	e.eff.Alerts = append(e.eff.Alerts, Alert{
		Kind: messages.AlertFlapping, CheckID: e.c.CheckID, Since: e.now,
		Changes: int32(len(h)), Window: fc.Window, Suppress: fc.Suppress,
		From: from, To: to, Reason: ReasonFlapping, At: at,
	})
}

// endSuppressionIfDue ends a suppression whose end passed by now, before the event itself
// is applied: the event then happens unsuppressed, as it did.
func (e *eval) endSuppressionIfDue() {
	if due(e.st.SuppressUntil, e.now) {
		e.endSuppression()
	}
}

// endSuppression ends the suppression at SuppressUntil: a flap-end notice, always, then the
// current status if it differs from the last one sent and the alert rules allow it — a down
// alert only for a down period that reached notify_after_failures, an up alert only after
// a down alert and with notify_on_up. The notice and the alert are two messages: the alert
// keeps its kind and key, so receivers and the notifier's "up after a down" rule see the
// same down and up alerts as without flapping.
func (e *eval) endSuppression() {
	at, since := e.st.SuppressUntil, e.st.FlapSince
	e.st.FlapSince, e.st.SuppressUntil = time.Time{}, time.Time{}
	status := e.st.Status
	e.eff.Alerts = append(e.eff.Alerts, Alert{
		Kind: messages.AlertFlapEnd, CheckID: e.c.CheckID, Since: since,
		From: status, To: status, Reason: ReasonStable, At: at,
	})
	switch last := e.st.LastSentStatus; {
	case status == messages.StatusDown && e.st.DownAlerted && last != messages.StatusDown:
		// Its down alert was held back (every down period that started before the
		// suppression ended with a change during it), so this is its first.
		e.alert(Alert{
			Kind: messages.AlertDown, FlipID: e.st.DownFlip,
			From: e.downFrom(), To: messages.StatusDown, Reason: e.st.LastReason, At: at,
		})
		e.st.RealertCount = 0
		if iv := e.c.realertInterval(); iv > 0 {
			e.st.RealertDue = e.now.Add(iv) // re-alerts count from the down alert
		}
	case status == messages.StatusUp && last == messages.StatusDown && e.c.Cfg.NotifyOnUp:
		e.alert(Alert{
			Kind: messages.AlertUp, FlipID: e.flipID(),
			From: messages.StatusDown, To: messages.StatusUp, Reason: e.st.LastReason, At: at,
		})
	}
}

// endRun ends the run in progress if the ping's run id allows it, recording its duration.
func (e *eval) endRun(rid string) {
	if e.st.LastStart.IsZero() {
		return
	}
	if rid != "" && e.st.LastStartRID != "" && rid != e.st.LastStartRID {
		return // another run's end: the started one goes on
	}
	e.st.LastDuration = max(e.now.Sub(e.st.LastStart), 0)
	e.st.LastStart, e.st.LastStartRID, e.st.RunDeadline = time.Time{}, "", time.Time{}
}

// arm sets the schedule deadline to the first period due after from, or clears it when the
// schedule has no further due time.
func (e *eval) arm(from time.Time) {
	if e.c.Schedule == nil {
		e.disarm()
		return
	}
	next, ok := e.c.Schedule.Next(from)
	if !ok || !next.After(from) {
		e.disarm()
		return
	}
	next = next.UTC().Round(0)
	e.st.NextDue, e.st.NextDeadline = next, next.Add(e.c.grace())
}

func (e *eval) disarm() {
	e.st.NextDue, e.st.NextDeadline = time.Time{}, time.Time{}
}

// clearDown forgets the down period: its flip, its alert and its re-alerts.
func (e *eval) clearDown() {
	e.st.DownFlip, e.st.DownAlerted = "", false
	e.st.RealertDue, e.st.RealertCount = time.Time{}, 0
}

// classify returns the effective kind of a ping and, for a failure, its reason. An unknown
// kind yields "" (ignored).
func classify(p PingInput) (kind messages.PingLogKind, reason string) {
	switch {
	case p.Kind == messages.KindLog, p.Kind == messages.KindStart:
		return p.Kind, ""
	case p.Kind != messages.KindSuccess && p.Kind != messages.KindFail:
		return "", ""
	case p.ExitStatus > 0:
		return messages.KindFail, fmt.Sprintf("exit code %d", p.ExitStatus)
	case p.ExitStatus == 0:
		return messages.KindSuccess, ""
	case p.Kind == messages.KindFail:
		return messages.KindFail, ReasonFailPing
	default:
		return messages.KindSuccess, ""
	}
}

// nextWake is the earliest deadline the wheel must wake the check for; zero when none. The
// end of a flap suppression is one, whatever the status: it may owe a notice and an alert.
func nextWake(st messages.CheckState) time.Time {
	ts := []time.Time{st.SuppressUntil}
	if st.Status == messages.StatusUp || st.Status == messages.StatusDown {
		ts = append(ts, st.NextDeadline, st.RunDeadline, st.RealertDue)
	}
	var w time.Time
	for _, t := range ts {
		if !t.IsZero() && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	return w
}

// due reports whether deadline t is set and has passed at now.
func due(t, now time.Time) bool {
	return !t.IsZero() && !t.After(now)
}
