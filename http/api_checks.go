package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Bounds of the log-like lists (pings, flips, deliveries): ?limit=1..maxLogLimit.
const (
	defaultLogLimit = 100
	maxLogLimit     = 1000
)

// createCheck: POST /api/v1/checks. It writes straight to the store: no actor exists yet.
// The body is read as an edit of the default configuration, by the rules every edit follows.
func (s *Server) createCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	id, err := uuid.NewRandom()
	if err != nil {
		return err
	}
	edit, err := s.decodeCheckEdit(w, r)
	if err != nil {
		return err
	}
	now := s.now()
	cfg, err := checkconfig.Edit(checkconfig.Default(id.String()), edit, id.String(), now)
	if err != nil {
		return err
	}
	if s.cfg.Quotas.Checks > 0 {
		st, err := s.deps.Store.CheckStats(r.Context(), a.user.ID, now)
		if err != nil {
			return err
		}
		if err := s.cfg.Quotas.AllowCheck(st.Total, 1); err != nil {
			return err
		}
	}
	c := checklogic.NewCheck(a.user.ID, id.String(), cfg, now)
	if err := s.deps.Store.CreateCheck(r.Context(), &c); err != nil {
		return slugConflict(err, cfg.Slug)
	}
	s.deps.Checks.Created(c.ID)
	w.Header().Set("Location", routeChecks+"/"+itoa(c.ID))
	setETag(w, c)
	writeJSON(w, http.StatusCreated, s.renderCheck(a.user, c, nil, now))
	return nil
}

// getCheck: GET /api/v1/checks/{id}, with the check's ETag. It never answers 304: the ETag
// names the configuration, and pings change the body without changing it.
func (s *Server) getCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.writeCheck(w, r, a)
}

// putCheck: PUT /api/v1/checks/{id}. Like PATCH it changes only the fields sent (the
// original's clients send partial PUTs): an omitted field keeps its value, null resets it.
func (s *Server) putCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.editCheck(w, r, a)
}

// patchCheck: PATCH /api/v1/checks/{id} changes only the fields sent.
func (s *Server) patchCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.editCheck(w, r, a)
}

// editCheck sends the body as an edit to the check's actor, which merges it into the
// configuration it holds (never read, merged and written back here: two edits of different
// fields both survive) and compares If-Match with the version it would change.
func (s *Server) editCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	ifMatch, err := parseIfMatch(r.Header)
	if err != nil {
		return err
	}
	edit, err := s.decodeCheckEdit(w, r)
	if err != nil {
		return err
	}
	edit.UserId, edit.IfConfigVersions = a.user.ID, ifMatch
	if err := s.deps.Checks.Edit(r.Context(), a.checkID, edit); err != nil {
		return slugConflict(err, edit.GetSlug())
	}
	return s.writeCheck(w, r, a)
}

// deleteCheck: DELETE /api/v1/checks/{id} answers 204 No Content.
func (s *Server) deleteCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	ifMatch, err := parseIfMatch(r.Header)
	if err != nil {
		return err
	}
	if err := s.deps.Checks.Delete(r.Context(), a.user.ID, a.checkID, ifMatch); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pauseCheck: POST /api/v1/checks/{id}/pause.
func (s *Server) pauseCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.command(w, r, a, s.deps.Checks.Pause)
}

// resumeCheck: POST /api/v1/checks/{id}/resume.
func (s *Server) resumeCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.command(w, r, a, s.deps.Checks.Resume)
}

// togglePauseCheck: POST /api/v1/checks/{id}/toggle-pause pauses an active check and resumes
// a paused one (the owner decides, on the status it holds).
func (s *Server) togglePauseCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	return s.command(w, r, a, s.deps.Checks.TogglePause)
}

// command runs a pause, resume or toggle with the request's If-Match and answers the check.
func (s *Server) command(w http.ResponseWriter, r *http.Request, a apiArgs,
	run func(ctx context.Context, userID, checkID int64, ifMatch []int64) error) error {
	ifMatch, err := parseIfMatch(r.Header)
	if err != nil {
		return err
	}
	if err := run(r.Context(), a.user.ID, a.checkID, ifMatch); err != nil {
		return err
	}
	return s.writeCheck(w, r, a)
}

// writeCheck reads the check (after a mutation: the actor answers only once its write is
// committed) and answers its JSON with its ETag, or its CheckJSON to an in-process caller
// that asked for it (inprocess.go).
func (s *Server) writeCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	c, chans, err := s.loadCheck(r.Context(), a.user.ID, a.checkID)
	if err != nil {
		return err
	}
	setETag(w, c)
	j := s.renderCheck(a.user, c, chans, s.now())
	return writeAnswer(w, r, http.StatusOK, &j)
}

func (s *Server) loadCheck(ctx context.Context, userID, checkID int64) (messages.Check, []messages.Channel, error) {
	c, err := s.deps.Store.GetCheck(ctx, userID, checkID)
	if err != nil {
		return messages.Check{}, nil, err
	}
	chans, err := s.deps.Store.Channels(ctx, userID, checkID)
	if err != nil {
		return messages.Check{}, nil, err
	}
	return c, chans, nil
}

// slugConflict words a store's or actor's EConflict for the user.
func slugConflict(err error, slug string) error {
	if messages.CodeOf(err) == messages.EConflict {
		return messages.Errorf(messages.EConflict, "slug %q is already used by another of your checks", slug)
	}
	return err
}

// statsJSON counts the user's checks, with averages over them and the last 24 hours.
type statsJSON struct {
	Total  int64 `json:"total"`
	New    int64 `json:"new"`
	Up     int64 `json:"up"`
	Down   int64 `json:"down"`
	Paused int64 `json:"paused"`
	Late   int64 `json:"late"`
	// AvgDurationSeconds is the mean last run duration of the checks that have one (null
	// when none has).
	AvgDurationSeconds *float64 `json:"avg_duration_seconds"`
	// Pings24h and Alerts24h count the pings received and the alerts queued (one per
	// channel; test sends excluded) in the last 24 hours; the averages are per check.
	Pings24h             int64   `json:"pings_24h"`
	Alerts24h            int64   `json:"alerts_24h"`
	AvgPingsPerCheck24h  float64 `json:"avg_pings_per_check_24h"`
	AvgAlertsPerCheck24h float64 `json:"avg_alerts_per_check_24h"`
}

// statsWindow is the window of the stats' recent counts.
const statsWindow = 24 * time.Hour

// checkStats: GET /api/v1/checks/stats, with a weak ETag of its body (304 on If-None-Match).
func (s *Server) checkStats(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	now := s.now()
	st, err := s.deps.Store.CheckStats(r.Context(), a.user.ID, now)
	if err != nil {
		return err
	}
	j, err := s.statsOf(r.Context(), a.user.ID, st, now)
	if err != nil {
		return err
	}
	return writeJSONTagged(w, r, a.user, j)
}

// statsOf completes the user's counts st with their activity of the last statsWindow.
func (s *Server) statsOf(ctx context.Context, userID int64, st persistence.Stats, now time.Time) (statsJSON, error) {
	act, err := s.deps.Store.CheckActivity(ctx, userID, now.Add(-statsWindow))
	if err != nil {
		return statsJSON{}, err
	}
	j := statsJSON{Total: st.Total, New: st.New, Up: st.Up, Down: st.Down, Paused: st.Paused, Late: st.Late,
		Pings24h: act.Pings, Alerts24h: act.Alerts}
	if act.DurationChecks > 0 {
		d := float64(act.AvgDuration.Milliseconds()) / 1000
		j.AvgDurationSeconds = &d
	}
	if st.Total > 0 {
		j.AvgPingsPerCheck24h = float64(act.Pings) / float64(st.Total)
		j.AvgAlertsPerCheck24h = float64(act.Alerts) / float64(st.Total)
	}
	return j, nil
}

// checkTags: GET /api/v1/checks/tags → {"tags": [{tag, count}]}, sorted by tag.
func (s *Server) checkTags(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	tags, err := s.deps.Store.CheckTags(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	if tags == nil {
		tags = []persistence.TagCount{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
	return nil
}

// slugCheck: GET /api/v1/checks/slug-check?slug=&check_id= says whether slug could be given
// to a new check (no check_id) or to check check_id. An invalid slug is "not available" with
// the reason; a check_id that is not the user's is 404.
func (s *Server) slugCheck(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	q := r.URL.Query()
	if !q.Has("slug") {
		return invalid("slug is required")
	}
	slug := q.Get("slug")
	var ownUUID string
	var except int64
	if v := q.Get("check_id"); v != "" {
		id, ok := parseID(v)
		if !ok {
			return invalid("check_id must be a positive integer")
		}
		c, err := s.deps.Store.GetCheck(r.Context(), a.user.ID, id)
		if err != nil {
			return err
		}
		ownUUID, except = c.UUID, id
	}
	type answer struct {
		Available bool   `json:"available"`
		Detail    string `json:"detail"`
	}
	if err := checkconfig.ValidateSlug(slug, ownUUID); err != nil {
		writeJSON(w, http.StatusOK, answer{false, messages.MessageOf(err)})
		return nil
	}
	taken, err := s.deps.Store.SlugTaken(r.Context(), a.user.ID, slug, except)
	if err != nil {
		return err
	}
	if taken {
		writeJSON(w, http.StatusOK, answer{false, "slug \"" + slug + "\" is already used by another of your checks"})
		return nil
	}
	writeJSON(w, http.StatusOK, answer{true, "slug is available"})
	return nil
}

// PingJSON is one row of a check's ping log.
type PingJSON struct {
	N          int64                `json:"n"`
	At         JSONTime             `json:"at"`
	Kind       messages.PingLogKind `json:"kind"`
	ExitStatus *int32               `json:"exit_status"`
	RID        *string              `json:"rid"`
	Method     string               `json:"method"`
	RemoteIP   string               `json:"remote_ip"`
	UserAgent  string               `json:"user_agent"`
	BodySize   int64                `json:"body_size"`
	BodyURL    *string              `json:"body_url"` // path of the raw body, when there is one
	RequestID  string               `json:"request_id"`
	Reason     *string              `json:"reason"` // why it counted as a failure (content rule)
	// ForwardedProto is the X-Forwarded-Proto of a trusted proxy (--trust-proxy), else null.
	ForwardedProto *string `json:"forwarded_proto"`
}

// PingLogJSON answers GET …/pings, newest first.
type PingLogJSON struct {
	Pings         []PingJSON `json:"pings"`
	PrunedBeforeN *int64     `json:"pruned_before_n"`
}

// listPings: GET /api/v1/checks/{id}/pings?limit= → PingLogJSON {"pings": [...],
// "pruned_before_n": n|null}, newest first. pruned_before_n is the n of the oldest ping kept
// when older ones were pruned (docs/api.md, "Checks").
func (s *Server) listPings(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	limit, err := queryInt(r.URL.Query(), "limit", defaultLogLimit, 1, maxLogLimit)
	if err != nil {
		return err
	}
	if _, err := s.deps.Store.GetCheck(r.Context(), a.user.ID, a.checkID); err != nil {
		return err
	}
	pings, err := s.deps.Store.ListPings(r.Context(), a.user.ID, a.checkID, limit)
	if err != nil {
		return err
	}
	out := PingLogJSON{Pings: make([]PingJSON, 0, len(pings))}
	for _, p := range pings {
		j := PingJSON{
			N: p.N, At: JSONTime(p.At), Kind: p.Kind, RID: nullString(p.RID), Method: p.Method,
			RemoteIP: p.RemoteIP, UserAgent: p.UserAgent, BodySize: p.BodySize, RequestID: p.RequestID,
			Reason: nullString(p.Reason), ForwardedProto: nullString(p.ForwardedProto),
		}
		if p.ExitStatus >= 0 {
			e := p.ExitStatus
			j.ExitStatus = &e
		}
		if p.BodySize > 0 {
			u := routeChecks + "/" + itoa(a.checkID) + "/pings/" + itoa(p.N) + "/body"
			j.BodyURL = &u
		}
		out.Pings = append(out.Pings, j)
	}
	start, err := s.pingLogStart(r.Context(), a, pings, limit)
	if err != nil {
		return err
	}
	if start > 1 {
		out.PrunedBeforeN = &start
	}
	return writeAnswer(w, r, http.StatusOK, &out)
}

// pingLogStart is the n of the oldest ping the check holds (0 when none): the last of a page
// that is not full, else the store's answer.
func (s *Server) pingLogStart(ctx context.Context, a apiArgs, page []messages.PingRecord, limit int) (int64, error) {
	if len(page) < limit {
		if len(page) == 0 {
			return 0, nil
		}
		return page[len(page)-1].N, nil
	}
	return s.deps.Store.PingLogStart(ctx, a.user.ID, a.checkID)
}

// pingBody: GET /api/v1/checks/{id}/pings/{n}/body answers the stored bytes as they are,
// never as something a browser would render.
func (s *Server) pingBody(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	p, err := s.deps.Store.GetPing(r.Context(), a.user.ID, a.checkID, a.n)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(p.Body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.Body)
	return nil
}

// FlipJSON is one recorded status change.
type FlipJSON struct {
	ID     string               `json:"id"`
	At     JSONTime             `json:"at"`
	From   messages.CheckStatus `json:"from"`
	To     messages.CheckStatus `json:"to"`
	Reason string               `json:"reason"`
	Node   string               `json:"node"`
}

// FlipLogJSON answers GET …/flips, newest first.
type FlipLogJSON struct {
	Flips []FlipJSON `json:"flips"`
}

// listFlips: GET /api/v1/checks/{id}/flips?limit= → FlipLogJSON {"flips": [...]}, newest first.
func (s *Server) listFlips(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	limit, err := queryInt(r.URL.Query(), "limit", defaultLogLimit, 1, maxLogLimit)
	if err != nil {
		return err
	}
	if _, err := s.deps.Store.GetCheck(r.Context(), a.user.ID, a.checkID); err != nil {
		return err
	}
	flips, err := s.deps.Store.ListFlips(r.Context(), a.user.ID, a.checkID, limit)
	if err != nil {
		return err
	}
	out := FlipLogJSON{Flips: make([]FlipJSON, 0, len(flips))}
	for _, f := range flips {
		out.Flips = append(out.Flips, FlipJSON{ID: f.ID, At: JSONTime(f.At), From: f.From, To: f.To, Reason: f.Reason, Node: f.Node})
	}
	return writeAnswer(w, r, http.StatusOK, &out)
}

// DeliveryJSON is one alert delivery: never its destination or payload.
type DeliveryJSON struct {
	ID            int64                 `json:"id"`
	Kind          messages.AlertKind    `json:"kind"`
	Channel       messages.ChannelKind  `json:"channel"`
	Status        messages.OutboxStatus `json:"status"`
	Attempts      int32                 `json:"attempts"`
	LastError     *string               `json:"last_error"`
	CreatedAt     JSONTime              `json:"created_at"`
	DeliveredAt   JSONTime              `json:"delivered_at"`
	NextAttemptAt JSONTime              `json:"next_attempt_at"`
}

// DeliveryLogJSON answers GET …/deliveries, newest first.
type DeliveryLogJSON struct {
	Deliveries []DeliveryJSON `json:"deliveries"`
}

// listDeliveries: GET /api/v1/checks/{id}/deliveries?limit= → DeliveryLogJSON
// {"deliveries": [...]}, newest first.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	limit, err := queryInt(r.URL.Query(), "limit", defaultLogLimit, 1, maxLogLimit)
	if err != nil {
		return err
	}
	if _, err := s.deps.Store.GetCheck(r.Context(), a.user.ID, a.checkID); err != nil {
		return err
	}
	rows, err := s.deps.Store.ListDeliveries(r.Context(), a.user.ID, a.checkID, limit)
	if err != nil {
		return err
	}
	out := DeliveryLogJSON{Deliveries: make([]DeliveryJSON, 0, len(rows))}
	for _, d := range rows {
		j := DeliveryJSON{
			ID: d.ID, Kind: d.Kind, Channel: d.Channel, Status: d.Status, Attempts: d.Attempts,
			LastError: nullString(d.LastError), CreatedAt: JSONTime(d.CreatedAt), DeliveredAt: JSONTime(d.DeliveredAt),
		}
		if d.Status == messages.OutboxPending {
			j.NextAttemptAt = JSONTime(d.NextAttemptAt)
		}
		out.Deliveries = append(out.Deliveries, j)
	}
	return writeAnswer(w, r, http.StatusOK, &out)
}
