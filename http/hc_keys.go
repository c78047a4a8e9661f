package http

import (
	"context"
	"net/netip"

	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/http/hcapi"
)

// fullScopes is what a healthchecks.io read-write API key may do.
const fullScopes = credential.Scopes(credential.Read) | credential.Scopes(credential.Write) |
	credential.Scopes(credential.Delete) | credential.Scopes(credential.Channels)

// hcKeys resolves the API keys healthchecks.io's clients send with ttr's own credentials, so
// rotation, revocation, expiry and allowed networks hold on those routes too: a scoped API
// token holding every scope, or the user's access key, is a read-write key; any other token
// is a read-only key (healthchecks.io knows only the two, and a token that may not do
// everything a read-write key does must not be given more).
type hcKeys struct{ s *Server }

var _ hcapi.Resolver = hcKeys{}

// ResolveAPIKey authenticates key as ttr's API would from ip.
func (k hcKeys) ResolveAPIKey(ctx context.Context, key string, ip netip.Addr) (hcapi.Credential, error) {
	var (
		p   Principal
		err error
	)
	if credential.LooksLikeToken(key) {
		p, err = k.s.authByToken(ctx, key, ip)
	} else {
		p, err = k.s.authByKey(ctx, key, ip)
	}
	if err != nil {
		if f, ok := err.(*authFailure); ok {
			return hcapi.Credential{}, f.answer
		}
		return hcapi.Credential{}, err
	}
	c := hcapi.Credential{User: p.User, Via: "access_key"}
	if p.Via == ViaAPIToken {
		c.Via = "token"
		c.ReadOnly = p.Scopes&fullScopes != fullScopes
	}
	return c, nil
}
