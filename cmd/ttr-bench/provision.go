package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Fixture is the checks a configuration is loaded with.
type Fixture struct {
	UserSlug string
	AuthKey  string // the user's access key ("" when synthesised)
	Checks   []CheckRef
	Seconds  float64 // time taken to create them through the API (0 when synthesised)
}

// CheckRef is what the ping URLs of one check need, and its id for the API.
type CheckRef struct {
	ID   int64
	Slug string
	UUID string
}

// checkSlug is the slug of the i-th check.
func checkSlug(i int) string { return fmt.Sprintf("c%06d", i) }

// syntheticFixture has the shape of a real one (same URL lengths) for the reference server,
// which answers any path.
func syntheticFixture(n int) Fixture {
	f := Fixture{UserSlug: randomSlug(8), Checks: make([]CheckRef, n)}
	for i := range f.Checks {
		f.Checks[i] = CheckRef{Slug: checkSlug(i), UUID: randomUUID()}
	}
	return f
}

// requests are the pre-formatted ping requests of a fixture: for each check its native URL and
// its healthchecks-style URL, so a uniform pick is uniform over checks and half of each kind.
func (f Fixture) requests(host string) [][]byte {
	reqs := make([][]byte, 0, 2*len(f.Checks))
	for _, c := range f.Checks {
		reqs = append(reqs, formatRequest(host, "/p/"+f.UserSlug+"/"+c.Slug), formatRequest(host, "/ping/"+c.UUID))
	}
	return reqs
}

// paths are the request paths of the fixture (for wrk's script), in the order of requests.
func (f Fixture) paths() []string {
	ps := make([]string, 0, 2*len(f.Checks))
	for _, c := range f.Checks {
		ps = append(ps, "/p/"+f.UserSlug+"/"+c.Slug, "/ping/"+c.UUID)
	}
	return ps
}

// provision creates one user and n checks on the ttrd at addr through the public API, with
// conc requests in flight.
func provision(ctx context.Context, addr string, n, conc int) (Fixture, error) {
	start := time.Now()
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc},
	}
	defer client.CloseIdleConnections()
	base := "http://" + addr
	var user struct {
		AuthKey  string `json:"auth_key"`
		UserSlug string `json:"user_slug"`
	}
	if err := postJSON(ctx, client, base+"/api/v1/users", "", struct{}{}, http.StatusCreated, &user); err != nil {
		return Fixture{}, fmt.Errorf("create user: %w", err)
	}
	f := Fixture{UserSlug: user.UserSlug, AuthKey: user.AuthKey, Checks: make([]CheckRef, n)}
	err := parallel(ctx, n, conc, func(ctx context.Context, i int) error {
		var check struct {
			ID   int64  `json:"id"`
			UUID string `json:"uuid"`
		}
		body := map[string]any{"slug": checkSlug(i), "interval_seconds": 3600}
		if err := postJSON(ctx, client, base+"/api/v1/checks", user.AuthKey, body, http.StatusCreated, &check); err != nil {
			return fmt.Errorf("create check %d: %w", i, err)
		}
		f.Checks[i] = CheckRef{ID: check.ID, Slug: checkSlug(i), UUID: check.UUID}
		return nil
	})
	if err != nil {
		return Fixture{}, err
	}
	f.Seconds = time.Since(start).Seconds()
	return f, nil
}

// parallel calls f for 0..n-1 with conc calls in flight, stopping at the first error.
func parallel(ctx context.Context, n, conc int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range next {
				if err := f(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// postJSON posts body (nil: none) and decodes the answer into out, retrying a few times while
// the server answers 429 or 503.
func postJSON(ctx context.Context, client *http.Client, url, authKey string, body any, want int, out any) error {
	return sendJSON(ctx, client, http.MethodPost, url, authKey, body, want, out)
}

// sendJSON sends body (nil: none) with method and decodes the answer into out (nil: not
// read), retrying a few times while the server answers 429 or 503.
func sendJSON(ctx context.Context, client *http.Client, method, url, authKey string, body any, want int, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	backoff := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if authKey != "" {
			req.Header.Set("X-Auth-Key", authKey)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		switch {
		case resp.StatusCode == want && out == nil:
			return nil
		case resp.StatusCode == want:
			return json.Unmarshal(data, out)
		case (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) && attempt < 8:
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return ctx.Err()
			}
			backoff *= 2
		default:
			return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(data))
		}
	}
}

// randomSlug is n random characters of [a-z0-9].
func randomSlug(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// randomUUID is a random (version 4) UUID in its canonical form.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return uuidFrom(b[:])
}
