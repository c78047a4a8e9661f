// Package promreg registers Prometheus collectors the one way ttr registers them.
//
// It lives at the bottom of the module, importing nothing of ours, because every layer
// registers metrics and the import rules (docs/architecture.md) leave no higher common
// home: cluster may import only messages, http only messages and pure actors packages,
// and messages is the domain, not plumbing. A package under internal/ at the module root
// may be imported by all of them without pulling in the actor stack.
package promreg
