package remotesync

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
)

// endpointSupervisorName is the name remote registers its endpoint supervisor under
// (remote/endpoint_manager.go).
const endpointSupervisorName = "EndpointSupervisor"

// Stop stops r, the remote endpoint of system, and waits for its gRPC goroutines: the server
// (remote.Shutdown stops it and waits for its connections), the endpoint writers (stopping
// their supervisor closes their client connections) and the outbound transports conns tracks
// (closed by a peer, they end on goroutines nothing else waits for). conns may be nil when
// the remote was given no tracker. It does not shut system down.
func Stop(system *actor.ActorSystem, r *remote.Remote, conns *ConnTracker, timeout time.Duration) error {
	var errs []error
	r.Shutdown(false)
	root := system.Root
	sup := system.NewLocalPID(endpointSupervisorName)
	if err := root.StopFuture(sup).Wait(); err != nil {
		errs = append(errs, fmt.Errorf("stop remote endpoints: %w", err))
	}
	if conns != nil && !conns.Wait(timeout) {
		errs = append(errs, fmt.Errorf("outbound connections still open after %v", timeout))
	}
	// Park the supervisor's name: a send to a peer not connected yet asks the supervisor for an
	// endpoint and type-asserts the answer, so a stopped supervisor's dead-letter answer would
	// panic the sender. An empty actor never answers: such a late send waits instead.
	if _, err := root.SpawnNamed(actor.PropsFromFunc(func(actor.Context) {}), endpointSupervisorName); err != nil {
		errs = append(errs, fmt.Errorf("park remote endpoints: %w", err))
	}
	return errors.Join(errs...)
}
