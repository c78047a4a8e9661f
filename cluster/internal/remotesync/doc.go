// Package remotesync starts and stops protoactor remotes so that several of them can live in
// one process (tests) without a data race on grpc's process-global logger.
//
// remote.Start replaces that logger (grpclog.SetLoggerV2, an unsynchronised write) every
// time, and every gRPC goroutine reads it whenever it logs: a server starting to serve, a
// handshake that fails, a client connection closing. The race detector reports any such read
// that no happens-before edge orders with a Start, however far apart in time. With one remote
// per process (the daemon) only that remote's own goroutines exist and all start after its
// Start; with several, each must be ordered with the others:
//
//   - Probe makes a start return only once the new server's accept loop has logged its
//     start-up, through an edge the detector sees; the next Start comes after that read.
//   - Stop returns only once the remote's server, endpoint writers and outbound transports
//     have finished, so their last reads come before whatever Start follows.
//
// What neither covers: a remote started while another one carries traffic (its transports
// log on their own goroutines at any time). Start every remote a test needs before traffic
// flows, and stop them with Stop.
package remotesync
