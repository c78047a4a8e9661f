// Package selection decides which checks and users the cleanup of inactive accounts removes
// (docs/operations.md, "Cleanup of inactive checks and users"). It is pure: it reads no
// clock (now is an argument), no store and no actor, so the daemon's run and
// `ttrd cleanup --dry-run` compute the same set from the same rows.
//
// It may import messages and actors/schedule (for the gap between a schedule's due times)
// and nothing else of ours.
package selection
