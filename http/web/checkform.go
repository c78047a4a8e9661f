package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/messages"
)

// checkForm is the create/edit form as the browser sent it (numbers kept as typed, so a
// refused form comes back as it was).
type checkForm struct {
	Name, Slug, Desc, Tags string
	ScheduleType           messages.ScheduleType
	IntervalN, IntervalU   string
	Cron, OnCalendar, TZ   string
	GraceN, GraceU         string
	MaxRuntimeN            string
	MaxRuntimeU            string
	RealertN, RealertU     string
	NotifyAfter            string
	NotifyOnUp             bool
	ManualResume           bool
	ContentType            string // "" | present | absent
	ContentPattern         string
	ContentRegex           bool
	Methods                string // "" | POST
	FilterHTTPBody         bool
	StartKw, SuccessKw     string
	FailureKw              string
	FilterDefaultFail      bool
	FilterSubject          bool
	FilterBody             bool
	Subject, SubjectFail   string
	BadgeEnabled           bool
	ConfigVersion          string
}

// newCheckForm is the form of a new check: the API's defaults (a daily interval, an hour's
// grace, alerts on the first failure and on recovery).
func newCheckForm() checkForm {
	return checkForm{ScheduleType: messages.ScheduleInterval, IntervalN: "1", IntervalU: "days", TZ: "UTC", GraceN: "1", GraceU: "hours",
		MaxRuntimeN: "0", MaxRuntimeU: "minutes", RealertN: "0", RealertU: "hours", NotifyAfter: "1", NotifyOnUp: true,
		Cron: "0 3 * * *", OnCalendar: "*-*-* 03:00:00"}
}

// formOf fills the form from a check.
func formOf(c *ttrhttp.CheckJSON) checkForm {
	f := newCheckForm()
	f.Name, f.Slug, f.Desc, f.Tags = c.Name, c.Slug, c.Desc, strings.Join(c.Tags, " ")
	f.ScheduleType, f.TZ = c.ScheduleType, c.TZ
	span := func(secs int64) (string, string) {
		n, u := splitSpan(secs)
		return strconv.FormatInt(n, 10), u
	}
	f.IntervalN, f.IntervalU = span(c.IntervalSeconds)
	switch c.ScheduleType {
	case messages.ScheduleCron:
		f.Cron = c.Schedule
	case messages.ScheduleOnCalendar:
		f.OnCalendar = c.Schedule
	}
	f.GraceN, f.GraceU = span(c.GraceSeconds)
	f.MaxRuntimeN, f.MaxRuntimeU = span(c.MaxRuntimeSeconds)
	f.RealertN, f.RealertU = span(c.RealertIntervalSeconds)
	f.NotifyAfter = strconv.Itoa(int(c.NotifyAfterFailures))
	f.NotifyOnUp, f.ManualResume = c.NotifyOnUp, c.ManualResume
	if c.ContentRule != nil {
		f.ContentType, f.ContentPattern, f.ContentRegex = c.ContentRule.Type, c.ContentRule.Pattern, c.ContentRule.Regex
	}
	pf := c.PingFilter
	f.Methods, f.FilterHTTPBody, f.StartKw, f.SuccessKw, f.FailureKw = pf.Methods, pf.FilterHTTPBody, pf.StartKw, pf.SuccessKw, pf.FailureKw
	f.FilterDefaultFail, f.FilterSubject, f.FilterBody, f.Subject, f.SubjectFail = pf.FilterDefaultFail, pf.FilterSubject, pf.FilterBody, pf.Subject, pf.SubjectFail
	f.BadgeEnabled = c.BadgeEnabled
	f.ConfigVersion = strconv.FormatInt(c.ConfigVersion, 10)
	return f
}

// parseCheckForm reads a posted form (every field of the form: an unchecked box is false).
func parseCheckForm(v url.Values) checkForm {
	g := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	on := func(k string) bool { return v.Get(k) == "on" }
	return checkForm{
		Name: g("name"), Slug: g("slug"), Desc: v.Get("desc"), Tags: g("tags"),
		ScheduleType: messages.ScheduleType(g("schedule_type")), IntervalN: g("interval"), IntervalU: g("interval_unit"),
		Cron: g("cron"), OnCalendar: strings.TrimSpace(strings.ReplaceAll(v.Get("oncalendar"), "\r\n", "\n")), TZ: g("tz"),
		GraceN: g("grace"), GraceU: g("grace_unit"), MaxRuntimeN: g("max_runtime"), MaxRuntimeU: g("max_runtime_unit"),
		RealertN: g("realert"), RealertU: g("realert_unit"), NotifyAfter: g("notify_after_failures"),
		NotifyOnUp: on("notify_on_up"), ManualResume: on("manual_resume"),
		ContentType: g("content_type"), ContentPattern: v.Get("content_pattern"), ContentRegex: on("content_regex"),
		Methods: g("methods"), FilterHTTPBody: on("filter_http_body"), StartKw: g("start_kw"), SuccessKw: g("success_kw"),
		FailureKw: g("failure_kw"), FilterDefaultFail: on("filter_default_fail"), FilterSubject: on("filter_subject"),
		FilterBody: on("filter_body"), Subject: g("subject"), SubjectFail: g("subject_fail"),
		BadgeEnabled: on("badge_enabled"), ConfigVersion: g("config_version"),
	}
}

// fieldErrors are the problems of a form by field ("" = the form as a whole).
type fieldErrors map[string]string

// body turns the form into the JSON of a create or an edit (every writable field), or says
// which fields cannot be read. The API checks the values' rules.
func (f checkForm) body() (map[string]any, fieldErrors) {
	errs := fieldErrors{}
	span := func(field, n, u string) int64 {
		secs := unitSeconds(u)
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil || v < 0 || secs == 0 || v > (1<<53)/secs {
			errs[field] = "Enter a whole number of " + orDefault(u, "seconds") + "."
			return 0
		}
		return v * secs
	}
	b := map[string]any{
		"name": f.Name, "slug": f.Slug, "desc": f.Desc, "tags": f.Tags,
		"schedule_type": f.ScheduleType, "tz": f.TZ,
		"grace_seconds":            span("grace", f.GraceN, f.GraceU),
		"max_runtime_seconds":      span("max_runtime", f.MaxRuntimeN, f.MaxRuntimeU),
		"realert_interval_seconds": span("realert", f.RealertN, f.RealertU),
		"notify_on_up":             f.NotifyOnUp, "manual_resume": f.ManualResume,
		"methods": f.Methods, "filter_http_body": f.FilterHTTPBody, "start_kw": f.StartKw,
		"success_kw": f.SuccessKw, "failure_kw": f.FailureKw, "filter_default_fail": f.FilterDefaultFail,
		"filter_subject": f.FilterSubject, "filter_body": f.FilterBody, "subject": f.Subject,
		"subject_fail": f.SubjectFail, "badge_enabled": f.BadgeEnabled,
	}
	if f.Slug == "" {
		delete(b, "slug") // a new check's slug defaults to its uuid; an edit keeps its slug
	}
	switch f.ScheduleType {
	case messages.ScheduleInterval:
		b["interval_seconds"] = span("interval", f.IntervalN, f.IntervalU)
	case messages.ScheduleCron:
		b["schedule"] = f.Cron
	case messages.ScheduleOnCalendar:
		b["schedule"] = f.OnCalendar
	}
	if n, err := strconv.Atoi(f.NotifyAfter); err == nil {
		b["notify_after_failures"] = n
	} else {
		errs["notify_after_failures"] = "Enter a whole number."
	}
	switch f.ContentType {
	case "":
		b["content_rule"] = nil
	default:
		b["content_rule"] = map[string]any{"type": f.ContentType, "pattern": f.ContentPattern, "regex": f.ContentRegex}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return b, nil
}

// previewOf is the preview request of the form's schedule.
func (f checkForm) preview() ttrhttp.PreviewRequest {
	b := ttrhttp.PreviewRequest{ScheduleType: &f.ScheduleType, TZ: &f.TZ}
	switch f.ScheduleType {
	case messages.ScheduleCron:
		b.Schedule = &f.Cron
	case messages.ScheduleOnCalendar:
		b.Schedule = &f.OnCalendar
	default:
		if secs := unitSeconds(f.IntervalU); secs > 0 {
			if n, err := strconv.ParseInt(f.IntervalN, 10, 64); err == nil && n > 0 && n <= (1<<53)/secs {
				b.IntervalSeconds = new(n * secs)
			}
		}
	}
	return b
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// formData is the create/edit page's data.
type formData struct {
	New      bool
	ID       int64
	Action   string
	Form     checkForm
	Errors   fieldErrors
	Preview  []string // the next due times in the zone, when known
	PrevErr  string
	Units    []string
	Zones    []string
	Channels []chanCell // the check's configured channels (edited on its integrations page)
	Check    *ttrhttp.CheckJSON
	Conflict bool // the check changed since the form was read
}

// formUnits are the unit choices of the form's spans.
var formUnits = []string{"seconds", "minutes", "hours", "days"}

// commonZones are offered in the time-zone picker without JavaScript (any IANA name is
// accepted; the script offers the browser's whole list).
var commonZones = []string{"UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome",
	"Europe/Amsterdam", "Europe/Warsaw", "Europe/Kyiv", "Europe/Moscow", "Europe/Istanbul", "Africa/Cairo",
	"Africa/Johannesburg", "Africa/Lagos", "Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Singapore",
	"Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul", "Australia/Sydney", "Australia/Perth",
	"Pacific/Auckland", "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Mexico_City",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage",
	"America/Toronto", "America/Vancouver", "Pacific/Honolulu"}

// renderForm renders the create or edit page.
func (p *Pages) renderForm(w http.ResponseWriter, r *http.Request, pr *session.Principal, status int, d formData) {
	title := "New check"
	if !d.New {
		title = "Edit " + orDefault(d.Form.Name, d.Form.Slug)
	}
	v := p.newView(w, r, pr, title)
	v.Notice = doneNotices[r.URL.Query().Get("done")]
	if d.Errors[""] != "" {
		v.Error = d.Errors[""]
	} else if len(d.Errors) > 0 {
		v.Error = "The check was not saved: correct the fields marked below."
	}
	d.Units, d.Zones = formUnits, commonZones
	if d.New {
		d.Action = "/checks/new"
	} else {
		d.Action = "/checks/" + strconv.FormatInt(d.ID, 10) + "/edit"
	}
	if d.Preview == nil && d.PrevErr == "" {
		d.Preview, d.PrevErr = p.previewTimes(d.Form)
	}
	v.Data = d
	p.render(w, r, status, "checkform", v)
}

// previewTimes is the form's next due times, shown in its zone, as the API's preview computes
// them (ttrhttp.Preview: it reads nothing, so the page computes it in-process rather than
// sending the API a POST while it answers a GET).
func (p *Pages) previewTimes(f checkForm) ([]string, string) {
	out, err := ttrhttp.Preview(f.preview(), p.d.Now())
	if err != nil {
		if messages.CodeOf(err) == messages.EInvalid {
			return nil, messages.MessageOf(err)
		}
		return nil, "The preview is not available right now."
	}
	times := make([]string, 0, len(out.NextLocal))
	for _, s := range out.NextLocal {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			times = append(times, t.Format("Mon 2006-01-02 15:04:05 -07:00"))
		}
	}
	return times, ""
}

// newCheckPage: GET /checks/new.
func (p *Pages) newCheckPage(w http.ResponseWriter, r *http.Request, pr *session.Principal, _ int64) error {
	p.renderForm(w, r, pr, http.StatusOK, formData{New: true, Form: newCheckForm()})
	return nil
}

// createCheck: POST /checks/new — POST /api/v1/checks; the dashboard on success.
func (p *Pages) createCheck(w http.ResponseWriter, r *http.Request, pr *session.Principal, _ int64) error {
	f := parseCheckForm(r.PostForm)
	d := formData{New: true, Form: f}
	if r.PostFormValue("preview") != "" {
		p.renderForm(w, r, pr, http.StatusOK, d)
		return nil
	}
	body, errs := f.body()
	if errs != nil {
		d.Errors = errs
		p.renderForm(w, r, pr, http.StatusBadRequest, d)
		return nil
	}
	if err := p.callOK(r, http.MethodPost, "/api/v1/checks", body); err != nil {
		return p.formFailed(w, r, pr, d, err)
	}
	http.Redirect(w, r, "/dashboard?done=created", http.StatusSeeOther)
	return nil
}

// formFailed shows the API's refusal next to its field, or returns errors that are not the
// form's.
func (p *Pages) formFailed(w http.ResponseWriter, r *http.Request, pr *session.Principal, d formData, err error) error {
	msg := messages.MessageOf(err)
	status := http.StatusBadRequest
	switch messages.CodeOf(err) {
	case messages.EInvalid:
	case messages.EConflict:
		status = http.StatusConflict
	case messages.EPrecondition:
		status, d.Conflict = http.StatusPreconditionFailed, true
		msg = "This check was changed elsewhere (another tab, another person or the API) after you opened this form, so your changes were not saved. Open the form again to see the current settings, then make your changes there."
		d.Errors = fieldErrors{"": msg}
		p.renderForm(w, r, pr, status, d)
		return nil
	case messages.ERateLimited:
		status = http.StatusTooManyRequests
	default:
		return err
	}
	field := fieldOfError(msg)
	d.Errors = fieldErrors{field: msg}
	p.renderForm(w, r, pr, status, d)
	return nil
}

// editCheckPage: GET /checks/{id}/edit.
func (p *Pages) editCheckPage(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	c, err := p.loadCheck(r, id)
	if err != nil {
		return err
	}
	p.renderForm(w, r, pr, http.StatusOK, formData{ID: id, Form: formOf(c), Check: c, Channels: channelCells(c, p.d.Now())})
	return nil
}

// updateCheck: POST /checks/{id}/edit — PATCH /api/v1/checks/{id} with If-Match: the version
// the form was read at, so an edit made meanwhile is reported, never overwritten.
func (p *Pages) updateCheck(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	f := parseCheckForm(r.PostForm)
	c, err := p.loadCheck(r, id)
	if err != nil {
		return err
	}
	d := formData{ID: id, Form: f, Check: c, Channels: channelCells(c, p.d.Now())}
	if r.PostFormValue("preview") != "" {
		p.renderForm(w, r, pr, http.StatusOK, d)
		return nil
	}
	body, errs := f.body()
	if errs != nil {
		d.Errors = errs
		p.renderForm(w, r, pr, http.StatusBadRequest, d)
		return nil
	}
	if _, err := strconv.ParseInt(f.ConfigVersion, 10, 64); err != nil {
		d.Errors = fieldErrors{"": "The form is missing the check's version: open it again."}
		p.renderForm(w, r, pr, http.StatusBadRequest, d)
		return nil
	}
	if err := p.callOK(r, http.MethodPatch, "/api/v1/checks/"+strconv.FormatInt(id, 10), body, "If-Match", `"`+f.ConfigVersion+`"`); err != nil {
		return p.formFailed(w, r, pr, d, err)
	}
	http.Redirect(w, r, "/dashboard?done=saved", http.StatusSeeOther)
	return nil
}

// deleteCheckPage: GET /checks/{id}/delete — the confirmation.
func (p *Pages) deleteCheckPage(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	c, err := p.loadCheck(r, id)
	if err != nil {
		return err
	}
	v := p.newView(w, r, pr, "Delete check")
	v.Data = struct {
		Check *ttrhttp.CheckJSON
		Next  string
	}{c, localPath(r.URL.Query().Get("next"), "/dashboard")}
	p.render(w, r, http.StatusOK, "checkdelete", v)
	return nil
}
