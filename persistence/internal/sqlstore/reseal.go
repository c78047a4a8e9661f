package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/ttr-rip/ttr/persistence"
)

// ResealTable is one table whose sealed values Reseal rewrites, read in keyset order.
type ResealTable struct {
	// Name is the table's name (persistence.Sealed.Table).
	Name string
	// sel reads the batch after the given key (id, name) with its limit; its columns are
	// what scan reads. The dialect's LockRows ends it.
	sel     string
	selArgs func(after ResealRow, limit int) []any
	scan    func(Row) (ResealRow, error)
	// Update writes one row's new value; UpdateArgs gives its arguments.
	Update     string
	UpdateArgs func(r ResealRow) []any
}

// ResealRow is one sealed value with its row's primary key; Sealed holds the new value once
// f has run.
type ResealRow struct {
	ID     int64  // users.id, channels.check_id, outbox.id
	Name   string // channels.name
	Sealed persistence.Sealed
}

// resealTables are the tables Reseal rewrites, in order, rendered for d.
func resealTables(d *Dialect) []ResealTable {
	after := func(r ResealRow, limit int) []any { return []any{r.ID, limit} }
	ts := []ResealTable{
		{
			Name: "users",
			sel: `SELECT id, ping_key_enc, ping_key_index FROM users
				WHERE id > $1 AND ping_key_enc IS NOT NULL ORDER BY id LIMIT $2`,
			selArgs: after,
			scan: func(row Row) (ResealRow, error) {
				var r ResealRow
				err := row.Scan(&r.ID, &r.Sealed.Value, &r.Sealed.Index)
				r.Sealed.Table, r.Sealed.Key = "users", strconv.FormatInt(r.ID, 10)
				return r, err
			},
			Update:     `UPDATE users SET ping_key_enc = $1, ping_key_index = $2 WHERE id = $3`,
			UpdateArgs: func(r ResealRow) []any { return []any{r.Sealed.Value, Blob(r.Sealed.Index), r.ID} },
		},
		{
			Name: "channels",
			sel: `SELECT check_id, name, user_id, config_enc FROM channels
				WHERE (check_id, name) > ($1, $2) AND config_enc IS NOT NULL
				ORDER BY check_id, name LIMIT $3`,
			selArgs: func(r ResealRow, limit int) []any { return []any{r.ID, r.Name, limit} },
			scan: func(row Row) (ResealRow, error) {
				var r ResealRow
				err := row.Scan(&r.ID, &r.Name, &r.Sealed.UserID, &r.Sealed.Value)
				r.Sealed.Table, r.Sealed.Key = "channels", strconv.FormatInt(r.ID, 10)+":"+r.Name
				return r, err
			},
			Update:     `UPDATE channels SET config_enc = $1 WHERE check_id = $2 AND name = $3`,
			UpdateArgs: func(r ResealRow) []any { return []any{r.Sealed.Value, r.ID, r.Name} },
		},
		{
			Name: "outbox",
			// Every row, delivered and failed ones too: the old key can go only when no value
			// sealed under it is left.
			sel: `SELECT id, user_id, idempotency_key, dest_enc FROM outbox
				WHERE id > $1 AND dest_enc IS NOT NULL ORDER BY id LIMIT $2`,
			selArgs: after,
			scan: func(row Row) (ResealRow, error) {
				var (
					r   ResealRow
					key sql.NullString
				)
				err := row.Scan(&r.ID, &r.Sealed.UserID, &key, &r.Sealed.Value)
				r.Sealed.Table, r.Sealed.Key = "outbox", key.String
				return r, err
			},
			Update:     `UPDATE outbox SET dest_enc = $1 WHERE id = $2`,
			UpdateArgs: func(r ResealRow) []any { return []any{r.Sealed.Value, r.ID} },
		},
		{
			Name: "destinations",
			sel: `SELECT id, user_id, code, config_enc FROM destinations
				WHERE id > $1 ORDER BY id LIMIT $2`,
			selArgs: after,
			scan: func(row Row) (ResealRow, error) {
				var r ResealRow
				err := row.Scan(&r.ID, &r.Sealed.UserID, &r.Sealed.Key, &r.Sealed.Value)
				r.Sealed.Table = "destinations"
				return r, err
			},
			Update:     `UPDATE destinations SET config_enc = $1 WHERE id = $2`,
			UpdateArgs: func(r ResealRow) []any { return []any{r.Sealed.Value, r.ID} },
		},
	}
	for i := range ts {
		ts[i].sel = d.Rebind(ts[i].sel + d.LockRows)
		ts[i].Update = d.Rebind(ts[i].Update)
	}
	return ts
}

// Reseal calls f for every sealed value (users' ping keys, channels' settings, every outbox
// row's destination, destinations' settings) and writes back what it returns. It reads each table in keyset order,
// a batch at a time; a batch is read (its rows locked where the dialect locks rows, else
// under the write lock), passed to f and written in one transaction, so nothing written
// meanwhile is overwritten with an older value. f must be quick and must not use the store:
// it runs while the batch holds its locks.
//
// A value f returns unchanged (same Value and Index) is not written nor counted, so a run
// after an interrupted one — on f's error the batch at hand is rolled back and the batches
// before it stay rewritten — only rewrites what is left, when f returns the values already
// sealed under the first key as they are. Values written while Reseal runs must already be
// sealed under the key f seals with (every node runs the new key ring first).
func (s *Store) Reseal(ctx context.Context, f func(persistence.Sealed) (persistence.Sealed, error)) (int, error) {
	total := 0
	tables := resealTables(s.d)
	for i := range tables {
		t := &tables[i]
		var after ResealRow
		for {
			n, last, more, err := s.resealBatch(ctx, t, after, f)
			total += n
			if err != nil {
				return total, fmt.Errorf("reseal %s: %w", t.Name, err)
			}
			if !more {
				break
			}
			after = last
		}
	}
	return total, nil
}

// resealBatch rewrites the batch of t after the key after. It returns how many values it
// rewrote, the key of the batch's last row and whether there may be more rows.
func (s *Store) resealBatch(ctx context.Context, t *ResealTable, after ResealRow, f func(persistence.Sealed) (persistence.Sealed, error)) (int, ResealRow, bool, error) {
	if s.cfg.Closed.Load() {
		return 0, after, false, s.mapErr(fmt.Errorf("%s: store closed", s.d.Name))
	}
	size := s.cfg.ResealBatch
	var (
		batch, changed []ResealRow
		ferr           error // f's error: returned as it is
	)
	err := s.inTx(ctx, func(tx Querier) error {
		var err error
		if batch, err = query(ctx, tx, t.scan, t.sel, t.selArgs(after, size)...); err != nil || len(batch) == 0 {
			return err
		}
		for _, r := range batch {
			v, err := f(r.Sealed)
			if err == nil {
				err = checkResealed(r.Sealed, v)
			}
			if err != nil {
				ferr = err
				return err
			}
			if t.Name != "users" {
				v.Index = nil // only a ping key has a lookup index
			}
			if bytes.Equal(v.Value, r.Sealed.Value) && bytes.Equal(v.Index, r.Sealed.Index) {
				continue
			}
			r.Sealed = v
			changed = append(changed, r)
		}
		if len(changed) == 0 {
			return nil
		}
		if s.cfg.ResealUpdate != nil {
			return s.cfg.ResealUpdate(ctx, tx, t, changed)
		}
		for _, r := range changed {
			if _, err := tx.Exec(ctx, t.Update, t.UpdateArgs(r)...); err != nil {
				return fmt.Errorf("%s %s: %w", r.Sealed.Table, r.Sealed.Key, err)
			}
		}
		return nil
	})
	switch {
	case ferr != nil:
		return 0, after, false, ferr
	case err != nil:
		return 0, after, false, s.mapErr(err)
	case len(batch) == 0:
		return 0, after, false, nil
	}
	return len(changed), batch[len(batch)-1], len(batch) == size, nil
}

// RenameDestinations moves outbox rows and rate state from each old destination hash to its
// new one, one transaction per rename; rate state already kept under a new hash wins.
func (s *Store) RenameDestinations(ctx context.Context, renames map[string]string) (int, error) {
	total := 0
	for oldHash, newHash := range renames {
		if oldHash == newHash {
			continue
		}
		var moved int64
		err := s.inTx(ctx, func(tx Querier) error {
			var err error
			if moved, err = tx.Exec(ctx, s.q.renameOutbox, newHash, oldHash); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, s.q.renameRateState, newHash, oldHash); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, s.q.deleteRateState, oldHash)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("rename destination: %w", s.mapErr(err))
		}
		total += int(moved)
	}
	return total, nil
}

// checkResealed refuses a value f moved to another row or emptied.
func checkResealed(old, v persistence.Sealed) error {
	if v.Table != old.Table || v.Key != old.Key || v.UserID != old.UserID {
		return fmt.Errorf("%s %s: f changed the row to %s %s (user %d)", old.Table, old.Key, v.Table, v.Key, v.UserID)
	}
	if len(v.Value) == 0 {
		return fmt.Errorf("%s %s: f returned no value", old.Table, old.Key)
	}
	return nil
}
