package http_test

import (
	"context"
	"errors"
	"sync"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/messages"
)

// fakeNotifiers is a Notifiers of function fields; a nil TestSendFn or RateFn answers an
// error naming it, a nil PokeFn does nothing.
type fakeNotifiers struct {
	TestSendFn func(ctx context.Context, destHash string, row messages.OutboxRow) (*messages.SendResult, error)
	RateFn     func(ctx context.Context, destHash string) (*messages.RateSnapshot, error)
	PokeFn     func(destHash string)
}

var _ ttrhttp.Notifiers = (*fakeNotifiers)(nil)

func (f *fakeNotifiers) TestSend(ctx context.Context, destHash string, row messages.OutboxRow) (*messages.SendResult, error) {
	if f.TestSendFn == nil {
		return nil, errors.New("fakeNotifiers: TestSend not set")
	}
	return f.TestSendFn(ctx, destHash, row)
}

func (f *fakeNotifiers) Rate(ctx context.Context, destHash string) (*messages.RateSnapshot, error) {
	if f.RateFn == nil {
		return nil, errors.New("fakeNotifiers: Rate not set")
	}
	return f.RateFn(ctx, destHash)
}

func (f *fakeNotifiers) Poke(destHash string) {
	if f.PokeFn != nil {
		f.PokeFn(destHash)
	}
}

// fakeOutbox is an OutboxWriter of function fields; a nil InsertOutboxFn answers an error.
type fakeOutbox struct {
	InsertOutboxFn func(ctx context.Context, rows []messages.OutboxRow) error
}

var _ ttrhttp.OutboxWriter = (*fakeOutbox)(nil)

func (f *fakeOutbox) InsertOutbox(ctx context.Context, rows []messages.OutboxRow) error {
	if f.InsertOutboxFn == nil {
		return errors.New("fakeOutbox: InsertOutbox not set")
	}
	return f.InsertOutboxFn(ctx, rows)
}

// sendLog records what the fakes above were asked, for assertions.
type sendLog struct {
	mu       sync.Mutex
	sent     []sentRow // TestSend calls
	inserted []messages.OutboxRow
	pokes    []string
	rates    []string // Rate calls' destination hashes
}

// sentRow is one TestSend call.
type sentRow struct {
	destHash string
	row      messages.OutboxRow
	wait     time.Duration // how long its context had left (0: no deadline)
}

// recording returns fakes that record every call into l and answer with the given
// functions (nil: a delivered send, an empty snapshot, a successful insert).
func (l *sendLog) recording(send func() (*messages.SendResult, error), rate func() (*messages.RateSnapshot, error),
	insert func() error) (*fakeNotifiers, *fakeOutbox) {
	n := &fakeNotifiers{
		TestSendFn: func(ctx context.Context, destHash string, row messages.OutboxRow) (*messages.SendResult, error) {
			var wait time.Duration
			if dl, ok := ctx.Deadline(); ok {
				wait = time.Until(dl)
			}
			l.mu.Lock()
			l.sent = append(l.sent, sentRow{destHash: destHash, row: row, wait: wait})
			l.mu.Unlock()
			if send == nil {
				return &messages.SendResult{Outcome: "delivered"}, nil
			}
			return send()
		},
		RateFn: func(_ context.Context, destHash string) (*messages.RateSnapshot, error) {
			l.mu.Lock()
			l.rates = append(l.rates, destHash)
			l.mu.Unlock()
			if rate == nil {
				return &messages.RateSnapshot{}, nil
			}
			return rate()
		},
		PokeFn: func(destHash string) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.pokes = append(l.pokes, destHash)
		},
	}
	o := &fakeOutbox{InsertOutboxFn: func(_ context.Context, rows []messages.OutboxRow) error {
		if insert != nil {
			if err := insert(); err != nil {
				return err
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.inserted = append(l.inserted, rows...)
		return nil
	}}
	return n, o
}
