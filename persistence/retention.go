package persistence

import (
	"context"
	"time"
)

// The tables retention prunes, as named in metrics and logs (docs/operations.md, "Retention").
const (
	TablePings       = "pings"
	TableFlips       = "flips"
	TableOutbox      = "outbox"
	TableActivity    = "auth_activity"
	TableRetiredKeys = "retired_credentials"
)

// RetentionStore is what the background pruner deletes and reads across users
// (docs/operations.md, "Retention"). Its queries name no user on purpose and live in one file
// per store. Every delete is bounded by a row limit, so a pass is a series of short
// statements that never hold the writer long.
type RetentionStore interface {
	// PrunePings walks up to scan checks with id > afterID, in id order, and deletes from
	// each the pings beyond its newest keep (those with n <= n_pings - keep): at most limit
	// rows in all. A check cut short by limit is walked again by the next call (Next).
	// keep < 1, scan < 1 or limit < 1 is EInvalid.
	PrunePings(ctx context.Context, keep, afterID int64, scan, limit int) (PingPruneStep, error)
	// PruneFlips deletes up to limit flips recorded before before.
	PruneFlips(ctx context.Context, before time.Time, limit int) (int64, error)
	// PruneOutbox deletes up to limit finished outbox rows (delivered or failed) created
	// before before. Pending rows are never deleted, however old.
	PruneOutbox(ctx context.Context, before time.Time, limit int) (int64, error)
	// OldestRows returns, by table name (Table* above), the time of the oldest row each
	// pruned table holds (its oldest finished row for the outbox); a table without rows is
	// left out.
	OldestRows(ctx context.Context) (map[string]time.Time, error)
}

// PingPruneStep is what one PrunePings call did and where the walk goes on.
type PingPruneStep struct {
	Deleted int64
	Next    int64 // the afterID of the next call
	Done    bool  // the walk passed the last check
}
