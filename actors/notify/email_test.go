package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ttr-rip/ttr/actors/alert"
	"github.com/ttr-rip/ttr/actors/notify"
	"github.com/ttr-rip/ttr/messages"
)

// The SMTP sink: an in-process go-smtp server whose backend records what it accepts and
// answers each command as a test asks.

type smtpSinkOptions struct {
	// startTLS offers STARTTLS with this configuration.
	startTLS *tls.Config
	// implicitTLS speaks TLS from the first byte with this configuration.
	implicitTLS *tls.Config
	// login, when set, requires AUTH PLAIN and checks the credentials.
	login func(user, pass string) error
	// mailErr, rcptErr, dataErr answer MAIL FROM, RCPT TO and the end of DATA.
	mailErr, rcptErr, dataErr error
}

type smtpSinkMessage struct {
	from string
	to   []string
	data []byte
}

type smtpSink struct {
	host string
	port int
	opts smtpSinkOptions

	mu       sync.Mutex
	messages []smtpSinkMessage
	mails    int // MAIL FROM commands seen
}

func startSMTPSink(tb testing.TB, opts smtpSinkOptions) *smtpSink {
	tb.Helper()
	s := &smtpSink{opts: opts}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSinkSession{s: s}, nil
	}))
	srv.Domain = "sink.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 5 * time.Second
	srv.WriteTimeout = 5 * time.Second
	srv.TLSConfig = opts.startTLS
	srv.AllowInsecureAuth = opts.startTLS == nil && opts.implicitTLS == nil
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if opts.implicitTLS != nil {
		l = tls.NewListener(l, opts.implicitTLS)
	}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	s.host = "127.0.0.1"
	s.port = l.Addr().(*net.TCPAddr).Port
	return s
}

func (s *smtpSink) received() ([]smtpSinkMessage, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpSinkMessage(nil), s.messages...), s.mails
}

type smtpSinkSession struct {
	s      *smtpSink
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*smtpSinkSession)(nil)

func (ss *smtpSinkSession) AuthMechanisms() []string {
	if ss.s.opts.login == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if err := ss.s.opts.login(user, pass); err != nil {
			return err
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *smtpSinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	ss.s.mails++
	ss.s.mu.Unlock()
	if ss.s.opts.login != nil && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if ss.s.opts.mailErr != nil {
		return ss.s.opts.mailErr
	}
	ss.from = from
	return nil
}

func (ss *smtpSinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.opts.rcptErr != nil {
		return ss.s.opts.rcptErr
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.opts.dataErr != nil {
		return ss.s.opts.dataErr
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, smtpSinkMessage{ss.from, ss.to, b})
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSinkSession) Logout() error { return nil }

// testCert returns a server TLS configuration for 127.0.0.1 and the pool that trusts it.
func testCert(tb testing.TB) (*tls.Config, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sink.test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// smtpConfig points at s with a fast timeout.
func smtpConfig(s *smtpSink, mode string) notify.SMTPConfig {
	return notify.SMTPConfig{
		Host: s.host, Port: s.port, TLS: mode,
		From:    "ttr alerts <alerts@ttr.example>",
		Timeout: 2 * time.Second,
		HELO:    "ttr.test",
	}
}

func newEmail(tb testing.TB, cfg notify.SMTPConfig) *notify.Email {
	tb.Helper()
	e, err := notify.NewEmail(cfg, func() time.Time { return chanNow })
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func emailDelivery(to string) notify.Delivery {
	return chatDelivery(messages.ChannelEmail, messages.ChannelConfig{EmailTo: to})
}

// parsed is a received message, decoded.
type parsed struct {
	header mail.Header
	body   string
}

func parseMessage(tb testing.TB, raw []byte) parsed {
	tb.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("message does not parse: %v\n%s", err, raw)
	}
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return parsed{m.Header, strings.ReplaceAll(string(b), "\r\n", "\n")}
}

func decodedHeader(tb testing.TB, h mail.Header, name string) string {
	tb.Helper()
	v, err := new(mime.WordDecoder).DecodeHeader(h.Get(name))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestEmailDelivered(t *testing.T) {
	s := startSMTPSink(t, smtpSinkOptions{})
	e := newEmail(t, smtpConfig(s, notify.SMTPNoTLS))

	got := e.Send(context.Background(), emailDelivery("Ops Team <ops@example.com>"))
	if got != (notify.Result{Outcome: notify.Delivered}) {
		t.Fatalf("Send = %+v, want delivered", got)
	}
	msgs, _ := s.received()
	if len(msgs) != 1 {
		t.Fatalf("sink received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.from != "alerts@ttr.example" || len(m.to) != 1 || m.to[0] != "ops@example.com" {
		t.Errorf("envelope = %s → %v", m.from, m.to)
	}
	p := parseMessage(t, m.data)
	checks := map[string]string{
		"From":                  `"ttr alerts" <alerts@ttr.example>`,
		"To":                    `"Ops Team" <ops@example.com>`,
		"Subject":               "🔴 DOWN: backup",
		"Date":                  "Wed, 04 Mar 2026 05:06:07 +0000",
		"X-Ttr-Idempotency-Key": "down:12.3:email",
		"Auto-Submitted":        "auto-generated",
	}
	for name, want := range checks {
		if v := decodedHeader(t, p.header, name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
	if id := p.header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@ttr.example>") {
		t.Errorf("Message-ID = %q, want <…@ttr.example>", id)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "UTF-8") {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, want := range []string{
		"🔴 Check Failed: [backup] reported a failure. Reason: missed deadline.",
		"Reason: missed deadline",
		"Time: 2026-03-04 05:06:07 UTC",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("body lacks %q:\n%s", want, p.body)
		}
	}
}

func TestEmailMessageIDFollowsTheKey(t *testing.T) {
	s := startSMTPSink(t, smtpSinkOptions{})
	e := newEmail(t, smtpConfig(s, notify.SMTPNoTLS))
	send := func(key string) string {
		d := emailDelivery("ops@example.com")
		d.Row.IdempotencyKey = key
		if got := e.Send(context.Background(), d); got.Outcome != notify.Delivered {
			t.Fatalf("Send = %+v", got)
		}
		msgs, _ := s.received()
		return parseMessage(t, msgs[len(msgs)-1].data).header.Get("Message-Id")
	}
	a, again, other := send("down:1.1:email"), send("down:1.1:email"), send("up:1.1:email")
	if a != again {
		t.Errorf("a resend has another Message-ID: %q, %q", a, again)
	}
	if a == other {
		t.Errorf("two alerts share the Message-ID %q", a)
	}
}

func TestEmailSubjects(t *testing.T) {
	tests := []struct {
		kind   messages.AlertKind
		status messages.CheckStatus
		want   string
	}{
		{messages.AlertDown, messages.StatusDown, "🔴 DOWN: backup"},
		{messages.AlertRealert, messages.StatusDown, "🔴 STILL DOWN: backup"},
		{messages.AlertUp, messages.StatusUp, "🟢 UP: backup"},
		{messages.AlertTest, "", "🔔 TEST: backup"},
		{messages.AlertFlapping, messages.StatusDown, "🟠 FLAPPING: backup"},
		{messages.AlertFlapEnd, messages.StatusUp, "🟢 UP: backup"},
		{messages.AlertFlapEnd, messages.StatusDown, "🔴 DOWN: backup"},
		{"future", "", "ttr: backup"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+string(tt.status), func(t *testing.T) {
			p := alert.Payload{Kind: tt.kind, Status: tt.status, CheckName: "backup", Message: "m"}
			if got := notify.EmailSubject(p); got != tt.want {
				t.Errorf("EmailSubject = %q, want %q", got, tt.want)
			}
		})
	}
	p := alert.Payload{Kind: messages.AlertDown, CheckName: "evil\r\nBcc: x@example.com", Message: "m"}
	if got := notify.EmailSubject(p); strings.ContainsAny(got, "\r\n") {
		t.Errorf("subject %q keeps a line break", got)
	}
	if got := notify.EmailSubject(alert.Payload{Kind: messages.AlertUp, CheckUUID: "u-1"}); got != "🟢 UP: u-1" {
		t.Errorf("unnamed check: %q", got)
	}
}

func TestEmailTestAlert(t *testing.T) {
	s := startSMTPSink(t, smtpSinkOptions{})
	d := emailDelivery("ops@example.com")
	d.Row.Kind, d.Row.IdempotencyKey = messages.AlertTest, "test:5f0c"
	d.Payload = alert.Build(alert.Input{CheckName: "backup", Kind: messages.AlertTest, At: chanNow})
	if got := newEmail(t, smtpConfig(s, notify.SMTPNoTLS)).Send(context.Background(), d); got.Outcome != notify.Delivered {
		t.Fatalf("Send = %+v", got)
	}
	msgs, _ := s.received()
	p := parseMessage(t, msgs[0].data)
	if v := decodedHeader(t, p.header, "Subject"); v != "🔔 TEST: backup" {
		t.Errorf("Subject = %q", v)
	}
	if !strings.Contains(p.body, "This is a test notification for your check '[backup]'.") || strings.Contains(p.body, "Reason:") {
		t.Errorf("body = %q", p.body)
	}
}

func TestEmailOutcomes(t *testing.T) {
	smtpErr := func(code int, msg string) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: msg}
	}
	tests := []struct {
		name string
		opts smtpSinkOptions
		want notify.Result
	}{
		{"550 no such user", smtpSinkOptions{rcptErr: smtpErr(550, "No such user here")},
			notify.Result{Outcome: notify.Permanent, Detail: "RCPT TO: the mail server answered 550 5.1.1 No such user here"}},
		{"450 mailbox busy", smtpSinkOptions{rcptErr: smtpErr(450, "Mailbox busy, try later")},
			notify.Result{Outcome: notify.Transient, Detail: "RCPT TO: the mail server answered 450 4.1.1 Mailbox busy, try later"}},
		{"553 sender refused", smtpSinkOptions{mailErr: smtpErr(553, "Sender not allowed")},
			notify.Result{Outcome: notify.Permanent, Detail: "MAIL FROM: the mail server answered 553 5.1.1 Sender not allowed"}},
		{"451 greylisted", smtpSinkOptions{mailErr: smtpErr(451, "Greylisted")},
			notify.Result{Outcome: notify.Transient, Detail: "MAIL FROM: the mail server answered 451 4.1.1 Greylisted"}},
		{"554 content refused", smtpSinkOptions{dataErr: smtpErr(554, "Message refused")},
			notify.Result{Outcome: notify.Permanent, Detail: "DATA: the mail server answered 554 5.1.1 Message refused"}},
		{"452 no storage", smtpSinkOptions{dataErr: smtpErr(452, "Insufficient storage")},
			notify.Result{Outcome: notify.Transient, Detail: "DATA: the mail server answered 452 4.1.1 Insufficient storage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSMTPSink(t, tt.opts)
			got := newEmail(t, smtpConfig(s, notify.SMTPNoTLS)).Send(context.Background(), emailDelivery("ops@example.com"))
			if got != tt.want {
				t.Errorf("Send = %+v,\nwant   %+v", got, tt.want)
			}
			if msgs, _ := s.received(); len(msgs) != 0 {
				t.Errorf("a refused message was stored")
			}
		})
	}
}

func TestEmailStartTLS(t *testing.T) {
	serverTLS, roots := testCert(t)
	const user, pass = "ttr", "s3cret-pa55"
	login := func(u, p string) error {
		if u == user && p == pass {
			return nil
		}
		// A careless server that echoes what it was given.
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials " + u + "/" + p}
	}

	t.Run("delivered over TLS with a login", func(t *testing.T) {
		s := startSMTPSink(t, smtpSinkOptions{startTLS: serverTLS, login: login})
		cfg := smtpConfig(s, notify.SMTPStartTLS)
		cfg.Username, cfg.Password, cfg.TLSConfig = user, pass, &tls.Config{RootCAs: roots}
		if got := newEmail(t, cfg).Send(context.Background(), emailDelivery("ops@example.com")); got != (notify.Result{Outcome: notify.Delivered}) {
			t.Fatalf("Send = %+v, want delivered", got)
		}
		if msgs, _ := s.received(); len(msgs) != 1 {
			t.Fatalf("sink received %d messages", len(msgs))
		}
	})
	t.Run("refused login is transient and hides the password", func(t *testing.T) {
		s := startSMTPSink(t, smtpSinkOptions{startTLS: serverTLS, login: login})
		cfg := smtpConfig(s, notify.SMTPStartTLS)
		cfg.Username, cfg.Password, cfg.TLSConfig = user, "wrong-password", &tls.Config{RootCAs: roots}
		got := newEmail(t, cfg).Send(context.Background(), emailDelivery("ops@example.com"))
		want := notify.Result{Outcome: notify.Transient, Detail: "login: the mail server answered 535 5.7.8 bad credentials ttr/<redacted>"}
		if got != want {
			t.Errorf("Send = %+v,\nwant   %+v", got, want)
		}
		if strings.Contains(got.Detail, "wrong-password") {
			t.Errorf("detail %q shows the password", got.Detail)
		}
	})
	t.Run("required but not offered", func(t *testing.T) {
		// Decision: transient. The mail server is the deployment's, not the user's
		// destination; the alert waits for the operator to fix it (up to RetryFor)
		// instead of being dropped, and nothing is sent in clear text meanwhile.
		s := startSMTPSink(t, smtpSinkOptions{})
		got := newEmail(t, smtpConfig(s, notify.SMTPStartTLS)).Send(context.Background(), emailDelivery("ops@example.com"))
		want := notify.Result{Outcome: notify.Transient, Detail: "the mail server does not offer STARTTLS, which is required"}
		if got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		if msgs, mails := s.received(); len(msgs) != 0 || mails != 0 {
			t.Errorf("the message went out without TLS (%d messages, %d MAIL FROM)", len(msgs), mails)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		s := startSMTPSink(t, smtpSinkOptions{startTLS: serverTLS})
		got := newEmail(t, smtpConfig(s, notify.SMTPStartTLS)).Send(context.Background(), emailDelivery("ops@example.com"))
		want := notify.Result{Outcome: notify.Transient, Detail: "the mail server's TLS certificate was not accepted"}
		if got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		if _, mails := s.received(); mails != 0 {
			t.Errorf("MAIL FROM was sent over an unverified connection")
		}
	})
	t.Run("login in clear text to localhost", func(t *testing.T) {
		// Allowed for development only to this machine (Validate refuses any other host).
		s := startSMTPSink(t, smtpSinkOptions{login: login})
		cfg := smtpConfig(s, notify.SMTPNoTLS)
		cfg.Username, cfg.Password = user, pass
		if got := newEmail(t, cfg).Send(context.Background(), emailDelivery("ops@example.com")); got != (notify.Result{Outcome: notify.Delivered}) {
			t.Errorf("Send = %+v, want delivered", got)
		}
	})
	t.Run("login required but not offered", func(t *testing.T) {
		s := startSMTPSink(t, smtpSinkOptions{startTLS: serverTLS})
		cfg := smtpConfig(s, notify.SMTPStartTLS)
		cfg.Username, cfg.Password, cfg.TLSConfig = user, pass, &tls.Config{RootCAs: roots}
		got := newEmail(t, cfg).Send(context.Background(), emailDelivery("ops@example.com"))
		if want := (notify.Result{Outcome: notify.Transient, Detail: "the mail server does not offer a login, but a username is configured"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
	})
}

func TestEmailImplicitTLS(t *testing.T) {
	serverTLS, roots := testCert(t)
	s := startSMTPSink(t, smtpSinkOptions{implicitTLS: serverTLS})
	cfg := smtpConfig(s, notify.SMTPImplicitTLS)
	cfg.TLSConfig = &tls.Config{RootCAs: roots}
	if got := newEmail(t, cfg).Send(context.Background(), emailDelivery("ops@example.com")); got != (notify.Result{Outcome: notify.Delivered}) {
		t.Fatalf("Send = %+v, want delivered", got)
	}
	if msgs, _ := s.received(); len(msgs) != 1 {
		t.Fatalf("sink received %d messages", len(msgs))
	}
}

func TestEmailInvalidAddresses(t *testing.T) {
	s := startSMTPSink(t, smtpSinkOptions{})
	e := newEmail(t, smtpConfig(s, notify.SMTPNoTLS))
	tests := map[string]string{
		"":                                    "the email channel has no address",
		"not an address":                      "the email address is not valid",
		"ops@example.com\r\nBcc: x@evil.test": "the email address is not valid",
		"a@b.com, c@d.com":                    "the email address is not valid",
		"<>":                                  "the email address is not valid",
	}
	for to, detail := range tests {
		t.Run(to, func(t *testing.T) {
			got := e.Send(context.Background(), emailDelivery(to))
			if want := (notify.Result{Outcome: notify.Permanent, Detail: detail}); got != want {
				t.Errorf("Send(%q) = %+v, want %+v", to, got, want)
			}
		})
	}
	if _, mails := s.received(); mails != 0 {
		t.Errorf("the sink saw %d MAIL FROM for invalid addresses", mails)
	}
}

func TestEmailNetworkFailures(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		host, port, _ := net.SplitHostPort(closedAddr(t))
		p, _ := strconv.Atoi(port)
		cfg := notify.SMTPConfig{Host: host, Port: p, TLS: notify.SMTPNoTLS, From: "a@ttr.example", Timeout: time.Second}
		got := newEmail(t, cfg).Send(context.Background(), emailDelivery("ops@example.com"))
		if want := (notify.Result{Outcome: notify.Transient, Detail: "the mail server refused the connection"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
	})

	// silent accepts connections and never greets.
	silent := func(t *testing.T) notify.SMTPConfig {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var conns []net.Conn
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			_ = l.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				_ = c.Close()
			}
		})
		return notify.SMTPConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: notify.SMTPNoTLS, From: "a@ttr.example", Timeout: 200 * time.Millisecond}
	}
	t.Run("timeout", func(t *testing.T) {
		start := time.Now()
		got := newEmail(t, silent(t)).Send(context.Background(), emailDelivery("ops@example.com"))
		if want := (notify.Result{Outcome: notify.Transient, Detail: "the mail server did not answer within 200ms"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Send took %s with a 200ms timeout", d)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cfg := silent(t)
		cfg.Timeout = 5 * time.Second
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		got := newEmail(t, cfg).Send(ctx, emailDelivery("ops@example.com"))
		if want := (notify.Result{Outcome: notify.Transient, Detail: "the delivery was interrupted"}); got != want {
			t.Errorf("Send = %+v, want %+v", got, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("a cancelled Send took %s", d)
		}
	})
}

func TestEmailNotConfigured(t *testing.T) {
	e, err := notify.NewEmail(notify.SMTPConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := e.Send(context.Background(), emailDelivery("ops@example.com"))
	if want := (notify.Result{Outcome: notify.Permanent, Detail: "email is not set up on this server (no SMTP server is configured)"}); got != want {
		t.Errorf("Send = %+v, want %+v", got, want)
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	ok := notify.SMTPConfig{Host: "smtp.example.com", From: "ttr <alerts@example.com>"}
	tests := []struct {
		name string
		mod  func(*notify.SMTPConfig)
		ok   bool
	}{
		{"minimal", func(*notify.SMTPConfig) {}, true},
		{"disabled", func(c *notify.SMTPConfig) { *c = notify.SMTPConfig{} }, true},
		{"settings without host", func(c *notify.SMTPConfig) { c.Host = "" }, false},
		{"no from", func(c *notify.SMTPConfig) { c.From = "" }, false},
		{"bad from", func(c *notify.SMTPConfig) { c.From = "alerts" }, false},
		{"bad mode", func(c *notify.SMTPConfig) { c.TLS = "ssl" }, false},
		{"implicit tls", func(c *notify.SMTPConfig) { c.TLS = notify.SMTPImplicitTLS }, true},
		{"bad port", func(c *notify.SMTPConfig) { c.Port = 70000 }, false},
		{"password without user", func(c *notify.SMTPConfig) { c.Password = "x" }, false},
		{"login in clear text", func(c *notify.SMTPConfig) { c.TLS, c.Username, c.Password = notify.SMTPNoTLS, "u", "p" }, false},
		{"login in clear text to localhost", func(c *notify.SMTPConfig) {
			c.Host, c.TLS, c.Username, c.Password = "localhost", notify.SMTPNoTLS, "u", "p"
		}, true},
		{"login in clear text to another loopback address", func(c *notify.SMTPConfig) {
			c.Host, c.TLS, c.Username, c.Password = "127.0.0.2", notify.SMTPNoTLS, "u", "p"
		}, false},
		{"host with a line break", func(c *notify.SMTPConfig) { c.Host = "smtp.example.com\r\nX" }, false},
		{"negative timeout", func(c *notify.SMTPConfig) { c.Timeout = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			if err := cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
			if _, err := notify.NewEmail(cfg, nil); (err == nil) != tt.ok {
				t.Fatalf("NewEmail = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestSMTPConfigLogValueHidesThePassword(t *testing.T) {
	var buf bytes.Buffer
	cfg := notify.SMTPConfig{Host: "smtp.example.com", Username: "u", Password: "hunter2", From: "a@example.com"}
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "smtp", cfg)
	if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), "smtp.host=smtp.example.com") {
		t.Errorf("log line = %s", buf.String())
	}
	if !strings.Contains(buf.String(), "smtp.port=587") {
		t.Errorf("log line lacks the default port: %s", buf.String())
	}
}
