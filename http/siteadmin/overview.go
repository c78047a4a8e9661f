package siteadmin

import (
	"context"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Node is a member of the cluster as the admin API and pages show it.
type Node struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	HTTPAddr string `json:"http_addr"`
	State    string `json:"state"`
	StoreOK  bool   `json:"store_ok"`
	Self     bool   `json:"self"`
}

// Online reports whether the node serves: active, with a reachable store.
func (n Node) Online() bool { return n.State == "active" && n.StoreOK }

// Overview is the cluster-wide picture of the admin stats and the admin pages' summary.
type Overview struct {
	Stats       persistence.SiteStats
	Nodes       []Node
	NodesOnline int
}

// Overview reads the site's figures and the cluster's members.
func (s *Service) Overview(ctx context.Context) (Overview, error) {
	st, err := s.d.Store.SiteStats(ctx, s.now())
	if err != nil {
		return Overview{}, err
	}
	o := Overview{Stats: st, Nodes: s.Nodes(ctx)}
	for _, n := range o.Nodes {
		if n.Online() {
			o.NodesOnline++
		}
	}
	return o, nil
}

// Nodes lists the cluster's members (this node alone without Deps.Nodes).
func (s *Service) Nodes(ctx context.Context) []Node {
	if f := s.d.Nodes; f != nil {
		if n := f(); n != nil {
			return n
		}
	}
	state := "active"
	if s.d.Ready != nil && s.d.Ready(ctx) != nil {
		state = "not ready"
	}
	return []Node{{Name: "local", State: state, StoreOK: state == "active", Self: true}}
}

// MaxSearchLen bounds the check search (bytes).
const MaxSearchLen = 200

// Users returns a page of users with id > after, by id.
func (s *Service) Users(ctx context.Context, after int64, size int) ([]persistence.UserSummary, error) {
	return s.d.Store.ListUsers(ctx, after, size)
}

// SearchChecks returns a page of every user's checks with id > after whose name or slug
// contains q.
func (s *Service) SearchChecks(ctx context.Context, q string, after int64, size int) ([]persistence.CheckSummary, error) {
	if len(q) > MaxSearchLen {
		return nil, messages.Errorf(messages.EInvalid, "the search must be at most %d bytes", MaxSearchLen)
	}
	return s.d.Store.SearchChecks(ctx, q, after, size)
}
