package hcapi

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// serveMetrics serves healthchecks.io's per-project Prometheus endpoint:
// /projects/{project}/metrics/{key}, /projects/{project}/checks/metrics/{key}, and
// /projects/{project}/metrics/ with "Authorization: Bearer {key}". The key must be read-only
// (a read-write key in a scrape URL would end up in logs); {project} is not read, as
// healthchecks.io reads only the key.
func (h *Handler) serveMetrics(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, prefixProjects)
	_, tail, ok := strings.Cut(rest, "/")
	if !ok {
		h.setRoute(r, "/projects/unmatched")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	var key string
	switch {
	case tail == "metrics/":
		h.setRoute(r, "/projects/{project}/metrics/")
		auth := r.Header.Get("Authorization")
		k, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		key = k
	case strings.HasPrefix(tail, "metrics/") && !strings.Contains(tail[len("metrics/"):], "/"):
		h.setRoute(r, "/projects/{project}/metrics/{key}")
		key = tail[len("metrics/"):]
	case strings.HasPrefix(tail, "checks/metrics/") && !strings.Contains(tail[len("checks/metrics/"):], "/"):
		h.setRoute(r, "/projects/{project}/checks/metrics/{key}")
		key = tail[len("checks/metrics/"):]
	default:
		h.setRoute(r, "/projects/unmatched")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if key == "" || len(key) > maxKeyLen {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	lim := h.deps.Limits
	ip := lim.ClientIP(r)
	if err := lim.APIClient(ip); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := lim.AuthBlocked(ip); err != nil {
		h.fail(w, r, err)
		return
	}
	cred, err := h.deps.Resolver.ResolveAPIKey(r.Context(), key, ip)
	if err != nil {
		switch messages.CodeOf(err) {
		case messages.ENotFound, messages.EUnauthorized:
			if lerr := lim.AuthFailed(r.Context(), ip); lerr != nil {
				h.fail(w, r, lerr)
				return
			}
			w.WriteHeader(http.StatusForbidden)
		default:
			h.fail(w, r, err)
		}
		return
	}
	if !cred.ReadOnly || !cred.User.DisabledAt.IsZero() {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	checks, err := h.allChecks(r.Context(), cred.User.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	WriteMetrics(w, checks, h.now())
}

// esc escapes a label value as healthchecks.io's metrics view does.
func esc(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// WriteMetrics writes healthchecks.io's metrics of checks (in id order): per check
// hc_check_up, hc_check_started, hc_check_grace and hc_check_paused labelled by name, tags
// and unique_key; per tag hc_tag_up; and hc_checks_total and hc_checks_down_total — with its
// HELP texts.
func WriteMetrics(w io.Writer, checks []messages.Check, now time.Time) {
	type row struct {
		labels  string
		status  string
		started int
	}
	rows := make([]row, len(checks))
	for i, c := range checks {
		rows[i] = row{
			labels: fmt.Sprintf(`{name="%s", tags="%s", unique_key="%s"}`, esc(c.Name), esc(strings.Join(c.Tags, " ")), UniqueKey(c.UUID)),
			status: Status(c, 3, now),
		}
		if !c.LastStart.IsZero() {
			rows[i].started = 1
		}
	}
	b := &strings.Builder{}
	gauge := func(name, help string, value func(row) int) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, r := range rows {
			fmt.Fprintf(b, "%s%s %d\n", name, r.labels, value(r))
		}
		b.WriteString("\n")
	}
	gauge("hc_check_up", "Whether the check is currently up (1 for yes, 0 for no).", func(r row) int { return b2i(r.status != string(messages.StatusDown)) })
	gauge("hc_check_started", "Whether the check is currently started (1 for yes, 0 for no).", func(r row) int { return r.started })
	gauge("hc_check_grace", "Whether the check is currently in the grace period (1 for yes, 0 for no).", func(r row) int { return b2i(r.status == "grace") })
	gauge("hc_check_paused", "Whether the check is currently paused (1 for yes, 0 for no).", func(r row) int { return b2i(r.status == string(messages.StatusPaused)) })

	all, down := map[string]bool{}, map[string]bool{}
	numDown := 0
	for i, c := range checks {
		for _, t := range c.Tags {
			all[t] = true
			if rows[i].status == string(messages.StatusDown) {
				down[t] = true
			}
		}
		if rows[i].status == string(messages.StatusDown) {
			numDown++
		}
	}
	tags := make([]string, 0, len(all))
	for t := range all {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	b.WriteString("# HELP hc_tag_up Whether all checks with this tag are up (1 for yes, 0 for no).\n# TYPE hc_tag_up gauge\n")
	for _, t := range tags {
		fmt.Fprintf(b, "hc_tag_up{tag=\"%s\"} %d\n", esc(t), b2i(!down[t]))
	}
	b.WriteString("\n# HELP hc_checks_total The total number of checks.\n# TYPE hc_checks_total gauge\n")
	fmt.Fprintf(b, "hc_checks_total %d\n\n", len(checks))
	b.WriteString("# HELP hc_checks_down_total The number of checks currently down.\n# TYPE hc_checks_down_total gauge\n")
	fmt.Fprintf(b, "hc_checks_down_total %d\n", numDown)
	_, _ = io.WriteString(w, b.String())
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
