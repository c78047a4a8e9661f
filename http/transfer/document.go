package transfer

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ttr-rip/ttr/messages"
)

// Version is the document version this release writes and reads.
const Version = 1

// MaxChecks bounds the checks one document may carry.
const MaxChecks = 10000

// Document is a user's export: {version, user_slug, checks, status_pages}. Checks are kept
// raw on import, so that each is read (and refused) on its own by the rules every check edit
// follows.
type Document struct {
	Version  int    `json:"version"`
	UserSlug string `json:"user_slug"`
	// ExportedAt is when the document was written (RFC 3339, informative).
	ExportedAt string `json:"exported_at,omitempty"`
	// Secrets is set when channel settings are in the document, sealed under a passphrase;
	// absent, the document carries no channel settings at all.
	Secrets *SecretsHeader    `json:"secrets,omitempty"`
	Checks  []json.RawMessage `json:"checks"`
	// StatusPages is where status pages go; this release exports none and ignores them on
	// import (reported in the answer).
	StatusPages []json.RawMessage `json:"status_pages"`
}

// Check is one check as exported: the writable fields of the Check JSON (docs/api.md), its
// UUID, whether it is paused, and its channels.
type Check struct {
	UUID string `json:"uuid"`
	messages.CheckConfig
	BadgeEnabled bool               `json:"badge_enabled"`
	Paused       bool               `json:"paused"`
	Channels     map[string]Channel `json:"channels"`
}

// MarshalJSON writes the check without its badge id (a capability of this server, never
// carried to another one: an imported check with a badge gets a new id).
func (c Check) MarshalJSON() ([]byte, error) {
	cfg := c.CheckConfig
	cfg.BadgeID = ""
	if cfg.Tags == nil {
		cfg.Tags = []string{}
	}
	type plain Check // no MarshalJSON: no recursion
	p := plain(c)
	p.CheckConfig = cfg
	if p.Channels == nil {
		p.Channels = map[string]Channel{}
	}
	return json.Marshal(p) // badge_id is omitted when empty
}

// Channel is one channel of a check as exported. Settings is present only in a document
// exported with secrets: the channel's settings (messages.ChannelConfig as JSON) sealed
// under the document's passphrase.
type Channel struct {
	Enabled    bool   `json:"enabled"`
	Configured bool   `json:"configured"`
	Settings   string `json:"settings,omitempty"`
}

// Fields of a check in the document that are not fields of a check edit.
const (
	FieldUUID     = "uuid"
	FieldPaused   = "paused"
	FieldChannels = "channels"
)

// Parse reads a document: JSON, version 1, at most MaxChecks checks, a valid secrets header
// when there is one. Errors are EInvalid and say what is wrong.
func Parse(b []byte) (Document, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Document{}, messages.Errorf(messages.EInvalid, "the document is not a ttr export: %s", jsonProblem(err))
	}
	if dec.More() {
		return Document{}, messages.Errorf(messages.EInvalid, "the document has data after its end")
	}
	switch {
	case d.Version == 0:
		return Document{}, messages.Errorf(messages.EInvalid, "the document has no version: it is not a ttr export")
	case d.Version != Version:
		return Document{}, messages.Errorf(messages.EInvalid, "document version %d is not supported (this server reads version %d)", d.Version, Version)
	case d.Checks == nil:
		return Document{}, messages.Errorf(messages.EInvalid, "the document has no checks list")
	case len(d.Checks) > MaxChecks:
		return Document{}, messages.Errorf(messages.EInvalid, "the document has %d checks; at most %d may be imported at once", len(d.Checks), MaxChecks)
	case len(d.StatusPages) > MaxStatusPages:
		return Document{}, messages.Errorf(messages.EInvalid, "the document has %d status pages; at most %d may be imported at once", len(d.StatusPages), MaxStatusPages)
	}
	if d.Secrets != nil {
		if err := d.Secrets.validate(); err != nil {
			return Document{}, err
		}
	}
	return d, nil
}

// jsonProblem words a decoding error without echoing the input.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("malformed JSON at byte %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("%s has the wrong type", e.Field)
	}
	if s := err.Error(); len(s) < 120 {
		return s
	}
	return "malformed JSON"
}
