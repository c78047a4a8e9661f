// Package checklogic is the state machine of one check (SPEC §1 "Status", "Run duration",
// "Alert rules", "Flip"; §4 "Alert kinds and keys"): given a check's compiled configuration,
// its persisted state and one event — a ping, a tick of the deadline wheel, a pause, a
// resume or a configuration change — it returns the new state and what the event changed:
// at most one flip, the alerts to write to the outbox, and the reason a ping counted as a
// failure. The check actor persists all of it in one write.
//
// It is pure: no actor, SQL, HTTP or clock. The time of the event is always a parameter, and
// every time it computes (a flip at a missed deadline, a max-runtime failure) is the time the
// change really happened, not the time it was noticed.
//
// It imports messages, actors/schedule and actors/contentrule.
package checklogic
