package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the driver ttrd's embedded store uses
)

// Seeding writes checks straight into a migrated embedded store: creating a million checks
// through the API would take longer than the whole benchmark.
//
// The rows MIRROR THE SCHEMA of migrations/sqlite/*.sql as persistence/sqlite writes it
// (checkInsertArgs in checks.go, configArgs and stateArgs in columns.go, the column lists of
// persistence/internal/schema): times are unix milliseconds, NULL for none; booleans 0/1; tags
// " tag1 tag2 "; last_duration_ms NULL for none. Each seeded check is an interval check in the
// state its first success ping leaves it in (status up, next_due = last ping + interval,
// next_deadline = next_wake_at = next_due + grace), without the log rows of that ping and of
// its new→up flip, which ttrd reads only to list them. A migration that adds a column with a
// default needs nothing here; one that changes what a column means needs this file changed
// too, and seed_test.go, which loads seeded rows through persistence/sqlite, says so.

// seedPlan is what to seed.
type seedPlan struct {
	Users    int
	Checks   int                   // spread over the users in blocks: user u has checks [u·n/users, (u+1)·n/users)
	Interval time.Duration         // of every check (whole seconds)
	Grace    time.Duration         // of every check (whole seconds)
	Deadline func(i int) time.Time // of check i
	Now      time.Time             // created_at of every row
	Seed     uint64                // of the uuids and keys
}

// seededUser is a user written by seedChecks, with the access key whose hash it stores.
type seededUser struct {
	ID      int64
	Slug    string
	AuthKey string
}

// seededCheck is one check written by seedChecks.
type seededCheck struct {
	ID       int64
	UserID   int64
	UUID     string
	Slug     string
	Deadline time.Time
}

// seedResult is what a seeding wrote: every user and, for verification, the first and the
// last check of each.
type seedResult struct {
	Users   []seededUser
	Samples []seededCheck
}

// Pragmas of the seeding connection: durability is worth nothing for rows made up on the spot
// (the file is closed, and so checkpointed, before ttrd opens it), and a large page cache
// keeps the random inserts into the uuid index off the disk.
const seedDSN = "?_synchronous=OFF&_txlock=immediate&_pragma=cache_size(-262144)&_pragma=foreign_keys(1)"

// seedRowsPerTx is the checks inserted per transaction.
const seedRowsPerTx = 50_000

// seedCheckRow is the checks row seedChecks writes, column by column: every column the store
// writes on insert (checkInsert: user_id, uuid, created_at, version, schema.ConfigColumns,
// schema.StateColumns) with its SQL value, "?N" for the N-th value of seedCheckArgs. The
// constants are literals rather than parameters: binding 43 values per row cost most of the
// seeding time.
func seedCheckRow(p seedPlan) [][2]string {
	num := func(v int64) string { return strconv.FormatInt(v, 10) }
	return [][2]string{
		{"user_id", "?1"}, {"uuid", "?2"}, {"created_at", num(p.Now.UnixMilli())}, {"version", "1"},
		// configuration: the API's defaults (http/api_input.go defaultCheckConfig) but for the
		// schedule; the tag shows where a check came from in any listing.
		{"slug", "?3"}, {"name", "?3"}, {"description", "''"}, {"tags", "' bench '"},
		{"schedule_type", "'interval'"}, {"schedule", "''"}, {"tz", "'UTC'"},
		{"interval_seconds", num(int64(p.Interval / time.Second))}, {"grace_seconds", num(int64(p.Grace / time.Second))},
		{"max_runtime_seconds", "0"}, {"manual_resume", "0"}, {"notify_after_failures", "1"}, {"notify_on_up", "1"},
		{"realert_interval_seconds", "0"}, {"content_type", "NULL"}, {"content_pattern", "NULL"}, {"content_regex", "NULL"},
		// state: after one success ping, at ?4 (deadline − grace − interval)
		{"status", "'up'"}, {"last_ping", "?4"}, {"last_ping_kind", "'success'"}, {"last_start", "NULL"},
		{"last_start_rid", "''"}, {"last_duration_ms", "NULL"}, {"next_due", "?5"}, {"next_deadline", "?6"},
		{"run_deadline", "NULL"}, {"realert_due", "NULL"}, {"next_wake_at", "?6"}, {"n_pings", "1"},
		{"failure_count", "0"}, {"down_flip", "''"}, {"down_alerted", "0"}, {"realert_count", "0"},
		{"flip_seq", "1"}, {"last_reason", "'success ping'"}, {"flap_history", "NULL"}, {"flap_since", "NULL"},
		{"suppress_until", "NULL"}, {"last_sent_status", "''"},
	}
}

// seedCheckInsert is the INSERT of one check row.
func seedCheckInsert(p seedPlan) string {
	var cols, vals []string
	for _, cv := range seedCheckRow(p) {
		cols = append(cols, cv[0])
		vals = append(vals, cv[1])
	}
	return "INSERT INTO checks (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")"
}

// seedCheckArgs are the per-row values ?1…?6 of seedCheckRow.
func seedCheckArgs(p seedPlan, userID int64, uuid, slug string, deadline time.Time) []any {
	d := deadline.UnixMilli()
	return []any{userID, uuid, slug, d - p.Grace.Milliseconds() - p.Interval.Milliseconds(), d - p.Grace.Milliseconds(), d}
}

// seedChecks fills the migrated embedded store at path with plan's users and checks.
func seedChecks(ctx context.Context, path string, plan seedPlan) (seedResult, error) {
	if plan.Users < 1 || plan.Checks < plan.Users {
		return seedResult{}, fmt.Errorf("seed: want at least one check per user, got %d checks for %d users", plan.Checks, plan.Users)
	}
	if plan.Interval%time.Second != 0 || plan.Grace%time.Second != 0 {
		return seedResult{}, fmt.Errorf("seed: interval %v and grace %v must be whole seconds", plan.Interval, plan.Grace)
	}
	db, err := sql.Open("sqlite", path+seedDSN)
	if err != nil {
		return seedResult{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rng := rand.New(rand.NewChaCha8(seedKey(plan.Seed)))
	var res seedResult
	for u := range plan.Users {
		authKey := hex.EncodeToString(randomBytes(rng, 24))
		hash := sha256.Sum256([]byte(authKey)) // keyring.Hash, as the API stores access keys
		user := seededUser{Slug: fmt.Sprintf("bench%02d%s", u, hex.EncodeToString(randomBytes(rng, 3))), AuthKey: authKey}
		// users: ping_key_enc and ping_key_index stay NULL (no ping key); slug pings allowed.
		err := db.QueryRowContext(ctx, `INSERT INTO users (slug, auth_key_hash, ping_key_enc, ping_key_index, slug_pings, created_at)
			VALUES (?, ?, NULL, NULL, ?, ?) RETURNING id`, user.Slug, hash[:], true, plan.Now.UnixMilli()).Scan(&user.ID)
		if err != nil {
			return seedResult{}, fmt.Errorf("seed user %d: %w", u, err)
		}
		res.Users = append(res.Users, user)
	}
	owner := func(i int) int { return i * plan.Users / plan.Checks }
	insert := seedCheckInsert(plan)
	for from := 0; from < plan.Checks; from += seedRowsPerTx {
		to := min(from+seedRowsPerTx, plan.Checks)
		if err := seedTx(ctx, db, insert, from, to, func(i int) []any {
			u := res.Users[owner(i)]
			return seedCheckArgs(plan, u.ID, uuidFrom(randomBytes(rng, 16)), checkSlug(i), plan.Deadline(i))
		}); err != nil {
			return seedResult{}, err
		}
	}
	// The samples are read back, so what is verified later is what the table holds.
	for u := range res.Users {
		for _, pick := range []string{"MIN", "MAX"} {
			c := seededCheck{UserID: res.Users[u].ID}
			var d int64
			err := db.QueryRowContext(ctx, `SELECT id, uuid, slug, next_deadline FROM checks
				WHERE id = (SELECT `+pick+`(id) FROM checks WHERE user_id = ?)`, c.UserID).Scan(&c.ID, &c.UUID, &c.Slug, &d)
			if err != nil {
				return seedResult{}, fmt.Errorf("seed: read back a check of user %d: %w", c.UserID, err)
			}
			c.Deadline = time.UnixMilli(d)
			res.Samples = append(res.Samples, c)
		}
	}
	return res, db.Close()
}

// seedTx inserts rows [from, to) in one transaction.
func seedTx(ctx context.Context, db *sql.DB, insert string, from, to int, args func(i int) []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return err
	}
	defer st.Close()
	for i := from; i < to; i++ {
		if _, err := st.ExecContext(ctx, args(i)...); err != nil {
			return fmt.Errorf("seed check %d: %w", i, err)
		}
	}
	return tx.Commit()
}

// shiftDeadlines moves every armed check's times by d, so deadlines seeded before ttrd starts
// can fall due a fixed time after it is started whatever the seeding took.
func shiftDeadlines(ctx context.Context, path string, d time.Duration) error {
	db, err := sql.Open("sqlite", path+seedDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	ms := d.Milliseconds()
	if _, err := db.ExecContext(ctx, `UPDATE checks SET last_ping = last_ping + ?, next_due = next_due + ?,
		next_deadline = next_deadline + ?, next_wake_at = next_wake_at + ? WHERE next_wake_at IS NOT NULL`, ms, ms, ms, ms); err != nil {
		return fmt.Errorf("shift deadlines: %w", err)
	}
	return db.Close()
}

// armNewChecks puts every new check (created through the API, never pinged) in the state a
// success ping leaves it in, with its deadline at deadline: the same state seedCheckArgs
// writes, from each check's own interval and grace. ttrd must be stopped: it reads the rows
// when it starts.
func armNewChecks(ctx context.Context, path string, deadline time.Time) (int64, error) {
	db, err := sql.Open("sqlite", path+seedDSN)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	d := deadline.UnixMilli()
	res, err := db.ExecContext(ctx, `UPDATE checks SET status = 'up',
		last_ping = ? - (grace_seconds + interval_seconds) * 1000, last_ping_kind = 'success',
		next_due = ? - grace_seconds * 1000, next_deadline = ?, next_wake_at = ?,
		n_pings = 1, flip_seq = flip_seq + 1, last_reason = 'success ping', version = version + 1
		WHERE status = 'new' AND schedule_type = 'interval'`, d, d, d, d)
	if err != nil {
		return 0, fmt.Errorf("arm checks: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, db.Close()
}

// countDownFlips counts the up→down flips in a stopped ttrd's embedded store, read-only.
func countDownFlips(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite", path+"?_query_only=1")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM flips WHERE from_status = 'up' AND to_status = 'down'`).Scan(&n)
	return n, err
}

// seedKey is a ChaCha8 key from a seed.
func seedKey(seed uint64) [32]byte {
	var k [32]byte
	for i := range 8 {
		k[i] = byte(seed >> (8 * i))
	}
	return k
}

// randomBytes is n bytes of rng.
func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := i; j < min(i+8, n); j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	return b
}

// uuidFrom is 16 random bytes as a version 4 UUID in its canonical form (as ttrd's
// uuid.NewString writes them).
func uuidFrom(b []byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
