// Package pingfilter sorts a ping by a check's ping filter options (messages.PingFilter):
// the methods a check takes and the keywords of its body, as healthchecks.io does, so a check
// configured there classifies its pings the same way here (docs/api.md, "healthchecks.io
// compatibility"). It is pure: the check's options and the ping in, a verdict out.
//
// It imports messages only.
package pingfilter
