package limit

import "github.com/ttr-rip/ttr/messages"

// Quotas bound what one user may own. A zero field is unlimited.
type Quotas struct {
	Checks      int64 // default 5,000
	StatusPages int64 // default 100
	APITokens   int64 // default 50
}

// DefaultQuotas returns the defaults of docs/operations.md "Abuse limits".
func DefaultQuotas() Quotas {
	return Quotas{Checks: 5000, StatusPages: 100, APITokens: 50}
}

// AllowCheck returns a forbidden error naming the quota when a user who has have checks may
// not create n more.
func (q Quotas) AllowCheck(have, n int64) error { return allow("checks", q.Checks, have, n) }

// AllowStatusPage is AllowCheck for status pages.
func (q Quotas) AllowStatusPage(have, n int64) error {
	return allow("status pages", q.StatusPages, have, n)
}

// AllowAPIToken is AllowCheck for API tokens.
func (q Quotas) AllowAPIToken(have, n int64) error { return allow("API tokens", q.APITokens, have, n) }

func allow(what string, quota, have, n int64) error {
	if quota <= 0 || have+n <= quota {
		return nil
	}
	return messages.Errorf(messages.EForbidden, "quota exceeded: at most %d %s per user", quota, what)
}
