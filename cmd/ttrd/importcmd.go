package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
)

// importUsage is printed for a malformed `ttrd import` command line.
const importUsage = `usage:
  ttrd import --admin NAME --user U [--keep-uuids] [--dry-run] FILE
      import a ttr export (FILE) into user U (id or user slug); --keep-uuids keeps the
      document's UUIDs (a UUID another user has is reported, never taken over)
  ttrd import healthchecks --admin NAME --user U --url URL --api-key KEY
                           [--keep-uuids] [--dry-run] [--ping-key KEY]
      fetch a healthchecks project's checks (through the server) into user U; --ping-key
      gives U the project's ping key so /ping/<ping_key>/<slug> URLs keep working
common flags:
  --server URL   the running ttrd (default $TTR_PUBLIC_URL, else http://127.0.0.1:8080)
The admin's password is read from TTR_ADMIN_PASSWORD or the first line of stdin; a sealed
document's passphrase from TTR_IMPORT_PASSPHRASE; the API key may be given as TTR_HC_API_KEY.
The command is a client of the server's admin API: it never opens the store.`

// importCmd is one `ttrd import` command line.
type importCmd struct {
	healthchecks bool
	server       string
	admin        string
	user         string
	keepUUIDs    bool
	dryRun       bool
	file         string
	url          string
	apiKey       string
	pingKey      string
}

// parseImportArgs reads `ttrd import …` (args after "import").
func parseImportArgs(args []string, getenv func(string) string) (importCmd, error) {
	var c importCmd
	if len(args) > 0 && args[0] == "healthchecks" {
		c.healthchecks, args = true, args[1:]
	}
	fs := flag.NewFlagSet("ttrd import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := getenv("TTR_PUBLIC_URL")
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	fs.StringVar(&c.server, "server", server, "")
	fs.StringVar(&c.admin, "admin", "", "")
	fs.StringVar(&c.user, "user", "", "")
	fs.BoolVar(&c.keepUUIDs, "keep-uuids", false, "")
	fs.BoolVar(&c.dryRun, "dry-run", false, "")
	if c.healthchecks {
		fs.StringVar(&c.url, "url", "https://healthchecks.io", "")
		fs.StringVar(&c.apiKey, "api-key", getenv("TTR_HC_API_KEY"), "")
		fs.StringVar(&c.pingKey, "ping-key", "", "")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case c.admin == "":
		return c, errors.New("--admin is required (the admin who signs in)")
	case c.user == "":
		return c, errors.New("--user is required (a user id or user slug)")
	case c.healthchecks && fs.NArg() != 0:
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.healthchecks && c.apiKey == "":
		return c, errors.New("--api-key is required (the project's read-write API key)")
	case !c.healthchecks && fs.NArg() != 1:
		return c, errors.New("give one FILE to import")
	}
	if !c.healthchecks {
		c.file = fs.Arg(0)
	}
	c.server = strings.TrimRight(c.server, "/")
	return c, nil
}

// adminClient calls the running server's admin API with an access token.
type adminClient struct {
	base  string
	token string
	hc    *http.Client
}

// signInAdmin signs in at POST /api/v1/token.
func signInAdmin(ctx context.Context, base, username, password string) (*adminClient, error) {
	c := &adminClient{base: base, hc: &http.Client{Timeout: 5 * time.Minute}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	if err := c.do(ctx, http.MethodPost, "/api/v1/token", "application/json", bytes.NewReader(body), nil, &tok); err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", username, err)
	}
	c.token = tok.AccessToken
	return c, nil
}

// do sends one request and decodes a 2xx answer into out (nil: ignored); any other answer
// is an error with the server's detail.
func (c *adminClient) do(ctx context.Context, method, path, ctype string, body io.Reader, hdr http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(b, &e) == nil && e.Detail != "" {
			return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, e.Detail)
		}
		return fmt.Errorf("%s %s: %d", method, path, res.StatusCode)
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// userID resolves --user: an id as it is, a user slug through the admin's user list.
func (c *adminClient) userID(ctx context.Context, user string) (int64, error) {
	if id, err := strconv.ParseInt(user, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID       int64  `json:"id"`
				UserSlug string `json:"user_slug"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		q := url.Values{"size": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if err := c.do(ctx, http.MethodGet, "/api/v1/admin/users?"+q.Encode(), "", nil, nil, &page); err != nil {
			return 0, err
		}
		for _, u := range page.Items {
			if u.UserSlug == user {
				return u.ID, nil
			}
		}
		if page.NextCursor == "" {
			return 0, fmt.Errorf("no user with id or user slug %q", user)
		}
		cursor = page.NextCursor
	}
}

// importReport is the server's answer to an import (docs/api.md, "Export and import").
type importReport struct {
	DryRun  bool           `json:"dry_run"`
	Summary map[string]int `json:"summary"`
	Checks  []struct {
		Slug   string   `json:"slug"`
		Name   string   `json:"name"`
		UUID   string   `json:"uuid"`
		Result string   `json:"result"`
		Detail string   `json:"detail"`
		Notes  []string `json:"notes"`
	} `json:"checks"`
	StatusPages []pageResult `json:"status_pages"`
	Channels    []struct {
		ID, Name, Kind string
	} `json:"channels_to_set_up"`
}

// pageResult is one status page's line of an import's answer.
type pageResult struct {
	Slug   string   `json:"slug"`
	Result string   `json:"result"`
	Detail string   `json:"detail"`
	Notes  []string `json:"notes"`
}

// errImportFailures is returned when some checks or status pages were not imported (exit
// status 1).
var errImportFailures = errors.New("some checks or status pages were not imported (see above)")

// Import runs `ttrd import` against the running server.
func Import(ctx context.Context, c importCmd, getenv func(string) string, stdin io.Reader, out io.Writer) error {
	pw, err := readPassword(getenv, stdin)
	if err != nil {
		return err
	}
	cl, err := signInAdmin(ctx, c.server, c.admin, pw)
	if err != nil {
		return err
	}
	id, err := cl.userID(ctx, c.user)
	if err != nil {
		return err
	}
	base := "/api/v1/admin/users/" + strconv.FormatInt(id, 10)
	var rep importReport
	if c.healthchecks {
		if c.pingKey != "" && !c.dryRun {
			body, _ := json.Marshal(map[string]string{"ping_key": c.pingKey})
			if err := cl.do(ctx, http.MethodPut, base+"/ping-key", "application/json", bytes.NewReader(body), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(out, "ping key set: /ping/<ping_key>/<slug> URLs of user %s work with it\n", c.user)
		}
		body, _ := json.Marshal(map[string]any{"url": c.url, "api_key": c.apiKey, "keep_uuids": c.keepUUIDs, "dry_run": c.dryRun})
		if err := cl.do(ctx, http.MethodPost, base+"/import/healthchecks", "application/json", bytes.NewReader(body), nil, &rep); err != nil {
			return err
		}
	} else {
		doc, err := os.ReadFile(c.file)
		if err != nil {
			return err
		}
		q := url.Values{}
		if c.keepUUIDs {
			q.Set("keep_uuids", "1")
		}
		if c.dryRun {
			q.Set("dry_run", "1")
		}
		hdr := http.Header{}
		if p := getenv("TTR_IMPORT_PASSPHRASE"); p != "" {
			hdr.Set(ttrhttp.HeaderPassphrase, p)
		}
		if err := cl.do(ctx, http.MethodPost, base+"/import?"+q.Encode(), "application/json", bytes.NewReader(doc), hdr, &rep); err != nil {
			return err
		}
	}
	printReport(out, rep)
	if rep.Summary["error"] > 0 || slices.ContainsFunc(rep.StatusPages, func(p pageResult) bool { return p.Result == "error" }) {
		return errImportFailures
	}
	return nil
}

// printReport writes one line per check and per status page (each with its notes), then the
// channels to set up and the summary.
func printReport(out io.Writer, rep importReport) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tSLUG\tUUID\tDETAIL")
	for _, c := range rep.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Result, c.Slug, c.UUID, c.Detail)
		for _, n := range c.Notes {
			fmt.Fprintf(tw, "\t\t\t%s\n", n)
		}
	}
	for _, p := range rep.StatusPages {
		fmt.Fprintf(tw, "%s\tstatus page %s\t\t%s\n", p.Result, p.Slug, p.Detail)
		for _, n := range p.Notes {
			fmt.Fprintf(tw, "\t\t\t%s\n", n)
		}
	}
	_ = tw.Flush()
	for _, ch := range rep.Channels {
		fmt.Fprintf(out, "integration to set up here: %s (%s)\n", ch.Name, ch.Kind)
	}
	mode := ""
	if rep.DryRun {
		mode = " (dry run: nothing was changed)"
	}
	fmt.Fprintf(out, "created %d, updated %d, unchanged %d, errors %d%s\n", rep.Summary["created"], rep.Summary["updated"],
		rep.Summary["unchanged"], rep.Summary["error"], mode)
}
