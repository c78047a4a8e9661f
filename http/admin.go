package http

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/http/adminauth"
	"github.com/ttr-rip/ttr/http/siteadmin"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// AdminStore is what the operator side reads and writes: admins and their tokens, and the
// queries across users. persistence.Store implements it.
type AdminStore interface {
	persistence.AdminStore
	persistence.SiteStore
}

// AdminDeps are the operator side's collaborators (Deps.Admin). Without them the edge serves
// no admin route and no /metrics.
type AdminDeps struct {
	Store AdminStore
	// Tokens mints and parses admin JWTs (signing key: the key ring's Derive of
	// adminauth.KeyLabel).
	Tokens *adminauth.Tokens
	// Verifier checks passwords, spending the same time on unknown usernames.
	Verifier *adminauth.Verifier
	// Metrics is served at /metrics on the public listener to a metrics token or an admin;
	// nil = not served there.
	Metrics prometheus.Gatherer
	// Nodes lists the cluster's members for the admin stats; nil = this node alone.
	Nodes func() []Node
	// Site carries out sign-ins and actions (shared with the admin pages); nil = one built
	// from Store, Verifier and the edge's Checks, Limits, Activity and Sessions.
	Site *siteadmin.Service
}

// Node is a member of the cluster as the admin API and pages show it.
type Node = siteadmin.Node

// siteAdminStore joins the admin store and the edge's store's check list into what
// siteadmin needs.
type siteAdminStore struct {
	AdminStore
	checks interface {
		ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error)
	}
}

func (s siteAdminStore) ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error) {
	return s.checks.ListChecks(ctx, userID, q)
}
