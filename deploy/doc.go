// Package deploy holds no code: it owns the deployment files next to it (docker-compose with
// Caddy, Kubernetes manifests, a systemd unit) and, in its test, the check that their flags,
// environment names, ports, probe paths and stop timeouts match what ttrd accepts. It imports
// nothing of ours; the test builds cmd/ttrd and reads its -h output.
package deploy
