package hcapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Request headers that mark a request as healthchecks.io's or as ttr's own.
const (
	headerAPIKey  = "X-Api-Key"
	headerAuthKey = "X-Auth-Key" // ttr's access key
)

// IsHealthchecks reports whether a request under /api/v1/ is healthchecks.io's rather than
// ttr's own: it carries an X-Api-Key header, is a CORS preflight naming x-api-key, or is a
// POST whose JSON body is an object with an "api_key" field. ttr's own API uses none of
// these, so its requests keep their answers. A body is read (at most limit bytes) only for
// a POST without X-Api-Key, and put back as it was for whoever serves the request.
func IsHealthchecks(r *http.Request, limit int64) bool {
	for _, p := range ttrOnly {
		if strings.HasPrefix(r.URL.Path, p) {
			return false
		}
	}
	if r.Header.Get(headerAPIKey) != "" {
		return true
	}
	if r.Method == http.MethodOptions {
		for _, v := range r.Header.Values("Access-Control-Request-Headers") {
			for h := range strings.SplitSeq(v, ",") {
				if strings.EqualFold(strings.TrimSpace(h), headerAPIKey) {
					return true
				}
			}
		}
		return false
	}
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return false
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	// Put back what was read, followed by whatever was not: the request's server reads the
	// body it would have read.
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
	if err != nil || int64(len(buf)) > limit {
		return false
	}
	return hasAPIKeyField(buf)
}

// ttrOnly are path prefixes healthchecks.io's API has no route under, where ttr's own
// bodies carry an "api_key" field (a healthchecks project's key, for an import).
var ttrOnly = []string{"/api/v1/checks/import/", "/api/v1/admin/"}

// hasAPIKeyField reports whether body is a JSON object with an "api_key" member.
func hasAPIKeyField(body []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return false
	}
	_, ok := obj["api_key"]
	return ok
}
