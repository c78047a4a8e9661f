package persistence

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/messages"
)

// StatusPageStore holds status pages and answers the uptime of checks
// (docs/architecture.md#uptime). Every query names the user, except StatusPageBySlug, which
// finds a public page by its URL.
//
// Error contract as Store's: ENotFound for a page that does not exist or belongs to another
// user, and for a check id that is not one of the user's; EConflict for a page slug the
// user already has; EPrecondition when UpdateStatusPage's version does not match.
type StatusPageStore interface {
	// CreateStatusPage inserts p (its checks in order) and sets p.ID and p.Version (1).
	CreateStatusPage(ctx context.Context, p *messages.StatusPage) error
	// GetStatusPage reads one of the user's pages with its check ids in order.
	GetStatusPage(ctx context.Context, userID, pageID int64) (messages.StatusPage, error)
	// ListStatusPages returns the user's pages by id, at most limit.
	ListStatusPages(ctx context.Context, userID int64, limit int) ([]messages.StatusPage, error)
	// CountStatusPages counts the user's pages (the quota).
	CountStatusPages(ctx context.Context, userID int64) (int64, error)
	// UpdateStatusPage replaces the page's settings and checks when its version is
	// ifVersion (0: any) and sets p.Version to the new one. p.UserID scopes it.
	UpdateStatusPage(ctx context.Context, p *messages.StatusPage, ifVersion int64) error
	// DeleteStatusPage deletes one of the user's pages.
	DeleteStatusPage(ctx context.Context, userID, pageID int64) error
	// StatusPageBySlug finds a page by its public address, with what its owner decides
	// about it. ENotFound for an unknown slug and for a disabled owner's page.
	StatusPageBySlug(ctx context.Context, userSlug, pageSlug string) (PublicPage, error)
	// PageChecks returns the checks of the user's page in the page's order (the checks that
	// still exist).
	PageChecks(ctx context.Context, userID, pageID int64) ([]messages.Check, error)
	// UptimeMarks returns, for each of the user's checks in checkIDs and each instant of at,
	// the newest uptime mark at or before it; a pair with none (the check had not flipped
	// yet) is left out. One query, whatever the number of checks, instants and flips.
	UptimeMarks(ctx context.Context, userID int64, checkIDs []int64, at []time.Time) ([]UptimeMark, error)
}

// PublicPage is a status page found by its address, with its owner's settings that shape it.
type PublicPage struct {
	Page      messages.StatusPage
	UserSlug  string
	TZ        string // the owner's time zone ("" = UTC): days of uptime are the owner's days
	SlugPings bool   // /p/{user slug}/… is accepted: shown to the owner only
}

// UptimeMark is the newest uptime mark of a check at or before instant T: at At the check
// entered Status, having been up for Up and up or down (tracked) for Tracked since its first
// flip.
type UptimeMark struct {
	CheckID     int64
	T           time.Time
	At          time.Time
	Status      messages.CheckStatus
	Up, Tracked time.Duration
}
