package sqlite

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// setList renders "a = ?, b = ?" for an UPDATE.
func setList(cols []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
		b.WriteString(" = ?")
	}
	return b.String()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// configArgs are the values of schema.ConfigColumns: c and the check's config_version.
func configArgs(c *messages.CheckConfig, configVersion int64) []any {
	var ct, cp, cr any
	if c.ContentRule != nil {
		ct, cp, cr = c.ContentRule.Type, c.ContentRule.Pattern, c.ContentRule.Regex
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
		s.RealertCount, s.FlipSeq, s.LastReason, blob(encodeTimes(s.FlapHistory)), ms(s.FlapSince),
		ms(s.SuppressUntil), s.LastSentStatus}
}

type scanner interface{ Scan(dest ...any) error }

func scanCheck(row scanner) (messages.Check, error) {
	var (
		c                                           messages.Check
		created, lastPing, lastStart, lastDur       sql.NullInt64
		nextDue, nextDeadline, runDeadline, realert sql.NullInt64
		wake, flapSince, suppress                   sql.NullInt64
		flaps                                       []byte
		tags                                        string
		contentType, contentPattern                 sql.NullString
		contentRegex                                sql.NullBool
		badgeID                                     sql.NullString
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
	c.BadgeID = badgeID.String
	c.Tags = decodeTags(tags)
	if contentType.Valid {
		c.ContentRule = &messages.ContentRule{Type: contentType.String, Pattern: contentPattern.String, Regex: contentRegex.Bool}
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

func scanUser(row scanner) (messages.User, error) {
	var (
		u        messages.User
		created  sql.NullInt64
		disabled sql.NullInt64
		seen     sql.NullInt64
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

func scanPing(row scanner, extra ...any) (messages.PingRecord, error) {
	var (
		p  messages.PingRecord
		at sql.NullInt64
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

func scanFlip(row scanner) (messages.Flip, error) {
	var (
		f  messages.Flip
		at sql.NullInt64
	)
	if err := row.Scan(&f.ID, &f.CheckID, &at, &f.From, &f.To, &f.Reason, &f.Node); err != nil {
		return messages.Flip{}, err
	}
	f.At = fromMS(at)
	return f, nil
}

const channelColumns = `check_id, user_id, name, enabled, config_enc, last_status, last_message, last_at`

func scanChannel(row scanner) (messages.Channel, error) {
	var (
		ch messages.Channel
		at sql.NullInt64
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

func scanOutbox(row scanner) (messages.OutboxRow, error) {
	var (
		o                                    messages.OutboxRow
		key                                  sql.NullString
		next, claimUntil, created, delivered sql.NullInt64
	)
	err := row.Scan(&o.ID, &o.UserID, &o.CheckID, &o.Kind, &o.Channel, &o.DestHash, &o.DestEnc,
		&o.Payload, &key, &o.Status, &o.Attempts, &next, &o.ClaimedBy, &claimUntil, &o.LastError,
		&created, &delivered)
	if err != nil {
		return messages.OutboxRow{}, err
	}
	o.IdempotencyKey = key.String
	o.NextAttemptAt = fromMS(next)
	o.ClaimUntil = fromMS(claimUntil)
	o.CreatedAt = fromMS(created)
	o.DeliveredAt = fromMS(delivered)
	return o, nil
}

// outboxInsert adds one outbox row unless its idempotency key is already there.
const outboxInsert = `INSERT INTO outbox (user_id, check_id, kind, channel, dest_hash, dest_enc,
	payload, idempotency_key, status, attempts, next_attempt_at, claimed_by, claim_until,
	last_error, created_at, delivered_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
