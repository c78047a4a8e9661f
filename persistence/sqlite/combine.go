package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ttr-rip/ttr/persistence"
)

// combiner runs the small writes of concurrent callers (outbox claims and results, rate
// state) in shared transactions. With synchronous=FULL every commit is an fsync on the one
// writer connection, so a burst of alerts — a claim, a result and a rate update per
// delivery, thousands of destinations at once — would otherwise queue one fsync per write
// (10,000 alerts took tens of seconds). Each write runs in a savepoint of its own, so one
// that fails is rolled back alone and its neighbours still commit; its caller gets exactly
// its own outcome, as if it had run alone. The check writes keep their own group commit
// (Commit, fed by the batcher).
type combiner struct {
	db   *sql.DB
	ops  chan *combinedOp
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// commits counts shared transactions (for tests).
	commits atomic.Int64
}

// combinedOp is one caller's write. fn runs inside the shared transaction.
type combinedOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// maxCombined bounds the writes of one shared transaction.
const maxCombined = 256

func newCombiner(db *sql.DB) *combiner {
	c := &combiner{db: db, ops: make(chan *combinedOp), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

var errCombinerClosed = persistence.Unavailable(errors.New("sqlite: store closed"))

// do runs fn in a shared transaction and returns its error, or the commit's. Once fn has
// started the caller waits for the commit whatever its context says, so the answer always
// tells whether the write happened; a context that ends before fn starts skips it.
func (c *combiner) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	op := &combinedOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case c.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errCombinerClosed
	}
	return <-op.done
}

func (c *combiner) run() {
	defer close(c.done)
	batch := make([]*combinedOp, 0, maxCombined)
	for {
		select {
		case op := <-c.ops:
			batch = append(batch[:0], op)
		case <-c.stop:
			return
		}
	fill:
		for len(batch) < maxCombined {
			select {
			case op := <-c.ops:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		c.commit(batch)
		clear(batch)
	}
}

// commit runs the batch in one transaction: each write in a savepoint, then one COMMIT.
func (c *combiner) commit(batch []*combinedOp) {
	errs := make([]error, len(batch))
	ctx := context.Background() // each write is bounded by its own context
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		for _, op := range batch {
			op.done <- err
		}
		return
	}
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		errs[i] = savepoint(ctx, tx, func() error { return op.fn(op.ctx, tx) })
	}
	c.commits.Add(1)
	if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for i, op := range batch {
		op.done <- errs[i]
	}
}

// savepoint runs fn so that a failure undoes only what fn did.
func savepoint(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO op"); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		_, _ = tx.ExecContext(ctx, "RELEASE op")
		return err
	}
	_, err := tx.ExecContext(ctx, "RELEASE op")
	return err
}

// close stops taking writes once the queued ones are done.
func (c *combiner) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
