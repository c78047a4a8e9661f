package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Sizes of minted secrets and rules of user slugs.
const (
	accessKeyBytes   = 24 // 32 URL-safe characters, 192 bits (docs/api.md#users)
	pingKeyBytes     = 16 // 22 URL-safe characters, 128 bits
	userSlugLen      = 8
	userSlugAttempts = 5
	// HoldFor is how long a released user slug is kept from everybody else.
	HoldFor = 24 * time.Hour
)

// Themes are the web UI's themes; the first is the default.
var Themes = []string{"retro", "cyberpunk", "blueprint", "terminal", "solarized", "arcade"}

// Modes are the light/dark choices; "system" follows the browser (prefers-color-scheme).
var Modes = []string{"system", "light", "dark"}

// userSlugRE is a user slug: what a ping URL's first segment accepts, at least 3 characters.
var userSlugRE = regexp.MustCompile(`^[a-z0-9_-]{3,64}$`)

// Store is what the service needs of the store (persistence.Store implements it).
type Store interface {
	CreateUser(ctx context.Context, u *messages.User) error
	UserByID(ctx context.Context, userID int64) (messages.User, messages.UserPrefs, error)
	UpdateUserSettings(ctx context.Context, userID int64, set messages.UserSettings) error
	DeleteUserSessions(ctx context.Context, userID int64, keep []byte) (int64, error)
	SetPingKey(ctx context.Context, userID int64, enc, index []byte) error
	SlugHeld(ctx context.Context, slug string, userID int64, now time.Time) (bool, error)
	ChangeUserSlug(ctx context.Context, userID int64, newSlug string, now, holdUntil time.Time) (string, error)
	ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error)
}

// Keys replaces and retires access keys (persistence.CredentialStore): a retired key is
// refused as such, not counted as a guess.
type Keys interface {
	ReplaceAuthKey(ctx context.Context, userID int64, oldHash, newHash []byte, at time.Time) error
	RetireKey(ctx context.Context, userID int64, digest []byte, at time.Time) error
}

// UserDeleter deletes a user whose checks are gone (persistence.SiteStore).
type UserDeleter interface {
	DeleteUser(ctx context.Context, userID int64, holdUntil time.Time) error
}

// CheckDeleter deletes a check through its actor (ifMatch nil: unconditionally).
type CheckDeleter interface {
	Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error
}

// SessionForgetter drops a node's cached sessions of a user (session.Manager).
type SessionForgetter interface {
	ForgetUser(userID int64, keep []byte)
}

// Deps are the service's collaborators.
type Deps struct {
	Store    Store
	Checks   CheckDeleter
	Users    UserDeleter // nil: Delete is not available
	Keys     Keys        // nil: RotateKey and Delete are not available
	Ring     *keyring.Ring
	Sessions SessionForgetter // nil: no web sessions
	Now      func() time.Time
}

// Service is the account self-service.
type Service struct {
	d   Deps
	now func() time.Time
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Ring == nil {
		return nil, errors.New("account: Store and Ring are required")
	}
	s := &Service{d: d, now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Created is a new user and its secrets, shown once.
type Created struct {
	User    messages.User
	AuthKey string
	PingKey string
}

// CreateUser mints an anonymous user: access key (stored as its SHA-256), ping key (sealed,
// with its keyed lookup index) and a random user slug (drawn again when taken or held).
func (s *Service) CreateUser(ctx context.Context) (Created, error) {
	authKey, err := randomURLSafe(accessKeyBytes)
	if err != nil {
		return Created{}, err
	}
	pingKey, enc, index, err := s.newPingKey()
	if err != nil {
		return Created{}, err
	}
	u := messages.User{
		AuthKeyHash:  keyring.Hash([]byte(authKey)),
		PingKeyEnc:   enc,
		PingKeyIndex: index,
		SlugPings:    true,
		CreatedAt:    s.now().UTC().Truncate(time.Millisecond),
	}
	for attempt := 1; ; attempt++ {
		if u.Slug, err = randomSlug(userSlugLen); err != nil {
			return Created{}, err
		}
		held, err := s.d.Store.SlugHeld(ctx, u.Slug, 0, s.now())
		if err != nil {
			return Created{}, err
		}
		if !held {
			err = s.d.Store.CreateUser(ctx, &u)
			if err == nil {
				break
			}
		} else {
			err = messages.Errorf(messages.EConflict, "user slug held")
		}
		if messages.CodeOf(err) != messages.EConflict || attempt == userSlugAttempts {
			return Created{}, err
		}
	}
	return Created{User: u, AuthKey: authKey, PingKey: pingKey}, nil
}

// Me is what a user sees of their account.
type Me struct {
	UserSlug  string    `json:"user_slug"`
	SlugPings bool      `json:"slug_pings"`
	PingKey   string    `json:"ping_key"`
	Theme     string    `json:"theme"`
	Mode      string    `json:"mode"`
	TZ        string    `json:"tz"`
	CreatedAt time.Time `json:"created_at"`
}

// Me reads the account. The ping key is opened for its owner (it is a capability they use
// in ping URLs); "" when it cannot be decrypted with the configured keys.
func (s *Service) Me(ctx context.Context, userID int64) (Me, error) {
	u, p, err := s.d.Store.UserByID(ctx, userID)
	if err != nil {
		return Me{}, err
	}
	return s.MeOf(u, p), nil
}

// MeOf builds Me from a user already read (a session carries it).
func (s *Service) MeOf(u messages.User, p messages.UserPrefs) Me {
	me := Me{UserSlug: u.Slug, SlugPings: u.SlugPings, Theme: ThemeOr(p.Theme), Mode: ModeOr(p.ThemeMode), TZ: p.TZ, CreatedAt: u.CreatedAt}
	if me.TZ == "" {
		me.TZ = "UTC"
	}
	if pk, err := s.d.Ring.Open(u.PingKeyEnc, keyring.PingKeyAD(u.PingKeyIndex)); err == nil {
		me.PingKey = string(pk)
	}
	return me
}

// ThemeOr returns theme, or the default theme when it is not one of Themes.
func ThemeOr(theme string) string {
	if slices.Contains(Themes, theme) {
		return theme
	}
	return Themes[0]
}

// ModeOr returns mode, or "system" when it is not one of Modes.
func ModeOr(mode string) string {
	if slices.Contains(Modes, mode) {
		return mode
	}
	return Modes[0]
}

// RotateKey gives the user a new access key (returned, shown once). The old one is refused
// from then on — recognised as retired, not as a guess — and every session of the user but
// keep (the browser that asked; nil = all) ends.
func (s *Service) RotateKey(ctx context.Context, u messages.User, keep []byte) (string, error) {
	if s.d.Keys == nil {
		return "", errors.New("account: no key store configured")
	}
	key, err := randomURLSafe(accessKeyBytes)
	if err != nil {
		return "", err
	}
	if err := s.d.Keys.ReplaceAuthKey(ctx, u.ID, u.AuthKeyHash, keyring.Hash([]byte(key)), s.now()); err != nil {
		return "", err
	}
	if _, err := s.d.Store.DeleteUserSessions(ctx, u.ID, keep); err != nil {
		return "", fmt.Errorf("the key was rotated, but ending the other sessions failed: %w", err)
	}
	if s.d.Sessions != nil {
		s.d.Sessions.ForgetUser(u.ID, keep)
	}
	return key, nil
}

// RotatePingKey gives the user a new ping key (returned); /ping/{old key}/… URLs stop
// resolving.
func (s *Service) RotatePingKey(ctx context.Context, userID int64) (string, error) {
	key, enc, index, err := s.newPingKey()
	if err != nil {
		return "", err
	}
	if err := s.d.Store.SetPingKey(ctx, userID, enc, index); err != nil {
		return "", err
	}
	s.forget(userID)
	return key, nil
}

// pingKeyRE is what an operator may set as a ping key: URL-safe characters, long enough not
// to be guessed (healthchecks.io's are 22 characters).
var pingKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// SetPingKey gives the user the ping key an operator chose (a healthchecks.io project's, so
// that its /ping/<ping_key>/<slug> URLs keep working). A key another user has is EConflict.
func (s *Service) SetPingKey(ctx context.Context, userID int64, key string) error {
	if !pingKeyRE.MatchString(key) {
		return messages.Errorf(messages.EInvalid, "ping_key must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -")
	}
	index := s.d.Ring.Index(keyring.PurposePingKey, []byte(key))
	if st, ok := s.d.Store.(interface {
		UserByPingKeyIndex(ctx context.Context, index []byte) (messages.User, error)
	}); ok {
		switch u, err := st.UserByPingKeyIndex(ctx, index); {
		case err == nil && u.ID != userID:
			return messages.Errorf(messages.EConflict, "another user has this ping key")
		case err == nil:
			return nil // already theirs
		case messages.CodeOf(err) != messages.ENotFound:
			return err
		}
	}
	enc, err := s.d.Ring.Seal([]byte(key), keyring.PingKeyAD(index))
	if err != nil {
		return err
	}
	if err := s.d.Store.SetPingKey(ctx, userID, enc, index); err != nil {
		return err
	}
	s.forget(userID)
	return nil
}

// ValidateSlug checks a user slug's syntax.
func ValidateSlug(slug string) error {
	if !userSlugRE.MatchString(slug) {
		return messages.Errorf(messages.EInvalid, "user slug must be 3 to 64 characters of a-z, 0-9, _ and -")
	}
	return nil
}

// ChangeSlug renames the user slug and returns the old one, which is held for this user for
// HoldFor. A slug in use or held for someone else is EConflict.
func (s *Service) ChangeSlug(ctx context.Context, userID int64, slug string) (string, error) {
	if err := ValidateSlug(slug); err != nil {
		return "", err
	}
	now := s.now()
	old, err := s.d.Store.ChangeUserSlug(ctx, userID, slug, now, now.Add(HoldFor))
	if err == nil {
		s.forget(userID)
	}
	return old, err
}

// forget drops this node's cached sessions of the user after a change to what they carry
// (slug, settings): the next request reads them again. Other nodes catch up within the
// session cache's TTL.
func (s *Service) forget(userID int64) {
	if s.d.Sessions != nil {
		s.d.Sessions.ForgetUser(userID, nil)
	}
}

// Settings is a partial update of the display settings (nil = unchanged).
type Settings struct {
	SlugPings *bool   `json:"slug_pings"`
	Theme     *string `json:"theme"`
	Mode      *string `json:"mode"`
	TZ        *string `json:"tz"`
}

// Validate names the first invalid field. An empty tz means UTC.
func (set Settings) Validate() error {
	if set.Theme != nil && !slices.Contains(Themes, *set.Theme) {
		return messages.Errorf(messages.EInvalid, "theme must be one of %v", Themes)
	}
	if set.Mode != nil && !slices.Contains(Modes, *set.Mode) {
		return messages.Errorf(messages.EInvalid, "mode must be one of %v", Modes)
	}
	if set.TZ != nil && *set.TZ != "" {
		if _, err := time.LoadLocation(*set.TZ); err != nil || *set.TZ == "Local" || len(*set.TZ) > 64 {
			return messages.Errorf(messages.EInvalid, "tz must be an IANA time zone such as Europe/Berlin")
		}
	}
	if set == (Settings{}) {
		return messages.Errorf(messages.EInvalid, "nothing to change: send slug_pings, theme, mode or tz")
	}
	return nil
}

// Update applies validated settings.
func (s *Service) Update(ctx context.Context, userID int64, set Settings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	if err := s.d.Store.UpdateUserSettings(ctx, userID, messages.UserSettings{SlugPings: set.SlugPings, Theme: set.Theme, ThemeMode: set.Mode, TZ: set.TZ}); err != nil {
		return err
	}
	s.forget(userID)
	return nil
}

// deleteRounds bounds how often Delete lists the checks again (a ?create=1 ping may add one
// while the account is being deleted).
const deleteRounds = 5

// Delete removes the account when confirm is its user slug: every check through its actor
// (so nothing of it stays armed or cached), then the user, their sessions and settings; the
// access key is retired and the slug held for nobody, both for HoldFor.
func (s *Service) Delete(ctx context.Context, u messages.User, confirm string) error {
	if confirm != u.Slug {
		return messages.Errorf(messages.EInvalid, "confirm must be the account's user slug (%s)", u.Slug)
	}
	if s.d.Checks == nil || s.d.Users == nil || s.d.Keys == nil {
		return errors.New("account: no check, user or key store configured")
	}
	for range deleteRounds {
		checks, err := s.d.Store.ListChecks(ctx, u.ID, persistence.ListQuery{SortBy: "id", Limit: 100})
		if err != nil {
			return err
		}
		for _, c := range checks {
			if err := s.d.Checks.Delete(ctx, u.ID, c.ID, nil); err != nil && messages.CodeOf(err) != messages.ENotFound {
				return fmt.Errorf("delete check %d: %w", c.ID, err)
			}
		}
		if len(checks) == 100 {
			continue
		}
		// The key first: should the deletion fail, the user still signs in with it (a
		// retired key is consulted only when no user has it).
		if len(u.AuthKeyHash) > 0 {
			if err := s.d.Keys.RetireKey(ctx, u.ID, u.AuthKeyHash, s.now()); err != nil {
				return err
			}
		}
		err = s.d.Users.DeleteUser(ctx, u.ID, s.now().Add(HoldFor))
		if messages.CodeOf(err) == messages.EConflict {
			continue // a check appeared meanwhile
		}
		if err != nil {
			return err
		}
		if s.d.Sessions != nil {
			s.d.Sessions.ForgetUser(u.ID, nil)
		}
		return nil
	}
	return messages.Errorf(messages.EConflict, "checks keep being created for this account; try again")
}

func (s *Service) newPingKey() (key string, enc, index []byte, err error) {
	key, err = randomURLSafe(pingKeyBytes)
	if err != nil {
		return "", nil, nil, err
	}
	index = s.d.Ring.Index(keyring.PurposePingKey, []byte(key))
	enc, err = s.d.Ring.Seal([]byte(key), keyring.PingKeyAD(index))
	return key, enc, index, err
}

// randomURLSafe returns n random bytes from crypto/rand as unpadded base64url.
func randomURLSafe(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const slugAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomSlug returns n uniformly random characters of [a-z0-9] from crypto/rand (rejection
// sampling: bytes >= 252 are redrawn so every character is equally likely).
func randomSlug(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < 252 && len(out) < n {
				out = append(out, slugAlphabet[int(b)%len(slugAlphabet)])
			}
		}
	}
	return string(out), nil
}
