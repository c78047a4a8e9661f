package http

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ttr-rip/ttr/messages"
)

// checkOp names the handler of a route under /api/v1/checks/.
type checkOp int

// The operations under /api/v1/checks/ (opNone: no route).
const (
	opNone checkOp = iota
	opStats
	opTags
	opSlugCheck
	opGet
	opPut
	opPatch
	opDelete
	opPause
	opResume
	opTogglePause
	opContent
	opPings
	opPingBody
	opFlips
	opDeliveries
	opChannelPut
	opChannelTest
	opChannelTestQueue
	opChannelRate
	opRotateBadge
	opExport
	opImport
	opImportHC
	opAggregate
	opUptime
)

// checkRoute is the dispatcher's verdict on one request under /api/v1/checks/.
type checkRoute struct {
	op      checkOp
	pattern string               // the route pattern, for metrics ("" unless matched)
	checkID int64                // {id}, when the pattern has one
	n       int64                // {n}, when the pattern has one
	channel messages.ChannelKind // {channel}, when the pattern has one: one of apiChannels
	status  int                  // 0 = matched; 404 = no such path; 405 = path known, method not (see allow)
	allow   []string
}

// Parameter segments of a route shape.
const (
	segID      = "{id}"
	segN       = "{n}"
	segChannel = "{channel}" // a name of apiChannels; any other segment is no route
)

// checkRoutes are the routes under /api/v1/checks/ that httprouter v1.3.0 cannot hold side by
// side (a static segment and a parameter at one position panic; its issues #183, #364).
// Static shapes come before parametrised ones of the same length, so "stats" is never read as
// an id (it would not parse as one anyway).
var checkRoutes = []struct {
	shape   []string
	methods map[string]checkOp
}{
	{[]string{"stats"}, map[string]checkOp{http.MethodGet: opStats}},
	{[]string{"tags"}, map[string]checkOp{http.MethodGet: opTags}},
	{[]string{"slug-check"}, map[string]checkOp{http.MethodGet: opSlugCheck}},
	{[]string{"export"}, map[string]checkOp{http.MethodGet: opExport}},
	{[]string{"import"}, map[string]checkOp{http.MethodPost: opImport}},
	{[]string{"import", "healthchecks"}, map[string]checkOp{http.MethodPost: opImportHC}},
	{[]string{"aggregate"}, map[string]checkOp{http.MethodGet: opAggregate}},
	{[]string{segID}, map[string]checkOp{
		http.MethodGet: opGet, http.MethodPut: opPut, http.MethodPatch: opPatch, http.MethodDelete: opDelete,
	}},
	{[]string{segID, "pause"}, map[string]checkOp{http.MethodPost: opPause}},
	{[]string{segID, "resume"}, map[string]checkOp{http.MethodPost: opResume}},
	{[]string{segID, "toggle-pause"}, map[string]checkOp{http.MethodPost: opTogglePause}},
	{[]string{segID, "rotate-badge"}, map[string]checkOp{http.MethodPost: opRotateBadge}},
	{[]string{segID, "content"}, map[string]checkOp{http.MethodGet: opContent}},
	{[]string{segID, "pings"}, map[string]checkOp{http.MethodGet: opPings}},
	{[]string{segID, "pings", segN, "body"}, map[string]checkOp{http.MethodGet: opPingBody}},
	{[]string{segID, "flips"}, map[string]checkOp{http.MethodGet: opFlips}},
	{[]string{segID, "uptime"}, map[string]checkOp{http.MethodGet: opUptime}},
	{[]string{segID, "deliveries"}, map[string]checkOp{http.MethodGet: opDeliveries}},
	{[]string{segID, segChannel}, map[string]checkOp{http.MethodPut: opChannelPut}},
	{[]string{segID, segChannel, "test"}, map[string]checkOp{http.MethodPost: opChannelTest}},
	{[]string{segID, segChannel, "test-queue"}, map[string]checkOp{http.MethodPost: opChannelTestQueue}},
	{[]string{segID, segChannel, "rate"}, map[string]checkOp{http.MethodGet: opChannelRate}},
}

// checkMethods are the methods the catch-all is registered for; the dispatcher answers 405
// for the ones a path does not take.
var checkMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// matchCheckRoute dispatches a request under /api/v1/checks/: rest is the catch-all's value
// (the path after "/api/v1/checks", starting with "/"). It is a pure function. Ids and ping
// numbers must be canonical positive decimals; anything else is no route (404).
func matchCheckRoute(method, rest string) checkRoute {
	rest, ok := strings.CutPrefix(rest, "/")
	if !ok || rest == "" {
		return checkRoute{status: http.StatusNotFound}
	}
	segs := strings.Split(rest, "/")
next:
	for _, rt := range checkRoutes {
		if len(rt.shape) != len(segs) {
			continue
		}
		var (
			id, n   int64
			channel messages.ChannelKind
		)
		for i, want := range rt.shape {
			switch want {
			case segChannel:
				channel = messages.ChannelKind(segs[i])
				if !slices.Contains(apiChannels, channel) {
					continue next
				}
			case segID, segN:
				v, ok := parseID(segs[i])
				if !ok {
					continue next
				}
				if want == segID {
					id = v
				} else {
					n = v
				}
			default:
				if segs[i] != want {
					continue next
				}
			}
		}
		op, ok := rt.methods[method]
		if !ok {
			allow := make([]string, 0, len(rt.methods))
			for m := range rt.methods {
				allow = append(allow, m)
			}
			slices.Sort(allow)
			return checkRoute{status: http.StatusMethodNotAllowed, allow: allow}
		}
		return checkRoute{op: op, pattern: routeChecks + "/" + strings.Join(rt.shape, "/"), checkID: id, n: n, channel: channel}
	}
	return checkRoute{status: http.StatusNotFound}
}

// parseID accepts a canonical positive decimal int64: digits only, no sign, no leading zero.
func parseID(s string) (int64, bool) {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
