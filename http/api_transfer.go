package http

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/julienschmidt/httprouter"

	"github.com/ttr-rip/ttr/http/credential"
	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/messages"
)

// HeaderPassphrase carries the passphrase that seals (export) or opens (import) a document's
// channel settings. It is a header, never a query parameter, so that it stays out of access
// logs and browser history; a multipart import may send it as the form field "passphrase".
const HeaderPassphrase = "X-Passphrase"

// Route patterns of the operator's imports and ping key.
const (
	routeAdminImport   = "/api/v1/admin/users/:id/import"
	routeAdminImportHC = "/api/v1/admin/users/:id/import/healthchecks"
	routeAdminPingKey  = "/api/v1/admin/users/:id/ping-key"
)

// adminTransferRoutes registers the operator's side of imports.
func (s *Server) adminTransferRoutes(r *httprouter.Router) {
	r.POST(routeAdminImport, s.adminAuthed(routeAdminImport, s.adminImport))
	r.POST(routeAdminImportHC, s.adminAuthed(routeAdminImportHC, s.adminImportHC))
	r.PUT(routeAdminPingKey, s.adminAuthed(routeAdminPingKey, s.adminSetPingKey))
}

// exportChecks: GET /api/v1/checks/export[?secrets=1] answers the user's document as a
// download. With secrets=1 the channels' settings are sealed under the passphrase of
// X-Passphrase (required then), and the token must hold the channels scope.
func (s *Server) exportChecks(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	q := r.URL.Query()
	secrets, err := queryFlag(q, "secrets")
	if err != nil {
		return err
	}
	pass := ""
	if secrets {
		if err := needScope(r, credential.Channels); err != nil {
			return err
		}
		if pass = r.Header.Get(HeaderPassphrase); pass == "" {
			return invalid("secrets=1 needs a passphrase in the %s header: the settings are sealed with it", HeaderPassphrase)
		}
	}
	doc, err := s.transfer.Export(r.Context(), a.user, pass)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+ExportFilename(a.user.Slug, s.now())+`"`)
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// importChecks: POST /api/v1/checks/import[?dry_run=1] with a document as the JSON body or
// as the multipart field "file". An upload never keeps UUIDs (keep_uuids is an operator's:
// `ttrd import --keep-uuids`).
func (s *Server) importChecks(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	q := r.URL.Query()
	if q.Has("keep_uuids") {
		return messages.Errorf(messages.EForbidden, "an upload gets new UUIDs; only an operator keeps them (ttrd import --keep-uuids)")
	}
	dry, err := queryFlag(q, "dry_run")
	if err != nil {
		return err
	}
	rep, err := s.importUpload(w, r, a.user, ImportOptions{DryRun: dry})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// importUpload reads a document (JSON body or multipart) and imports it; opening its
// secrets needs the channels scope.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request, u messages.User, opt ImportOptions) (ImportReport, error) {
	body, pass, err := s.readDocument(w, r)
	if err != nil {
		return ImportReport{}, err
	}
	doc, err := transfer.Parse(body)
	if err != nil {
		return ImportReport{}, err
	}
	if doc.Secrets != nil && pass != "" {
		if err := needScope(r, credential.Channels); err != nil {
			return ImportReport{}, err
		}
	}
	return s.transfer.ImportDocument(r.Context(), u, doc, pass, opt)
}

// readDocument returns the document's bytes and the passphrase: a JSON body with the
// passphrase in X-Passphrase, or multipart/form-data with the fields "file" and
// "passphrase" (the header wins when both are given).
func (s *Server) readDocument(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	limit := s.cfg.ImportBodyLimit
	pass := r.Header.Get(HeaderPassphrase)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			return nil, "", jsonError(err)
		}
		return b, pass, nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, "", invalid("multipart body without a boundary")
		}
		mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, limit+64<<10), params["boundary"])
		var file []byte
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, "", jsonError(err)
			}
			switch p.FormName() {
			case "file":
				if file, err = io.ReadAll(io.LimitReader(p, limit+1)); err != nil {
					return nil, "", jsonError(err)
				}
				if int64(len(file)) > limit {
					return nil, "", messages.Errorf(messages.ETooLarge, "the document is larger than %d bytes", limit)
				}
			case "passphrase":
				b, err := io.ReadAll(io.LimitReader(p, transfer.MaxPassphrase+1))
				if err != nil {
					return nil, "", jsonError(err)
				}
				if pass == "" {
					pass = string(b)
				}
			default:
				return nil, "", invalid("unknown form field %q (send file and, optionally, passphrase)", truncateRunes(p.FormName(), 32))
			}
		}
		if file == nil {
			return nil, "", invalid("the form has no field \"file\"")
		}
		return file, pass, nil
	}
	return nil, "", invalid("Content-Type must be application/json (the document) or multipart/form-data (a field \"file\")")
}

// importHealthchecks: POST /api/v1/checks/import/healthchecks {url, api_key, keep_uuids,
// dry_run} fetches the project's checks with its API key from a healthchecks server the
// operator lists (--import-hc-servers; any other is 400) and imports them.
func (s *Server) importHealthchecks(w http.ResponseWriter, r *http.Request, a apiArgs) error {
	var in HCImportRequest
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	rep, err := s.transfer.ImportHealthchecks(r.Context(), a.user, in, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// adminImport: POST /api/v1/admin/users/{id}/import[?keep_uuids=1&dry_run=1] imports a
// document for the user (`ttrd import`); with keep_uuids the checks keep the document's
// UUIDs (a UUID of another user's check is a per-check error, never taken over).
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request, a adminArgs) error {
	u, err := s.adminUser(r.Context(), a.userID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	dry, err := queryFlag(q, "dry_run")
	if err != nil {
		return err
	}
	keep, err := queryFlag(q, "keep_uuids")
	if err != nil {
		return err
	}
	rep, err := s.importUpload(w, r, u, ImportOptions{DryRun: dry, KeepUUIDs: keep})
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "admin action", "request_id", RequestIDFrom(r.Context()), "admin", a.admin.Username,
		"action", "import", "user_id", u.ID, "dry_run", dry, "keep_uuids", keep, "created", rep.Summary[ImportCreated])
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// adminImportHC: POST /api/v1/admin/users/{id}/import/healthchecks imports a healthchecks
// project for the user (`ttrd import healthchecks`). The operator may name any server (it is
// still reached through the SSRF-safe client).
func (s *Server) adminImportHC(w http.ResponseWriter, r *http.Request, a adminArgs) error {
	u, err := s.adminUser(r.Context(), a.userID)
	if err != nil {
		return err
	}
	var in HCImportRequest
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	rep, err := s.transfer.ImportHealthchecks(r.Context(), u, in, true)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "admin action", "request_id", RequestIDFrom(r.Context()), "admin", a.admin.Username,
		"action", "import healthchecks", "user_id", u.ID, "dry_run", in.DryRun, "keep_uuids", in.KeepUUIDs, "created", rep.Summary[ImportCreated])
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// adminSetPingKey: PUT /api/v1/admin/users/{id}/ping-key {"ping_key": …} gives the user a
// ping key of the operator's choosing — a healthchecks project's, so that its
// /ping/<ping_key>/<slug> URLs keep working here. 409 when another user has it.
func (s *Server) adminSetPingKey(w http.ResponseWriter, r *http.Request, a adminArgs) error {
	var in struct {
		PingKey string `json:"ping_key"`
	}
	if err := decodeJSON(w, r, s.cfg.APIBodyLimit, &in); err != nil {
		return err
	}
	if _, err := s.adminUser(r.Context(), a.userID); err != nil {
		return err
	}
	if s.deps.Accounts == nil {
		return errors.New("set ping key: no account service")
	}
	if err := s.deps.Accounts.SetPingKey(r.Context(), a.userID, in.PingKey); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "admin action", "request_id", RequestIDFrom(r.Context()), "admin", a.admin.Username,
		"action", "set ping key", "user_id", a.userID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminUser reads the user an admin route names.
func (s *Server) adminUser(ctx context.Context, id int64) (messages.User, error) {
	u, _, err := s.deps.Store.UserByID(ctx, id)
	return u, err
}

// needScope refuses an API token without need (other credentials are not scoped).
func needScope(r *http.Request, need credential.Scope) error {
	if p, _ := PrincipalFrom(r.Context()); p.Via == ViaAPIToken && !p.Scopes.Has(need) {
		return messages.Errorf(messages.EForbidden, "this API token lacks the %q scope", need.String())
	}
	return nil
}

// queryFlag reads an optional boolean parameter: 1/true or 0/false (absent = false).
func queryFlag(q url.Values, name string) (bool, error) {
	if !q.Has(name) {
		return false, nil
	}
	switch q.Get(name) {
	case "1", "true":
		return true, nil
	case "0", "false", "":
		return false, nil
	}
	return false, invalid("%s must be 1 or 0", name)
}
