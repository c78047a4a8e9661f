package pingpath

import (
	"errors"
	"strconv"
	"strings"
)

// Scheme says how a ping URL names its check.
type Scheme uint8

// The ping URL schemes.
const (
	// UUID is /ping/{uuid}[/action]: the check's public uuid, any user.
	UUID Scheme = iota + 1
	// PingKey is /ping/{ping_key}/{slug}[/action]: a user's secret ping key and a check slug.
	PingKey
	// UserSlug is /p/{user_slug}/{slug|uuid}[/action]: a user's (possibly public) slug.
	UserSlug
)

// String names the scheme for logs and metric labels.
func (s Scheme) String() string {
	switch s {
	case UUID:
		return "uuid"
	case PingKey:
		return "ping_key"
	case UserSlug:
		return "user_slug"
	}
	return "unknown"
}

// Action is what a ping reports.
type Action uint8

// The ping actions.
const (
	// Success is the bare URL.
	Success Action = iota + 1
	// Start is /start: a run began.
	Start
	// Fail is /fail.
	Fail
	// Log is /log: recorded, no status change.
	Log
	// Exit is /{exit_code}: 0 is a success, 1..255 a failure.
	Exit
)

// String names the action.
func (a Action) String() string {
	switch a {
	case Success:
		return "success"
	case Start:
		return "start"
	case Fail:
		return "fail"
	case Log:
		return "log"
	case Exit:
		return "exit"
	}
	return "unknown"
}

// Target is a parsed ping path.
type Target struct {
	Scheme Scheme
	// UserSlug is set for the UserSlug scheme.
	UserSlug string
	// PingKey is set for the PingKey scheme. It is a secret: never log it.
	PingKey string
	// Ref is the check's uuid (lower case) for the UUID scheme, and its slug or uuid as
	// written (a UUID-shaped ref in lower case) for the others.
	Ref    string
	Action Action
	// ExitStatus is the exit code for Exit (0..255) and -1 otherwise.
	ExitStatus int32
}

// Errors returned by Parse.
var (
	// ErrNotFound says the path has no ping shape or an unknown action segment (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrBadExitCode says the action segment is numeric but not a canonical decimal in
	// 0..255 (HTTP 400).
	ErrBadExitCode = errors.New("exit code must be 0..255")
)

// MaxSegment is the longest user slug, ping key or check ref a path may carry.
const MaxSegment = 64

// Parse reads a ping path (the URL's path, starting at "/p/" or "/ping/"):
//
//	/p/{user_slug}/{slug|uuid}[/start|/fail|/log|/{exit_code}]
//	/ping/{uuid}[/start|/fail|/log|/{exit_code}]
//	/ping/{ping_key}/{slug}[/start|/fail|/log|/{exit_code}]
//
// The first segment after /ping/ selects the scheme: UUID-shaped (8-4-4-4-12 hex, any case)
// is a uuid, anything else a ping key. A user slug is [a-z0-9_-]{1,64}; a ping key is
// [A-Za-z0-9_-]{1,64}; a check ref is 1..64 characters that need no escaping in a path
// ([A-Za-z0-9._~-], not "." or ".."): whether it names a check is the resolver's business,
// so a malformed slug can be reported as such (?create=1) rather than as a missing route.
// UUIDs are returned in lower case. An all-digit (or signed) action segment is an exit code:
// canonical decimals 0..255 only, else ErrBadExitCode. Empty segments (a trailing slash,
// "//"), extra segments, characters outside those sets (a percent-encoded slash arrives
// here as an extra segment or as '%') and over-long segments are ErrNotFound.
//
// Parse allocates only to lower-case a UUID written in upper case.
func Parse(path string) (Target, error) {
	var rest string
	var scheme Scheme
	switch {
	case strings.HasPrefix(path, "/p/"):
		rest, scheme = path[len("/p/"):], UserSlug
	case strings.HasPrefix(path, "/ping/"):
		rest = path[len("/ping/"):]
	default:
		return Target{}, ErrNotFound
	}
	var segs [3]string
	n, ok := split(rest, &segs)
	if !ok {
		return Target{}, ErrNotFound
	}
	t := Target{Scheme: scheme, Action: Success, ExitStatus: -1}
	var action string
	switch {
	case scheme == UserSlug:
		if n < 2 || !isUserSlug(segs[0]) || !isRef(segs[1]) {
			return Target{}, ErrNotFound
		}
		t.UserSlug, t.Ref, action = segs[0], normRef(segs[1]), segs[2]
	case IsUUID(segs[0]):
		if n > 2 {
			return Target{}, ErrNotFound
		}
		t.Scheme, t.Ref, action = UUID, lowerASCII(segs[0]), segs[1]
	default:
		if n < 2 || !isPingKey(segs[0]) || !isRef(segs[1]) {
			return Target{}, ErrNotFound
		}
		t.Scheme, t.PingKey, t.Ref, action = PingKey, segs[0], normRef(segs[1]), segs[2]
	}
	if action == "" {
		return t, nil
	}
	switch action {
	case "start":
		t.Action = Start
	case "fail":
		t.Action = Fail
	case "log":
		t.Action = Log
	default:
		if c := action[0]; !isDigit(c) && c != '+' && c != '-' {
			return Target{}, ErrNotFound
		}
		code, ok := parseExit(action)
		if !ok {
			return Target{}, ErrBadExitCode
		}
		t.Action, t.ExitStatus = Exit, code
	}
	return t, nil
}

// Path renders t as the canonical path that Parse reads back to t. A Target that Parse did
// not produce renders as something Parse may reject.
func (t Target) Path() string {
	var suffix string
	switch t.Action {
	case Start:
		suffix = "/start"
	case Fail:
		suffix = "/fail"
	case Log:
		suffix = "/log"
	case Exit:
		suffix = "/" + strconv.Itoa(int(t.ExitStatus))
	}
	switch t.Scheme {
	case UUID:
		return "/ping/" + t.Ref + suffix
	case PingKey:
		return "/ping/" + t.PingKey + "/" + t.Ref + suffix
	case UserSlug:
		return "/p/" + t.UserSlug + "/" + t.Ref + suffix
	}
	return ""
}

// IsUUID reports whether s has the 8-4-4-4-12 hex shape of a UUID, in either case.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// LowerUUID returns a UUID-shaped s in lower case, allocating only when s has upper case.
func LowerUUID(s string) string { return lowerASCII(s) }

// IsSlug reports whether s is a valid check slug for a new check: [a-z0-9_-]{1,64}, not
// all digits (those are exit codes), not UUID-shaped, and not a reserved word.
func IsSlug(s string) bool {
	if len(s) == 0 || len(s) > MaxSegment {
		return false
	}
	digits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isSlugByte(c) {
			return false
		}
		if !isDigit(c) {
			digits = false
		}
	}
	if digits || IsUUID(s) {
		return false
	}
	switch s {
	case "start", "fail", "log", "badge.svg":
		return false
	}
	return true
}

// IsSlugShaped reports whether s could be an existing check's slug: [a-z0-9_-]{1,64}. (A
// check's slug may be its own uuid, which IsSlug refuses for new checks.)
func IsSlugShaped(s string) bool {
	if len(s) == 0 || len(s) > MaxSegment {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isSlugByte(s[i]) {
			return false
		}
	}
	return true
}

// split cuts rest into at most len(segs) non-empty '/'-separated segments.
func split(rest string, segs *[3]string) (int, bool) {
	n := 0
	for {
		if n == len(segs) {
			return 0, false
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			if rest == "" {
				return 0, false
			}
			segs[n] = rest
			return n + 1, true
		}
		if i == 0 {
			return 0, false
		}
		segs[n] = rest[:i]
		n++
		rest = rest[i+1:]
	}
}

// parseExit reads a canonical decimal in 0..255: no sign, no leading zero (except "0").
func parseExit(s string) (int32, bool) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var v int32
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int32(s[i]-'0')
	}
	if v > 255 {
		return 0, false
	}
	return v, true
}

func isUserSlug(s string) bool { return IsSlugShaped(s) }

func isPingKey(s string) bool {
	if len(s) == 0 || len(s) > MaxSegment {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isSlugByte(c) && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// isRef accepts what may name a check: path-safe characters, not a dot segment.
func isRef(s string) bool {
	if len(s) == 0 || len(s) > MaxSegment || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isSlugByte(c) && (c < 'A' || c > 'Z') && c != '.' && c != '~' {
			return false
		}
	}
	return true
}

func normRef(s string) string {
	if IsUUID(s) {
		return lowerASCII(s)
	}
	return s
}

func isSlugByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || isDigit(c) || c == '-' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// lowerASCII lower-cases an ASCII string, allocating only when it has upper case.
func lowerASCII(s string) string { return strings.ToLower(s) }
