package hcapi_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/hcapi"
)

// TestIsHealthchecksLeavesTTRImports: a body with "api_key" marks a healthchecks request,
// except under ttr's own import and admin paths, whose bodies name a healthchecks project's key.
func TestIsHealthchecksLeavesTTRImports(t *testing.T) {
	body := `{"url":"https://healthchecks.io","api_key":"k"}`
	for path, want := range map[string]bool{
		"/api/v1/checks/":                           true,
		"/api/v1/checks/import/healthchecks":        false,
		"/api/v1/admin/users/1/import/healthchecks": false,
	} {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		if got := hcapi.IsHealthchecks(r, 1<<10); got != want {
			t.Errorf("%s: IsHealthchecks = %v, want %v", path, got, want)
		}
	}
}
