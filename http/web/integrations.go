package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
)

// The integrations page (GET /checks/{id}/integrations): each channel's settings, written
// but never shown (the API answers only whether they are configured), its on/off switch, a
// test sent now with its outcome, a test queued behind the backlog, its destination's live
// rate snapshot and its last delivery. Every action is a plain form post (CSRF-checked by
// the form wrapper) that the page turns into the REST API's own call in-process
// (PUT …/{channel}, POST …/{channel}/test and …/test-queue, GET …/{channel}/rate).

// channelInput is one setting of a channel's form; name is the API's JSON name.
type channelInput struct {
	Name, Label, Type, Hint string
}

// channelForm describes one channel on the page.
type channelForm struct {
	Name   messages.ChannelKind
	Title  string
	Inputs []channelInput
}

// channelForms are the channels in the API's order (docs/api.md "Channels"); the inputs'
// names are the API's PUT fields, so a field the API renames fails the page's tests.
var channelForms = []channelForm{
	{messages.ChannelTelegram, "Telegram", []channelInput{
		{"telegram_bot_token", "Bot token", "password", "from @BotFather, e.g. 123456789:AAE…"},
		{"telegram_chat_id", "Chat id", "text", "a number (negative for groups) or @channelname"},
	}},
	{messages.ChannelSlack, "Slack", []channelInput{{"slack_webhook_url", "Incoming webhook URL", "url", "https://hooks.slack.com/services/…"}}},
	{messages.ChannelDiscord, "Discord", []channelInput{{"discord_webhook_url", "Webhook URL", "url", "https://discord.com/api/webhooks/…"}}},
	{messages.ChannelWebhook, "Webhook", []channelInput{{"webhook_url", "URL", "url", "receives a JSON POST for each alert"}}},
	{messages.ChannelEmail, "Email", []channelInput{{"email_to", "Recipient", "email", "one address"}}},
}

func channelFormOf(name messages.ChannelKind) (channelForm, bool) {
	i := slices.IndexFunc(channelForms, func(f channelForm) bool { return f.Name == name })
	if i < 0 {
		return channelForm{}, false
	}
	return channelForms[i], true
}

// channelView is one channel's section.
type channelView struct {
	channelForm
	ttrhttp.ChannelJSON
	LastAt  stamp             // LastNotificationTimestamp as shown
	Rate    *ttrhttp.RateJSON // nil when not configured, or not readable now
	RateErr string
	// The outcome of the action just taken on this channel.
	Outcome, OutcomeDetail, Error string
	Delivered                     bool
}

// integrationsData is the integrations page's data.
type integrationsData struct {
	Check    *ttrhttp.CheckJSON
	Channels []channelView
	Now      time.Time
}

// integrationsPage: GET /checks/{id}/integrations.
func (p *Pages) integrationsPage(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	return p.renderIntegrations(w, r, pr, id, http.StatusOK, "", nil)
}

// renderIntegrations renders the page; touch, when set, changes the view of one channel (an
// action's outcome or error).
func (p *Pages) renderIntegrations(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64, status int, notice string, touch func(*channelView)) error {
	base := "/api/v1/checks/" + strconv.FormatInt(id, 10)
	c, err := p.loadCheck(r, id)
	if err != nil {
		return err
	}
	d := integrationsData{Check: c, Now: p.d.Now()}
	for _, f := range channelForms {
		cv := channelView{channelForm: f, ChannelJSON: c.Channels[f.Name]}
		cv.LastAt = stampOf(cv.LastNotificationTimestamp.Time(), d.Now)
		if cv.Configured {
			rate, _, err := getValue[ttrhttp.RateJSON](p, r, base+"/"+string(f.Name)+"/rate")
			if err != nil {
				if messages.CodeOf(err) != messages.EUnavailable && messages.CodeOf(err) != messages.EConflict {
					return err
				}
				cv.RateErr = messages.MessageOf(err) // the page still works without it
			}
			cv.Rate = rate // nil after an error
		}
		if touch != nil {
			touch(&cv)
		}
		d.Channels = append(d.Channels, cv)
	}
	name := d.Check.Name
	if name == "" {
		name = d.Check.Slug
	}
	v := p.newView(w, r, pr, "Integrations of "+name)
	v.Path = "/checks/" + strconv.FormatInt(id, 10) + "/integrations"
	v.Notice = notice
	if notice == "" {
		v.Notice = integrationNotices[r.URL.Query().Get("done")]
	}
	v.Data = d
	p.render(w, r, status, "integrations", v)
	return nil
}

// integrationNotices are the notices after a redirect (?done=), by code.
var integrationNotices = map[string]string{
	"saved":    "Settings saved.",
	"removed":  "Settings removed; the channel is off.",
	"enabled":  "Channel turned on: alerts go to it.",
	"disabled": "Channel turned off: alerts no longer go to it (its settings are kept).",
	"queued":   "Test alert queued behind the channel's backlog: its delivery shows on the check page's deliveries.",
}

// integrationAction: POST /checks/{id}/integrations {channel, action, settings…}.
// Actions: save (the settings typed; a blank one keeps its stored value), remove, enable,
// disable, test (sent now; the outcome shows inline), test-queue.
func (p *Pages) integrationAction(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	f, ok := channelFormOf(messages.ChannelKind(r.PostFormValue("channel")))
	if !ok {
		return messages.Errorf(messages.EInvalid, "Unknown channel.")
	}
	base := "/api/v1/checks/" + strconv.FormatInt(id, 10) + "/" + string(f.Name)
	action := r.PostFormValue("action")
	var done string
	var err error
	switch action {
	case "save":
		body := map[string]any{}
		for _, in := range f.Inputs {
			if v := strings.TrimSpace(r.PostFormValue(in.Name)); v != "" {
				body[in.Name] = v
			}
		}
		if len(body) == 0 {
			err = messages.Errorf(messages.EInvalid, "Type the settings to save.")
			break
		}
		err = p.callOK(r, http.MethodPut, base, body)
		done = "saved"
	case "remove":
		err = p.callOK(r, http.MethodPut, base, map[string]any{f.Inputs[0].Name: nil})
		done = "removed"
	case "enable", "disable":
		err = p.callOK(r, http.MethodPut, base, map[string]any{string(f.Name) + "_enabled": action == "enable"})
		done = action + "d"
	case "test":
		var out *ttrhttp.TestSendJSON
		if out, _, err = postValue[ttrhttp.TestSendJSON](p, r, base+"/test", nil); err == nil {
			return p.renderIntegrations(w, r, pr, id, http.StatusOK, "", func(cv *channelView) {
				if cv.Name == f.Name {
					cv.Outcome, cv.OutcomeDetail, cv.Delivered = string(out.Outcome), testOutcomeText(out), out.Outcome == messages.SendDelivered
				}
			})
		}
	case "test-queue":
		err = p.callOK(r, http.MethodPost, base+"/test-queue", nil)
		done = "queued"
	default:
		return messages.Errorf(messages.EInvalid, "Unknown action.")
	}
	if err != nil {
		switch messages.CodeOf(err) {
		case messages.EInvalid, messages.EConflict, messages.ERateLimited, messages.EUnavailable:
			// The API's own words, next to the channel they are about.
			msg := messages.MessageOf(err)
			return p.renderIntegrations(w, r, pr, id, ttrhttp.StatusOf(err), "", func(cv *channelView) {
				if cv.Name == f.Name {
					cv.Error = msg
				}
			})
		}
		return err
	}
	http.Redirect(w, r, "/checks/"+strconv.FormatInt(id, 10)+"/integrations?done="+done+"#ch-"+string(f.Name), http.StatusSeeOther)
	return nil
}

// testOutcomeText words a test send's outcome.
func testOutcomeText(t *ttrhttp.TestSendJSON) string {
	var s string
	switch t.Outcome {
	case messages.SendDelivered:
		s = "Delivered."
	case messages.SendTransient:
		s = "Not delivered (a temporary failure: it may work on a retry)."
	case messages.SendPermanent:
		s = "Not delivered (the destination refused it)."
	case messages.SendRateLimited:
		s = "Not sent: the destination is rate limited."
		if t.RetryAfterSeconds != nil {
			s += " Try again in " + strconv.FormatFloat(*t.RetryAfterSeconds, 'f', 0, 64) + " s."
		}
	default:
		s = "Outcome: " + string(t.Outcome) + "."
	}
	if t.Detail != "" {
		s += " " + t.Detail
	}
	return s
}
