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
	// 0..255 (HTTP 400). Only /p/ paths give it.
	ErrBadExitCode = errors.New("exit code must be 0..255")
	// ErrBadFormat says a /ping/ path has the shape of a slug URL but its slug has upper case,
	// which healthchecks.io refuses before any lookup (HTTP 400 "invalid url format").
	ErrBadFormat = errors.New("invalid url format")
	// ErrExitTooLarge says a /ping/ path's exit status is above 255. Parse returns the
	// Target all the same (Action Exit, ExitStatus -1): healthchecks.io looks the check up
	// first, so an unknown check is still 404, a known one 400 "invalid url format".
	ErrExitTooLarge = errors.New("invalid url format")
)

// MaxSegment is the longest user slug, ping key or check ref a path may carry.
const MaxSegment = 64

// Parse reads a ping path (the URL's path, starting at "/p/" or "/ping/"):
//
//	/p/{user_slug}/{slug|uuid}[/start|/fail|/log|/{exit_code}]
//	/ping/{uuid}[/|/start|/fail|/log|/{exit_code}]
//	/ping/{ping_key}/{slug}[/start|/fail|/log|/{exit_code}]
//
// /p/ paths follow ttr's own rules. A user slug is [a-z0-9_-]{1,64}; a check ref is 1..64
// characters that need no escaping in a path ([A-Za-z0-9._~-], not "." or ".."): whether it
// names a check is the resolver's business, so a malformed slug can be reported as such
// rather than as a missing route. A UUID-shaped ref (any case) is returned in lower case. An
// all-digit (or signed) action segment is an exit code: canonical decimals 0..255 only, else
// ErrBadExitCode. Empty segments (a trailing slash, "//"), extra segments and characters
// outside those sets are ErrNotFound.
//
// /ping/ paths are routed as healthchecks.io routes them (parseHC).
//
// Parse allocates only to lower-case a UUID written in upper case.
func Parse(path string) (Target, error) {
	if rest, ok := strings.CutPrefix(path, "/ping/"); ok {
		return parseHC(rest)
	}
	rest, ok := strings.CutPrefix(path, "/p/")
	if !ok {
		return Target{}, ErrNotFound
	}
	var segs [3]string
	n, ok := split(rest, &segs)
	if !ok || n < 2 || !isUserSlug(segs[0]) || !isRef(segs[1]) {
		return Target{}, ErrNotFound
	}
	t := Target{Scheme: UserSlug, UserSlug: segs[0], Ref: normRef(segs[1]), Action: Success, ExitStatus: -1}
	action := segs[2]
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

// parseHC routes the rest of a /ping/ path as healthchecks.io's URL patterns do, in their
// order (hc/api/urls.py):
//
//	{uuid}                          a success ping; the uuid in lower case only
//	{uuid}/ then "", start, fail, log or [0-9]+
//	{key}/{slug}                    key and slug: [-a-zA-Z0-9_]+
//	{key}/{slug}/ then start, fail, log or [0-9]+
//
// Anything else is ErrNotFound. So a trailing slash is a success ping after a uuid but no
// route after a slug; an exit status is any run of digits ("007" is 7), and one above 255 is
// ErrExitTooLarge, with the Target; a signed one is no route; an upper-case uuid is not a
// uuid (it can only be a ping key); and a path that falls through to the slug pattern with
// upper case in its slug is ErrBadFormat (healthchecks.io's view refuses it before a lookup).
// Segments longer than MaxSegment name nothing ttr can hold: ErrNotFound.
func parseHC(rest string) (Target, error) {
	t := Target{Action: Success, ExitStatus: -1}
	if len(rest) >= 36 && isLowerUUID(rest[:36]) && (len(rest) == 36 || rest[36] == '/') {
		t.Scheme, t.Ref = UUID, rest[:36]
		if len(rest) <= 37 { // "{uuid}" or "{uuid}/"
			return t, nil
		}
		if a, exit, err := hcAction(rest[37:]); a != 0 {
			t.Action, t.ExitStatus = a, exit
			return t, err
		}
		// Not an action: the slug pattern may still take it.
	}
	key, slugAndAction, ok := strings.Cut(rest, "/")
	if !ok || !isDjangoSlug(key) {
		return Target{}, ErrNotFound
	}
	slug, action, hasAction := strings.Cut(slugAndAction, "/")
	if !isDjangoSlug(slug) {
		return Target{}, ErrNotFound
	}
	t = Target{Scheme: PingKey, PingKey: key, Ref: slug, Action: Success, ExitStatus: -1}
	if hasAction {
		a, exit, err := hcAction(action)
		if a == 0 {
			return Target{}, ErrNotFound
		}
		t.Action, t.ExitStatus = a, exit
		if err != nil {
			return hcSlugChecks(t, err)
		}
	}
	return hcSlugChecks(t, nil)
}

// hcSlugChecks applies the slug view's own refusal (upper case) and ttr's segment bound to a
// slug URL that routed; err is the action's error, which comes after them.
func hcSlugChecks(t Target, err error) (Target, error) {
	if hasUpper(t.Ref) {
		return Target{}, ErrBadFormat
	}
	if len(t.PingKey) > MaxSegment || len(t.Ref) > MaxSegment {
		return Target{}, ErrNotFound
	}
	return t, err
}

// hcAction reads a /ping/ action segment: start, fail, log or a run of digits. It returns
// action 0 for anything else; an exit status above 255 comes with ErrExitTooLarge.
func hcAction(s string) (Action, int32, error) {
	switch s {
	case "start":
		return Start, -1, nil
	case "fail":
		return Fail, -1, nil
	case "log":
		return Log, -1, nil
	case "":
		return 0, -1, nil
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, -1, nil
		}
	}
	s = strings.TrimLeft(s, "0")
	if len(s) > 3 {
		return Exit, -1, ErrExitTooLarge
	}
	var v int32
	for i := 0; i < len(s); i++ {
		v = v*10 + int32(s[i]-'0')
	}
	if v > 255 {
		return Exit, -1, ErrExitTooLarge
	}
	return Exit, v, nil
}

// isDjangoSlug is Django's slug path converter: [-a-zA-Z0-9_]+.
func isDjangoSlug(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isSlugByte(c) && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// isLowerUUID is Django's uuid path converter: a UUID in lower-case hex.
func isLowerUUID(s string) bool {
	return IsUUID(s) && !hasUpper(s)
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
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
