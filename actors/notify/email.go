package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/messages"
)

// SMTP TLS modes (SMTPConfig.TLS, TTR_SMTP_TLS).
const (
	// SMTPStartTLS connects in plain text and requires STARTTLS before anything else is
	// sent; a server that does not offer it gets nothing (the default).
	SMTPStartTLS = "starttls"
	// SMTPImplicitTLS speaks TLS from the first byte (SMTPS, port 465).
	SMTPImplicitTLS = "tls"
	// SMTPNoTLS sends everything in clear text: tests and development only.
	SMTPNoTLS = "none"
)

// SMTPConfig is the deployment's mail server: one for every email destination (TTR_SMTP_*).
type SMTPConfig struct {
	// Host is the SMTP server's name or address (TTR_SMTP_HOST). Empty = email is not set
	// up: every email delivery fails permanently, saying so.
	Host string
	// Port (TTR_SMTP_PORT); 0 = 587 with starttls, 465 with tls, 25 with none.
	Port int
	// Username and Password log in (TTR_SMTP_USERNAME, TTR_SMTP_PASSWORD); an empty
	// Username = no login. The mechanism is the first the server offers of SCRAM-SHA-256,
	// SCRAM-SHA-1, PLAIN, LOGIN and CRAM-MD5; PLAIN and LOGIN only over TLS (or to
	// localhost).
	Username string
	Password string
	// From is the sender, with an optional display name: "ttr <alerts@example.com>"
	// (TTR_SMTP_FROM). Required with Host.
	From string
	// TLS is SMTPStartTLS (default), SMTPImplicitTLS or SMTPNoTLS (TTR_SMTP_TLS).
	TLS string
	// Timeout bounds a whole delivery, connecting included (TTR_SMTP_TIMEOUT, default
	// 10 s). Keep it below the notifier's SendTimeout.
	Timeout time.Duration
	// HELO is the name sent in EHLO (default: this machine's host name, else "localhost").
	HELO string
	// TLSConfig replaces the TLS client settings, e.g. RootCAs for a private CA. nil = the
	// system's roots; ServerName defaults to Host and MinVersion to TLS 1.2 either way.
	TLSConfig *tls.Config
}

// Enabled reports whether a mail server is configured.
func (c SMTPConfig) Enabled() bool { return c.Host != "" }

func (c SMTPConfig) withDefaults() SMTPConfig {
	if c.TLS == "" {
		c.TLS = SMTPStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case SMTPImplicitTLS:
			c.Port = 465
		case SMTPNoTLS:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	return c
}

// Validate reports every problem of a configuration. A configuration without Host is valid
// (email disabled) unless other SMTP settings are given, which would be silently ignored.
func (c SMTPConfig) Validate() error {
	if c.Host == "" {
		if c.Port != 0 || c.Username != "" || c.Password != "" || c.From != "" {
			return errors.New("notify: SMTP settings are given but the SMTP host is not")
		}
		return nil
	}
	c = c.withDefaults()
	var errs []error
	if strings.ContainsFunc(c.Host, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		errs = append(errs, errors.New("notify: the SMTP host is not a host name"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("notify: the SMTP port must be within 1–65535 (it is %d)", c.Port))
	}
	switch c.TLS {
	case SMTPStartTLS, SMTPImplicitTLS, SMTPNoTLS:
	default:
		errs = append(errs, fmt.Errorf("notify: the SMTP TLS mode must be %q, %q or %q (it is %q)", SMTPStartTLS, SMTPImplicitTLS, SMTPNoTLS, c.TLS))
	}
	if c.From == "" {
		errs = append(errs, errors.New("notify: the SMTP sender address (From) is required"))
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, errors.New("notify: the SMTP sender address (From) is not a valid address"))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("notify: an SMTP password is given without a username"))
	}
	if c.Username != "" && c.TLS == SMTPNoTLS && !isLoopbackHost(c.Host) {
		errs = append(errs, errors.New("notify: an SMTP login without TLS would send the password in clear text"))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("notify: the SMTP timeout must be positive (it is %s)", c.Timeout))
	}
	if c.HELO != "" && strings.ContainsFunc(c.HELO, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		errs = append(errs, errors.New("notify: the SMTP HELO name is not a host name"))
	}
	return errors.Join(errs...)
}

// LogValue renders the configuration for the start-up log without the password.
func (c SMTPConfig) LogValue() slog.Value {
	c = c.withDefaults()
	pw := ""
	if c.Password != "" {
		pw = "<redacted>"
	}
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", c.TLS),
		slog.String("username", c.Username), slog.String("password", pw),
		slog.String("from", c.From), slog.Duration("timeout", c.Timeout),
	)
}

// isLoopbackHost is the rule of net/smtp, kept by go-mail, for a login in clear text: only
// to the names of this machine itself.
func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// Email delivers to the email channel over SMTP: one message to Dest.EmailTo from the
// configured sender, with a subject naming the change ("🔴 DOWN: backup"), a plain-text body
// (the alert's message, reason and time), Date, a Message-ID derived from the idempotency key
// (so a resend after a crash is the same message to the receiving side) and the key itself in
// X-Ttr-Idempotency-Key.
//
// Outcomes: the message accepted (250 after DATA) is delivered. A 4xx reply, a network error
// or a timeout is transient. A 5xx reply to the message's own transaction (MAIL FROM,
// RCPT TO, DATA — e.g. 550 no such user) is permanent, with the server's reply text (never
// the password). Failures
// while setting the session up — the greeting, EHLO, STARTTLS required but not offered, a
// refused certificate, a refused login — are transient whatever their code: they are the
// deployment's mail server settings, not the user's destination, so the alert waits (up to
// the notifier's RetryFor) for the operator to fix them instead of being dropped. An address
// that net/mail cannot parse is permanent before anything is sent.
type Email struct {
	cfg      SMTPConfig
	from     *mail.Address
	helo     string
	now      func() time.Time
	scrubber *strings.Replacer
}

var _ Sender = (*Email)(nil)

// NewEmail returns the email sender, or the configuration's problems. A configuration
// without Host gives a sender that refuses every delivery permanently ("email is not set up
// on this server"). now stamps the Date header; nil = time.Now.
func NewEmail(cfg SMTPConfig, now func() time.Time) (*Email, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	e := &Email{cfg: cfg.withDefaults(), now: now, helo: cfg.HELO}
	if cfg.Host == "" {
		return e, nil
	}
	e.from, _ = mail.ParseAddress(cfg.From) // validated above
	if e.helo == "" {
		if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsFunc(h, unicode.IsSpace) {
			e.helo = h
		} else {
			e.helo = "localhost"
		}
	}
	if cfg.Password != "" {
		e.scrubber = strings.NewReplacer(cfg.Password, "<redacted>")
	}
	return e, nil
}

// smtpPhase tells a failure while setting the session up from one in the message's
// transaction (see Email).
type smtpPhase int

const (
	phaseSession smtpPhase = iota
	phaseTransaction
)

// Send delivers d and classifies the outcome (see Email).
func (e *Email) Send(ctx context.Context, d Delivery) Result {
	if !e.cfg.Enabled() {
		return Result{Outcome: Permanent, Detail: "email is not set up on this server (no SMTP server is configured)"}
	}
	p, res, ok := readPayload(d.Payload)
	if !ok {
		return res
	}
	rawTo := strings.TrimSpace(d.Dest.EmailTo)
	if rawTo == "" {
		return Result{Outcome: Permanent, Detail: "the email channel has no address"}
	}
	to, err := mail.ParseAddress(rawTo)
	if err != nil {
		return Result{Outcome: Permanent, Detail: "the email address is not valid"}
	}
	raw, err := e.compose(p, to, d.Row.IdempotencyKey)
	if err != nil {
		return Result{Outcome: Permanent, Detail: "the email could not be composed"}
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	return e.deliver(ctx, to, raw)
}

// compose renders the message.
func (e *Email) compose(p alert.Payload, to *mail.Address, key string) ([]byte, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	m.FromMailAddress(e.from)
	m.ToMailAddress(to)
	m.Subject(EmailSubject(p))
	m.SetDateWithValue(e.now())
	key = oneLine(key)
	if key != "" {
		m.SetMessageIDWithValue(messageID(key, e.from.Address))
		m.SetGenHeader("X-Ttr-Idempotency-Key", key)
	} else {
		m.SetMessageID()
	}
	// RFC 3834: no vacation or out-of-office replies to an alert.
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	m.SetUserAgent("ttr")
	m.SetBodyString(gomail.TypeTextPlain, EmailBody(p))
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// messageID derives the Message-ID from the idempotency key: the same alert sent twice is
// the same message, which receiving systems may deduplicate.
func messageID(key, from string) string {
	sum := sha256.Sum256([]byte("ttr-alert\x00" + key))
	domain := "ttr.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = from[i+1:]
	}
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// EmailSubject is the subject line of an alert's email: a marker and the check's name.
func EmailSubject(p alert.Payload) string {
	name := p.CheckName
	if name == "" {
		name = p.CheckUUID
	}
	name = truncateRunes(oneLine(name), 120)
	switch p.Kind {
	case messages.AlertDown:
		return "🔴 DOWN: " + name
	case messages.AlertRealert:
		return "🔴 STILL DOWN: " + name
	case messages.AlertUp:
		return "🟢 UP: " + name
	case messages.AlertTest:
		return "🔔 TEST: " + name
	case messages.AlertFlapping:
		return "🟠 FLAPPING: " + name
	}
	// The end of flapping and any later kind: the state it reports.
	switch p.Status {
	case messages.StatusDown:
		return "🔴 DOWN: " + name
	case messages.StatusUp:
		return "🟢 UP: " + name
	}
	return "ttr: " + name
}

// EmailBody is the plain-text body of an alert's email: its message, then the reason and
// the time of the change.
func EmailBody(p alert.Payload) string {
	var b strings.Builder
	b.WriteString(p.Message)
	b.WriteString("\n\n")
	if p.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n", oneLine(p.Reason))
	}
	if p.Timestamp != "" {
		at := p.Timestamp
		if t, err := time.Parse(time.RFC3339Nano, p.Timestamp); err == nil {
			at = t.UTC().Format("2006-01-02 15:04:05 MST")
		}
		fmt.Fprintf(&b, "Time: %s\n", oneLine(at))
	}
	if p.CheckUUID != "" {
		fmt.Fprintf(&b, "Check: %s\n", oneLine(p.CheckUUID))
	}
	return b.String()
}

// oneLine replaces control characters (line breaks included) with spaces.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// deliver runs one SMTP session for one message. ctx bounds it: its deadline is the
// connection's, and its end closes the connection, so a stalled server cannot hold a send.
func (e *Email) deliver(ctx context.Context, to *mail.Address, raw []byte) Result {
	conn, err := e.dial(ctx)
	if err != nil {
		return e.failure(ctx, phaseSession, "connect", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}

	c, err := smtp.NewClient(conn, e.cfg.Host)
	if err != nil {
		return e.failure(ctx, phaseSession, "greeting", err)
	}
	defer c.Close()
	if err := c.Hello(e.helo); err != nil {
		return e.failure(ctx, phaseSession, "EHLO", err)
	}
	if e.cfg.TLS == SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return Result{Outcome: Transient, Detail: "the mail server does not offer STARTTLS, which is required"}
		}
		if err := c.StartTLS(e.tlsConfig()); err != nil {
			return e.failure(ctx, phaseSession, "STARTTLS", err)
		}
	}
	if e.cfg.Username != "" {
		auth, res, ok := e.auth(c)
		if !ok {
			return res
		}
		if err := c.Auth(auth); err != nil {
			return e.failure(ctx, phaseSession, "login", err)
		}
	}
	if err := c.Mail(angle(e.from.Address)); err != nil {
		return e.failure(ctx, phaseTransaction, "MAIL FROM", err)
	}
	if err := c.Rcpt(angle(to.Address)); err != nil {
		return e.failure(ctx, phaseTransaction, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return e.failure(ctx, phaseTransaction, "DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return e.failure(ctx, phaseTransaction, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return e.failure(ctx, phaseTransaction, "DATA", err)
	}
	// Accepted: a failing QUIT changes nothing.
	_ = c.Quit()
	return Result{Outcome: Delivered}
}

func angle(addr string) string { return "<" + addr + ">" }

func (e *Email) dial(ctx context.Context) (net.Conn, error) {
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	d := &net.Dialer{Timeout: e.cfg.Timeout}
	if e.cfg.TLS == SMTPImplicitTLS {
		return (&tls.Dialer{NetDialer: d, Config: e.tlsConfig()}).DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

func (e *Email) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if e.cfg.TLSConfig != nil {
		c = e.cfg.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = e.cfg.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// auth picks the login mechanism among those the server offers.
func (e *Email) auth(c *smtp.Client) (smtp.Auth, Result, bool) {
	ok, offered := c.Extension("AUTH")
	if !ok {
		return nil, Result{Outcome: Transient, Detail: "the mail server does not offer a login, but a username is configured"}, false
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	has := func(m string) bool {
		for _, o := range mechs {
			if o == m {
				return true
			}
		}
		return false
	}
	u, pw, host := e.cfg.Username, e.cfg.Password, e.cfg.Host
	switch {
	case has("SCRAM-SHA-256"):
		return smtp.ScramSHA256Auth(u, pw), Result{}, true
	case has("SCRAM-SHA-1"):
		return smtp.ScramSHA1Auth(u, pw), Result{}, true
	case has("PLAIN"):
		return smtp.PlainAuth("", u, pw, host, false), Result{}, true
	case has("LOGIN"):
		return smtp.LoginAuth(u, pw, host, false), Result{}, true
	case has("CRAM-MD5"):
		return smtp.CRAMMD5Auth(u, pw), Result{}, true
	}
	return nil, Result{Outcome: Transient, Detail: "the mail server offers no supported login method"}, false
}

// failure classifies an error of one step of the session (see Email for the rules). The
// detail carries the server's reply text, never the credentials.
func (e *Email) failure(ctx context.Context, phase smtpPhase, step string, err error) Result {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return Result{Outcome: Transient, Detail: fmt.Sprintf("the mail server did not answer within %s", shortDuration(e.cfg.Timeout))}
		}
		return Result{Outcome: Transient, Detail: "the delivery was interrupted"}
	}
	var (
		reply    *textproto.Error
		proto    textproto.ProtocolError
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		authErr  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		netErr   net.Error
		alertErr tls.AlertError
		record   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &reply):
		detail := fmt.Sprintf("%s: the mail server answered %d %s", step, reply.Code, e.replyText(reply.Msg))
		if reply.Code >= 500 && reply.Code < 600 && phase == phaseTransaction {
			return Result{Outcome: Permanent, Detail: detail}
		}
		return Result{Outcome: Transient, Detail: detail}
	case errors.Is(err, smtp.ErrUnencrypted):
		return Result{Outcome: Transient, Detail: "login: the connection to the mail server is not encrypted"}
	case errors.As(err, &proto):
		return Result{Outcome: Transient, Detail: step + ": the mail server's answer is not SMTP"}
	case errors.As(err, &netErr) && netErr.Timeout():
		return Result{Outcome: Transient, Detail: fmt.Sprintf("the mail server did not answer within %s", shortDuration(e.cfg.Timeout))}
	case errors.As(err, &dnsErr):
		return Result{Outcome: Transient, Detail: "the mail server's host name could not be resolved"}
	case errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &invalid):
		return Result{Outcome: Transient, Detail: "the mail server's TLS certificate was not accepted"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Result{Outcome: Transient, Detail: "the mail server refused the connection"}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return Result{Outcome: Transient, Detail: step + ": the mail server closed the connection"}
	case errors.As(err, &alertErr), errors.As(err, &record):
		return Result{Outcome: Transient, Detail: step + ": TLS with the mail server failed"}
	default:
		return Result{Outcome: Transient, Detail: step + ": the mail server could not be reached"}
	}
}

// replyText makes a server's reply safe to show: one line, at most 200 characters, without
// the password should a server echo it.
func (e *Email) replyText(s string) string {
	if e.scrubber != nil {
		s = e.scrubber.Replace(s)
	}
	return truncateRunes(oneLine(s), 200)
}
