package web

import (
	"net/http"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/session"
)

// badgeKey reads the user's tag-badge key through the API (which makes one on first use).
func (p *Pages) badgeKey(r *http.Request) (*ttrhttp.BadgeKeyJSON, error) {
	k, _, err := getValue[ttrhttp.BadgeKeyJSON](p, r, "/api/v1/user/badge-key")
	return k, err
}

// rotateBadgeKey: POST /account/badge-key — a new key for tag badges; every tag badge under
// the old one turns into the grey "unknown" badge.
func (p *Pages) rotateBadgeKey(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	if err := p.callOK(r, http.MethodPost, "/api/v1/user/rotate-badge-key", nil); err != nil {
		return err
	}
	return p.renderAccount(w, r, pr, http.StatusOK, "New badge key made: tag badges under the old key now show the grey “unknown” badge. Update the places that show them.", "")
}
