package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// setList renders "a = $first, b = $first+1, …" for an UPDATE.
func setList(cols []string, first int) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = $%d", c, first+i)
	}
	return b.String()
}

// placeholders renders "$first, …, $first+n-1".
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+i)
	}
	return b.String()
}

// configArgs are the values of schema.ConfigColumns: c and the check's config_version.
func configArgs(c *messages.CheckConfig, configVersion int64) []any {
	var (
		ct, cp *string
		cr     *bool
	)
	if r := c.ContentRule; r != nil {
		ct, cp, cr = &r.Type, &r.Pattern, &r.Regex
	}
	args := []any{c.Slug, c.Name, c.Desc, encodeTags(c.Tags), c.ScheduleType, c.Schedule, c.TZ,
		c.IntervalSeconds, c.GraceSeconds, c.MaxRuntimeSeconds, c.ManualResume,
		c.NotifyAfterFailures, c.NotifyOnUp, c.RealertIntervalSeconds, ct, cp, cr, configVersion,
		nullStr(c.BadgeID)}
	return append(args, schema.PingFilterArgs(&c.PingFilter)...)
}

func stateArgs(s *messages.CheckState) []any {
	return []any{s.Status, ms(s.LastPing), s.LastPingKind, ms(s.LastStart), s.LastStartRID,
		durMS(s.LastDuration), ms(s.NextDue), ms(s.NextDeadline), ms(s.RunDeadline),
		ms(s.RealertDue), ms(s.NextWakeAt), s.NPings, s.FailureCount, s.DownFlip, s.DownAlerted,
		s.RealertCount, s.FlipSeq, s.LastReason, encodeTimes(s.FlapHistory), ms(s.FlapSince),
		ms(s.SuppressUntil), s.LastSentStatus}
}

func scanCheck(row pgx.Row) (messages.Check, error) {
	var (
		c                                           messages.Check
		created, lastPing, lastStart, lastDur       *int64
		nextDue, nextDeadline, runDeadline, realert *int64
		wake, flapSince, suppress                   *int64
		flaps                                       []byte
		tags                                        string
		contentType, contentPattern                 *string
		contentRegex                                *bool
		badgeID                                     *string
	)
	dest := append(make([]any, 0, 56), &c.ID, &c.UserID, &c.UUID, &c.Slug, &created, &c.Version,
		&c.Name, &c.Desc, &tags, &c.ScheduleType, &c.Schedule, &c.TZ, &c.IntervalSeconds,
		&c.GraceSeconds, &c.MaxRuntimeSeconds, &c.ManualResume, &c.NotifyAfterFailures,
		&c.NotifyOnUp, &c.RealertIntervalSeconds, &contentType, &contentPattern, &contentRegex,
		&c.Status, &lastPing, &c.LastPingKind, &lastStart, &c.LastStartRID, &lastDur, &nextDue,
		&nextDeadline, &runDeadline, &realert, &wake, &c.NPings, &c.FailureCount, &c.DownFlip,
		&c.DownAlerted, &c.RealertCount, &c.FlipSeq, &c.LastReason, &flaps, &flapSince, &suppress,
		&c.LastSentStatus, &c.ConfigVersion, &badgeID)
	dest = append(dest, schema.PingFilterDest(&c.PingFilter)...)
	err := row.Scan(dest...)
	if err != nil {
		return messages.Check{}, err
	}
	c.CreatedAt = fromMS(created)
	if badgeID != nil {
		c.BadgeID = *badgeID
	}
	c.Tags = decodeTags(tags)
	if contentType != nil {
		r := &messages.ContentRule{Type: *contentType}
		if contentPattern != nil {
			r.Pattern = *contentPattern
		}
		if contentRegex != nil {
			r.Regex = *contentRegex
		}
		c.ContentRule = r
	}
	c.LastPing = fromMS(lastPing)
	c.LastStart = fromMS(lastStart)
	c.LastDuration = fromDurMS(lastDur)
	c.NextDue = fromMS(nextDue)
	c.NextDeadline = fromMS(nextDeadline)
	c.RunDeadline = fromMS(runDeadline)
	c.RealertDue = fromMS(realert)
	c.NextWakeAt = fromMS(wake)
	c.FlapSince = fromMS(flapSince)
	c.SuppressUntil = fromMS(suppress)
	if c.FlapHistory, err = decodeTimes(flaps); err != nil {
		return messages.Check{}, fmt.Errorf("check %d: flap_history: %w", c.ID, err)
	}
	return c, nil
}

const userColumns = `id, slug, auth_key_hash, ping_key_enc, ping_key_index, slug_pings, created_at, disabled_at, last_seen_at`

func scanUser(row pgx.Row) (messages.User, error) {
	var (
		u        messages.User
		created  *int64
		disabled *int64
		seen     *int64
	)
	if err := row.Scan(&u.ID, &u.Slug, &u.AuthKeyHash, &u.PingKeyEnc, &u.PingKeyIndex, &u.SlugPings, &created, &disabled, &seen); err != nil {
		return messages.User{}, err
	}
	u.CreatedAt = fromMS(created)
	u.DisabledAt = fromMS(disabled)
	u.LastSeenAt = fromMS(seen)
	return u, nil
}

const pingColumns = `check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, request_id, reason`

func scanPing(row pgx.Row, extra ...any) (messages.PingRecord, error) {
	var (
		p  messages.PingRecord
		at *int64
	)
	dest := append([]any{&p.CheckID, &p.N, &at, &p.Kind, &p.ExitStatus, &p.RID, &p.Method,
		&p.RemoteIP, &p.UserAgent, &p.RequestID, &p.Reason}, extra...)
	if err := row.Scan(dest...); err != nil {
		return messages.PingRecord{}, err
	}
	p.At = fromMS(at)
	return p, nil
}

const flipColumns = `id, check_id, at, from_status, to_status, reason, node`

func scanFlip(row pgx.Row) (messages.Flip, error) {
	var (
		f  messages.Flip
		at *int64
	)
	if err := row.Scan(&f.ID, &f.CheckID, &at, &f.From, &f.To, &f.Reason, &f.Node); err != nil {
		return messages.Flip{}, err
	}
	f.At = fromMS(at)
	return f, nil
}

const channelColumns = `check_id, user_id, name, enabled, config_enc, last_status, last_message, last_at`

func scanChannel(row pgx.Row) (messages.Channel, error) {
	var (
		ch messages.Channel
		at *int64
	)
	if err := row.Scan(&ch.CheckID, &ch.UserID, &ch.Name, &ch.Enabled, &ch.ConfigEnc, &ch.LastStatus, &ch.LastMessage, &at); err != nil {
		return messages.Channel{}, err
	}
	ch.LastAt = fromMS(at)
	return ch, nil
}

const outboxColumns = `id, user_id, check_id, kind, channel, dest_hash, dest_enc, payload,
	idempotency_key, status, attempts, next_attempt_at, claimed_by, claim_until, last_error,
	created_at, delivered_at`

func scanOutbox(row pgx.Row) (messages.OutboxRow, error) {
	var (
		o                                    messages.OutboxRow
		key                                  *string
		next, claimUntil, created, delivered *int64
	)
	err := row.Scan(&o.ID, &o.UserID, &o.CheckID, &o.Kind, &o.Channel, &o.DestHash, &o.DestEnc,
		&o.Payload, &key, &o.Status, &o.Attempts, &next, &o.ClaimedBy, &claimUntil, &o.LastError,
		&created, &delivered)
	if err != nil {
		return messages.OutboxRow{}, err
	}
	if key != nil {
		o.IdempotencyKey = *key
	}
	o.NextAttemptAt = fromMS(next)
	o.ClaimUntil = fromMS(claimUntil)
	o.CreatedAt = fromMS(created)
	o.DeliveredAt = fromMS(delivered)
	return o, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// outboxInsert adds one outbox row unless its idempotency key is already there.
const outboxInsert = `INSERT INTO outbox (user_id, check_id, kind, channel, dest_hash, dest_enc,
	payload, idempotency_key, status, attempts, next_attempt_at, claimed_by, claim_until,
	last_error, created_at, delivered_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
	ON CONFLICT (idempotency_key) DO NOTHING`

func outboxArgs(o *messages.OutboxRow, checkID int64) []any {
	if o.CheckID != 0 {
		checkID = o.CheckID
	}
	status := o.Status
	if status == "" {
		status = messages.OutboxPending
	}
	return []any{o.UserID, checkID, o.Kind, o.Channel, o.DestHash, blob(o.DestEnc),
		blob(o.Payload), nullStr(o.IdempotencyKey), status, o.Attempts, ms(o.NextAttemptAt),
		o.ClaimedBy, ms(o.ClaimUntil), o.LastError, ms(o.CreatedAt), ms(o.DeliveredAt)}
}
