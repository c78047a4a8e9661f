package web

import (
	"net/http"
	"strconv"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

// The pages read the check JSON as the API's own Go values (ttrhttp.CheckJSON,
// ttrhttp.Aggregate), handed in-process by the API's handlers (apicall.go, getValue): what a
// page shows is what a script reads, with no copy of the types to keep in step.

// displayStatus is what a check shows: its stored status, or late / started derived from it.
func displayStatus(c *ttrhttp.CheckJSON) messages.CheckStatus {
	switch {
	case c.Status == messages.StatusUp && c.Started:
		return "started"
	case c.Status == messages.StatusUp && c.Late:
		return "late"
	}
	return c.Status
}

// loadCheck reads the user's check through the API (GET /api/v1/checks/{id}), as its Go value.
func (p *Pages) loadCheck(r *http.Request, id int64) (*ttrhttp.CheckJSON, error) {
	c, _, err := getValue[ttrhttp.CheckJSON](p, r, "/api/v1/checks/"+strconv.FormatInt(id, 10))
	return c, err
}
