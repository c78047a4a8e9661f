package http

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/actors/ssrf"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Limits of channel settings.
const (
	maxChannelURLLen = 2000
	maxEmailLen      = 254 // RFC 5321's limit on a forward path
)

// channelField is one setting in a channel's PUT body. Every field of every channel is
// required for the channel to work, so clearing any one of them (null or "") clears the
// channel's settings as a whole.
type channelField struct {
	name string                                // JSON name, e.g. "telegram_bot_token"
	ptr  func(*messages.ChannelConfig) *string // where it lives in the sealed settings
	// parse validates a non-empty value and returns what to store. Its errors never quote
	// the value: it is a secret.
	parse func(name, v string) (string, error)
}

// channelSpec is one channel's PUT body: its settings and its "<channel>_enabled" flag.
type channelSpec struct {
	name    messages.ChannelKind
	enabled string
	fields  []channelField
}

// channelSpecs are the channels (docs/api.md#channels); apiChannels lists the same names.
var channelSpecs = []channelSpec{
	{name: messages.ChannelTelegram, enabled: "telegram_enabled", fields: []channelField{
		{"telegram_bot_token", func(c *messages.ChannelConfig) *string { return &c.BotToken }, parseBotToken},
		{"telegram_chat_id", func(c *messages.ChannelConfig) *string { return &c.ChatID }, parseChatID},
	}},
	{name: messages.ChannelSlack, enabled: "slack_enabled", fields: []channelField{
		{"slack_webhook_url", func(c *messages.ChannelConfig) *string { return &c.URL }, parseChannelURL},
	}},
	{name: messages.ChannelDiscord, enabled: "discord_enabled", fields: []channelField{
		{"discord_webhook_url", func(c *messages.ChannelConfig) *string { return &c.URL }, parseChannelURL},
	}},
	{name: messages.ChannelWebhook, enabled: "webhook_enabled", fields: []channelField{
		{"webhook_url", func(c *messages.ChannelConfig) *string { return &c.URL }, parseChannelURL},
	}},
	{name: messages.ChannelEmail, enabled: "email_enabled", fields: []channelField{
		{"email_to", func(c *messages.ChannelConfig) *string { return &c.EmailTo }, parseEmail},
	}},
}

// channelSpecOf returns the spec of a channel name.
func channelSpecOf(name messages.ChannelKind) (channelSpec, bool) {
	i := slices.IndexFunc(channelSpecs, func(s channelSpec) bool { return s.name == name })
	if i < 0 {
		return channelSpec{}, false
	}
	return channelSpecs[i], true
}

// names lists the spec's settings.
func (sp channelSpec) names() []string {
	names := make([]string, len(sp.fields))
	for i, f := range sp.fields {
		names[i] = f.name
	}
	return names
}

// fieldNames lists the spec's settings for messages: "a", "a and b".
func (sp channelSpec) fieldNames() string {
	names := sp.names()
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// missing returns the first setting cfg lacks ("" when it has them all).
func (sp channelSpec) missing(cfg *messages.ChannelConfig) string {
	for _, f := range sp.fields {
		if *f.ptr(cfg) == "" {
			return f.name
		}
	}
	return ""
}

// errUndecryptable answers a change that needs stored settings the key ring cannot open
// (their key was removed, or they were damaged).
var errUndecryptable = messages.Errorf(messages.EConflict, "stored settings cannot be decrypted; set every field again")

// channelChange is one setting of a PUT body: absent, a value to set, or a clear ("").
type channelChange struct {
	given bool
	value string
}

// channelRequest is a decoded PUT body; changes are in the order of the spec's fields.
type channelRequest struct {
	changes []channelChange
	enabled *bool
}

// channelPlan is the SetChannel call a PUT makes.
type channelPlan struct {
	enabled bool
	config  *messages.ChannelConfig // the settings to seal; nil = none (cleared, or kept)
	keep    bool                    // only enabled changes
}

// putChannel: PUT /api/v1/checks/{id}/{channel}. Each field of the body is optional: a
// string sets a setting, null (or "") clears the channel's settings and disables it, and
// "<channel>_enabled" alone toggles the channel. Settings given are merged with the stored
// ones (so one of Telegram's two may change alone), validated, sealed under the key ring
// bound to the user, check and channel, and handed to the check's actor whole. A channel
// configured for the first time is enabled unless the body says otherwise; later changes
// of its settings leave enabled as it was. Secrets are never answered: the answer is the
// check's JSON, whose channels object says only whether a channel is configured.
func (s *Server) putChannel(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	spec, ok := channelSpecOf(a.channel)
	if !ok { // the dispatcher only routes known channels
		return messages.ErrNotFound
	}
	req, err := s.decodeChannelBody(w, r, spec)
	if err != nil {
		return err
	}
	ctx := r.Context()
	_, cur, err := s.loadChannel(ctx, a)
	if err != nil {
		return err
	}
	if spec.name == messages.ChannelEmail && !s.cfg.EmailEnabled && req.setsOrEnables() {
		return errNoSMTP // before anything else: no other setting would make it work
	}
	plan, err := planChannel(spec, req, cur, func() (messages.ChannelConfig, error) {
		return s.openChannel(ctx, a, cur)
	})
	if err != nil {
		return err
	}
	if err := s.usable(spec, plan); err != nil {
		return err
	}
	var configEnc []byte
	if plan.config != nil {
		if configEnc, err = s.sealChannel(a, *plan.config); err != nil {
			return err
		}
	}
	if err := s.deps.Checks.SetChannel(ctx, a.user.ID, a.checkID, spec.name, plan.enabled, configEnc, plan.keep); err != nil {
		return err
	}
	return s.writeCheck(w, r, a)
}

// usable refuses settings this server could never deliver to, instead of storing them and
// failing every alert: an email channel set or enabled on a server without SMTP settings, and
// a URL whose host is an address (or localhost) that deliveries may not reach. A host name is
// left to the delivery, which checks what it resolves to.
func (s *Server) usable(spec channelSpec, plan channelPlan) error {
	return channelUsable(s.cfg, spec, plan)
}

// channelUsable is usable under the edge's configuration cfg (the import service shares it).
func channelUsable(cfg Config, spec channelSpec, plan channelPlan) error {
	if spec.name == messages.ChannelEmail && !cfg.EmailEnabled && (plan.enabled || plan.config != nil) {
		return errNoSMTP
	}
	if plan.config == nil || plan.config.URL == "" {
		return nil
	}
	u, err := url.Parse(plan.config.URL)
	if err != nil { // parseChannelURL accepted it already
		return invalid("%s must be an http or https URL with a host", spec.fields[0].name)
	}
	if refused, ok := ssrf.HostAllowed(u.Hostname(), cfg.WebhookAllowNets); !ok {
		host := u.Hostname()
		if a, err := netip.ParseAddr(host); err != nil || a != refused {
			host += " (" + refused.String() + ")"
		}
		return invalid("%s: alerts may not be sent to %s: it is not a public address, and "+
			"--webhook-allow-nets does not allow it", spec.fields[0].name, host)
	}
	return nil
}

// errNoSMTP refuses an email channel on a server that cannot send email.
var errNoSMTP = invalid("email alerts are not available on this server: it has no SMTP settings " +
	"(an operator sets them with --smtp-host and --smtp-from, or TTR_SMTP_HOST and TTR_SMTP_FROM)")

// setsOrEnables reports whether the request gives a setting a value or enables the channel
// (rather than only clearing or disabling it).
func (req channelRequest) setsOrEnables() bool {
	if req.enabled != nil && *req.enabled {
		return true
	}
	return slices.ContainsFunc(req.changes, func(c channelChange) bool { return c.given && c.value != "" })
}

// decodeChannelBody reads a channel's PUT body: an object of the spec's names only.
func (s *Server) decodeChannelBody(w http.ResponseWriter, r *http.Request, spec channelSpec) (channelRequest, error) {
	var body map[string]json.RawMessage
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &body); err != nil {
		return channelRequest{}, err
	}
	if body == nil {
		return channelRequest{}, invalid("request body must be a JSON object")
	}
	req := channelRequest{changes: make([]channelChange, len(spec.fields))}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first error reported does not depend on map order
	for _, k := range keys {
		raw := body[k]
		if k == spec.enabled {
			v, err := decodeBool(k, raw)
			if err != nil {
				return channelRequest{}, err
			}
			req.enabled = &v
			continue
		}
		i := slices.IndexFunc(spec.fields, func(f channelField) bool { return f.name == k })
		if i < 0 {
			return channelRequest{}, invalid("unknown field %q", truncateRunes(k, 64))
		}
		v, err := decodeChannelValue(spec.fields[i], raw)
		if err != nil {
			return channelRequest{}, err
		}
		req.changes[i] = channelChange{given: true, value: v}
	}
	return req, nil
}

// decodeChannelValue reads one setting: null or "" ("" returned: clear) or a valid value.
func decodeChannelValue(f channelField, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", invalid("%s must be a string or null", f.name)
	}
	v, err := decodeString(f.name, raw)
	if err != nil || v == "" {
		return "", err
	}
	return f.parse(f.name, v)
}

// planChannel decides what a PUT does to a channel whose stored row is cur. open returns
// cur's settings (errUndecryptable when they cannot be opened); it is called only when the
// result depends on them.
func planChannel(spec channelSpec, req channelRequest, cur messages.Channel, open func() (messages.ChannelConfig, error)) (channelPlan, error) {
	stored := len(cur.ConfigEnc) > 0
	var given, set int
	cleared := ""
	for i, c := range req.changes {
		if !c.given {
			continue
		}
		given++
		if c.value != "" {
			set++
		} else if cleared == "" {
			cleared = spec.fields[i].name
		}
	}
	switch {
	case given == 0 && req.enabled == nil:
		return channelPlan{}, invalid("give at least one of %s, %s", strings.Join(spec.names(), ", "), spec.enabled)

	case given == 0: // toggle only
		if !*req.enabled {
			return channelPlan{enabled: false, keep: true}, nil
		}
		notConfigured := invalid("%s: %s is not configured (set %s first)", spec.enabled, spec.name, spec.fieldNames())
		if !stored {
			return channelPlan{}, notConfigured
		}
		cfg, err := open() // enabling settings that cannot be used would fail every alert
		if err != nil {
			return channelPlan{}, err
		}
		if spec.missing(&cfg) != "" {
			return channelPlan{}, notConfigured
		}
		return channelPlan{enabled: true, keep: true}, nil

	case cleared != "":
		if req.enabled != nil && *req.enabled {
			return channelPlan{}, invalid("%s cannot be true when %s is cleared", spec.enabled, cleared)
		}
		return channelPlan{enabled: false}, nil
	}

	var cfg messages.ChannelConfig
	if set < len(spec.fields) { // keep the stored settings this body does not give
		if !stored {
			for i, c := range req.changes {
				if !c.given {
					return channelPlan{}, invalid("%s is required (%s is not configured yet)", spec.fields[i].name, spec.name)
				}
			}
		}
		prev, err := open()
		if err != nil {
			return channelPlan{}, err
		}
		for _, f := range spec.fields { // only this channel's settings survive a merge
			*f.ptr(&cfg) = *f.ptr(&prev)
		}
	}
	for i, c := range req.changes {
		if c.given {
			*spec.fields[i].ptr(&cfg) = c.value
		}
	}
	if m := spec.missing(&cfg); m != "" {
		return channelPlan{}, invalid("%s is required", m)
	}
	enabled := !stored || cur.Enabled
	if req.enabled != nil {
		enabled = *req.enabled
	}
	return channelPlan{enabled: enabled, config: &cfg}, nil
}

// loadChannel reads the user's check (ENotFound when it is not theirs) and the stored row
// of a.channel (a zero row with only its name when the channel was never set).
func (s *Server) loadChannel(ctx context.Context, a apiArgs) (messages.Check, messages.Channel, error) {
	c, chans, err := s.loadCheck(ctx, a.user.ID, a.checkID)
	if err != nil {
		return messages.Check{}, messages.Channel{}, err
	}
	for _, ch := range chans {
		if ch.Name == a.channel {
			return c, ch, nil
		}
	}
	return c, messages.Channel{CheckID: a.checkID, UserID: a.user.ID, Name: a.channel}, nil
}

// openChannel opens a channel's stored settings: errUndecryptable when the key ring cannot
// (logged here, since the client only learns that it must set them again).
func (s *Server) openChannel(ctx context.Context, a apiArgs, ch messages.Channel) (messages.ChannelConfig, error) {
	return openChannel(ctx, s.deps.Ring, s.log, a, ch)
}

// openChannel is Server.openChannel with its key ring and logger named (the import service
// shares it).
func openChannel(ctx context.Context, ring *keyring.Ring, log *slog.Logger, a apiArgs, ch messages.Channel) (messages.ChannelConfig, error) {
	if ring == nil {
		return messages.ChannelConfig{}, errors.New("open channel settings: no key ring configured")
	}
	var cfg messages.ChannelConfig
	plain, err := ring.Open(ch.ConfigEnc, keyring.ChannelAD(a.user.ID, a.checkID, string(ch.Name)))
	if err == nil {
		err = json.Unmarshal(plain, &cfg)
	}
	if err != nil {
		log.WarnContext(ctx, "channel settings cannot be decrypted",
			"request_id", RequestIDFrom(ctx), "check_id", a.checkID, "channel", ch.Name, "err", err)
		return messages.ChannelConfig{}, errUndecryptable
	}
	return cfg, nil
}

// sealChannel seals a channel's settings for its row.
func (s *Server) sealChannel(a apiArgs, cfg messages.ChannelConfig) ([]byte, error) {
	return sealChannel(s.deps.Ring, a, cfg)
}

// sealChannel is Server.sealChannel with its key ring named (the import service shares it).
func sealChannel(ring *keyring.Ring, a apiArgs, cfg messages.ChannelConfig) ([]byte, error) {
	if ring == nil {
		return nil, errors.New("seal channel settings: no key ring configured")
	}
	plain, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return ring.Seal(plain, keyring.ChannelAD(a.user.ID, a.checkID, string(a.channel)))
}

// parseChannelURL accepts an http or https URL with a host, at most 2,000 characters,
// without spaces or control characters (Slack, Discord, webhook). Where it may point is
// decided when delivering, after DNS resolution (SSRF).
func parseChannelURL(name, s string) (string, error) {
	if utf8.RuneCountInString(s) > maxChannelURLLen {
		return "", invalid("%s must be at most %d characters", name, maxChannelURLLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", invalid("%s must not contain spaces or control characters", name)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", invalid("%s must be an http or https URL with a host", name)
	}
	return s, nil
}

// botTokenRe is the shape of a Telegram bot token: the bot's id, a colon, a secret.
var botTokenRe = regexp.MustCompile(`^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$`)

func parseBotToken(name, s string) (string, error) {
	if !botTokenRe.MatchString(s) {
		return "", invalid("%s must look like 123456789:AAE… (digits, a colon, 20 to 100 letters, digits, _ or -)", name)
	}
	return s, nil
}

// chatUsernameRe is a public channel's @username (Telegram: 5 to 32 characters).
var chatUsernameRe = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{4,31}$`)

// parseChatID accepts a numeric chat id (negative for groups and channels) or @channelname.
func parseChatID(name, s string) (string, error) {
	if chatUsernameRe.MatchString(s) {
		return s, nil
	}
	digits := strings.TrimPrefix(s, "-")
	if digits != "" && digits[0] != '0' && onlyBytes(digits, isDigit) {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return s, nil
		}
	}
	return "", invalid("%s must be an integer chat id (negative for groups) or @channelname", name)
}

// parseEmail accepts one address as net/mail reads it ("a@example.com" or
// "Name <a@example.com>") and stores only the address.
func parseEmail(name, s string) (string, error) {
	if utf8.RuneCountInString(s) > maxEmailLen {
		return "", invalid("%s must be at most %d characters", name, maxEmailLen)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || !strings.Contains(addr.Address, "@") {
		return "", invalid("%s must be a single email address", name)
	}
	return addr.Address, nil
}
