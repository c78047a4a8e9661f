package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// DefaultPostgresURL is the server the Postgres tests use unless TTR_TEST_DATABASE_URL names
// another. It must allow CREATE DATABASE.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL creates a fresh, empty database on the test server and returns its URL; the
// database is dropped when the test ends. Without a reachable server the test is skipped —
// unless the CI environment variable is set, when it fails.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv("TTR_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultPostgresURL
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("TTR_TEST_DATABASE_URL must be a postgres:// URL (got %q)", admin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("CI") == "" {
			tb.Skipf("postgres not reachable (set TTR_TEST_DATABASE_URL): %v", err)
		}
		tb.Fatalf("postgres not reachable: %v", err)
	}
	defer conn.Close(ctx)
	name := "ttr_test_" + RandomHex(6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// PostgresSchema creates a fresh schema in the database at dbURL (from PostgresURL) and
// returns a URL whose connections use it (search_path). A schema costs far less than a
// database, so a test that needs many empty stores creates one database and a schema per
// store. The schema goes when the database is dropped.
//
// Durability settings are the server's own (synchronous_commit stays on): tests run on
// what production runs.
func PostgresSchema(tb testing.TB, dbURL string) string {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("database URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	name := "ttr_" + RandomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		tb.Fatalf("create schema %s: %v", name, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// RandomHex returns 2n random hex digits.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// NewUUID returns a random (version 4) UUID.
func NewUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Ms returns t as the store keeps it: millisecond precision, UTC.
func Ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// NewUser creates a user with a random slug and keys.
func NewUser(tb testing.TB, s persistence.Store) messages.User {
	tb.Helper()
	u := messages.User{
		Slug:         RandomHex(4),
		AuthKeyHash:  []byte(RandomHex(16)),
		PingKeyEnc:   []byte("sealed:" + RandomHex(8)),
		PingKeyIndex: []byte(RandomHex(16)),
		SlugPings:    true,
		CreatedAt:    Ms(time.Now()),
	}
	if err := s.CreateUser(context.Background(), &u); err != nil {
		tb.Fatalf("create user: %v", err)
	}
	return u
}

// NewCheck creates a check of the user: an interval check with a random slug, status new, no
// deadline; each of opts may change it before it is inserted.
func NewCheck(tb testing.TB, s persistence.Store, userID int64, opts ...func(*messages.Check)) messages.Check {
	tb.Helper()
	uuid := NewUUID()
	cfg := checkconfig.Default(uuid)
	cfg.Name, cfg.Tags = "check", nil // nil: what the stores read back for no tags
	c := checklogic.NewCheck(userID, uuid, cfg, time.Now())
	for _, o := range opts {
		o(&c)
	}
	if err := s.CreateCheck(context.Background(), &c); err != nil {
		tb.Fatalf("create check: %v", err)
	}
	return c
}

// FullConfig returns a configuration with every field set to a non-zero value.
func FullConfig(slug string) messages.CheckConfig {
	return messages.CheckConfig{
		Slug:                   slug,
		Name:                   "Backup " + slug,
		Desc:                   "nightly backup, ünïcödé",
		Tags:                   []string{"prod", "db", "eu-west_1"},
		ScheduleType:           messages.ScheduleCron,
		Schedule:               "*/5 * * * *",
		TZ:                     "Europe/Riga",
		IntervalSeconds:        300,
		GraceSeconds:           60,
		MaxRuntimeSeconds:      120,
		ManualResume:           true,
		NotifyAfterFailures:    3,
		NotifyOnUp:             true,
		RealertIntervalSeconds: 3600,
		ContentRule:            &messages.ContentRule{Type: "absent", Pattern: "ERROR.*", Regex: true},
		BadgeID:                "badge_" + RandomHex(16),
		PingFilter: messages.PingFilter{
			Methods: messages.MethodsPOST, FilterHTTPBody: true, StartKw: "begin, started",
			SuccessKw: "done ✓", FailureKw: "ERROR,FATAL", FilterDefaultFail: true,
			FilterSubject: true, FilterBody: true, Subject: "[ok]", SubjectFail: "[failed]",
		},
	}
}

// FullState returns a state with every field set to a non-zero value, its times around now
// and at millisecond precision.
func FullState(now time.Time) messages.CheckState {
	now = Ms(now)
	return messages.CheckState{
		Status:       messages.StatusDown,
		LastPing:     now.Add(-time.Minute),
		LastPingKind: messages.KindFail,
		LastStart:    now.Add(-2 * time.Minute),
		LastStartRID: NewUUID(),
		LastDuration: 61500 * time.Millisecond,
		NextDue:      now.Add(4 * time.Minute),
		NextDeadline: now.Add(5 * time.Minute),
		RunDeadline:  now.Add(6 * time.Minute),
		RealertDue:   now.Add(time.Hour),
		NextWakeAt:   now.Add(5 * time.Minute),
		NPings:       42,
		FailureCount: 3,
		DownFlip:     "7.3",
		DownAlerted:  true,
		RealertCount: 2,
		FlipSeq:      3,
		LastReason:   "exit status 1",
		FlapHistory: []time.Time{now.Add(-100 * time.Second), now.Add(-50 * time.Second),
			now.Add(-10 * time.Second)},
		FlapSince:      now.Add(-100 * time.Second),
		SuppressUntil:  now.Add(170 * time.Second),
		LastSentStatus: messages.StatusUp,
	}
}

// AssertNoZeroFields fails the test when a field of the struct v (or of a struct it embeds
// or points to) is the zero value: it keeps round-trip tests honest when fields are added.
func AssertNoZeroFields(tb testing.TB, v any) {
	tb.Helper()
	var walk func(path string, rv reflect.Value)
	walk = func(path string, rv reflect.Value) {
		switch {
		case rv.Kind() == reflect.Pointer && !rv.IsNil():
			walk(path, rv.Elem())
		case rv.Kind() == reflect.Struct && rv.Type() != reflect.TypeOf(time.Time{}):
			for i := range rv.NumField() {
				f := rv.Type().Field(i)
				walk(path+"."+f.Name, rv.Field(i))
			}
		case rv.IsZero():
			tb.Errorf("%s is the zero value", path)
		}
	}
	walk(reflect.TypeOf(v).Name(), reflect.ValueOf(v))
}

// KeyOf returns the keyset position of c in the order sortBy (see persistence.ListQuery).
func KeyOf(c messages.Check, sortBy string) persistence.Key {
	k := persistence.Key{ID: c.ID}
	timeKey := func(t time.Time) int64 {
		if t.IsZero() {
			return math.MaxInt64
		}
		return t.UnixMilli()
	}
	switch sortBy {
	case "", "id":
		k.Int = c.ID
	case "name":
		k.Str = c.Name
	case "created_at":
		k.Int = timeKey(c.CreatedAt)
	case "next_deadline":
		k.Int = timeKey(c.NextDeadline)
	case "last_ping":
		k.Int = timeKey(c.LastPing)
	case "status":
		k.Int = persistence.StatusKey(c.Status, c.NextDeadline)
	}
	return k
}
