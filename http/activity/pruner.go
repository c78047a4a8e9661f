package activity

import (
	"context"
	"log/slog"
	"time"
)

// Prunable is what the pruner deletes from: the activity log and retired credentials
// (persistence.Store implements it).
type Prunable interface {
	PruneAudit(ctx context.Context, before time.Time, limit int) (int64, error)
	PruneRetired(ctx context.Context, before time.Time, limit int) (int64, error)
}

// PrunerConfig says what the pruner keeps.
type PrunerConfig struct {
	// Retention of the activity log (default 90 days).
	Retention time.Duration
	// RetiredFor is how long a retired credential is recognised (default 24 h); its row is
	// deleted afterwards.
	RetiredFor time.Duration
	// Every is the interval between runs (default an hour); Batch the rows one statement
	// deletes (default 1,000).
	Every time.Duration
	Batch int
}

// DefaultPrunerConfig returns the defaults of docs/operations.md "Activity log".
func DefaultPrunerConfig() PrunerConfig {
	return PrunerConfig{Retention: 90 * 24 * time.Hour, RetiredFor: 24 * time.Hour, Every: time.Hour, Batch: 1000}
}

// Pruner deletes expired activity and retired credentials in the background, in batches,
// off every request's path. Every node may run one: deleting what another node already
// deleted is no work.
type Pruner struct {
	cfg    PrunerConfig
	store  Prunable
	now    func() time.Time
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

// NewPruner returns a pruner; zero fields of cfg take their defaults; nil now = time.Now.
func NewPruner(cfg PrunerConfig, store Prunable, now func() time.Time, log *slog.Logger) *Pruner {
	def := DefaultPrunerConfig()
	if cfg.Retention <= 0 {
		cfg.Retention = def.Retention
	}
	if cfg.RetiredFor <= 0 {
		cfg.RetiredFor = def.RetiredFor
	}
	if cfg.Every <= 0 {
		cfg.Every = def.Every
	}
	if cfg.Batch <= 0 {
		cfg.Batch = def.Batch
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pruner{cfg: cfg, store: store, now: now, log: log}
}

// Start runs the pruner until Stop: once at once, then every cfg.Every.
func (p *Pruner) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(p.cfg.Every)
		defer t.Stop()
		for {
			if _, err := p.Prune(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn("activity prune failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the pruner and waits for it.
func (p *Pruner) Stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}

// Prune deletes, batch by batch, activity older than the retention and credentials retired
// longer ago than RetiredFor, and returns how many rows it deleted.
func (p *Pruner) Prune(ctx context.Context) (int64, error) {
	now := p.now()
	var total int64
	for _, step := range []struct {
		before time.Time
		prune  func(context.Context, time.Time, int) (int64, error)
	}{
		{now.Add(-p.cfg.Retention), p.store.PruneAudit},
		{now.Add(-p.cfg.RetiredFor), p.store.PruneRetired},
	} {
		for {
			n, err := step.prune(ctx, step.before, p.cfg.Batch)
			total += n
			if err != nil {
				return total, err
			}
			if n < int64(p.cfg.Batch) {
				break
			}
			if err := ctx.Err(); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}
