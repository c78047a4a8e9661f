package hcapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// listPage is how many checks one store read returns while a listing walks them all.
const listPage = 500

// allChecks returns every check of the user in id order.
func (h *Handler) allChecks(ctx context.Context, userID int64) ([]messages.Check, error) {
	var out []messages.Check
	q := persistence.ListQuery{SortBy: "id", Limit: listPage}
	for {
		page, err := h.deps.Store.ListChecks(ctx, userID, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < listPage {
			return out, nil
		}
		last := page[len(page)-1]
		q.After = &persistence.Key{Int: last.ID, ID: last.ID}
	}
}

// byUUID finds a check by UUID: not found (404), another user's (403, as healthchecks.io
// answers), or the check.
func (h *Handler) byUUID(ctx context.Context, userID int64, id string) (messages.Check, error) {
	ref, err := h.deps.Store.ResolveUUID(ctx, id)
	if err != nil {
		return messages.Check{}, err
	}
	if ref.UserID != userID {
		return messages.Check{}, errForbidden
	}
	return h.deps.Store.GetCheck(ctx, userID, ref.ID)
}

// byKey finds one of the user's checks by its unique_key (404 when none has it).
func (h *Handler) byKey(ctx context.Context, userID int64, key string) (messages.Check, error) {
	all, err := h.allChecks(ctx, userID)
	if err != nil {
		return messages.Check{}, err
	}
	for _, c := range all {
		if UniqueKey(c.UUID) == key {
			return c, nil
		}
	}
	return messages.Check{}, messages.ErrNotFound
}

// render answers the JSON of one check; a read-write answer carries its channels.
func (h *Handler) render(ctx context.Context, r *request, c messages.Check) (checkJSON, error) {
	channels := ""
	if !r.cred.ReadOnly {
		u, err := h.loadDests(ctx, r.cred.User.ID)
		if err != nil {
			return checkJSON{}, err
		}
		channels = u.channelsOf(c.ID)
	}
	return h.renderCheck(c, r.cred.ReadOnly, r.v, channels, h.now()), nil
}

func (h *Handler) answer(w http.ResponseWriter, r *request, c messages.Check, status int) error {
	j, err := h.render(r.Context(), r, c)
	if err != nil {
		return err
	}
	writeJSON(w, status, j)
	return nil
}

// reload reads a check after its actor changed it (the actor answers once its write is
// committed) and answers it.
func (h *Handler) reload(w http.ResponseWriter, r *request, checkID int64, status int) error {
	c, err := h.deps.Store.GetCheck(r.Context(), r.cred.User.ID, checkID)
	if err != nil {
		return err
	}
	return h.answer(w, r, c, status)
}

// listChecks: GET checks/?tag=…&slug=… (every tag given must be the check's).
func (h *Handler) listChecks(w http.ResponseWriter, r *request, _ route) error {
	ctx := r.Context()
	all, err := h.allChecks(ctx, r.cred.User.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	tags, slug := q["tag"], q.Get("slug")
	var u userDests
	if !r.cred.ReadOnly {
		if u, err = h.loadDests(ctx, r.cred.User.ID); err != nil {
			return err
		}
	}
	now := h.now()
	out := make([]checkJSON, 0, len(all))
	for _, c := range all {
		if slug != "" && hcSlug(c) != slug {
			continue
		}
		if !hasTags(c.Tags, tags) {
			continue
		}
		out = append(out, h.renderCheck(c, r.cred.ReadOnly, r.v, u.channelsOf(c.ID), now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"checks": out})
	return nil
}

func hasTags(have, want []string) bool {
	for _, t := range want {
		if !contains(have, t) {
			return false
		}
	}
	return true
}

// getCheck: GET checks/{uuid}.
func (h *Handler) getCheck(w http.ResponseWriter, r *request, rt route) error {
	c, err := h.byUUID(r.Context(), r.cred.User.ID, rt.uuid)
	if err != nil {
		return err
	}
	return h.answer(w, r, c, http.StatusOK)
}

// getCheckByKey: GET checks/{unique_key}.
func (h *Handler) getCheckByKey(w http.ResponseWriter, r *request, rt route) error {
	c, err := h.byKey(r.Context(), r.cred.User.ID, rt.key)
	if err != nil {
		return err
	}
	return h.answer(w, r, c, http.StatusOK)
}

// prepare validates a create or update body and its channels (before anything changes, as
// healthchecks.io does).
func (h *Handler) prepare(ctx context.Context, r *request) (spec, channelPlan, userDests, error) {
	body := r.body
	if body == nil {
		body = map[string]json.RawMessage{}
	}
	s, err := parseSpec(body, h.now())
	if err != nil {
		return s, nil, userDests{}, err
	}
	u, err := h.loadDests(ctx, r.cred.User.ID)
	if err != nil {
		return s, nil, u, err
	}
	var plan channelPlan
	if s.channels != nil {
		if plan, err = planChannels(*s.channels, u); err != nil {
			return s, nil, u, err
		}
	}
	return s, plan, u, nil
}

// createCheck: POST checks/ creates a check (201), or with unique updates the first of the
// user's checks that matches (200). The check is written to the store (no actor exists yet);
// its channels go through its actor.
func (h *Handler) createCheck(w http.ResponseWriter, r *request, _ route) error {
	ctx := r.Context()
	s, plan, u, err := h.prepare(ctx, r)
	if err != nil {
		return err
	}
	if s.lookupable() {
		all, err := h.allChecks(ctx, r.cred.User.ID)
		if err != nil {
			return err
		}
		for _, c := range all {
			if s.matches(c) {
				return h.update(w, r, c, s, plan, u)
			}
		}
	}
	now := h.now()
	if h.cfg.Quotas.Checks > 0 {
		st, err := h.deps.Store.CheckStats(ctx, r.cred.User.ID, now)
		if err != nil {
			return err
		}
		if h.cfg.Quotas.AllowCheck(st.Total, 1) != nil {
			return errForbidden // healthchecks.io: 403 when the project is at its check limit
		}
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return err
	}
	edit, derived := toEdit(s, r.v, checkconfig.Default(id.String()))
	if derived && checkconfig.ValidateSlug(edit.GetSlug(), id.String()) != nil {
		edit.Slug = nil // a name that makes no valid slug leaves the check without one
	}
	c, err := h.insert(ctx, r.cred.User.ID, id.String(), edit, now)
	if messages.CodeOf(err) == messages.EConflict && derived {
		edit.Slug = nil // a derived slug another check has: this one goes without
		c, err = h.insert(ctx, r.cred.User.ID, id.String(), edit, now)
	}
	if err != nil {
		return slugConflict(err, edit.GetSlug())
	}
	if plan != nil {
		if err := h.applyChannels(ctx, r.cred.User.ID, c.ID, plan, u); err != nil {
			return err
		}
	}
	return h.reload(w, r, c.ID, http.StatusCreated)
}

// insert writes a new check with the configuration edit makes of the defaults.
func (h *Handler) insert(ctx context.Context, userID int64, id string, edit *messages.CheckEdit, now time.Time) (messages.Check, error) {
	cfg, err := checkconfig.Edit(checkconfig.Default(id), edit, id, now)
	if err != nil {
		return messages.Check{}, err
	}
	c := checklogic.NewCheck(userID, id, cfg, now)
	if err := h.deps.Store.CreateCheck(ctx, &c); err != nil {
		return messages.Check{}, err
	}
	return c, nil
}

func slugConflict(err error, slug string) error {
	if messages.CodeOf(err) == messages.EConflict {
		return messages.Errorf(messages.EConflict, "slug %q is already used by another of your checks", slug)
	}
	return err
}

// updateCheck: POST checks/{uuid} changes the fields sent.
func (h *Handler) updateCheck(w http.ResponseWriter, r *request, rt route) error {
	ctx := r.Context()
	c, err := h.byUUID(ctx, r.cred.User.ID, rt.uuid)
	if err != nil {
		return err
	}
	s, plan, u, err := h.prepare(ctx, r)
	if err != nil {
		return err
	}
	return h.update(w, r, c, s, plan, u)
}

// update sends the spec to the check's actor as an edit (the actor merges and validates it),
// then sets its channels, and answers the check.
func (h *Handler) update(w http.ResponseWriter, r *request, c messages.Check, s spec, plan channelPlan, u userDests) error {
	ctx := r.Context()
	edit, derived := toEdit(s, r.v, c.CheckConfig)
	if derived && checkconfig.ValidateSlug(edit.GetSlug(), c.UUID) != nil {
		edit.Slug = &c.UUID
	}
	if proto.Size(edit) > 0 {
		edit.UserId = r.cred.User.ID
		err := h.deps.Checks.Edit(ctx, c.ID, edit)
		if messages.CodeOf(err) == messages.EConflict && derived {
			edit.Slug = &c.UUID
			err = h.deps.Checks.Edit(ctx, c.ID, edit)
		}
		if err != nil {
			return slugConflict(err, edit.GetSlug())
		}
	}
	if plan != nil {
		if err := h.applyChannels(ctx, r.cred.User.ID, c.ID, plan, u); err != nil {
			return err
		}
	}
	return h.reload(w, r, c.ID, http.StatusOK)
}

// deleteCheck: DELETE checks/{uuid} answers the check as it was.
func (h *Handler) deleteCheck(w http.ResponseWriter, r *request, rt route) error {
	ctx := r.Context()
	c, err := h.byUUID(ctx, r.cred.User.ID, rt.uuid)
	if err != nil {
		return err
	}
	j, err := h.render(ctx, r, c)
	if err != nil {
		return err
	}
	if err := h.deps.Checks.Delete(ctx, r.cred.User.ID, c.ID, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// pauseCheck: POST checks/{uuid}/pause (a paused check stays as it is).
func (h *Handler) pauseCheck(w http.ResponseWriter, r *request, rt route) error {
	c, err := h.byUUID(r.Context(), r.cred.User.ID, rt.uuid)
	if err != nil {
		return err
	}
	if err := h.deps.Checks.Pause(r.Context(), r.cred.User.ID, c.ID, nil); err != nil {
		return err
	}
	return h.reload(w, r, c.ID, http.StatusOK)
}

// resumeCheck: POST checks/{uuid}/resume; 409 "check is not paused" for a check that is not.
func (h *Handler) resumeCheck(w http.ResponseWriter, r *request, rt route) error {
	c, err := h.byUUID(r.Context(), r.cred.User.ID, rt.uuid)
	if err != nil {
		return err
	}
	if c.Status != messages.StatusPaused {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, "check is not paused")
		return nil
	}
	if err := h.deps.Checks.Resume(r.Context(), r.cred.User.ID, c.ID, nil); err != nil {
		return err
	}
	return h.reload(w, r, c.ID, http.StatusOK)
}

// pingJSON is healthchecks.io's ping (Ping.to_dict).
type pingJSON struct {
	Type       messages.PingLogKind `json:"type"`
	Date       string               `json:"date"`
	N          int64                `json:"n"`
	Scheme     string               `json:"scheme"`
	RemoteAddr *string              `json:"remote_addr"`
	Method     string               `json:"method"`
	UA         string               `json:"ua"`
	RID        *string              `json:"rid"`
	Duration   *float64             `json:"duration,omitempty"`
	BodyURL    *string              `json:"body_url"`
}

// listPings: GET checks/{uuid}/pings/, newest first.
func (h *Handler) listPings(w http.ResponseWriter, r *request, rt route) error {
	ctx := r.Context()
	c, err := h.byUUID(ctx, r.cred.User.ID, rt.uuid)
	if err != nil {
		return err
	}
	pings, err := h.deps.Store.ListPings(ctx, r.cred.User.ID, c.ID, h.cfg.PingLogLimit)
	if err != nil {
		return err
	}
	durs := Durations(pings)
	scheme := "http"
	if u := h.base; len(u) >= 6 && u[:6] == "https:" {
		scheme = "https"
	}
	out := make([]pingJSON, 0, len(pings))
	for i, p := range pings {
		j := pingJSON{Type: p.Kind, Date: isoStringMicro(p.At), N: p.N, Scheme: scheme, Method: p.Method, UA: p.UserAgent}
		if p.RemoteIP != "" {
			ip := p.RemoteIP
			j.RemoteAddr = &ip
		}
		if p.RID != "" {
			rid := p.RID
			j.RID = &rid
		}
		if durs[i] >= 0 {
			d := float64(durs[i].Round(10*time.Millisecond).Milliseconds()) / 1000
			j.Duration = &d
		}
		if p.BodySize > 0 {
			u := h.base + "/api/v" + strconv.Itoa(r.v) + "/checks/" + c.UUID + "/pings/" + strconv.FormatInt(p.N, 10) + "/body"
			j.BodyURL = &u
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pings": out})
	return nil
}

// maxDuration is how far back a start pairs with its success or failure (healthchecks.io's
// MAX_DURATION).
const maxDuration = 72 * time.Hour

// Durations computes each ping's run duration as healthchecks.io's prepare_durations does,
// over pings listed newest first: a success or failure after a start with the same run id,
// with no success or failure of that run id between them and at most 72 hours before, took
// the time between the two; -1 for every other ping.
func Durations(pings []messages.PingRecord) []time.Duration {
	out := make([]time.Duration, len(pings))
	starts := map[string]time.Time{}
	for i := len(pings) - 1; i >= 0; i-- {
		p := pings[i]
		out[i] = -1
		switch p.Kind {
		case messages.KindStart:
			starts[p.RID] = p.At
		case messages.KindSuccess, messages.KindFail:
			if s, ok := starts[p.RID]; ok && !s.IsZero() && p.At.Sub(s) < maxDuration {
				out[i] = p.At.Sub(s)
			}
			starts[p.RID] = time.Time{}
		}
	}
	return out
}

// pingBody: GET checks/{uuid}/pings/{n}/body answers the stored body verbatim as text/plain;
// 404 when the ping is gone or had no body.
func (h *Handler) pingBody(w http.ResponseWriter, r *request, rt route) error {
	c, err := h.byUUID(r.Context(), r.cred.User.ID, rt.uuid)
	if err != nil {
		return err
	}
	p, err := h.deps.Store.GetPing(r.Context(), r.cred.User.ID, c.ID, rt.n)
	if err != nil {
		return err
	}
	if len(p.Body) == 0 {
		return messages.ErrNotFound
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/plain")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Content-Length", strconv.Itoa(len(p.Body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.Body)
	return nil
}

// flipJSON is healthchecks.io's flip: when, and whether the check went up.
type flipJSON struct {
	Timestamp string `json:"timestamp"`
	Up        int    `json:"up"`
}

// maxFlips bounds one flips listing (ttr keeps 400 days of flips).
const maxFlips = 10000

// listFlips: GET checks/{uuid|unique_key}/flips/?seconds=&start=&end=, newest first. A bad
// parameter is 400 without a body, as healthchecks.io answers it.
func (h *Handler) listFlips(w http.ResponseWriter, r *request, rt route) error {
	ctx := r.Context()
	var (
		c   messages.Check
		err error
	)
	if rt.key != "" {
		c, err = h.byKey(ctx, r.cred.User.ID, rt.key)
	} else {
		c, err = h.byUUID(ctx, r.cred.User.ID, rt.uuid)
	}
	if err != nil {
		return err
	}
	f, ok := parseFlipFilter(r.URL.Query(), h.now())
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		return nil
	}
	flips, err := h.deps.Store.ListFlips(ctx, r.cred.User.ID, c.ID, maxFlips)
	if err != nil {
		return err
	}
	out := make([]flipJSON, 0, len(flips))
	for _, fl := range flips {
		if !f.keep(fl.At) {
			continue
		}
		up := 0
		if fl.To == messages.StatusUp {
			up = 1
		}
		out = append(out, flipJSON{Timestamp: *isoString(fl.At), Up: up})
	}
	writeJSON(w, http.StatusOK, map[string]any{"flips": out})
	return nil
}
