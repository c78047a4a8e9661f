package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointer copies the WAL into the database file in the background, on a connection of
// its own, instead of letting SQLite do it inside the commit that crosses the
// wal_autocheckpoint threshold. That commit — and every write queued behind it on the one
// writer — would otherwise wait tens of milliseconds (the p99 of a ping), and the copying
// would run on the writer, the node's serial bottleneck, while other cores idle.
//
// Every interval it runs a PASSIVE checkpoint, which copies what it can without blocking the
// writer. Under steady writes a PASSIVE checkpoint never quite catches up, and the WAL only
// starts over once it has; so when the WAL holds more than restartFrames frames a RESTART
// checkpoint follows, which blocks the writer while it copies the few frames the passive
// one left and makes the next commit start the WAL from the beginning: the file stays
// bounded. Durability is untouched: commits still fsync the WAL (synchronous=FULL).
type checkpointer struct {
	db       *sql.DB
	interval time.Duration
	restart  int // frames in the WAL above which a RESTART follows the PASSIVE checkpoint
	log      *slog.Logger

	stop chan struct{}
	done chan struct{}
	once sync.Once

	// For tests and logs.
	passives, restarts atomic.Int64
}

const (
	checkpointInterval = 200 * time.Millisecond
	restartFrames      = 4000 // 16 MB of 4 KiB pages
)

func newCheckpointer(db *sql.DB, interval time.Duration, restart int, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, interval: interval, restart: restart, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if err := c.once1(); err != nil {
				c.log.Warn("sqlite: wal checkpoint", "err", err)
			}
		}
	}
}

// once1 runs one PASSIVE checkpoint and, if the WAL is still long, a RESTART.
func (c *checkpointer) once1() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, frames, err := c.checkpoint(ctx, "PASSIVE")
	if err != nil {
		return err
	}
	c.passives.Add(1)
	if frames <= c.restart {
		return nil
	}
	busy, _, err := c.checkpoint(ctx, "RESTART")
	if err == nil && !busy {
		c.restarts.Add(1)
	}
	return err
}

// checkpoint runs PRAGMA wal_checkpoint(mode) and returns whether it could not finish and
// the WAL's size in frames.
func (c *checkpointer) checkpoint(ctx context.Context, mode string) (busy bool, frames int, err error) {
	var b, done int
	err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&b, &frames, &done)
	return b != 0, frames, err
}

// close stops the checkpointer and waits for a checkpoint in progress.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
