package tglogin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Verifier.
const (
	// MaxAge is how old a payload's auth_date may be.
	MaxAge = 5 * time.Minute
	// MaxSkew is how far in the future auth_date may be (the clocks of Telegram and of
	// this node differ a little).
	MaxSkew = 30 * time.Second
)

// Bounds on what Verify reads, so a hostile query costs little.
const (
	maxFields     = 16
	maxValueBytes = 1024
)

// Errors of Verify and Accept. Callers answer each the same way (the sign-in failed), and
// may log which.
var (
	// ErrMalformed: a field is missing, repeated, unparseable or too large.
	ErrMalformed = errors.New("telegram login: malformed payload")
	// ErrSignature: the hash does not match the fields (tampered, or another bot's).
	ErrSignature = errors.New("telegram login: signature does not match")
	// ErrStale: auth_date is more than MaxAge old, or in the future.
	ErrStale = errors.New("telegram login: payload too old")
	// ErrReplayed: the payload was accepted before.
	ErrReplayed = errors.New("telegram login: payload already used")
)

// Login is a verified payload: the Telegram account that signed in.
type Login struct {
	// TelegramID is the Telegram user id.
	TelegramID int64
	// Username, FirstName and LastName are as Telegram sent them (possibly empty).
	Username, FirstName, LastName string
	// AuthDate is when the user confirmed in Telegram.
	AuthDate time.Time
	// Hash is the payload's signature: accepted once (Accept records it).
	Hash []byte
	// ReplayUntil is how long Hash must be remembered: past it the payload is stale anyway.
	ReplayUntil time.Time
}

// LogValue keeps a payload out of logs: only the fact and the auth date are shown, never the
// Telegram account, names or hash.
func (l Login) LogValue() slog.Value {
	return slog.GroupValue(slog.String("payload", "redacted"), slog.Time("auth_date", l.AuthDate))
}

// Verifier checks payloads signed for one bot.
type Verifier struct {
	key     [32]byte // SHA-256 of the bot token
	maxAge  time.Duration
	maxSkew time.Duration
}

// botToken is the shape of a bot token as BotFather issues it: the bot id, a colon and a
// secret.
var botToken = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)

// botName is a Telegram bot username: 5 to 32 characters, ending in "bot".
var botName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]$`)

// ValidBotName reports whether name can be a bot's username (what the widget is given).
func ValidBotName(name string) bool { return botName.MatchString(name) }

// New returns a verifier for the bot whose token is token. The error names the problem and
// never the token.
func New(token string) (*Verifier, error) {
	if !botToken.MatchString(token) {
		return nil, errors.New("telegram login: the bot token is not of the form <bot id>:<secret> BotFather issues")
	}
	return &Verifier{key: sha256.Sum256([]byte(token)), maxAge: MaxAge, maxSkew: MaxSkew}, nil
}

// Verify checks a payload (the query string of Telegram's redirect, or the widget's fields
// in the same form) at now: signature, then age. It does not record the payload: Accept
// does.
func (v *Verifier) Verify(q url.Values, now time.Time) (Login, error) {
	if len(q) > maxFields {
		return Login{}, fmt.Errorf("%w: %d fields", ErrMalformed, len(q))
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return Login{}, fmt.Errorf("%w: field %q given %d times", ErrMalformed, redactKey(k), len(vs))
		}
		if len(k) > 64 || len(vs[0]) > maxValueBytes {
			return Login{}, fmt.Errorf("%w: a field is too long", ErrMalformed)
		}
	}
	hash, err := hex.DecodeString(q.Get("hash"))
	if err != nil || len(hash) != sha256.Size {
		return Login{}, fmt.Errorf("%w: hash is not 64 hex digits", ErrMalformed)
	}
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return Login{}, fmt.Errorf("%w: id is not a positive integer", ErrMalformed)
	}
	authUnix, err := strconv.ParseInt(q.Get("auth_date"), 10, 64)
	if err != nil || authUnix <= 0 {
		return Login{}, fmt.Errorf("%w: auth_date is not a unix time", ErrMalformed)
	}
	mac := hmac.New(sha256.New, v.key[:])
	mac.Write([]byte(DataCheckString(q)))
	if !hmac.Equal(mac.Sum(nil), hash) {
		return Login{}, ErrSignature
	}
	auth := time.Unix(authUnix, 0).UTC()
	if now.Sub(auth) > v.maxAge || auth.Sub(now) > v.maxSkew {
		return Login{}, ErrStale
	}
	return Login{
		TelegramID: id, Username: q.Get("username"), FirstName: q.Get("first_name"), LastName: q.Get("last_name"),
		AuthDate: auth, Hash: hash,
		// A second past the last instant the payload is fresh: the store forgets a record
		// at its expiry, and must not forget it while Verify would still accept it.
		ReplayUntil: auth.Add(v.maxAge + time.Second),
	}, nil
}

// Seen records a payload hash until expires, reporting whether it is new (false: it was
// recorded before and is still remembered). persistence.TelegramStore's
// MarkTelegramLoginSeen implements it, once across the cluster.
type Seen interface {
	MarkTelegramLoginSeen(ctx context.Context, hash []byte, now, expires time.Time) (bool, error)
}

// Accept verifies a payload and records it, so that it is accepted once: ErrReplayed when
// it was accepted before. An error of seen is returned as it is (the payload is then not
// accepted).
func (v *Verifier) Accept(ctx context.Context, q url.Values, now time.Time, seen Seen) (Login, error) {
	l, err := v.Verify(q, now)
	if err != nil {
		return Login{}, err
	}
	fresh, err := seen.MarkTelegramLoginSeen(ctx, l.Hash, now, l.ReplayUntil)
	if err != nil {
		return Login{}, fmt.Errorf("telegram login: record the payload: %w", err)
	}
	if !fresh {
		return Login{}, ErrReplayed
	}
	return l, nil
}

// DataCheckString is what Telegram signs: every field received except hash, as key=value,
// sorted by key, joined by line feeds.
func DataCheckString(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "hash" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(q.Get(k))
	}
	return b.String()
}

// redactKey names a field in an error: the fields Telegram sends by name, anything else
// as "other".
func redactKey(k string) string {
	switch k {
	case "id", "first_name", "last_name", "username", "photo_url", "auth_date", "hash":
		return k
	}
	return "other"
}

// Redact describes a payload for a log line without its values: the names of the fields
// Telegram sends that are present.
func Redact(q url.Values) slog.Value {
	var present []string
	for k := range q {
		if n := redactKey(k); n != "other" {
			present = append(present, n)
		}
	}
	sort.Strings(present)
	return slog.GroupValue(slog.String("payload", "redacted"), slog.String("fields", strings.Join(present, ",")))
}
