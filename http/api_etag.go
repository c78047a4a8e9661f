package http

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/messages"
)

// A check's ETag is its config_version as a strong entity tag: "7". Edits, pause and resume
// change it; pings do not, so a client that read a check, saw it pinged and then edits it
// does not get a 412 for a change that was not a user's.

// setETag sets the ETag of c's JSON.
func setETag(w http.ResponseWriter, c messages.Check) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(c.ConfigVersion, 10)+`"`)
}

// parseIfMatch reads If-Match as the config versions a write may apply to: nil when there is
// no precondition (no header, or "*": the check exists, which every write requires anyway).
// Entity tags are compared strongly: a weak tag, or one that is not a version of ours, never
// matches, so such a header gives [0] (no check has config version 0) and the write answers
// 412 — or 404 when the check is not the user's.
func parseIfMatch(h http.Header) ([]int64, error) {
	values := h.Values("If-Match")
	if len(values) == 0 {
		return nil, nil
	}
	var versions []int64
	for _, v := range values {
		for _, tag := range strings.Split(v, ",") {
			tag = strings.TrimSpace(tag)
			switch {
			case tag == "":
				continue
			case tag == "*":
				return nil, nil
			case strings.HasPrefix(tag, `W/"`) && len(tag) >= 4 && strings.HasSuffix(tag, `"`):
				continue // weak: never matches under strong comparison
			case len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"':
				if n, ok := parseID(tag[1 : len(tag)-1]); ok {
					versions = append(versions, n)
				}
			default:
				return nil, invalid(`If-Match must be "*" or entity tags such as "3" (the check's ETag), in double quotes`)
			}
		}
	}
	if len(versions) == 0 {
		return []int64{0}, nil
	}
	return versions, nil
}

// writeJSONTagged answers v as JSON with a weak ETag of the user and the body, and 304 when
// If-None-Match holds it: a dashboard polling every few seconds transfers nothing while
// nothing changed.
func writeJSONTagged(w http.ResponseWriter, r *http.Request, u messages.User, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := sha256.New()
	h.Write([]byte(strconv.FormatInt(u.ID, 10) + "\x00"))
	h.Write(body)
	etag := `W/"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
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
