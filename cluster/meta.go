package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// State is a member's lifecycle state, published in its gossip metadata.
type State string

// Member states (docs/architecture.md#lifecycle). Only active members own identities.
const (
	// StateJoining: the node is in the cluster but still loading and arming what it will own.
	StateJoining State = "joining"
	// StateActive: the node owns its share of identities.
	StateActive State = "active"
	// StateDraining: the node is leaving; peers stop routing to it.
	StateDraining State = "draining"
)

// Valid reports whether s is one of the known states.
func (s State) Valid() bool {
	return s == StateJoining || s == StateActive || s == StateDraining
}

// ProtocolVersion is the version of the node-to-node protocol (envelope types and their
// meaning) this build speaks. It is published in the metadata; a member whose version is
// outside [MemberlistConfig.MinProtocol, MemberlistConfig.MaxProtocol] is never placed.
const ProtocolVersion uint8 = 1

// metaVersion is the version of the metadata encoding. Fields may be added without a new
// version (decoders ignore fields they do not know); it changes only when an existing field
// changes meaning, and a member whose metadata is newer than this is never placed.
const metaVersion = 1

// metaMaxSize is memberlist's limit on node metadata (memberlist.MetaMaxSize); memberlist
// panics when a delegate returns more.
const metaMaxSize = 512

// Limits on configured strings, so that the metadata always fits in metaMaxSize.
const (
	maxNodeNameLen = 64
	maxNodeIDLen   = 64
	maxAddrLen     = 100
)

// meta is what a node tells the others about itself, as JSON: compact enough (about 150
// bytes), and decodable by any later version that only adds fields.
type meta struct {
	V        int    `json:"v"`
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Remote   string `json:"remote"`
	HTTP     string `json:"http,omitempty"`
	Protocol uint8  `json:"proto"`
	State    State  `json:"state"`
	StoreOK  bool   `json:"store_ok"`
	// TLS is the member's remote: "on" or "permit" (mutual TLS); absent before TLS existed.
	TLS string `json:"tls,omitempty"`
	// Key names the member's own gossip key (keyID), absent without one.
	Key string `json:"key,omitempty"`
}

func encodeMeta(m meta) ([]byte, error) {
	m.V = metaVersion
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(b) > metaMaxSize {
		return nil, fmt.Errorf("node metadata is %d bytes, more than memberlist's %d", len(b), metaMaxSize)
	}
	return b, nil
}

// errMetaTooNew marks metadata written by a newer, incompatible version of ttr.
var errMetaTooNew = errors.New("metadata version is newer than this node understands")

// decodeMeta decodes and checks the metadata gossiped by node name. It never panics,
// whatever b holds.
func decodeMeta(name string, b []byte) (meta, error) {
	var m meta
	if len(b) == 0 {
		return m, errors.New("no metadata")
	}
	if len(b) > metaMaxSize {
		return m, fmt.Errorf("metadata of %d bytes", len(b))
	}
	// Read the version alone first: a newer encoding may not fit today's field types.
	var v struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return m, fmt.Errorf("undecodable metadata: %w", err)
	}
	switch {
	case v.V > metaVersion:
		return m, fmt.Errorf("%w (%d > %d)", errMetaTooNew, v.V, metaVersion)
	case v.V < 1:
		return m, fmt.Errorf("metadata version %d", v.V)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("undecodable metadata: %w", err)
	}
	if m.ID != name {
		return m, fmt.Errorf("metadata names node %q", m.ID)
	}
	if m.ID == "" || len(m.ID) > maxNodeIDLen {
		return m, errors.New("bad node id")
	}
	if err := checkHostPort(m.Remote); err != nil {
		return m, fmt.Errorf("remote address: %w", err)
	}
	if m.HTTP != "" {
		if err := checkHostPort(m.HTTP); err != nil {
			return m, fmt.Errorf("http address: %w", err)
		}
	}
	if len(m.Name) > maxNodeNameLen {
		return m, errors.New("display name too long")
	}
	return m, nil
}

// checkHostPort accepts "host:port" with a non-empty host and a port in 1..65535.
func checkHostPort(addr string) error {
	if addr == "" {
		return errors.New("empty")
	}
	if len(addr) > maxAddrLen {
		return fmt.Errorf("longer than %d bytes", maxAddrLen)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("%q has no host", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q has a bad port", addr)
	}
	return nil
}
