package limit_test

import (
	"testing"

	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
)

func TestQuotas(t *testing.T) {
	q := limit.Quotas{Checks: 3, StatusPages: 1}
	tests := []struct {
		name    string
		err     error
		wantMsg string
	}{
		{name: "under", err: q.AllowCheck(1, 1)},
		{name: "to the quota", err: q.AllowCheck(2, 1)},
		{name: "over", err: q.AllowCheck(3, 1), wantMsg: "quota exceeded: at most 3 checks per user"},
		{name: "a batch over", err: q.AllowCheck(1, 3), wantMsg: "quota exceeded: at most 3 checks per user"},
		{name: "status pages", err: q.AllowStatusPage(1, 1), wantMsg: "quota exceeded: at most 1 status pages per user"},
		{name: "unlimited", err: q.AllowAPIToken(1e9, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantMsg == "" {
				if tt.err != nil {
					t.Fatalf("err = %v, want nil", tt.err)
				}
				return
			}
			if messages.CodeOf(tt.err) != messages.EForbidden || messages.MessageOf(tt.err) != tt.wantMsg {
				t.Errorf("err = %v (%s), want forbidden %q", tt.err, messages.CodeOf(tt.err), tt.wantMsg)
			}
		})
	}
	if d := limit.DefaultQuotas(); d != (limit.Quotas{Checks: 5000, StatusPages: 100, APITokens: 50}) {
		t.Errorf("DefaultQuotas() = %+v", d)
	}
}
