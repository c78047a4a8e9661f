package cleanup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ttr-rip/ttr/actors/cleanup/selection"
	"github.com/ttr-rip/ttr/actors/joblease"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// LeaseName names the cleanup's job lease in the store.
const LeaseName = "cleanup"

// Reader is what planning reads: the store's cleanup queries.
type Reader interface {
	CountChecks(ctx context.Context) (int64, error)
	InactiveChecks(ctx context.Context, before time.Time, afterID int64, limit int) ([]messages.Check, error)
	InactiveUsers(ctx context.Context, before time.Time, afterID int64, limit int) ([]persistence.UserActivity, error)
}

// Store is what a run reads and writes besides the check actors. persistence.Store
// implements it.
type Store interface {
	Reader
	// GetCheck reads a check again just before it goes.
	GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error)
	UserActivityByID(ctx context.Context, userID int64) (persistence.UserActivity, error)
	// DeleteUser deletes a user without checks (EConflict when one remains).
	DeleteUser(ctx context.Context, userID int64, holdUntil time.Time) error
	// InsertAudit writes a removal to the activity log (docs/api.md "Activity").
	InsertAudit(ctx context.Context, e *messages.AuditEvent) error
	AcquireJobLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	ReleaseJobLease(ctx context.Context, name, holder string) error
}

// Deleter deletes a check through its actor (http.Checks.Delete): ENotFound when it is gone,
// EPrecondition when its config_version is none of ifMatch.
type Deleter interface {
	Delete(ctx context.Context, userID, checkID int64, ifMatch []int64) error
}

// Config configures the cleanup. Zero values take the documented defaults, except
// InactiveFor, which must be set.
type Config struct {
	// InactiveFor is N days (--cleanup-inactive-days). Required, at least a day.
	InactiveFor time.Duration
	// MaxShare is the largest share of all checks a run may remove (--cleanup-max-share).
	// Default 0.10; at most 1.
	MaxShare float64
	// Force removes whatever the plan says, whatever its share (--cleanup-force).
	Force bool
	// Every is the pause between runs. Default 1 h.
	Every time.Duration
	// FirstRun is how long after Start the first run begins (start-up is left alone).
	// Default 1 min.
	FirstRun time.Duration
	// BatchSize is how many rows a batch removes before the run pauses. Default 50.
	BatchSize int
	// BatchPause is the pause between batches, which keeps a large run from crowding the
	// store's writer. Default 1 s.
	BatchPause time.Duration
	// OpTimeout bounds one removal. Default 10 s.
	OpTimeout time.Duration
	// LeaseTTL is how long the job lease holds without renewal; a run renews it when half
	// has passed. Default 5 min.
	LeaseTTL time.Duration
	// SlugHold is how long a removed user's slug stays unavailable to anyone. Default 24 h.
	SlugHold time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxShare == 0 {
		c.MaxShare = 0.10
	}
	setDefault(&c.Every, time.Hour)
	setDefault(&c.FirstRun, time.Minute)
	setDefault(&c.BatchPause, time.Second)
	setDefault(&c.OpTimeout, 10*time.Second)
	setDefault(&c.LeaseTTL, 5*time.Minute)
	setDefault(&c.SlugHold, 24*time.Hour)
	if c.BatchSize == 0 {
		c.BatchSize = 50
	}
	return c
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

// Validate reports every setting New refuses.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.InactiveFor < 24*time.Hour {
		errs = append(errs, fmt.Errorf("cleanup: inactivity period %v: want at least a day", c.InactiveFor))
	}
	if c.MaxShare <= 0 || c.MaxShare > 1 {
		errs = append(errs, fmt.Errorf("cleanup: max share %v: want more than 0 and at most 1", c.MaxShare))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("cleanup: batch size %d: want at least 1", c.BatchSize))
	}
	if c.Every < 0 || c.FirstRun < 0 || c.BatchPause < 0 || c.OpTimeout < 0 || c.LeaseTTL < 0 || c.SlugHold < 0 {
		errs = append(errs, errors.New("cleanup: durations must be positive"))
	}
	return errors.Join(errs...)
}

// Deps are the cleanup's collaborators.
type Deps struct {
	Store  Store
	Checks Deleter
	// Healthy reports whether this node's store is healthy (actors/health) and it may act
	// (its node lease is valid). Required.
	Healthy func() bool
	// Holder names this node in the job lease (its node id). Required.
	Holder func() string
	// Now is the clock; nil = time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer receives the cleanup's metrics; nil = none.
	Registerer prometheus.Registerer
}

// Errors of a run.
var (
	// ErrUnhealthy: the store is unhealthy; nothing (more) is removed.
	ErrUnhealthy = errors.New("cleanup: the store is unhealthy")
	// ErrLeaseLost: another node took the job lease during the run.
	ErrLeaseLost = joblease.ErrLost
)

// Report is what a run did.
type Report struct {
	// Held: another node holds the lease; this run did nothing.
	Held bool
	// Planned is the plan the run followed.
	Planned selection.Plan
	// RemovedChecks and RemovedUsers are what it removed.
	RemovedChecks, RemovedUsers []int64
	// Kept counts planned rows decided again and kept (a ping, a sign-in, an edit, a new
	// check since the plan), or already gone.
	Kept int
	// Failed counts removals that failed (logged; the next run tries again).
	Failed int
}

// Service runs the cleanup periodically.
type Service struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	metrics *metrics

	mu     sync.Mutex // one run at a time in this process
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
}

// New returns a cleanup service; Start runs it.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Checks == nil || deps.Healthy == nil || deps.Holder == nil {
		return nil, errors.New("cleanup: Store, Checks, Healthy and Holder are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg.withDefaults(), deps: deps, log: deps.Logger, metrics: m,
		stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// Policy is the selection policy of the configuration.
func (c Config) Policy() selection.Policy { return selection.Policy{InactiveFor: c.InactiveFor} }

// pageSize is how many candidate rows planning reads at once.
const pageSize = 500

// BuildPlan reads every candidate check and user and decides each with package selection:
// the plan of a run at now, and what `ttrd cleanup --dry-run` prints.
func BuildPlan(ctx context.Context, r Reader, p selection.Policy, now time.Time) (selection.Plan, error) {
	total, err := r.CountChecks(ctx)
	if err != nil {
		return selection.Plan{}, err
	}
	pl := selection.NewPlanner(p, now, total)
	before := now.Add(-p.InactiveFor)
	for after := int64(0); ; {
		page, err := r.InactiveChecks(ctx, before, after, pageSize)
		if err != nil {
			return selection.Plan{}, err
		}
		if len(page) == 0 {
			break
		}
		pl.AddChecks(page)
		after = page[len(page)-1].ID
	}
	for after := int64(0); ; {
		page, err := r.InactiveUsers(ctx, before, after, pageSize)
		if err != nil {
			return selection.Plan{}, err
		}
		if len(page) == 0 {
			break
		}
		users := make([]selection.User, len(page))
		for i, u := range page {
			users[i] = userFacts(u)
		}
		pl.AddUsers(users)
		after = page[len(page)-1].ID
	}
	return pl.Plan(), nil
}

func userFacts(u persistence.UserActivity) selection.User {
	return selection.User{ID: u.ID, Slug: u.Slug, CreatedAt: u.CreatedAt, LastSeenAt: u.LastSeenAt,
		DisabledAt: u.DisabledAt, Checks: u.Checks, TelegramLinked: u.TelegramLinked}
}

// Start runs the cleanup every Config.Every, the first time after Config.FirstRun, until
// Stop. ctx only guards the start; call Stop only after a successful Start.
func (s *Service) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	go func() {
		defer close(s.done)
		t := time.NewTimer(s.cfg.FirstRun)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-s.stop:
					cancel()
				case <-ctx.Done():
				}
			}()
			s.logRun(s.RunOnce(ctx))
			cancel()
			t.Reset(s.cfg.Every)
		}
	}()
	return nil
}

// Stop ends the periodic runs, cancelling a run in progress, and waits for it.
func (s *Service) Stop() {
	s.closed.Do(func() { close(s.stop) })
	<-s.done
}

func (s *Service) logRun(r Report, err error) {
	switch {
	case errors.Is(err, selection.ErrTooMany):
		s.log.Error("cleanup refused: check the data, or raise --cleanup-max-share or use --cleanup-force", "err", err)
	case err != nil:
		s.log.Warn("cleanup stopped", "err", err, "removed_checks", len(r.RemovedChecks), "removed_users", len(r.RemovedUsers))
	case r.Held:
		s.log.Debug("cleanup runs on another node")
	default:
		s.log.Info("cleanup done", "removed_checks", len(r.RemovedChecks), "removed_users", len(r.RemovedUsers),
			"kept", r.Kept, "failed", r.Failed, "total_checks", r.Planned.TotalChecks)
	}
}

// RunOnce runs the cleanup now: lease, plan, guard, remove in batches.
func (s *Service) RunOnce(ctx context.Context) (rep Report, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { s.metrics.run(rep, err) }()
	if !s.deps.Healthy() {
		return rep, ErrUnhealthy
	}
	lease := &joblease.Lease{Store: s.deps.Store, Name: LeaseName, Holder: s.deps.Holder(), TTL: s.cfg.LeaseTTL, Now: s.deps.Now}
	rep.Held, err = lease.Run(ctx, func() error { return s.run(ctx, lease, &rep) })
	return rep, err
}

// run is one cleanup under the lease: plan, guard, remove in batches.
func (s *Service) run(ctx context.Context, lease *joblease.Lease, rep *Report) error {
	var err error
	rep.Planned, err = BuildPlan(ctx, s.deps.Store, s.cfg.Policy(), s.deps.Now())
	if err != nil {
		return fmt.Errorf("cleanup: plan: %w", err)
	}
	if err := rep.Planned.Guard(s.cfg.MaxShare, s.cfg.Force); err != nil {
		return err
	}
	n := 0
	// step runs one removal under the run's guards: health and the lease, and a pause
	// after every batch.
	step := func(f func(ctx context.Context) error) error {
		if n > 0 && n%s.cfg.BatchSize == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(s.cfg.BatchPause):
			}
		}
		n++
		if !s.deps.Healthy() {
			return ErrUnhealthy
		}
		if err := lease.Hold(ctx); err != nil {
			return err
		}
		opCtx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
		defer cancel()
		return f(opCtx)
	}
	for _, c := range rep.Planned.Checks {
		if err := step(func(ctx context.Context) error { return s.removeCheck(ctx, c, rep) }); err != nil {
			return err
		}
	}
	for _, u := range rep.Planned.Users {
		if err := step(func(ctx context.Context) error { return s.removeUser(ctx, u, rep) }); err != nil {
			return err
		}
	}
	return nil
}

// removeCheck decides a planned check again on its current row and deletes it through its
// actor, conditional on its configuration being the one decided on. It returns an error
// only when the run must stop.
func (s *Service) removeCheck(ctx context.Context, r selection.CheckRemoval, rep *Report) error {
	c, err := s.deps.Store.GetCheck(ctx, r.UserID, r.CheckID)
	if err == nil {
		var ok bool
		if r, ok = selection.Check(c, s.cfg.Policy(), s.deps.Now()); !ok {
			rep.Kept++
			return nil
		}
		err = s.deps.Checks.Delete(ctx, r.UserID, r.CheckID, []int64{c.ConfigVersion})
	}
	switch code := messages.CodeOf(err); {
	case err == nil:
		rep.RemovedChecks = append(rep.RemovedChecks, r.CheckID)
		s.recordRemoval(ctx, removal{check: &r})
		return nil
	case code == messages.ENotFound || code == messages.EPrecondition:
		rep.Kept++ // gone already, or edited since it was read
		return nil
	case persistence.IsUnavailable(err) || code == messages.EUnavailable || ctx.Err() != nil:
		return fmt.Errorf("cleanup: check %d: %w", r.CheckID, err)
	default:
		rep.Failed++
		s.log.WarnContext(ctx, "cleanup could not remove a check", "check_id", r.CheckID, "user_id", r.UserID, "err", err)
		return nil
	}
}

// removeUser decides a planned user again on its current row and deletes it; the store
// refuses when a check appeared meanwhile.
func (s *Service) removeUser(ctx context.Context, r selection.UserRemoval, rep *Report) error {
	u, err := s.deps.Store.UserActivityByID(ctx, r.UserID)
	if err == nil {
		var ok bool
		if r, ok = selection.UserDecision(userFacts(u), u.Checks, s.cfg.Policy(), s.deps.Now()); !ok {
			rep.Kept++
			return nil
		}
		err = s.deps.Store.DeleteUser(ctx, r.UserID, s.deps.Now().Add(s.cfg.SlugHold))
	}
	switch code := messages.CodeOf(err); {
	case err == nil:
		rep.RemovedUsers = append(rep.RemovedUsers, r.UserID)
		s.recordRemoval(ctx, removal{user: &r})
		return nil
	case code == messages.ENotFound || code == messages.EConflict:
		rep.Kept++
		return nil
	case persistence.IsUnavailable(err) || code == messages.EUnavailable || ctx.Err() != nil:
		return fmt.Errorf("cleanup: user %d: %w", r.UserID, err)
	default:
		rep.Failed++
		s.log.WarnContext(ctx, "cleanup could not remove a user", "user_id", r.UserID, "err", err)
		return nil
	}
}

// removal is one row a run removed: a check or a user.
type removal struct {
	check *selection.CheckRemoval
	user  *selection.UserRemoval
}

// recordRemoval is where every removal is recorded: a log line at Info, the metric, and a
// row of the activity log under the user it belonged to (a removed user's own row outlives
// the user: the log has no reference to users). A failed activity write is logged and does
// not stop the run: the removal happened.
func (s *Service) recordRemoval(ctx context.Context, r removal) {
	s.metrics.removed(r)
	e := messages.AuditEvent{At: s.deps.Now().UTC().Truncate(time.Millisecond), Event: messages.AuditEventCleanup,
		Method: messages.AuditMethodCleanup, Outcome: "success"}
	if c := r.check; c != nil {
		s.log.InfoContext(ctx, "cleanup removed an inactive check", "check_id", c.CheckID, "user_id", c.UserID,
			"last_activity", c.LastActivity, "inactive_for", c.Threshold.String())
		e.UserID, e.Credential = c.UserID, "check:"+strconv.FormatInt(c.CheckID, 10)
		e.Reason = "inactive check removed: last activity " + c.LastActivity.UTC().Format(time.RFC3339) + ", inactive for more than " + c.Threshold.String()
	}
	if u := r.user; u != nil {
		s.log.InfoContext(ctx, "cleanup removed an inactive user", "user_id", u.UserID, "last_seen", u.LastSeen)
		e.UserID, e.Credential = u.UserID, "user:"+strconv.FormatInt(u.UserID, 10)
		e.Reason = "inactive user removed: last seen " + u.LastSeen.UTC().Format(time.RFC3339)
	}
	if err := s.deps.Store.InsertAudit(context.WithoutCancel(ctx), &e); err != nil {
		s.log.WarnContext(ctx, "cleanup: activity log write failed", "user_id", e.UserID, "err", err)
	}
}
