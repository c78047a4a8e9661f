package hcapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// kinds are the channel kinds a check holds one of each, in a fixed order.
var kinds = []messages.ChannelKind{
	messages.ChannelTelegram, messages.ChannelSlack, messages.ChannelDiscord,
	messages.ChannelWebhook, messages.ChannelEmail,
}

// dest is one of the user's destinations with its settings opened.
type dest struct {
	persistence.Destination
	cfg   messages.ChannelConfig
	ident string
}

// identity is what makes two settings the same destination: the kind and what is delivered
// to (the fields alert.DestinationHash reads), compared in the clear, so a rotation of any
// server secret keeps it.
func identity(kind messages.ChannelKind, cfg messages.ChannelConfig) string {
	switch kind {
	case messages.ChannelTelegram:
		return string(kind) + "\x00" + cfg.BotToken + "\x00" + cfg.ChatID
	case messages.ChannelEmail:
		return string(kind) + "\x00" + strings.ToLower(cfg.EmailTo)
	}
	return string(kind) + "\x00" + cfg.URL
}

// complete reports whether cfg holds every setting its kind needs.
func complete(kind messages.ChannelKind, cfg messages.ChannelConfig) bool {
	switch kind {
	case messages.ChannelTelegram:
		return cfg.BotToken != "" && cfg.ChatID != ""
	case messages.ChannelEmail:
		return cfg.EmailTo != ""
	}
	return cfg.URL != ""
}

// destName is a destination's name in the channel list: what it delivers to, without any
// secret (a webhook shows its host only).
func destName(d dest) string {
	switch d.Kind {
	case messages.ChannelEmail:
		return "Email to " + d.cfg.EmailTo
	case messages.ChannelTelegram:
		return "Telegram chat " + d.cfg.ChatID
	case messages.ChannelSlack:
		return "Slack"
	case messages.ChannelDiscord:
		return "Discord"
	}
	host := ""
	if u, err := url.Parse(d.cfg.URL); err == nil {
		host = u.Host
	}
	return "Webhook to " + host
}

// userDests is the user's destinations and, per check, the destination code of each enabled
// channel.
type userDests struct {
	dests   []dest                                    // oldest first
	enabled map[int64]map[messages.ChannelKind]string // check id → kind → code of its enabled channel
	current map[int64]map[messages.ChannelKind]string // check id → kind → identity of its configured channel
}

// channelsOf is a check's "channels": the codes of its enabled destinations, sorted, joined
// with commas.
func (u userDests) channelsOf(checkID int64) string {
	var codes []string
	for _, code := range u.enabled[checkID] {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return strings.Join(codes, ",")
}

// loadDests reads the user's destinations and channels, and records as a destination every
// configured channel whose settings none has yet, so that each distinct destination keeps one
// id from the first time it is listed. Two rows with the same settings (two requests racing to
// record one) resolve to the older, so the id a client sees never changes.
func (h *Handler) loadDests(ctx context.Context, userID int64) (userDests, error) {
	out := userDests{enabled: map[int64]map[messages.ChannelKind]string{}, current: map[int64]map[messages.ChannelKind]string{}}
	rows, err := h.deps.Store.Destinations(ctx, userID)
	if err != nil {
		return out, err
	}
	byIdent := map[string]int{}
	for _, row := range rows {
		var cfg messages.ChannelConfig
		if err := h.open(row.ConfigEnc, keyring.DestinationAD(userID, row.Code), &cfg); err != nil {
			h.log.WarnContext(ctx, "destination settings cannot be decrypted", "code", row.Code, "err", err)
			continue
		}
		d := dest{Destination: row, cfg: cfg, ident: identity(row.Kind, cfg)}
		if _, dup := byIdent[d.ident]; dup {
			continue
		}
		byIdent[d.ident] = len(out.dests)
		out.dests = append(out.dests, d)
	}
	chans, err := h.deps.Store.UserChannels(ctx, userID)
	if err != nil {
		return out, err
	}
	for _, ch := range chans {
		if len(ch.ConfigEnc) == 0 || !slices.Contains(kinds, ch.Name) {
			continue
		}
		var cfg messages.ChannelConfig
		if err := h.open(ch.ConfigEnc, keyring.ChannelAD(userID, ch.CheckID, string(ch.Name)), &cfg); err != nil || !complete(ch.Name, cfg) {
			continue
		}
		id := identity(ch.Name, cfg)
		i, ok := byIdent[id]
		if !ok {
			d, err := h.recordDest(ctx, userID, ch.Name, cfg)
			if err != nil {
				return out, err
			}
			i = len(out.dests)
			byIdent[id] = i
			out.dests = append(out.dests, d)
		}
		if out.current[ch.CheckID] == nil {
			out.current[ch.CheckID] = map[messages.ChannelKind]string{}
		}
		out.current[ch.CheckID][ch.Name] = id
		if ch.Enabled {
			if out.enabled[ch.CheckID] == nil {
				out.enabled[ch.CheckID] = map[messages.ChannelKind]string{}
			}
			out.enabled[ch.CheckID][ch.Name] = out.dests[i].Code
		}
	}
	return out, nil
}

// recordDest stores a new destination with a new code.
func (h *Handler) recordDest(ctx context.Context, userID int64, kind messages.ChannelKind, cfg messages.ChannelConfig) (dest, error) {
	code, err := uuid.NewRandom()
	if err != nil {
		return dest{}, err
	}
	d := dest{Destination: persistence.Destination{Code: code.String(), UserID: userID, Kind: kind,
		CreatedAt: h.now().UTC().Truncate(1e6)}, cfg: cfg, ident: identity(kind, cfg)}
	if d.ConfigEnc, err = h.seal(cfg, keyring.DestinationAD(userID, d.Code)); err != nil {
		return dest{}, err
	}
	if err := h.deps.Store.CreateDestination(ctx, &d.Destination); err != nil {
		return dest{}, err
	}
	return d, nil
}

func (h *Handler) open(sealed, ad []byte, cfg *messages.ChannelConfig) error {
	if h.deps.Ring == nil {
		return errNoRing
	}
	plain, err := h.deps.Ring.Open(sealed, ad)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, cfg)
}

func (h *Handler) seal(cfg messages.ChannelConfig, ad []byte) ([]byte, error) {
	if h.deps.Ring == nil {
		return nil, errNoRing
	}
	plain, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return h.deps.Ring.Seal(plain, ad)
}

var errNoRing = messages.Errorf(messages.EInternal, "no key ring configured")

// channelPlan is what a spec's channels asks of a check: per kind, the destination to
// attach; kinds absent are detached.
type channelPlan map[messages.ChannelKind]dest

// planChannels reads a spec's channels: "*" is, per kind, the most recently recorded
// destination; "" none; otherwise a comma-separated list of destination ids or names, each
// naming exactly one. Two destinations of one kind are refused: a check holds one of each.
func planChannels(value string, u userDests) (channelPlan, error) {
	plan := channelPlan{}
	if value == "" {
		return plan, nil
	}
	if value == "*" {
		for _, d := range u.dests { // oldest first: the last of each kind wins
			plan[d.Kind] = d
		}
		return plan, nil
	}
	for s := range strings.SplitSeq(value, ",") {
		if s == "" {
			return nil, messages.Errorf(messages.EInvalid, "empty channel identifier")
		}
		var found []dest
		for _, d := range u.dests {
			if d.Code == s || destName(d) == s {
				found = append(found, d)
			}
		}
		switch len(found) {
		case 0:
			return nil, messages.Errorf(messages.EInvalid, "invalid channel identifier: %s", s)
		case 1:
		default:
			return nil, messages.Errorf(messages.EInvalid, "non-unique channel identifier: %s", s)
		}
		d := found[0]
		if prev, ok := plan[d.Kind]; ok && prev.Code != d.Code {
			return nil, messages.Errorf(messages.EInvalid,
				"channels %s and %s are both %s integrations: a check holds one integration of each kind", prev.Code, d.Code, d.Kind)
		}
		plan[d.Kind] = d
	}
	return plan, nil
}

// applyChannels makes the check's channels what plan says, through the check's actor: each
// planned destination's settings sealed for the check and enabled (unless it holds them
// enabled already), every other enabled channel disabled with its settings kept.
func (h *Handler) applyChannels(ctx context.Context, userID, checkID int64, plan channelPlan, u userDests) error {
	for _, kind := range kinds {
		d, want := plan[kind]
		_, enabled := u.enabled[checkID][kind]
		switch {
		case want:
			if enabled && u.current[checkID][kind] == d.ident {
				continue
			}
			enc, err := h.seal(d.cfg, keyring.ChannelAD(userID, checkID, string(kind)))
			if err != nil {
				return err
			}
			if err := h.deps.Checks.SetChannel(ctx, userID, checkID, kind, true, enc, false); err != nil {
				return err
			}
		case enabled:
			if err := h.deps.Checks.SetChannel(ctx, userID, checkID, kind, false, nil, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// channelJSON is one entry of GET channels/.
type channelJSON struct {
	ID   string               `json:"id"`
	Name string               `json:"name"`
	Kind messages.ChannelKind `json:"kind"`
}

// listChannels: GET channels/ (read-write keys).
func (h *Handler) listChannels(w http.ResponseWriter, r *request, _ route) error {
	u, err := h.loadDests(r.Context(), r.cred.User.ID)
	if err != nil {
		return err
	}
	out := make([]channelJSON, 0, len(u.dests))
	for _, d := range u.dests {
		out = append(out, channelJSON{ID: d.Code, Name: destName(d), Kind: d.Kind})
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": out})
	return nil
}
