package transfer

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path"
	"strings"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/messages"
)

// DefaultHCServer is the one healthchecks server an import may fetch from unless the
// operator lists others (--import-hc-servers).
const DefaultHCServer = "https://healthchecks.io"

// NormalizeServer reduces a healthchecks server's address to the form servers are compared
// in: scheme://host[:port][/path], lower-case scheme and host, no trailing slash. Only http
// and https URLs without credentials, query or fragment are servers.
func NormalizeServer(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", messages.Errorf(messages.EInvalid, "url must be a healthchecks server's http or https address, e.g. %s", DefaultHCServer)
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if p != "" {
		p = path.Clean(p)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + p, nil
}

// ServerAllowed reports whether server (normalized) is one of allowed (normalized).
func ServerAllowed(server string, allowed []string) bool {
	for _, a := range allowed {
		if a == server {
			return true
		}
	}
	return false
}

// HCCheck is one check of a healthchecks project as its API lists it.
type HCCheck struct {
	// UUID is the check's UUID ("" when the API key was read-only: healthchecks then
	// answers a unique_key instead, from which the UUID cannot be learnt).
	UUID string
	// Body is the check's JSON object, read by hcapi like a create request.
	Body map[string]json.RawMessage
	// Slug and Name as listed (for reports).
	Slug, Name string
	// Channels are the ids of the integrations the check notifies.
	Channels []string
}

// HCChannel is one integration of a healthchecks project.
type HCChannel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// ParseHCChecks reads the answer of GET /api/v3/checks/: {"checks": [...]}. A check's UUID
// is its uuid field, or the last segment of its ping_url.
func ParseHCChecks(b []byte) ([]HCCheck, error) {
	var in struct {
		Checks []map[string]json.RawMessage `json:"checks"`
	}
	if err := json.Unmarshal(b, &in); err != nil || in.Checks == nil {
		return nil, messages.Errorf(messages.EInvalid, "the healthchecks server's check list is not what its API answers")
	}
	if len(in.Checks) > MaxChecks {
		return nil, messages.Errorf(messages.EInvalid, "the project has %d checks; at most %d may be imported at once", len(in.Checks), MaxChecks)
	}
	out := make([]HCCheck, 0, len(in.Checks))
	for _, body := range in.Checks {
		c := HCCheck{Body: body}
		c.UUID = canonicalUUID(str(body["uuid"]))
		if c.UUID == "" {
			if u, err := url.Parse(str(body["ping_url"])); err == nil {
				c.UUID = canonicalUUID(path.Base(u.Path))
			}
		}
		c.Slug, c.Name = str(body["slug"]), str(body["name"])
		for _, id := range strings.Split(str(body["channels"]), ",") {
			if id = strings.TrimSpace(id); id != "" {
				c.Channels = append(c.Channels, id)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// ParseHCChannels reads the answer of GET /api/v3/channels/: {"channels": [{id, name, kind}]}.
func ParseHCChannels(b []byte) ([]HCChannel, error) {
	var in struct {
		Channels []HCChannel `json:"channels"`
	}
	if err := json.Unmarshal(b, &in); err != nil || in.Channels == nil {
		return nil, messages.Errorf(messages.EInvalid, "the healthchecks server's integration list is not what its API answers")
	}
	return in.Channels, nil
}

// canonicalUUID returns s as a lower-case hyphenated UUID, or "" when it is not one.
func canonicalUUID(s string) string {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return ""
	}
	return u.String()
}

// str reads a JSON string ("" for anything else).
func str(raw json.RawMessage) string {
	var s string
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
