// Package checklogic is the state machine of one check (docs/architecture.md#check-rules
// and #alerting-rules): given a check's compiled
// configuration, its persisted state and one event — a ping, a tick of the deadline wheel,
// a pause, a resume or a configuration change — it returns the new state and what the event
// changed: at most one flip, the alerts to write to the outbox, and the reason a ping
// counted as a failure. The check actor persists all of it in one write.
//
// Flap suppression lives in the state too (FlapHistory, FlapSince, SuppressUntil,
// LastSentStatus), so it survives restarts and handovers. Only up↔down flips count as
// status changes. FlapConfig.Changes of them within Window start a suppression: one
// flapping notice, then no down, up or realert alert until Suppress after the latest change
// (each change extends it; the flips are recorded all the same, and a down period that
// reaches notify_after_failures meanwhile counts as alerted). Its end is one of the check's
// deadlines (NextWakeAt): a flap-end notice, always, then a down or up alert if the status
// differs from LastSentStatus and the alert rules allow it — two messages, so that the
// down/up alerts keep their kinds and keys for receivers and the notifier.
//
// It is pure: no actor, SQL, HTTP or clock. The time of the event is always a parameter, and
// every time it computes (a flip at a missed deadline, a max-runtime failure) is the time the
// change really happened, not the time it was noticed.
//
// It imports messages, actors/schedule, actors/contentrule and its own pingfilter.
package checklogic
