package http

import (
	"encoding/base64"
	"net/http"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
)

// contentJSON is the last ping of a check with its body (GET /api/v1/checks/{id}/content):
// the original's "last content captured". Every field is null before the first ping.
type contentJSON struct {
	N        *int64                `json:"n"`
	At       JSONTime              `json:"at"`
	Kind     *messages.PingLogKind `json:"kind"`
	Reason   *string               `json:"reason"`    // why the ping counted as a failure
	BodySize int64                 `json:"body_size"` // bytes stored (the body limit truncates)
	// Encoding is "text" when the body is UTF-8 (content is the text) and "base64"
	// otherwise (content holds its bytes in base64); null when there is no ping.
	Encoding *string `json:"encoding"`
	Content  *string `json:"content"`
}

// Content encodings.
var (
	encodingText   = "text"
	encodingBase64 = "base64"
)

// checkContent: GET /api/v1/checks/{id}/content answers the newest ping of the check, with
// its time, kind and body; a check of another user is 404.
func (s *Server) checkContent(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	ctx := r.Context()
	if _, err := s.deps.Store.GetCheck(ctx, a.user.ID, a.checkID); err != nil {
		return err
	}
	last, err := s.deps.Store.ListPings(ctx, a.user.ID, a.checkID, 1)
	if err != nil {
		return err
	}
	out := contentJSON{}
	if len(last) == 1 {
		p, err := s.deps.Store.GetPing(ctx, a.user.ID, a.checkID, last[0].N)
		if err != nil {
			return err
		}
		content, enc := string(p.Body), &encodingText
		if !utf8.Valid(p.Body) {
			content, enc = base64.StdEncoding.EncodeToString(p.Body), &encodingBase64
		}
		kind := p.Kind
		out = contentJSON{N: &p.N, At: JSONTime(p.At), Kind: &kind, Reason: nullString(p.Reason),
			BodySize: int64(len(p.Body)), Encoding: enc, Content: &content}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
