// Package check is the check actor: one virtual actor per check, holding its configuration
// and state, ordering its pings and edits, and turning each event into one version-fenced
// write through the node's write batcher. It replies only after the write commits. The pure
// rules live in actors/checklogic; this package decodes messages, calls them, and hands the
// result to the batcher, the wheel and the notifiers.
//
// Client is the other side: the typed API the edge uses, over the router.
package check
