package cluster

import "fmt"

// startOnce is the start rule every service of this package follows (Node, Memberlist,
// Lease, StallDetector): Start runs once and never after Stop, and after a failed Start it
// may be tried again. It answers errStopped for a stopped service, an error naming what for
// a started one, and nil when Start may go on.
func startOnce(what string, started, stopped bool, errStopped error) error {
	switch {
	case stopped:
		return errStopped
	case started:
		return fmt.Errorf("%s already started", what)
	}
	return nil
}
