package transfer

import (
	"bytes"
	"encoding/json"

	"github.com/ttr-rip/ttr/messages"
)

// MaxStatusPages bounds the status pages one document may carry.
const MaxStatusPages = 1000

// StatusPage is one status page as exported: its settings, and its checks by slug in the
// page's order. Slugs, not ids or UUIDs, because an import matches checks by slug (and an
// upload gives them new UUIDs).
type StatusPage struct {
	Slug         string   `json:"slug"`
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Layout       string   `json:"layout"`
	ShowActivity bool     `json:"show_activity"`
	Checks       []string `json:"checks"`
}

// ParseStatusPage reads one status page of a document: a JSON object of StatusPage's fields
// (unknown ones refused). Its settings are validated where pages are made.
func ParseStatusPage(raw json.RawMessage) (StatusPage, error) {
	var p StatusPage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if len(bytes.TrimSpace(raw)) == 0 || raw[0] != '{' || dec.Decode(&p) != nil {
		return StatusPage{}, messages.Errorf(messages.EInvalid, "a status page must be an object of slug, name, description, layout, show_activity and checks (check slugs)")
	}
	return p, nil
}
