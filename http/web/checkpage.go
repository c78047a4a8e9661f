package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/web/runchart"
	"github.com/ttr-rip/ttr/messages"
)

// The check page (GET /checks/{id}): how to ping the check, its status, its ping log with
// run durations and body previews, its flips and deliveries, a chart of its last runs and,
// while its badge is on, the badge's snippets. Everything is read through the REST API
// in-process (apicall.go), so another user's check is the API's 404.

// Sizes of the check page's lists.
const (
	chartPings    = 1000 // the pings read to pair runs for the chart (the API's maximum)
	chartRuns     = 100  // runs in the chart
	logRows       = 50   // rows of the ping log shown
	previewBodies = 10   // newest bodies previewed (one in-process read each)
	previewRunes  = 160  // characters of a body preview
	historyRows   = 20   // flips and deliveries shown
)

// stamp is a time as the pages show it: absolute (UTC, also machine-readable) and relative.
type stamp struct {
	Zero     bool
	ISO, Abs string
	Rel      string
}

func stampOf(t, now time.Time) stamp {
	if t.IsZero() {
		return stamp{Zero: true, Rel: "never"}
	}
	return stamp{ISO: t.UTC().Format(time.RFC3339), Abs: t.UTC().Format("2006-01-02 15:04:05 UTC"), Rel: relTime(t, now)}
}

// runRow is one run of the chart's table.
type runRow struct {
	N               int64
	Ended, Duration string
	Failed          bool
}

// flipRow and deliveryRow are the history tables' rows.
type flipRow struct {
	ttrhttp.FlipJSON
	When stamp
}

type deliveryRow struct {
	ttrhttp.DeliveryJSON
	Created, Delivered stamp
}

// pingRow is one row of the page's ping log.
type pingRow struct {
	ttrhttp.PingJSON
	When     stamp
	Duration string // the run this ping ended, "" when it ended none
	Preview  string // the start of the body ("" when none or not read)
	Binary   bool   // the body is not text
}

// snippet is one copyable block (its id names it for the copy button).
type snippet struct {
	ID, Label, Text string
}

// checkPageData is the check page's data.
type checkPageData struct {
	Check                           *ttrhttp.CheckJSON
	Status                          string // the displayed status (started and late derived)
	Now                             time.Time
	PingURL                         string // the URL the snippets use
	Snippets                        []snippet
	Badge                           []snippet // the badge's snippets while it is on
	LastPing, NextDeadline, Created stamp
	LastDuration                    string // "" when unknown
	Schedule                        string
	Pings                           []pingRow
	MorePings                       bool
	Flips                           []flipRow
	Deliveries                      []deliveryRow
	Chart                           template.HTML // the SVG ("" without runs)
	Runs                            []runchart.Run
	RunsNewest                      []runRow // the chart's text alternative
	Summary                         string
}

// checkPage: GET /checks/{id}.
func (p *Pages) checkPage(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	return p.renderCheckPage(w, r, pr, id, http.StatusOK, "", "")
}

func (p *Pages) renderCheckPage(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64, status int, notice, errMsg string) error {
	base := "/api/v1/checks/" + strconv.FormatInt(id, 10)
	c, err := p.loadCheck(r, id)
	if err != nil {
		return err
	}
	d := checkPageData{Check: c}
	pings, _, err := getValue[ttrhttp.PingLogJSON](p, r, base+"/pings?limit="+strconv.Itoa(chartPings))
	if err != nil {
		return err
	}
	flips, _, err := getValue[ttrhttp.FlipLogJSON](p, r, base+"/flips?limit="+strconv.Itoa(historyRows))
	if err != nil {
		return err
	}
	deliveries, _, err := getValue[ttrhttp.DeliveryLogJSON](p, r, base+"/deliveries?limit="+strconv.Itoa(historyRows))
	if err != nil {
		return err
	}
	d.Now = p.d.Now()
	d.Status = string(displayStatus(c))
	d.LastPing, d.NextDeadline, d.Created = stampOf(c.LastPing.Time(), d.Now), stampOf(c.NextDeadline.Time(), d.Now), stampOf(c.CreatedAt.Time(), d.Now)
	if c.LastDurationSeconds != nil {
		d.LastDuration = runchart.Format(time.Duration(*c.LastDurationSeconds * float64(time.Second)))
	}
	d.Schedule = scheduleText(c.ScheduleType, c.Schedule, c.TZ, c.IntervalSeconds) + ", grace " + spanText(c.GraceSeconds)
	for _, f := range flips.Flips {
		d.Flips = append(d.Flips, flipRow{FlipJSON: f, When: stampOf(f.At.Time(), d.Now)})
	}
	for _, dl := range deliveries.Deliveries {
		d.Deliveries = append(d.Deliveries, deliveryRow{DeliveryJSON: dl, Created: stampOf(dl.CreatedAt.Time(), d.Now), Delivered: stampOf(dl.DeliveredAt.Time(), d.Now)})
	}

	// Runs, oldest first, from the whole read; the log shows the newest rows.
	asc := make([]runchart.Ping, len(pings.Pings))
	for i, pg := range pings.Pings {
		rid := ""
		if pg.RID != nil {
			rid = *pg.RID
		}
		asc[len(asc)-1-i] = runchart.Ping{N: pg.N, At: pg.At.Time(), Kind: pg.Kind, RID: rid}
	}
	runs := runchart.Runs(asc)
	ended := make(map[int64]time.Duration, len(runs))
	for _, run := range runs {
		ended[run.EndN] = run.Duration
	}
	d.Runs = runchart.Last(runs, chartRuns)
	d.Chart = template.HTML(runchart.SVG(d.Runs, "runchart")) // built from numbers and escaped text
	d.Summary = runchart.Summarize(d.Runs).Text()
	for i := len(d.Runs) - 1; i >= 0; i-- {
		run := d.Runs[i]
		d.RunsNewest = append(d.RunsNewest, runRow{N: run.EndN, Ended: run.End.UTC().Format("2006-01-02 15:04:05 UTC"), Duration: runchart.Format(run.Duration), Failed: run.Failed})
	}

	rows := pings.Pings
	if len(rows) > logRows {
		rows, d.MorePings = rows[:logRows], true
	}
	previews := 0
	for _, pg := range rows {
		row := pingRow{PingJSON: pg, When: stampOf(pg.At.Time(), d.Now)}
		if dur, ok := ended[pg.N]; ok {
			row.Duration = runchart.Format(dur)
		}
		if pg.BodyURL != nil && previews < previewBodies {
			previews++
			a, err := p.call(r, http.MethodGet, *pg.BodyURL, nil)
			if err != nil {
				return err
			}
			if a.status == http.StatusOK {
				row.Preview, row.Binary = preview(a.body, previewRunes)
			}
		}
		d.Pings = append(d.Pings, row)
	}

	d.PingURL = d.Check.PingURL
	if !pr.User.SlugPings {
		d.PingURL = d.Check.HCPingURL // slug URLs are turned off for this account
	}
	d.Snippets = pingSnippets(d.Check, d.PingURL)
	if u := d.Check.BadgeURLs; u != nil {
		d.Badge = badgeSnippets(d.Check.Name, u.SVG, u.JSON, u.Shields)
	}
	title := d.Check.Name
	if title == "" {
		title = d.Check.Slug
	}
	v := p.newView(w, r, pr, title)
	v.Path = "/checks/" + strconv.FormatInt(id, 10) // also after a form post to an action path
	v.Notice, v.Error = notice, errMsg
	if notice == "" {
		v.Notice = checkNotices[r.URL.Query().Get("done")]
	}
	v.Data = d
	p.render(w, r, status, "check", v)
	return nil
}

// preview returns the start of a body as text (binary true, text "" when it is not UTF-8).
func preview(body []byte, n int) (string, bool) {
	if !utf8.Valid(body) {
		return "", true
	}
	s := string(body)
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	return string([]rune(s)[:n]) + "…", false
}

// curlCmd is the curl invocation of every snippet: quiet but failing loudly, bounded, retried.
const curlCmd = "curl -fsS -m 10 --retry 5 -o /dev/null "

// pingSnippets are the ways to ping the check at pingURL: curl, crontab, runitor, systemd and
// PowerShell. A URL is made of the public URL, slugs (a-z 0-9 _ -) and a UUID, so it needs
// no quoting in a shell, a unit file or PowerShell.
func pingSnippets(c *ttrhttp.CheckJSON, pingURL string) []snippet {
	cron := "0 3 * * *"
	cronNote := "# adjust the schedule: this check expects " + scheduleText(c.ScheduleType, c.Schedule, c.TZ, c.IntervalSeconds) + "\n"
	if c.ScheduleType == messages.ScheduleCron {
		cron, cronNote = strings.Join(strings.Fields(c.Schedule), " "), ""
		if c.TZ != "" && c.TZ != "UTC" {
			cronNote = "CRON_TZ=" + c.TZ + "\n"
		}
	}
	name := c.Slug
	hcBase, uuid := c.HCPingURL, c.UUID
	apiURL := strings.TrimSuffix(hcBase, "/"+uuid)
	return []snippet{
		{"snip-curl", "curl (success)", curlCmd + pingURL},
		{"snip-cron", "crontab: /start before the job, its exit status after it",
			cronNote + cron + " " + curlCmd + pingURL + "/start; /path/to/job.sh; " + curlCmd + pingURL + "/$?"},
		{"snip-runitor", "runitor (start, exit status and output)",
			"runitor -api-url " + apiURL + " -uuid " + uuid + " -- /path/to/job.sh"},
		{"snip-systemd", "systemd: OnFailure reports a failed run",
			"# /etc/systemd/system/" + name + ".service\n" +
				"[Unit]\nOnFailure=" + name + "-failed.service\n\n" +
				"[Service]\nType=oneshot\n" +
				"ExecStartPre=-/usr/bin/" + curlCmd + pingURL + "/start\n" +
				"ExecStart=/path/to/job.sh\n" +
				"ExecStartPost=-/usr/bin/" + curlCmd + pingURL + "\n\n" +
				"# /etc/systemd/system/" + name + "-failed.service\n" +
				"[Service]\nType=oneshot\n" +
				"ExecStart=/usr/bin/" + curlCmd + pingURL + "/fail"},
		{"snip-powershell", "PowerShell: start, run, report the exit code",
			"Invoke-RestMethod -TimeoutSec 10 -Uri " + pingURL + "/start\n" +
				"& C:\\jobs\\job.ps1\n" +
				"Invoke-RestMethod -TimeoutSec 10 -Uri \"" + pingURL + "/$LASTEXITCODE\""},
	}
}

// badgeSnippets are the badge's Markdown, HTML and URLs; the name is the alt text.
func badgeSnippets(name, svg, jsonURL, shields string) []snippet {
	alt := name + " status"
	if name == "" {
		alt = "check status"
	}
	// Markdown's backslash escapes keep the name text (a bracket would end the alt text, an
	// angle bracket could start inline HTML).
	md := strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`).Replace(alt)
	return []snippet{
		{"badge-md", "Markdown", "![" + md + "](" + svg + ")"},
		{"badge-html", "HTML", `<img src="` + template.HTMLEscapeString(svg) + `" alt="` + template.HTMLEscapeString(alt) + `">`},
		{"badge-url", "SVG URL", svg},
		{"badge-json", "JSON URL", jsonURL},
		{"badge-shields", "shields.io endpoint", "https://img.shields.io/endpoint?url=" + url.QueryEscape(shields)},
	}
}

// badgeAction: POST /checks/{id}/badge {action: enable|disable|rotate}.
func (p *Pages) badgeAction(w http.ResponseWriter, r *http.Request, pr *session.Principal, id int64) error {
	base := "/api/v1/checks/" + strconv.FormatInt(id, 10)
	action := r.PostFormValue("action")
	var err error
	switch action {
	case "enable":
		err = p.callOK(r, http.MethodPatch, base, map[string]bool{"badge_enabled": true})
	case "disable":
		err = p.callOK(r, http.MethodPatch, base, map[string]bool{"badge_enabled": false})
	case "rotate":
		err = p.callOK(r, http.MethodPost, base+"/rotate-badge", nil)
	default:
		return messages.Errorf(messages.EInvalid, "Unknown badge action.")
	}
	if err != nil {
		if messages.CodeOf(err) == messages.EConflict || messages.CodeOf(err) == messages.EInvalid {
			return p.renderCheckPage(w, r, pr, id, ttrhttp.StatusOf(err), "", messages.MessageOf(err))
		}
		return err
	}
	// Post, redirect, get: a reload does not rotate again.
	http.Redirect(w, r, "/checks/"+strconv.FormatInt(id, 10)+"?done=badge-"+action+"#badge", http.StatusSeeOther)
	return nil
}

// checkNotices are the check page's notices after a redirect (?done=), by code: a query
// parameter never puts its own words on the page.
var checkNotices = map[string]string{
	"badge-enable":  "The badge is on: paste a snippet below where it should show.",
	"badge-disable": "The badge is off: its address now shows the grey “unknown” badge.",
	"badge-rotate":  "The badge has a new address: the old one now shows the grey “unknown” badge. Update the places that show it.",
}
