package http

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/http/badge"
	"github.com/ttr-rip/ttr/messages"
)

// Badge routes (also their metric labels). A badge is reached by a random capability of its
// own — a check's badge id, or a user's badge key with a tag — never by a slug, a UUID or
// anything of a ping URL, so a badge in a public README lets nobody ping the check.
const (
	routeBadgeCheck         = "/b/c/"
	routeBadgeTag           = "/b/t/"
	patternBadgeCheck       = "/b/c/{badge_id}"
	patternBadgeTag         = "/b/t/{badge_key}/{tag}"
	routeUserBadgeKey       = "/api/v1/user/badge-key"
	routeUserRotateBadgeKey = "/api/v1/user/rotate-badge-key"
)

// badgeIDBytes is the randomness of a badge id or key: 144 bits, 24 URL-safe characters.
const badgeIDBytes = 18

// tagBadgeLimit bounds the checks one tag badge reads (a user's checks are bounded by the
// checks quota; this bounds a server without one).
const tagBadgeLimit = 10000

// badgeCacheControl says how long a cache may keep a badge (public, one minute).
const badgeCacheControl = "public, max-age=60"

// newBadgeID mints a badge id or key.
func newBadgeID() (string, error) { return randomURLSafe(badgeIDBytes) }

// badgeRoutes registers the public badge routes (GET and HEAD).
func (s *Server) badgeRoutes(r *httprouter.Router) {
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r.Handle(m, routeBadgeCheck+":file", s.checkBadge)
		r.Handle(m, routeBadgeTag+":key/:file", s.tagBadge)
	}
}

// badgeFormat is one of a badge's three forms.
type badgeFormat int

const (
	formatSVG badgeFormat = iota + 1
	formatJSON
	formatShields
)

// splitBadgeFile splits "{name}.{svg|json|shields}"; ok is false for any other suffix.
func splitBadgeFile(file string) (name string, f badgeFormat, ok bool) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return "", 0, false
	}
	switch file[i+1:] {
	case "svg":
		f = formatSVG
	case "json":
		f = formatJSON
	case "shields":
		f = formatShields
	default:
		return "", 0, false
	}
	return file[:i], f, true
}

// checkBadge: /b/c/{badge_id}.svg|.json|.shields. An id that is malformed, unknown, disabled
// or rotated away answers the unknown badge, byte for byte the same as every other.
func (s *Server) checkBadge(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	setRoute(r, patternBadgeCheck)
	id, f, ok := splitBadgeFile(ps.ByName("file"))
	if !ok {
		notFound(w, r)
		return
	}
	b := badge.Unknowns
	if checkconfig.ValidBadgeID(id) {
		c, err := s.deps.Store.CheckByBadgeID(r.Context(), id)
		switch {
		case err == nil:
			b = badge.Badge{Label: badgeLabel(c.Name), Status: badge.Of(c.CheckState, s.now())}
		case messages.CodeOf(err) != messages.ENotFound:
			s.fail(w, r, err)
			return
		}
	}
	serveBadge(w, r, b, f)
}

// badgeLabel is a check badge's label: the check's name, or the unknown badge's label for a
// check without one (never its slug, which defaults to its UUID: a ping URL).
func badgeLabel(name string) string {
	if name == "" {
		return badge.UnknownLabel
	}
	return name
}

// tagBadge: /b/t/{badge_key}/{tag}.svg|.json|.shields — the worst status of the user's checks
// with the tag. A malformed, unknown or rotated key and a tag no check carries answer the
// unknown badge.
func (s *Server) tagBadge(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	setRoute(r, patternBadgeTag)
	tag, f, ok := splitBadgeFile(ps.ByName("file"))
	if !ok {
		notFound(w, r)
		return
	}
	b := badge.Unknowns
	key := ps.ByName("key")
	if checkconfig.ValidBadgeID(key) && checkconfig.ValidateTag(tag) == nil {
		states, err := s.deps.Store.TagBadge(r.Context(), key, tag, tagBadgeLimit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(states) > 0 {
			now := s.now()
			ss := make([]badge.Status, len(states))
			for i, st := range states {
				ss[i] = badge.Of(st, now)
			}
			b = badge.Badge{Label: tag, Status: badge.Worst(ss)}
		}
	}
	serveBadge(w, r, b, f)
}

// serveBadge answers b in format f, cacheable for a minute by anyone, with a strong ETag of
// its bytes (304 on If-None-Match).
func serveBadge(w http.ResponseWriter, r *http.Request, b badge.Badge, f badgeFormat) {
	var body []byte
	h := w.Header()
	switch f {
	case formatSVG:
		body = b.SVG()
		h.Set("Content-Type", "image/svg+xml; charset=utf-8")
	case formatJSON:
		body = b.JSON()
		h.Set("Content-Type", "application/json")
	default:
		body = b.Shields()
		h.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	h.Set("Cache-Control", badgeCacheControl)
	h.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// BadgeKeyJSON is the user's tag-badge key and the address of a tag's badge.
type BadgeKeyJSON struct {
	BadgeKey    string `json:"badge_key"`
	TagBadgeURL string `json:"tag_badge_url"` // with {tag} to fill in
}

func (s *Server) renderBadgeKey(key string) BadgeKeyJSON {
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	return BadgeKeyJSON{BadgeKey: key, TagBadgeURL: base + routeBadgeTag + key + "/{tag}.svg"}
}

// getBadgeKey: GET /api/v1/user/badge-key answers the user's tag-badge key, made on the
// first request (a user created before badges has none).
func (s *Server) getBadgeKey(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	key, err := s.deps.Store.UserBadgeKey(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	if key == "" {
		if key, err = s.setBadgeKey(r, a); err != nil {
			return err
		}
	}
	k := s.renderBadgeKey(key)
	return writeAnswer(w, r, http.StatusOK, &k)
}

// rotateBadgeKey: POST /api/v1/user/rotate-badge-key replaces the user's tag-badge key; every
// tag badge under the old key turns into the unknown badge at once.
func (s *Server) rotateBadgeKey(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	key, err := s.setBadgeKey(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderBadgeKey(key))
	return nil
}

func (s *Server) setBadgeKey(r *http.Request, a apiArgs) (string, error) {
	key, err := newBadgeID()
	if err != nil {
		return "", err
	}
	if err := s.deps.Store.SetUserBadgeKey(r.Context(), a.user.ID, key); err != nil {
		return "", err
	}
	return key, nil
}

// rotateBadge: POST /api/v1/checks/{id}/rotate-badge gives the check's enabled badge a new
// id (409 when its badge is disabled); the old id answers the unknown badge at once. It
// takes If-Match and answers the check.
func (s *Server) rotateBadge(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	ifMatch, err := parseIfMatch(r.Header)
	if err != nil {
		return err
	}
	id, err := newBadgeID()
	if err != nil {
		return err
	}
	edit := &messages.CheckEdit{UserId: a.user.ID, IfConfigVersions: ifMatch, RotateBadge: true, NewBadgeId: id}
	if err := s.deps.Checks.Edit(r.Context(), a.checkID, edit); err != nil {
		return err
	}
	return s.writeCheck(w, r, a)
}
