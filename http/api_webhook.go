package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// maxWebhookURLLen bounds a webhook URL.
const maxWebhookURLLen = 2000

// webhookRequest is the body of PUT /api/v1/checks/{id}/webhook.
type webhookRequest struct {
	// URL is absent (keep the configured URL), null or "" (clear it), or the new URL.
	URL     json.RawMessage `json:"webhook_url"`
	Enabled *bool           `json:"webhook_enabled"`
}

// putWebhook: PUT /api/v1/checks/{id}/webhook {"webhook_url": string|null, "webhook_enabled":
// bool}. A new URL is sealed under the key ring (bound to the user, check and channel) and
// enabled unless webhook_enabled says otherwise; null or "" clears it (and disables the
// channel); without webhook_url only enabled changes. The URL is never answered: the check's
// JSON shows channels.webhook.configured.
func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	var in webhookRequest
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	var (
		enabled    bool
		configEnc  []byte
		keepConfig bool
	)
	switch {
	case in.URL == nil && in.Enabled == nil:
		return invalid("give webhook_url, webhook_enabled or both")
	case in.URL == nil: // only enabled changes
		enabled, keepConfig = *in.Enabled, true
		if enabled {
			configured, err := s.channelConfigured(r, a, messages.ChannelWebhook)
			if err != nil {
				return err
			}
			if !configured {
				return invalid("webhook_enabled: no webhook_url is configured")
			}
		}
	default:
		raw, err := decodeWebhookURL(in.URL)
		if err != nil {
			return err
		}
		if raw == "" { // clear
			if in.Enabled != nil && *in.Enabled {
				return invalid("webhook_enabled cannot be true without a webhook_url")
			}
			break
		}
		enabled = in.Enabled == nil || *in.Enabled
		if s.deps.Ring == nil {
			return errors.New("set webhook: no key ring configured")
		}
		plain, err := json.Marshal(messages.ChannelConfig{URL: raw})
		if err != nil {
			return err
		}
		if configEnc, err = s.deps.Ring.Seal(plain, keyring.ChannelAD(a.user.ID, a.checkID, messages.ChannelWebhook)); err != nil {
			return err
		}
	}
	err := s.deps.Checks.SetChannel(r.Context(), a.user.ID, a.checkID, messages.ChannelWebhook, enabled, configEnc, keepConfig)
	if err != nil {
		return err
	}
	return s.writeCheck(w, r, a)
}

// decodeWebhookURL reads webhook_url: null or a string; "" means none. A URL must be http or
// https with a host, at most 2,000 characters, without spaces or control characters.
func decodeWebhookURL(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	s, err := decodeString("webhook_url", raw)
	if err != nil {
		return "", invalid("webhook_url must be a string or null")
	}
	if s == "" {
		return "", nil
	}
	if utf8.RuneCountInString(s) > maxWebhookURLLen {
		return "", invalid("webhook_url must be at most %d characters", maxWebhookURLLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", invalid("webhook_url must not contain spaces or control characters")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", invalid("webhook_url must be an http or https URL with a host")
	}
	return s, nil
}

// channelConfigured reports whether the check's channel has settings stored (404 when the
// check is not the user's).
func (s *Server) channelConfigured(r *http.Request, a apiArgs, name string) (bool, error) {
	if _, err := s.deps.Store.GetCheck(r.Context(), a.user.ID, a.checkID); err != nil {
		return false, err
	}
	chans, err := s.deps.Store.Channels(r.Context(), a.user.ID, a.checkID)
	if err != nil {
		return false, err
	}
	for _, c := range chans {
		if c.Name == name {
			return len(c.ConfigEnc) > 0, nil
		}
	}
	return false, nil
}
