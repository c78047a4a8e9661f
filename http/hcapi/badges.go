package hcapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
)

// badgeKeyBytes is the randomness of a user's tag-badge key (the edge's badge ids have the
// same).
const badgeKeyBytes = 18

// badgeURLs are one tag's badges in healthchecks.io's six forms; ttr's badges always show
// late, so the two- and three-state forms are the same address.
type badgeURLs struct {
	SVG      string `json:"svg"`
	SVG3     string `json:"svg3"`
	JSON     string `json:"json"`
	JSON3    string `json:"json3"`
	Shields  string `json:"shields"`
	Shields3 string `json:"shields3"`
}

// listBadges: GET badges/ → {"badges": {tag: {svg, svg3, json, json3, shields, shields3}}},
// each under the user's tag-badge key (made on first use, as GET /api/v1/user/badge-key does).
func (h *Handler) listBadges(w http.ResponseWriter, r *request, _ route) error {
	ctx := r.Context()
	userID := r.cred.User.ID
	tags, err := h.deps.Store.CheckTags(ctx, userID)
	if err != nil {
		return err
	}
	key, err := h.deps.Store.UserBadgeKey(ctx, userID)
	if err != nil {
		return err
	}
	if key == "" {
		b := make([]byte, badgeKeyBytes)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		key = base64.RawURLEncoding.EncodeToString(b)
		if err := h.deps.Store.SetUserBadgeKey(ctx, userID, key); err != nil {
			return err
		}
	}
	out := make(map[string]badgeURLs, len(tags))
	for _, t := range tags {
		base := h.base + "/b/t/" + url.PathEscape(key) + "/" + url.PathEscape(t.Tag)
		out[t.Tag] = badgeURLs{
			SVG: base + ".svg", SVG3: base + ".svg",
			JSON: base + ".json", JSON3: base + ".json",
			Shields: base + ".shields", Shields3: base + ".shields",
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"badges": out})
	return nil
}
