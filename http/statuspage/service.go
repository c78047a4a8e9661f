package statuspage

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Store is what the service needs of the store (persistence.Store implements it).
type Store interface {
	persistence.StatusPageStore
	UserByID(ctx context.Context, userID int64) (messages.User, messages.UserPrefs, error)
	GetCheck(ctx context.Context, userID, checkID int64) (messages.Check, error)
	ListChecks(ctx context.Context, userID int64, q persistence.ListQuery) ([]messages.Check, error)
	RecentPings(ctx context.Context, userID int64, checkIDs []int64, perCheck int) ([]messages.PingRecord, error)
}

// Countries finds the country of an address (ISO 3166-1 alpha-2, "" when unknown): a GeoIP
// database (package http/geoip).
type Countries interface {
	Country(ip netip.Addr) string
}

// Config configures the service.
type Config struct {
	// Quotas bound the pages of one user (only StatusPages is read; 0 = unlimited).
	Quotas limit.Quotas
	// CacheFor is how long a computed public view is served to every viewer (default 2 s).
	CacheFor time.Duration
	// CacheSize bounds the views kept (default 10,000): beyond it, expired views are dropped.
	CacheSize int
}

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	// Countries looks up the country of the last pings; nil = no countries.
	Countries Countries
	Now       func() time.Time
}

// Service manages status pages and computes their public views.
type Service struct {
	cfg Config
	d   Deps
	now func() time.Time

	mu    sync.Mutex
	views map[string]*cached
}

// New builds the service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("statuspage: Store is required")
	}
	if cfg.CacheFor <= 0 {
		cfg.CacheFor = 2 * time.Second
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	s := &Service{cfg: cfg, d: d, now: d.Now, views: map[string]*cached{}}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Page is a page as its owner sees it, with whether the owner's slug pings are on: the
// page's address shows the user slug, which /p/{user slug}/{check slug} URLs start with.
type Page struct {
	messages.StatusPage
	UserSlug  string
	SlugPings bool
}

func (s *Service) owned(ctx context.Context, userID int64, p messages.StatusPage) (Page, error) {
	u, _, err := s.d.Store.UserByID(ctx, userID)
	if err != nil {
		return Page{}, err
	}
	return Page{StatusPage: p, UserSlug: u.Slug, SlugPings: u.SlugPings}, nil
}

// Create adds a page for the user, within the status-page quota (EForbidden beyond it).
// first reports whether it is the user's first page (the moment to offer turning slug pings
// off).
func (s *Service) Create(ctx context.Context, userID int64, in Input) (p Page, first bool, err error) {
	if err := in.Validate(); err != nil {
		return Page{}, false, err
	}
	have, err := s.d.Store.CountStatusPages(ctx, userID)
	if err != nil {
		return Page{}, false, err
	}
	if err := s.cfg.Quotas.AllowStatusPage(have, 1); err != nil {
		return Page{}, false, err
	}
	now := s.now().UTC()
	sp := messages.StatusPage{UserID: userID, Slug: in.Slug, Name: in.Name, Description: in.Description,
		Layout: in.Layout, ShowActivity: in.ShowActivity, CheckIDs: in.CheckIDs, CreatedAt: now, UpdatedAt: now}
	if err := s.d.Store.CreateStatusPage(ctx, &sp); err != nil {
		return Page{}, false, err
	}
	p, err = s.owned(ctx, userID, sp)
	return p, have == 0, err
}

// Get reads one of the user's pages.
func (s *Service) Get(ctx context.Context, userID, pageID int64) (Page, error) {
	sp, err := s.d.Store.GetStatusPage(ctx, userID, pageID)
	if err != nil {
		return Page{}, err
	}
	return s.owned(ctx, userID, sp)
}

// List returns the user's pages (at most the quota's worth, or 1,000).
func (s *Service) List(ctx context.Context, userID int64) ([]Page, error) {
	limit := 1000
	if q := s.cfg.Quotas.StatusPages; q > 0 && q < int64(limit) {
		limit = int(q)
	}
	sps, err := s.d.Store.ListStatusPages(ctx, userID, limit)
	if err != nil {
		return nil, err
	}
	u, _, err := s.d.Store.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Page, len(sps))
	for i, sp := range sps {
		out[i] = Page{StatusPage: sp, UserSlug: u.Slug, SlugPings: u.SlugPings}
	}
	return out, nil
}

// Update replaces the page's settings when its version is ifVersion (0: any).
func (s *Service) Update(ctx context.Context, userID, pageID int64, in Input, ifVersion int64) (Page, error) {
	if err := in.Validate(); err != nil {
		return Page{}, err
	}
	sp := messages.StatusPage{ID: pageID, UserID: userID, Slug: in.Slug, Name: in.Name, Description: in.Description,
		Layout: in.Layout, ShowActivity: in.ShowActivity, CheckIDs: in.CheckIDs, UpdatedAt: s.now().UTC()}
	if err := s.d.Store.UpdateStatusPage(ctx, &sp, ifVersion); err != nil {
		return Page{}, err
	}
	return s.Get(ctx, userID, pageID)
}

// Delete deletes one of the user's pages.
func (s *Service) Delete(ctx context.Context, userID, pageID int64) error {
	return s.d.Store.DeleteStatusPage(ctx, userID, pageID)
}

// InputOf is the input that would leave p as it is (the base of a partial update).
func InputOf(p messages.StatusPage) Input {
	return Input{Slug: p.Slug, Name: p.Name, Description: p.Description, Layout: p.Layout,
		ShowActivity: p.ShowActivity, CheckIDs: p.CheckIDs}
}
