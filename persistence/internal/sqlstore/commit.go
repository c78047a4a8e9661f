package sqlstore

import (
	"fmt"
	"strings"

	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// The single-row statements of Commit, one per kind of change a write makes. The stores run
// them their own way (SQLite prepares them once on its writer; PostgreSQL pipelines them,
// besides multi-row versions of its own): render them with CommitSQL.
const (
	UpdState       = iota // state columns…, id, version
	UpdStateConfig        // state columns…, config columns…, id, version
	DelCheck              // id, version
	InsPing               // PingArgs
	Prune                 // check id, n: deletes the pings up to n
	InsFlip               // FlipArgs
	InsOutbox             // OutboxArgs; a duplicate idempotency key is skipped
	UpsertChannel         // ChannelArgs: only the settings, the user is the check's
	DelPings              // check id
	DelFlips              // check id
	DelChannels           // check id
	InsMark               // MarkArgs: the uptime mark of a flip, after the flip
	DelMarks              // check id
	DelPageChecks         // check id: the check leaves every status page
	NCommitSQL
)

// insertOutboxSQL adds one outbox row unless its idempotency key is already there.
const insertOutboxSQL = `INSERT INTO outbox (user_id, check_id, kind, channel, dest_hash, dest_enc,
	payload, idempotency_key, status, attempts, next_attempt_at, claimed_by, claim_until,
	last_error, created_at, delivered_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
	ON CONFLICT (idempotency_key) DO NOTHING`

// CommitSQL renders the statements of Commit for the dialect.
func (d *Dialect) CommitSQL() [NCommitSQL]string {
	nState, nConfig := len(schema.StateColumns), len(schema.ConfigColumns)
	q := [NCommitSQL]string{
		UpdState: fmt.Sprintf(`UPDATE checks SET %s, version = version + 1 WHERE id = $%d AND version = $%d`,
			SetList(schema.StateColumns, 1), nState+1, nState+2),
		UpdStateConfig: fmt.Sprintf(`UPDATE checks SET %s, %s, version = version + 1 WHERE id = $%d AND version = $%d`,
			SetList(schema.StateColumns, 1), SetList(schema.ConfigColumns, nState+1), nState+nConfig+1, nState+nConfig+2),
		DelCheck:  `DELETE FROM checks WHERE id = $1 AND version = $2`,
		InsPing:   `INSERT INTO pings (` + PingColumns + `, body) VALUES (` + Params(1, 13) + `)`,
		Prune:     `DELETE FROM pings WHERE check_id = $1 AND n <= $2`,
		InsFlip:   `INSERT INTO flips (` + FlipColumns + `) VALUES (` + Params(1, 7) + `)`,
		InsOutbox: insertOutboxSQL,
		// The delivery status belongs to FinishOutbox.
		UpsertChannel: `INSERT INTO channels (check_id, name, user_id, enabled, config_enc)
			SELECT id, $1, user_id, $2, $3 FROM checks WHERE id = $4
			ON CONFLICT (check_id, name) DO UPDATE SET enabled = excluded.enabled, config_enc = excluded.config_enc`,
		DelPings:    `DELETE FROM pings WHERE check_id = $1`,
		DelFlips:    `DELETE FROM flips WHERE check_id = $1`,
		DelChannels: `DELETE FROM channels WHERE check_id = $1`,
		InsMark:     insertMarkSQL,
		DelMarks:    `DELETE FROM uptime_marks WHERE check_id = $1`,
		// A check id is never reused in a page: the row goes with the check.
		DelPageChecks: `DELETE FROM status_page_checks WHERE check_id = $1`,
	}
	for i := range q {
		q[i] = d.Rebind(q[i])
	}
	return q
}

// SetList renders "a = $first, b = $first+1, …" for an UPDATE.
func SetList(cols []string, first int) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("%s = $%d", c, first+i)
	}
	return strings.Join(parts, ", ")
}

// Params renders "$first, …, $first+n-1".
func Params(first, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("$%d", first+i)
	}
	return strings.Join(parts, ", ")
}
