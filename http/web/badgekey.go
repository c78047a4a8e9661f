package web

import (
	"net/http"

	"github.com/ttr-rip/ttr/http/session"
)

// badgeKeyDoc is GET /api/v1/user/badge-key: the user's key for tag badges.
type badgeKeyDoc struct {
	BadgeKey    string `json:"badge_key"`
	TagBadgeURL string `json:"tag_badge_url"` // with {tag} to fill in
}

// badgeKey reads the user's tag-badge key through the API (which makes one on first use).
func (p *Pages) badgeKey(r *http.Request) (badgeKeyDoc, error) {
	var k badgeKeyDoc
	_, err := p.callJSON(r, http.MethodGet, "/api/v1/user/badge-key", nil, &k)
	return k, err
}

// rotateBadgeKey: POST /account/badge-key — a new key for tag badges; every tag badge under
// the old one turns into the grey "unknown" badge.
func (p *Pages) rotateBadgeKey(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	if _, err := p.callJSON(r, http.MethodPost, "/api/v1/user/rotate-badge-key", nil, nil); err != nil {
		return err
	}
	return p.renderAccount(w, r, pr, http.StatusOK, "New badge key made: tag badges under the old key now show the grey “unknown” badge. Update the places that show them.", "")
}
