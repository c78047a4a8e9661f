package hcapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// maxKeyLen bounds what is looked up: access keys are 32 characters, tokens a few more.
const maxKeyLen = 256

// AccessKeys resolves a user's own access key (X-Auth-Key's value) as a read-write API key.
type AccessKeys struct {
	Store interface {
		UserByAuthKeyHash(ctx context.Context, hash []byte) (messages.User, error)
	}
}

// ResolveAPIKey looks the user up by the SHA-256 of the key (no secret comparison to time).
func (a AccessKeys) ResolveAPIKey(ctx context.Context, key string, _ netip.Addr) (Credential, error) {
	u, err := a.Store.UserByAuthKeyHash(ctx, keyring.Hash([]byte(key)))
	if err != nil {
		return Credential{}, err
	}
	return Credential{User: u, Via: "access_key"}, nil
}

// errDisabled answers every request of a user an admin disabled, as ttr's own API does.
const errDisabled = "this account is disabled"

// access is what an endpoint lets in.
type access int

const (
	readWrite access = iota + 1 // healthchecks.io's @authorize: read-write keys, header or body
	readOnly                    // @authorize_read: either kind of key, header only
)

// request is one authenticated API request, as a view sees it.
type request struct {
	*http.Request
	cred Credential
	v    int                        // API version: 1, 2 or 3
	body map[string]json.RawMessage // a POST's JSON object (nil otherwise)
}

// authorize authenticates r as healthchecks.io's decorators do: a POST body is parsed first
// (it may hold the key), the key comes from X-Api-Key or, for read-write endpoints, the body's
// api_key; a missing key is 401 "missing api key", an unknown one (or a read-only key on a
// read-write endpoint) 401 "wrong api key". A request that also carries one of ttr's own
// credentials is refused (400): it is not clear which one it means.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request, need access, v int) (*request, bool) {
	lim := h.deps.Limits
	ip := lim.ClientIP(r)
	if err := lim.APIClient(ip); err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	req := &request{Request: r, v: v}
	if r.Method == http.MethodPost {
		body, err := h.readBody(w, r)
		if err != nil {
			h.fail(w, r, err)
			return nil, false
		}
		req.body = body
	}
	key := r.Header.Get(headerAPIKey)
	if key == "" && need == readWrite {
		if raw, ok := req.body["api_key"]; ok {
			key = jsonScalar(raw)
		}
	}
	if key != "" && (r.Header.Get(headerAuthKey) != "" || r.Header.Get("Authorization") != "") {
		writeError(w, http.StatusBadRequest, "send one credential: X-Api-Key (or api_key), or ttr's X-Auth-Key or Authorization, not both")
		return nil, false
	}
	if key == "" || len(key) > maxKeyLen {
		writeError(w, http.StatusUnauthorized, "missing api key")
		return nil, false
	}
	if err := lim.AuthBlocked(ip); err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	cred, err := h.deps.Resolver.ResolveAPIKey(r.Context(), key, ip)
	if err != nil {
		switch messages.CodeOf(err) {
		case messages.ENotFound, messages.EUnauthorized:
			if lerr := lim.AuthFailed(r.Context(), ip); lerr != nil {
				h.fail(w, r, lerr)
				return nil, false
			}
			writeError(w, http.StatusUnauthorized, "wrong api key")
		default:
			h.fail(w, r, err)
		}
		return nil, false
	}
	if !cred.User.DisabledAt.IsZero() {
		writeError(w, http.StatusForbidden, errDisabled)
		return nil, false
	}
	if cred.ReadOnly && need == readWrite {
		writeError(w, http.StatusUnauthorized, "wrong api key")
		return nil, false
	}
	if err := lim.APICredential(cred.Via + ":" + strconv.FormatInt(cred.User.ID, 10)); err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	req.cred = cred
	return req, true
}

// jsonScalar is a JSON value as Python's str() would show it: a string's text, anything else
// as written.
func jsonScalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
