package tglogin_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/http/tglogin"
	"github.com/ttr-rip/ttr/persistence/sqlite/sqlitetest"
)

// testToken is a made-up bot token of the shape BotFather issues.
const testToken = "123456789:AAFake-test-token_for-unit-tests0123"

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// sign returns fields with the hash Telegram would add for the bot token, computed here
// from Telegram's documented rule rather than with the package under test.
func sign(token string, fields map[string]string) url.Values {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + fields[k]
	}
	secret := sha256.Sum256([]byte(token))
	mac := hmac.New(sha256.New, secret[:])
	mac.Write([]byte(strings.Join(lines, "\n")))
	q := url.Values{}
	for k, v := range fields {
		q.Set(k, v)
	}
	q.Set("hash", hex.EncodeToString(mac.Sum(nil)))
	return q
}

func payload(authDate time.Time) map[string]string {
	return map[string]string{
		"id": "4242", "first_name": "Ada", "last_name": "Lovelace", "username": "ada_l",
		"photo_url": "https://t.me/i/userpic/320/ada.jpg", "auth_date": strconv.FormatInt(authDate.Unix(), 10),
	}
}

func verifier(t *testing.T) *tglogin.Verifier {
	t.Helper()
	v, err := tglogin.New(testToken)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerify(t *testing.T) {
	v := verifier(t)
	valid := sign(testToken, payload(now.Add(-time.Minute)))
	with := func(q url.Values, k, val string) url.Values {
		c := url.Values{}
		for key, vs := range q {
			c[key] = append([]string(nil), vs...)
		}
		c.Set(k, val)
		return c
	}
	tests := []struct {
		name string
		q    url.Values
		want error
	}{
		{"valid", valid, nil},
		{"exactly five minutes old", sign(testToken, payload(now.Add(-5*time.Minute))), nil},
		{"tampered id", with(valid, "id", "4243"), tglogin.ErrSignature},
		{"tampered username", with(valid, "username", "mallory"), tglogin.ErrSignature},
		{"tampered auth_date (made fresh)", with(valid, "auth_date", strconv.FormatInt(now.Unix(), 10)), tglogin.ErrSignature},
		{"an added field", with(valid, "admin", "1"), tglogin.ErrSignature},
		{"a removed field", func() url.Values { c := with(valid, "id", "4242"); c.Del("photo_url"); return c }(), tglogin.ErrSignature},
		{"another bot's signature", sign("987654321:AAAnother-bot-token-0123456789abc", payload(now)), tglogin.ErrSignature},
		{"a hash of the wrong case is still the same bytes", with(valid, "hash", strings.ToUpper(valid.Get("hash"))), nil},
		{"stale: older than five minutes", sign(testToken, payload(now.Add(-5*time.Minute-time.Second))), tglogin.ErrStale},
		{"stale: a day old", sign(testToken, payload(now.Add(-24*time.Hour))), tglogin.ErrStale},
		{"from the future", sign(testToken, payload(now.Add(time.Minute))), tglogin.ErrStale},
		{"slightly in the future (clock skew)", sign(testToken, payload(now.Add(10*time.Second))), nil},
		{"no hash", func() url.Values { c := with(valid, "id", "4242"); c.Del("hash"); return c }(), tglogin.ErrMalformed},
		{"hash not hex", with(valid, "hash", "zz"), tglogin.ErrMalformed},
		{"no id", func() url.Values {
			p := payload(now)
			delete(p, "id")
			return sign(testToken, p)
		}(), tglogin.ErrMalformed},
		{"id not a number", sign(testToken, map[string]string{"id": "x", "auth_date": strconv.FormatInt(now.Unix(), 10)}), tglogin.ErrMalformed},
		{"no auth_date", sign(testToken, map[string]string{"id": "1"}), tglogin.ErrMalformed},
		{"a field twice", func() url.Values { c := with(valid, "id", "4242"); c.Add("id", "1"); return c }(), tglogin.ErrMalformed},
		{"too many fields", func() url.Values {
			p := payload(now)
			for i := range 20 {
				p["x"+strconv.Itoa(i)] = "1"
			}
			return sign(testToken, p)
		}(), tglogin.ErrMalformed},
		{"a huge field", sign(testToken, map[string]string{"id": "1", "auth_date": strconv.FormatInt(now.Unix(), 10), "first_name": strings.Repeat("a", 5000)}), tglogin.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := v.Verify(tc.q, now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err != nil {
				if strings.Contains(err.Error(), "4242") || strings.Contains(err.Error(), "ada") || strings.Contains(err.Error(), tc.q.Get("hash")) && tc.q.Get("hash") != "" {
					t.Errorf("error %q shows payload values", err)
				}
				return
			}
			if l.TelegramID != 4242 || l.Username != "ada_l" || l.FirstName != "Ada" || l.LastName != "Lovelace" || len(l.Hash) != 32 {
				t.Errorf("login %+v", l)
			}
		})
	}
}

// fakeSeen is a Seen in memory.
type fakeSeen struct {
	mu   sync.Mutex
	seen map[string]time.Time
	err  error
}

func (f *fakeSeen) MarkTelegramLoginSeen(_ context.Context, hash []byte, now, expires time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	if until, ok := f.seen[string(hash)]; ok && now.Before(until) {
		return false, nil
	}
	f.seen[string(hash)] = expires
	return true, nil
}

func TestAcceptOnce(t *testing.T) {
	v := verifier(t)
	ctx := context.Background()
	st := sqlitetest.Open(t)
	stores := map[string]tglogin.Seen{"memory": &fakeSeen{seen: map[string]time.Time{}}, "sqlite": st}
	for name, seen := range stores {
		t.Run(name, func(t *testing.T) {
			auth := now.Add(-time.Minute)
			q := sign(testToken, payload(auth))
			steps := []struct {
				name string
				at   time.Time
				want error
			}{
				{"first use", now, nil},
				{"replayed a second later", now.Add(time.Second), tglogin.ErrReplayed},
				{"replayed at the last fresh instant", auth.Add(tglogin.MaxAge), tglogin.ErrReplayed},
				{"replayed once stale", auth.Add(tglogin.MaxAge + 2*time.Second), tglogin.ErrStale},
			}
			for _, s := range steps {
				l, err := v.Accept(ctx, q, s.at, seen)
				if !errors.Is(err, s.want) || (s.want == nil) != (err == nil) {
					t.Fatalf("%s: Accept = %v, want %v", s.name, err, s.want)
				}
				if err == nil && l.TelegramID != 4242 {
					t.Errorf("%s: login %+v", s.name, l)
				}
			}
			// A tampered payload is refused before anything is recorded, so the genuine
			// payload it was made from is still accepted.
			fresh := sign(testToken, payload(now))
			tampered := sign(testToken, payload(now))
			tampered.Set("id", "1")
			if _, err := v.Accept(ctx, tampered, now, seen); !errors.Is(err, tglogin.ErrSignature) {
				t.Errorf("tampered: %v", err)
			}
			if _, err := v.Accept(ctx, fresh, now, seen); err != nil {
				t.Errorf("the genuine payload after a tampered copy: %v", err)
			}
		})
	}

	// Nodes racing with one payload (one shared store): exactly one accepts it.
	q := sign(testToken, payload(now.Add(-2*time.Second)))
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := v.Accept(ctx, q, now, st); err == nil {
				ok.Add(1)
			} else if !errors.Is(err, tglogin.ErrReplayed) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := ok.Load(); n != 1 {
		t.Errorf("one payload accepted %d times", n)
	}

	// A store that fails accepts nothing.
	broken := &fakeSeen{seen: map[string]time.Time{}, err: errors.New("store down")}
	if _, err := v.Accept(ctx, sign(testToken, payload(now)), now, broken); err == nil {
		t.Error("accepted without recording the payload")
	}
}

func TestRedacted(t *testing.T) {
	v := verifier(t)
	q := sign(testToken, payload(now))
	l, err := v.Verify(q, now)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("telegram sign-in", "login", l, "query", tglogin.Redact(q))
	out := buf.String()
	for _, secret := range []string{"4242", "ada_l", "Ada", "Lovelace", q.Get("hash"), "userpic"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line shows %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "redacted") || !strings.Contains(out, "auth_date") {
		t.Errorf("log line: %s", out)
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{testToken, true},
		{"", false},
		{"not-a-token", false},
		{"123:short", false},
		{"abc:AAFake-test-token_for-unit-tests0123", false},
	} {
		_, err := tglogin.New(tc.token)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q) = %v, want ok %v", tc.token, err, tc.ok)
		}
		if err != nil && tc.token != "" && strings.Contains(err.Error(), tc.token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"ttr_login_bot", true}, {"TtrBot", true}, {"ab_bot", true}, {"bot", false}, {"ttr_login", false},
		{"1ttrbot", false}, {"ttr-bot", false}, {strings.Repeat("a", 30) + "bot", false},
	} {
		if got := tglogin.ValidBotName(tc.name); got != tc.ok {
			t.Errorf("ValidBotName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
