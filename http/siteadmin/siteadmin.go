package siteadmin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/adminauth"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// SlugHold is how long the slug of a deleted user stays unavailable (24 hours), so a stale
// cache can never route pings to a newcomer who took it.
const SlugHold = 24 * time.Hour

// Store is what operators read and change (persistence.Store implements it).
type Store interface {
	persistence.AdminStore
	persistence.SiteStore
	ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error)
}

// CheckDeleter deletes a check through its actor (ifMatch nil: unconditionally).
type CheckDeleter interface {
	Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error
}

// SessionForgetter drops a node's cached web sessions of a user (session.Manager), so a
// disabled user's browser is refused on this node at once (other nodes within the cache's
// TTL, at most 500 ms).
type SessionForgetter interface {
	ForgetUser(userID int64, keep []byte)
}

// Deps are the service's collaborators.
type Deps struct {
	Store    Store
	Checks   CheckDeleter // nil: DeleteUser is not available
	Verifier *adminauth.Verifier
	Limits   *limit.Limits      // nil: no limits
	Activity *activity.Recorder // nil: nothing recorded
	Sessions SessionForgetter   // nil: no web sessions
	// Nodes lists the cluster's members; nil = this node alone, in the state Ready reports.
	Nodes func() []Node
	// Ready reports whether this node can serve; nil = ready.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
	Now    func() time.Time
}

// Service carries out operators' sign-ins and actions.
type Service struct {
	d   Deps
	log *slog.Logger
	now func() time.Time
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Verifier == nil {
		return nil, errors.New("siteadmin: Store and Verifier are required")
	}
	s := &Service{d: d, log: d.Logger, now: d.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// ErrSignIn is the one answer to a wrong username or password: which one is not said.
var ErrSignIn = &messages.Error{Code: messages.EUnauthorized, Message: "wrong username or password"}

// MaxUsernameLen bounds usernames (also enforced by `ttrd admin create`).
const MaxUsernameLen = adminauth.MaxUsernameLen

// SignIn checks username and password for a sign-in from r's client. A client over its
// failed-authentication allowance, or over its allowance of failures with this username, is
// refused (429) before the password is looked at. A failure counts against both and is
// recorded in the activity log; a success is recorded too (method names the door: "admin"
// for the API, "admin_session" for the pages).
func (s *Service) SignIn(ctx context.Context, r *http.Request, method, username, password string) (persistence.Admin, error) {
	lim := s.d.Limits
	ip := lim.ClientIP(r)
	if err := lim.AuthBlocked(ip); err != nil {
		return persistence.Admin{}, err
	}
	if err := lim.AdminSignInBlocked(username, ip); err != nil {
		return persistence.Admin{}, err
	}
	// A name no admin can have is an unknown admin: the same answer, in the same time.
	var a persistence.Admin
	found := false
	if adminauth.ValidUsername(username) {
		var err error
		a, err = s.d.Store.AdminByUsername(ctx, username)
		found = err == nil
		if err != nil && messages.CodeOf(err) != messages.ENotFound {
			return persistence.Admin{}, err
		}
	}
	if !s.d.Verifier.Verify(a.PasswordHash, found, password) {
		s.log.InfoContext(ctx, "admin sign-in refused", "username", username, "method", method)
		s.d.Activity.Failed(ctx, activity.Attempt{Method: method, Reason: "sign-in refused", IP: ip, UserAgent: r.UserAgent()})
		if lerr := lim.AuthFailed(ctx, ip); lerr != nil {
			return persistence.Admin{}, lerr
		}
		if lerr := lim.AdminSignInFailed(ctx, username, ip); lerr != nil {
			return persistence.Admin{}, lerr
		}
		return persistence.Admin{}, ErrSignIn
	}
	s.log.InfoContext(ctx, "admin signed in", "admin", a.Username, "method", method)
	s.d.Activity.Event(ctx, activity.EventSignIn, activity.Attempt{Method: method,
		Credential: Credential(a.ID), IP: ip, UserAgent: r.UserAgent()})
	return a, nil
}

// Credential names an admin in the activity log and the request allowance ("admin:3").
func Credential(adminID int64) string { return "admin:" + strconv.FormatInt(adminID, 10) }

// SignedOut records an admin's sign-out.
func (s *Service) SignedOut(ctx context.Context, r *http.Request, method string, adminID int64) {
	a := activity.Attempt{Method: method, IP: s.d.Limits.ClientIP(r), UserAgent: r.UserAgent()}
	if adminID != 0 {
		a.Credential = Credential(adminID)
	}
	s.d.Activity.Event(ctx, activity.EventSignOut, a)
}

// Recorded records an admin's action on a user (userID 0: none) in the activity log and the
// server log; what says what was done ("POST /api/v1/admin/users/:id/disable", "disable
// user").
func (s *Service) Recorded(ctx context.Context, r *http.Request, method string, a persistence.Admin, userID int64, what string) {
	s.log.InfoContext(ctx, "admin action", "admin", a.Username, "action", what, "user_id", userID)
	s.d.Activity.Event(ctx, activity.EventAdmin, activity.Attempt{UserID: userID, Method: method,
		Credential: Credential(a.ID), Reason: what, IP: s.d.Limits.ClientIP(r), UserAgent: r.UserAgent()})
}

// SetDisabled disables (or enables) a user. A disabled user's API calls, sign-ins and
// sessions are refused with 403 on every node from the next request on (keys and tokens are
// looked up with each request; sessions within their cache's TTL); their pings still count.
// ENotFound when there is no such user.
func (s *Service) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	var at time.Time
	if disabled {
		at = s.now().UTC()
	}
	if err := s.d.Store.SetUserDisabled(ctx, userID, at); err != nil {
		return err
	}
	if s.d.Sessions != nil {
		s.d.Sessions.ForgetUser(userID, nil)
	}
	return nil
}

// DeleteUser deletes a user and returns how many checks went with them. The user is disabled
// first (so they create nothing meanwhile), each check is deleted through its actor (its
// owner stops it and its wheel entry goes), then the account; its slug is held for
// SlugHold. A call cut short by its deadline leaves the user disabled with fewer checks:
// repeating it finishes the work.
func (s *Service) DeleteUser(ctx context.Context, userID int64) (int, error) {
	if s.d.Checks == nil {
		return 0, errors.New("siteadmin: no check deleter configured")
	}
	if err := s.SetDisabled(ctx, userID, true); err != nil {
		return 0, err
	}
	deleted := 0
	for {
		checks, err := s.d.Store.ListChecks(ctx, userID, persistence.ListQuery{SortBy: "id", Limit: 100})
		if err != nil {
			return deleted, err
		}
		if len(checks) == 0 {
			break
		}
		for _, c := range checks {
			if err := s.d.Checks.Delete(ctx, userID, c.ID, nil); err != nil && messages.CodeOf(err) != messages.ENotFound {
				return deleted, err
			}
			deleted++
		}
	}
	if err := s.d.Store.DeleteUser(ctx, userID, s.now().Add(SlugHold)); err != nil {
		return deleted, err
	}
	if s.d.Sessions != nil {
		s.d.Sessions.ForgetUser(userID, nil)
	}
	return deleted, nil
}
