package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/messages"
)

// The account page's export and import (its "Export and import" section, and the import
// page that shows a dry run before anything changes). The work is the edge's Transfer
// service, the one behind /api/v1/checks/export and /import; these handlers only read forms
// and render its reports.
//
// Between the dry run and the confirmation nothing is kept on the server: a browser cannot
// fill a file input again, so the preview page carries the document itself (compacted JSON,
// no line breaks, which a form would rewrite) in a hidden field, with a confirmation token
// sealed under the server's key ring. The token holds the document's SHA-256, the passphrase
// or the healthchecks API key, and an expiry, and it is bound (as additional data) to the
// user and the browser's session: the confirmation imports exactly the document previewed,
// by the same session, within 30 minutes, and the page never shows a passphrase or an API
// key in the clear. Stateless, so any node of a cluster can take the confirmation, and
// bounded by the import's own body limit.

// Transfer is the export and import service (ttrhttp.Transfer implements it).
type Transfer interface {
	Export(ctx context.Context, u messages.User, passphrase string) (transfer.Document, error)
	ImportDocument(ctx context.Context, u messages.User, doc transfer.Document, passphrase string, opt ttrhttp.ImportOptions) (ttrhttp.ImportReport, error)
	ImportHealthchecks(ctx context.Context, u messages.User, in ttrhttp.HCImportRequest, operator bool) (ttrhttp.ImportReport, error)
	DocumentLimit() int64
	HCServers() []string
}

var _ Transfer = (*ttrhttp.Transfer)(nil)

// Confirmation tokens.
const (
	confirmTTL   = 30 * time.Minute
	confirmLabel = "ttr web import confirm v1"
	// uploadSlack is what an upload's other fields and multipart framing may add to the
	// document's own limit.
	uploadSlack = 64 << 10
)

// confirmToken is what a preview page seals for its confirmation.
type confirmToken struct {
	Kind    string `json:"k"` // "file" or "hc"
	Expires int64  `json:"e"` // unix seconds
	// A file's: the SHA-256 of the compacted document and its passphrase.
	DocSHA     string `json:"d,omitempty"`
	Passphrase string `json:"p,omitempty"`
	// A healthchecks import's request (dry_run false).
	HC *ttrhttp.HCImportRequest `json:"h,omitempty"`
}

// confirmAD binds a token to the user and the session that previewed.
func confirmAD(pr *session.Principal) []byte {
	return []byte(confirmLabel + "\x00" + strconv.FormatInt(pr.User.ID, 10) + "\x00" + hex.EncodeToString(pr.Session.TokenHash))
}

// errConfirm is a confirmation that does not belong to this session or is too old.
var errConfirm = messages.Errorf(messages.EInvalid, "This preview has expired or was made in another session. Start the import again.")

func (p *Pages) sealConfirm(pr *session.Principal, tok confirmToken) (string, error) {
	tok.Expires = p.d.Now().Add(confirmTTL).Unix()
	b, err := json.Marshal(tok)
	if err != nil {
		return "", err
	}
	sealed, err := p.d.Ring.Seal(b, confirmAD(pr))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

func (p *Pages) openConfirm(pr *session.Principal, s, kind string) (confirmToken, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || s == "" {
		return confirmToken{}, errConfirm
	}
	plain, err := p.d.Ring.Open(sealed, confirmAD(pr))
	if err != nil {
		return confirmToken{}, errConfirm
	}
	var tok confirmToken
	if json.Unmarshal(plain, &tok) != nil || tok.Kind != kind || p.d.Now().Unix() > tok.Expires {
		return confirmToken{}, errConfirm
	}
	return tok, nil
}

// transferRoutes are the section's routes (none without the service).
func (p *Pages) transferRoutes() []ttrhttp.PageRoute {
	if p.d.Transfer == nil {
		return nil
	}
	post := http.MethodPost
	return []ttrhttp.PageRoute{
		{Method: post, Pattern: "/account/export", Handler: p.form(p.exportDoc, true)},
		{Method: post, Pattern: "/account/import", Handler: p.upload(p.previewImport)},
		{Method: post, Pattern: "/account/import/confirm", Handler: p.upload(p.confirmImport)},
		{Method: post, Pattern: "/account/import/healthchecks", Handler: p.form(p.previewHC, true)},
		{Method: post, Pattern: "/account/import/healthchecks/confirm", Handler: p.form(p.confirmHC, true)},
	}
}

// transferFuncs are the section's template functions.
func (p *Pages) transferFuncs() template.FuncMap {
	return template.FuncMap{
		"transferOn": func() bool { return p.d.Transfer != nil },
		"importLimit": func() string {
			if p.d.Transfer == nil {
				return ""
			}
			return byteSize(p.d.Transfer.DocumentLimit())
		},
		"hcServers": func() []string {
			if p.d.Transfer == nil {
				return nil
			}
			return p.d.Transfer.HCServers()
		},
	}
}

// byteSize words a limit: "8 MiB", "512 KiB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// exportDoc: POST /account/export {secrets, passphrase, passphrase2} answers the document as
// a download (the browser stays on the account page).
func (p *Pages) exportDoc(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	pass := ""
	if r.PostFormValue("secrets") == "on" {
		pass = r.PostFormValue("passphrase")
		switch {
		case pass == "":
			return p.formError(w, r, pr, messages.Errorf(messages.EInvalid, "Give a passphrase to export channel settings: they are sealed with it."))
		case pass != r.PostFormValue("passphrase2"):
			return p.formError(w, r, pr, messages.Errorf(messages.EInvalid, "The two passphrases differ."))
		}
	}
	doc, err := p.d.Transfer.Export(r.Context(), pr.User, pass)
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="`+ttrhttp.ExportFilename(pr.User.Slug, p.d.Now())+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// uploadForm is a multipart form's fields: the small ones are in r.PostForm.
type uploadForm struct {
	file []byte // the "file" field (nil = none)
}

// upload serves a multipart form POST of a signed-in browser: the body is bounded by the
// import's own limit (the document, plus room for the other fields), not the pages' small
// form limit, and held in memory (never spilled to disk: nothing beyond the limit is read).
func (p *Pages) upload(h func(http.ResponseWriter, *http.Request, *session.Principal, uploadForm) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The session first: a browser that is not signed in sends nothing worth reading.
		pr, err := p.d.Sessions.Resolve(r)
		switch {
		case errors.Is(err, session.ErrNoSession):
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		case err != nil:
			p.fail(w, r, err)
			return
		}
		limit := p.d.Transfer.DocumentLimit() + uploadSlack
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := r.ParseMultipartForm(limit); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				p.fail(w, r, errTooLarge(p.d.Transfer.DocumentLimit()))
				return
			}
			p.fail(w, r, messages.Errorf(messages.EInvalid, "The form could not be read."))
			return
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		if err := p.d.Sessions.VerifyCSRF(r, &pr); err != nil {
			p.csrfFailed(w, r)
			return
		}
		var f uploadForm
		if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 {
			if fhs[0].Size > p.d.Transfer.DocumentLimit() {
				p.fail(w, r, errTooLarge(p.d.Transfer.DocumentLimit()))
				return
			}
			fh, err := fhs[0].Open()
			if err == nil {
				f.file, err = io.ReadAll(fh)
				_ = fh.Close()
			}
			if err != nil {
				p.fail(w, r, err)
				return
			}
		}
		if err := h(w, r, &pr, f); err != nil {
			p.fail(w, r, err)
		}
	}
}

func errTooLarge(limit int64) error {
	return messages.Errorf(messages.ETooLarge, "The file is too large: at most %s may be imported at once.", byteSize(limit))
}

// importPage is the import page's data: a dry run's report with the form that confirms it,
// or an import's report.
type importPage struct {
	Source  string // "file" or "healthchecks"
	DryRun  bool
	Counts  []importCount
	Checks  []importRow
	Pages   []importRow
	Setup   []transfer.HCChannel // healthchecks integrations to set up here
	Secrets bool                 // the file holds sealed channel settings
	NoPass  bool                 // … and no passphrase was given
	// The confirmation form (dry runs with something to do).
	Action   string
	Document string
	Token    string
	Changes  int
}

type importCount struct {
	Label string
	N     int
}

type importRow struct {
	Slug, Name, Result, Detail string
	Failed                     bool
	Notes                      []string
}

// resultWords say a result, before (dry run) or after the import.
var resultWords = map[bool]map[string]string{
	true: {ttrhttp.ImportCreated: "would be created", ttrhttp.ImportUpdated: "would be updated",
		ttrhttp.ImportUnchanged: "unchanged", ttrhttp.ImportFailed: "cannot be imported"},
	false: {ttrhttp.ImportCreated: "created", ttrhttp.ImportUpdated: "updated",
		ttrhttp.ImportUnchanged: "unchanged", ttrhttp.ImportFailed: "not imported"},
}

// newImportPage turns a report into the page's rows and counts.
func newImportPage(source string, rep ttrhttp.ImportReport) importPage {
	words := resultWords[rep.DryRun]
	v := importPage{Source: source, DryRun: rep.DryRun, Setup: rep.Channels}
	for _, k := range []string{ttrhttp.ImportCreated, ttrhttp.ImportUpdated, ttrhttp.ImportUnchanged, ttrhttp.ImportFailed} {
		v.Counts = append(v.Counts, importCount{Label: words[k], N: rep.Summary[k]})
	}
	v.Changes = rep.Summary[ttrhttp.ImportCreated] + rep.Summary[ttrhttp.ImportUpdated]
	row := func(r ttrhttp.ImportResult) importRow {
		slug := r.Slug
		if slug == "" {
			slug = r.UUID
		}
		return importRow{Slug: slug, Name: r.Name, Result: words[r.Result], Detail: r.Detail,
			Failed: r.Result == ttrhttp.ImportFailed, Notes: r.Notes}
	}
	for _, r := range rep.Checks {
		v.Checks = append(v.Checks, row(r))
	}
	for _, r := range rep.StatusPages {
		v.Pages = append(v.Pages, row(r))
		if r.Result == ttrhttp.ImportCreated || r.Result == ttrhttp.ImportUpdated {
			v.Changes++
		}
	}
	return v
}

func (p *Pages) renderImport(w http.ResponseWriter, r *http.Request, pr *session.Principal, v importPage) {
	title := "Import done"
	if v.DryRun {
		title = "Import preview"
	}
	vw := p.newView(w, r, pr, title)
	vw.Data = v
	p.render(w, r, http.StatusOK, "import", vw)
}

// previewImport: POST /account/import (multipart: file, passphrase) — the dry run, shown
// with the form that confirms it. Nothing changes.
func (p *Pages) previewImport(w http.ResponseWriter, r *http.Request, pr *session.Principal, f uploadForm) error {
	if len(bytes.TrimSpace(f.file)) == 0 {
		return p.formError(w, r, pr, messages.Errorf(messages.EInvalid, "Choose an export file to import."))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, f.file); err != nil {
		return p.formError(w, r, pr, messages.Errorf(messages.EInvalid, "The file is not a ttr export: it is not JSON."))
	}
	doc, err := transfer.Parse(compact.Bytes())
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	pass := r.PostFormValue("passphrase")
	if doc.Secrets == nil {
		pass = "" // nothing to open: not carried to the confirmation
	}
	rep, err := p.d.Transfer.ImportDocument(r.Context(), pr.User, doc, pass, ttrhttp.ImportOptions{DryRun: true})
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	v := newImportPage("file", rep)
	v.Secrets, v.NoPass = doc.Secrets != nil, doc.Secrets != nil && pass == ""
	if v.Changes > 0 {
		sum := sha256.Sum256(compact.Bytes())
		if v.Token, err = p.sealConfirm(pr, confirmToken{Kind: "file", DocSHA: hex.EncodeToString(sum[:]), Passphrase: pass}); err != nil {
			return err
		}
		v.Action, v.Document = "/account/import/confirm", compact.String()
	}
	p.renderImport(w, r, pr, v)
	return nil
}

// confirmImport: POST /account/import/confirm (multipart: document, token) — imports the
// document the preview showed.
func (p *Pages) confirmImport(w http.ResponseWriter, r *http.Request, pr *session.Principal, _ uploadForm) error {
	tok, err := p.openConfirm(pr, r.PostFormValue("token"), "file")
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, []byte(r.PostFormValue("document"))) != nil {
		return p.formError(w, r, pr, errConfirm)
	}
	if sum := sha256.Sum256(compact.Bytes()); hex.EncodeToString(sum[:]) != tok.DocSHA {
		return p.formError(w, r, pr, errConfirm)
	}
	doc, err := transfer.Parse(compact.Bytes())
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	rep, err := p.d.Transfer.ImportDocument(r.Context(), pr.User, doc, tok.Passphrase, ttrhttp.ImportOptions{})
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	p.renderImport(w, r, pr, newImportPage("file", rep))
	return nil
}

// hcRequest reads the healthchecks form.
func hcRequest(r *http.Request) ttrhttp.HCImportRequest {
	return ttrhttp.HCImportRequest{URL: strings.TrimSpace(r.PostFormValue("url")), APIKey: strings.TrimSpace(r.PostFormValue("api_key")),
		KeepUUIDs: r.PostFormValue("keep_uuids") == "on"}
}

// previewHC: POST /account/import/healthchecks {url, api_key, keep_uuids} — fetches the
// project and shows the dry run with the form that confirms it.
func (p *Pages) previewHC(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	in := hcRequest(r)
	in.DryRun = true
	rep, err := p.d.Transfer.ImportHealthchecks(r.Context(), pr.User, in, false)
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	v := newImportPage("healthchecks", rep)
	if v.Changes > 0 {
		in.DryRun = false
		if v.Token, err = p.sealConfirm(pr, confirmToken{Kind: "hc", HC: &in}); err != nil {
			return err
		}
		v.Action = "/account/import/healthchecks/confirm"
	}
	p.renderImport(w, r, pr, v)
	return nil
}

// confirmHC: POST /account/import/healthchecks/confirm {token} — fetches the project again
// and imports it (the report shows what the import did, which may differ from the preview
// when the project changed in between).
func (p *Pages) confirmHC(w http.ResponseWriter, r *http.Request, pr *session.Principal) error {
	tok, err := p.openConfirm(pr, r.PostFormValue("token"), "hc")
	if err != nil || tok.HC == nil {
		return p.formError(w, r, pr, errConfirm)
	}
	in := *tok.HC
	in.DryRun = false
	rep, err := p.d.Transfer.ImportHealthchecks(r.Context(), pr.User, in, false)
	if err != nil {
		return p.formError(w, r, pr, err)
	}
	p.renderImport(w, r, pr, newImportPage("healthchecks", rep))
	return nil
}
