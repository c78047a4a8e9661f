package sqlstore

import (
	"database/sql"
	"fmt"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/internal/schema"
)

// The column lists, scanners and argument builders of each table, in one place per table.

// The argument builders append to dst, so that a caller can keep the arguments of a
// statement it runs at once on its stack (Commit runs thousands a second).

// The domain's named string types (messages.CheckStatus, PingLogKind, ChannelKind,
// ScheduleType) cross this boundary as plain strings: string(x) in arguments and
// (*string)(&x) as scan destinations, so neither driver falls back to reflection on a hot
// path.

// ConfigArgs appends the values of schema.ConfigColumns, in order: c and the check's
// config_version.
func ConfigArgs(dst []any, c *messages.CheckConfig, configVersion int64) []any {
	var ct, cp, cr any
	if r := c.ContentRule; r != nil {
		ct, cp, cr = r.Type, r.Pattern, r.Regex
	}
	dst = append(dst, c.Slug, c.Name, c.Desc, encodeTags(c.Tags), string(c.ScheduleType), c.Schedule, c.TZ,
		c.IntervalSeconds, c.GraceSeconds, c.MaxRuntimeSeconds, c.ManualResume,
		c.NotifyAfterFailures, c.NotifyOnUp, c.RealertIntervalSeconds, ct, cp, cr, configVersion,
		NullStr(c.BadgeID))
	return append(dst, schema.PingFilterArgs(&c.PingFilter)...)
}

// StateArgs appends the values of schema.StateColumns, in order.
func StateArgs(dst []any, s *messages.CheckState) []any {
	return append(dst, string(s.Status), MS(s.LastPing), string(s.LastPingKind), MS(s.LastStart), s.LastStartRID,
		DurMS(s.LastDuration), MS(s.NextDue), MS(s.NextDeadline), MS(s.RunDeadline),
		MS(s.RealertDue), MS(s.NextWakeAt), s.NPings, s.FailureCount, s.DownFlip, s.DownAlerted,
		s.RealertCount, s.FlipSeq, s.LastReason, Blob(EncodeTimes(s.FlapHistory)), MS(s.FlapSince),
		MS(s.SuppressUntil), string(s.LastSentStatus))
}

// ScanCheck reads a row of schema.CheckColumns.
func ScanCheck(row Row) (messages.Check, error) {
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
	dest := append(make([]any, 0, 64), &c.ID, &c.UserID, &c.UUID, &c.Slug, &created, &c.Version,
		&c.Name, &c.Desc, &tags, (*string)(&c.ScheduleType), &c.Schedule, &c.TZ, &c.IntervalSeconds,
		&c.GraceSeconds, &c.MaxRuntimeSeconds, &c.ManualResume, &c.NotifyAfterFailures,
		&c.NotifyOnUp, &c.RealertIntervalSeconds, &contentType, &contentPattern, &contentRegex,
		(*string)(&c.Status), &lastPing, (*string)(&c.LastPingKind), &lastStart, &c.LastStartRID, &lastDur, &nextDue,
		&nextDeadline, &runDeadline, &realert, &wake, &c.NPings, &c.FailureCount, &c.DownFlip,
		&c.DownAlerted, &c.RealertCount, &c.FlipSeq, &c.LastReason, &flaps, &flapSince, &suppress,
		(*string)(&c.LastSentStatus), &c.ConfigVersion, &badgeID)
	dest = append(dest, schema.PingFilterDest(&c.PingFilter)...)
	if err := row.Scan(dest...); err != nil {
		return messages.Check{}, err
	}
	c.CreatedAt = FromMS(created)
	c.BadgeID = badgeID.String
	c.Tags = decodeTags(tags)
	if contentType.Valid {
		c.ContentRule = &messages.ContentRule{Type: contentType.String, Pattern: contentPattern.String, Regex: contentRegex.Bool}
	}
	c.LastPing = FromMS(lastPing)
	c.LastStart = FromMS(lastStart)
	c.LastDuration = fromDurMS(lastDur)
	c.NextDue = FromMS(nextDue)
	c.NextDeadline = FromMS(nextDeadline)
	c.RunDeadline = FromMS(runDeadline)
	c.RealertDue = FromMS(realert)
	c.NextWakeAt = FromMS(wake)
	c.FlapSince = FromMS(flapSince)
	c.SuppressUntil = FromMS(suppress)
	var err error
	if c.FlapHistory, err = decodeTimes(flaps); err != nil {
		return messages.Check{}, fmt.Errorf("check %d: flap_history: %w", c.ID, err)
	}
	return c, nil
}

func scanRef(row Row) (messages.CheckRef, error) {
	var r messages.CheckRef
	err := row.Scan(&r.ID, &r.UserID, &r.UUID, &r.Slug)
	return r, err
}

const refColumns = `id, user_id, uuid, slug`

// PingColumns are the columns of a ping but its body.
const PingColumns = `check_id, n, at, kind, exit_status, rid, method, remote_ip, user_agent, request_id, reason, forwarded_proto`

func scanPing(row Row, extra ...any) (messages.PingRecord, error) {
	var (
		p  messages.PingRecord
		at sql.NullInt64
	)
	dest := append([]any{&p.CheckID, &p.N, &at, (*string)(&p.Kind), &p.ExitStatus, &p.RID, &p.Method,
		&p.RemoteIP, &p.UserAgent, &p.RequestID, &p.Reason, &p.ForwardedProto}, extra...)
	if err := row.Scan(dest...); err != nil {
		return messages.PingRecord{}, err
	}
	p.At = FromMS(at)
	return p, nil
}

// PingArgs appends the values of InsPing (PingColumns, then the body): request-derived text
// is cleaned (see CleanText).
func PingArgs(dst []any, checkID int64, p *messages.PingRecord) []any {
	return append(dst, checkID, p.N, MS(p.At), CleanText(string(p.Kind)), p.ExitStatus, CleanText(p.RID),
		CleanText(p.Method), CleanText(p.RemoteIP), CleanText(p.UserAgent),
		CleanText(p.RequestID), CleanText(p.Reason), CleanText(p.ForwardedProto), Blob(p.Body))
}

// FlipColumns are the columns of a flip.
const FlipColumns = `id, check_id, at, from_status, to_status, reason, node`

func scanFlip(row Row) (messages.Flip, error) {
	var (
		f  messages.Flip
		at sql.NullInt64
	)
	if err := row.Scan(&f.ID, &f.CheckID, &at, (*string)(&f.From), (*string)(&f.To), &f.Reason, &f.Node); err != nil {
		return messages.Flip{}, err
	}
	f.At = FromMS(at)
	return f, nil
}

// FlipArgs appends the values of FlipColumns.
func FlipArgs(dst []any, checkID int64, f *messages.Flip) []any {
	return append(dst, f.ID, checkID, MS(f.At), string(f.From), string(f.To), f.Reason, f.Node)
}

const channelColumns = `check_id, user_id, name, enabled, config_enc, last_status, last_message, last_at`

// ScanChannel reads a row of a channel's columns.
func ScanChannel(row Row) (messages.Channel, error) {
	var (
		ch messages.Channel
		at sql.NullInt64
	)
	if err := row.Scan(&ch.CheckID, &ch.UserID, (*string)(&ch.Name), &ch.Enabled, &ch.ConfigEnc, (*string)(&ch.LastStatus), &ch.LastMessage, &at); err != nil {
		return messages.Channel{}, err
	}
	ch.LastAt = FromMS(at)
	return ch, nil
}

// ChannelArgs are the values of UpsertChannel.
func ChannelArgs(checkID int64, ch *messages.Channel) []any {
	return []any{string(ch.Name), ch.Enabled, Blob(ch.ConfigEnc), checkID}
}

const outboxColumns = `id, user_id, check_id, kind, channel, dest_hash, dest_enc, payload,
	idempotency_key, status, attempts, next_attempt_at, claimed_by, claim_until, last_error,
	created_at, delivered_at`

func scanOutbox(row Row) (messages.OutboxRow, error) {
	var (
		o                                    messages.OutboxRow
		key                                  sql.NullString
		next, claimUntil, created, delivered sql.NullInt64
	)
	err := row.Scan(&o.ID, &o.UserID, &o.CheckID, (*string)(&o.Kind), (*string)(&o.Channel), &o.DestHash, &o.DestEnc,
		&o.Payload, &key, (*string)(&o.Status), &o.Attempts, &next, &o.ClaimedBy, &claimUntil, &o.LastError,
		&created, &delivered)
	if err != nil {
		return messages.OutboxRow{}, err
	}
	o.IdempotencyKey = key.String
	o.NextAttemptAt = FromMS(next)
	o.ClaimUntil = FromMS(claimUntil)
	o.CreatedAt = FromMS(created)
	o.DeliveredAt = FromMS(delivered)
	return o, nil
}

// OutboxRow is an outbox row as stored: the check id of its write when it names none, and
// pending when it has no status.
func OutboxRow(o *messages.OutboxRow, checkID int64) messages.OutboxRow {
	r := *o
	if r.CheckID == 0 {
		r.CheckID = checkID
	}
	if r.Status == "" {
		r.Status = messages.OutboxPending
	}
	return r
}

// OutboxArgs appends the values of InsOutbox for o, written by a write to checkID.
func OutboxArgs(dst []any, o *messages.OutboxRow, checkID int64) []any {
	r := OutboxRow(o, checkID)
	return append(dst, r.UserID, r.CheckID, string(r.Kind), string(r.Channel), r.DestHash, Blob(r.DestEnc),
		Blob(r.Payload), NullStr(r.IdempotencyKey), string(r.Status), r.Attempts, MS(r.NextAttemptAt),
		r.ClaimedBy, MS(r.ClaimUntil), r.LastError, MS(r.CreatedAt), MS(r.DeliveredAt))
}
