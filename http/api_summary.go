package http

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/persistence"
)

// routeSummary is the metrics summary.
const routeSummary = "/api/v1/metrics/summary"

// Health colours of the summary.
const (
	healthGreen  = "green"
	healthYellow = "yellow"
	healthRed    = "red"
)

// Thresholds of the outbox's health colour: alerts waiting to be delivered.
const (
	outboxYellow = 100
	outboxRed    = 1000
)

// summaryJSON is GET /api/v1/metrics/summary: for a user their own checks, for an admin the
// whole installation (Site), with health colours either way.
type summaryJSON struct {
	Scope       string            `json:"scope"` // "user" | "cluster"
	Checks      statsJSON         `json:"checks"`
	NodesOnline int               `json:"nodes_online"`
	Health      map[string]string `json:"health"`
	Site        *siteJSON         `json:"site,omitempty"`
}

// checksHealth is red with a check down, yellow with one late, green otherwise.
func checksHealth(st statsJSON) string {
	switch {
	case st.Down > 0:
		return healthRed
	case st.Late > 0:
		return healthYellow
	}
	return healthGreen
}

// outboxHealth colours the alert backlog.
func outboxHealth(pending int64) string {
	switch {
	case pending >= outboxRed:
		return healthRed
	case pending >= outboxYellow:
		return healthYellow
	}
	return healthGreen
}

// nodesHealth is red with no node online, yellow while some member is not, green otherwise.
func nodesHealth(online, total int) string {
	switch {
	case online == 0:
		return healthRed
	case online < total:
		return healthYellow
	}
	return healthGreen
}

// authedSummary: GET /api/v1/metrics/summary. An admin access token (Authorization: Bearer)
// gets the cluster-wide figures; a user's key gets their own. ETag'd (weak, over the body).
func (s *Server) authedSummary(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if _, ok := bearerToken(r); ok && s.deps.Admin != nil {
		s.adminAuthed(routeSummary, func(w http.ResponseWriter, r *http.Request, _ adminArgs) error {
			site, err := s.site(r)
			if err != nil {
				return err
			}
			out := summaryJSON{Scope: "cluster", Checks: site.Checks, NodesOnline: site.NodesOnline, Site: &site,
				Health: map[string]string{
					"checks": checksHealth(site.Checks), "outbox": outboxHealth(site.OutboxPending),
					"nodes": nodesHealth(site.NodesOnline, len(site.Nodes)),
				}}
			return writeETagged(w, r, out)
		})(w, r, nil)
		return
	}
	s.authed(routeSummary, func(w http.ResponseWriter, r *http.Request, a apiArgs) error {
		st, err := s.deps.Store.CheckStats(r.Context(), a.user.ID, s.now())
		if err != nil {
			return err
		}
		return writeETagged(w, r, s.userSummary(st, s.clusterNodes()))
	})(w, r, nil)
}

// clusterNodes lists the cluster's members: nil when the edge has no list (this node alone),
// never nil when it has one, even an empty one (no node online).
func (s *Server) clusterNodes() []Node {
	if s.deps.Admin != nil && s.deps.Admin.Nodes != nil {
		if nodes := s.deps.Admin.Nodes(); nodes != nil {
			return nodes
		}
		return []Node{}
	}
	return nil
}

// userSummary is a user's metrics summary: their check counts, the nodes online (of nodes, as
// clusterNodes lists them), health.
func (s *Server) userSummary(st persistence.Stats, nodes []Node) summaryJSON {
	checks := statsJSON{Total: st.Total, New: st.New, Up: st.Up, Down: st.Down, Paused: st.Paused, Late: st.Late}
	online := 1
	if nodes != nil {
		online = 0
		for _, n := range nodes {
			if n.Online() {
				online++
			}
		}
	}
	return summaryJSON{Scope: "user", Checks: checks, NodesOnline: online,
		Health: map[string]string{"checks": checksHealth(checks)}}
}

// writeETagged answers v as JSON with a weak ETag over its body, or 304 when If-None-Match
// names it.
func writeETagged(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `W/"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	w.Header().Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
	return nil
}
