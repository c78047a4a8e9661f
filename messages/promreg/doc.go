// Package promreg registers Prometheus collectors the one way ttr registers them.
//
// It lives under messages, the one package tree every layer may import (docs/architecture.md:
// cluster may import only messages, http only messages and pure actors packages), and it
// imports nothing of ours, so using it pulls in no actor stack. It is plumbing beside the
// domain, like messages/waittest and messages/backoff.
package promreg
