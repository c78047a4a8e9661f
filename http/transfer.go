package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/http/hcapi"
	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// Export and import of a user's checks (docs/api.md, "Export and import"). The document's
// shape and its sealing live in http/transfer; the Transfer service runs them against the
// store and the check actors: a new check is written to the store as POST /api/v1/checks
// writes it, and every change to an existing one is an edit, a pause or a channel setting
// sent to its actor. The API handlers (api_transfer.go) and the web UI's account page call
// the same service, so both follow one set of rules. It lives in this package because it
// reads checks and channels by the API's own rules (checkEditFrom, the channel specs).

// Transfer exports and imports users' checks. It is safe for concurrent use.
type Transfer struct {
	cfg Config
	d   TransferDeps
	log *slog.Logger
	now func() time.Time
}

// TransferDeps are the service's collaborators.
type TransferDeps struct {
	Store  Store
	Checks Checks
	// Ring opens the channels' stored settings for a secrets export and seals imported ones.
	Ring *keyring.Ring
	// HCClient fetches from healthchecks servers (the SSRF-safe client alerts use); nil =
	// imports from healthchecks are unavailable.
	HCClient *http.Client
	// Pages are the status pages; nil = none are exported, and a document's are reported as
	// not imported.
	Pages  TransferPages
	Logger *slog.Logger
	// Now is the clock; nil = time.Now.
	Now func() time.Time
}

// NewTransfer builds the service under the edge's configuration (quotas, channel rules,
// ImportBodyLimit, ImportHCServers).
func NewTransfer(cfg Config, d TransferDeps) *Transfer {
	t := &Transfer{cfg: cfg, d: d, log: d.Logger, now: d.Now}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// DocumentLimit is the largest document an import reads (bytes).
func (t *Transfer) DocumentLimit() int64 { return t.cfg.ImportBodyLimit }

// HCServers are the healthchecks servers a user's import may fetch from.
func (t *Transfer) HCServers() []string { return slices.Clone(t.cfg.ImportHCServers) }

// Export builds user u's document; with a passphrase ("" = none) the channels' settings are
// sealed under it.
func (t *Transfer) Export(ctx context.Context, u messages.User, passphrase string) (transfer.Document, error) {
	var sealer *transfer.Sealer
	if passphrase != "" {
		var err error
		if sealer, err = transfer.NewSealer(passphrase); err != nil {
			return transfer.Document{}, err
		}
	}
	return t.exportDoc(ctx, u, sealer)
}

// ExportFilename names user u's download of a document exported at now.
func ExportFilename(slug string, now time.Time) string {
	// The slug's bytes are [a-z0-9_-]: nothing to escape in a header.
	return "ttr-export-" + slug + "-" + now.UTC().Format("20060102") + ".json"
}

// ImportDocument imports a parsed document for user u. passphrase opens its sealed channel
// settings ("" = leave them out, each noted); a wrong one is an error before anything
// changes.
func (t *Transfer) ImportDocument(ctx context.Context, u messages.User, doc transfer.Document, passphrase string, opt ImportOptions) (ImportReport, error) {
	var sealer *transfer.Sealer
	if doc.Secrets != nil && passphrase != "" {
		var err error
		if sealer, err = transfer.OpenSealer(*doc.Secrets, passphrase); err != nil {
			return ImportReport{}, err
		}
	}
	items := docItems(doc, sealer)
	rep, err := t.runImport(ctx, u, items, opt)
	if err != nil {
		return ImportReport{}, err
	}
	if rep.StatusPages, err = t.importPages(ctx, u, doc.StatusPages, items, rep.Checks, opt.DryRun); err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}

// Results of one check of an import (ImportResult.Result).
const (
	ImportCreated   = "created"
	ImportUpdated   = "updated"
	ImportUnchanged = "unchanged"
	ImportFailed    = "error"
)

// exportPage is how many checks one store read returns while an export walks them all.
const exportPage = 500

// allChecks returns every check of the user in id order.
func (t *Transfer) allChecks(ctx context.Context, userID int64) ([]messages.Check, error) {
	var out []messages.Check
	q := persistence.ListQuery{SortBy: "id", Limit: exportPage}
	for {
		page, err := t.d.Store.ListChecks(ctx, userID, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < exportPage {
			return out, nil
		}
		last := page[len(page)-1]
		q.After = &persistence.Key{Int: last.ID, ID: last.ID}
	}
}

// exportDoc builds the user's document. With a sealer, each configured channel's settings
// are opened from the key ring and sealed under the document's passphrase; settings the key
// ring cannot open are left out (the channel shows configured without settings).
func (t *Transfer) exportDoc(ctx context.Context, u messages.User, sealer *transfer.Sealer) (transfer.Document, error) {
	checks, err := t.allChecks(ctx, u.ID)
	if err != nil {
		return transfer.Document{}, err
	}
	doc := transfer.Document{
		Version: transfer.Version, UserSlug: u.Slug, ExportedAt: formatTime(t.now()),
		Checks: make([]json.RawMessage, 0, len(checks)),
	}
	if doc.StatusPages, err = t.exportPages(ctx, u, checks); err != nil {
		return transfer.Document{}, err
	}
	if sealer != nil {
		doc.Secrets = sealer.Header()
	}
	for _, c := range checks {
		chans, err := t.d.Store.Channels(ctx, u.ID, c.ID)
		if err != nil {
			return transfer.Document{}, err
		}
		x := transfer.Check{UUID: c.UUID, CheckConfig: c.CheckConfig, BadgeEnabled: c.BadgeID != "",
			Paused: c.Status == messages.StatusPaused, Channels: map[string]transfer.Channel{}}
		for _, ch := range chans {
			if !slices.Contains(apiChannels, ch.Name) || (!ch.Enabled && len(ch.ConfigEnc) == 0) {
				continue
			}
			e := transfer.Channel{Enabled: ch.Enabled, Configured: len(ch.ConfigEnc) > 0}
			if sealer != nil && e.Configured {
				cfg, err := openChannel(ctx, t.d.Ring, t.log, apiArgs{user: u, checkID: c.ID}, ch)
				if err == nil {
					if e.Settings, err = sealer.SealChannel(c.Slug, string(ch.Name), cfg); err != nil {
						return transfer.Document{}, err
					}
				}
			}
			x.Channels[string(ch.Name)] = e
		}
		b, err := json.Marshal(x)
		if err != nil {
			return transfer.Document{}, err
		}
		doc.Checks = append(doc.Checks, b)
	}
	return doc, nil
}

// ImportOptions say how an import runs.
type ImportOptions struct {
	// DryRun reports what would change and changes nothing.
	DryRun bool
	// KeepUUIDs creates checks under the UUIDs the source gave (an admin's restore, or a
	// healthchecks import ttr fetched itself) and matches existing checks by UUID first.
	KeepUUIDs bool
}

// importItem is one check to import, read from a document or a healthchecks project.
type importItem struct {
	slug   string // as given ("" = none: the check's UUID)
	name   string
	uuid   string // the source's UUID ("" = unknown)
	edit   *messages.CheckEdit
	paused *bool
	// channels are the settings to apply, by channel name; a nil config means the source
	// had the channel configured but carries no settings for it.
	channels map[messages.ChannelKind]importChannel
	notes    []string
	err      error // the item could not be read
}

type importChannel struct {
	enabled bool
	config  *messages.ChannelConfig
}

// ImportResult is one check's line of an import report.
type ImportResult struct {
	Slug   string   `json:"slug"`
	Name   string   `json:"name,omitempty"`
	UUID   string   `json:"uuid,omitempty"` // the check's UUID here (a dry run's new ones are not known yet)
	ID     int64    `json:"id,omitempty"`
	Result string   `json:"result"`
	Detail string   `json:"detail,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// ImportReport answers an import.
type ImportReport struct {
	DryRun    bool           `json:"dry_run"`
	KeepUUIDs bool           `json:"keep_uuids"`
	Summary   map[string]int `json:"summary"`
	Checks    []ImportResult `json:"checks"`
	// StatusPages reports the document's status pages, in its order.
	StatusPages []ImportResult `json:"status_pages"`
	// Channels are the source's integrations the user sets up here (healthchecks).
	Channels []transfer.HCChannel `json:"channels_to_set_up,omitempty"`
}

// runImport imports items for user u, in order; one item's failure never stops the others.
func (t *Transfer) runImport(ctx context.Context, u messages.User, items []importItem, opt ImportOptions) (ImportReport, error) {
	rep := ImportReport{DryRun: opt.DryRun, KeepUUIDs: opt.KeepUUIDs, Checks: make([]ImportResult, 0, len(items)),
		StatusPages: []ImportResult{}, Summary: map[string]int{ImportCreated: 0, ImportUpdated: 0, ImportUnchanged: 0, ImportFailed: 0}}
	seen := map[string]bool{} // slugs and UUIDs met so far: a second one is an error
	now := t.now()
	var total int64 = -1 // the user's check count, read before the first create
	for _, it := range items {
		res := ImportResult{Slug: it.slug, Name: it.name, Notes: it.notes}
		err := it.err
		if err == nil {
			err = t.importOne(ctx, u, it, opt, now, seen, &total, &res)
		}
		if err != nil {
			if messages.CodeOf(err) == messages.EInternal {
				if ctx.Err() != nil {
					return ImportReport{}, err // out of time: the rest would fail alike
				}
				t.log.ErrorContext(ctx, "import a check", "request_id", RequestIDFrom(ctx), "user_id", u.ID, "err", err)
			}
			res.Result, res.Detail = ImportFailed, messages.MessageOf(err)
			if messages.CodeOf(err) == messages.EInternal {
				res.Detail = "internal error"
			}
		}
		rep.Summary[res.Result]++
		rep.Checks = append(rep.Checks, res)
	}
	return rep, nil
}

// importOne imports one item and fills res (its result, UUID, id and notes).
func (t *Transfer) importOne(ctx context.Context, u messages.User, it importItem, opt ImportOptions, now time.Time,
	seen map[string]bool, total *int64, res *ImportResult) error {
	if opt.KeepUUIDs && it.uuid == "" {
		return invalid("the source gave no UUID for this check, so its UUID cannot be kept")
	}
	for _, k := range []string{"slug:" + it.slug, "uuid:" + it.uuid} {
		if k != "slug:" && k != "uuid:" && seen[k] {
			return invalid("%s appears twice in the source; only the first was imported", k)
		}
	}
	if it.slug != "" {
		seen["slug:"+it.slug] = true
	}
	if it.uuid != "" {
		seen["uuid:"+it.uuid] = true
	}
	cur, found, err := t.importTarget(ctx, u, it, opt)
	if err != nil {
		return err
	}
	edit := it.edit
	if it.slug == "" || (it.slug == it.uuid && !opt.KeepUUIDs) {
		// The check's slug was its UUID (the default): a new check's is its new UUID.
		edit.Slug = nil
	}
	var changed bool
	if found {
		res.UUID, res.ID = cur.UUID, cur.ID
		if edit.Slug != nil && *edit.Slug == it.uuid && it.uuid != cur.UUID {
			edit.Slug = nil
		}
		next, err := checkconfig.Edit(cur.CheckConfig, edit, cur.UUID, now)
		if err != nil {
			return err
		}
		if !sameConfig(cur.CheckConfig, next) {
			changed = true
			if !opt.DryRun {
				edit.UserId = u.ID
				if err := t.d.Checks.Edit(ctx, cur.ID, edit); err != nil {
					return slugConflict(err, next.Slug)
				}
			}
		}
		if it.paused != nil && *it.paused != (cur.Status == messages.StatusPaused) {
			changed = true
			if !opt.DryRun {
				run := t.d.Checks.Resume
				if *it.paused {
					run = t.d.Checks.Pause
				}
				if err := run(ctx, u.ID, cur.ID, nil); err != nil {
					return err
				}
			}
		}
	} else {
		id := it.uuid
		if !opt.KeepUUIDs {
			v, err := uuid.NewRandom()
			if err != nil {
				return err
			}
			id = v.String()
		}
		cfg, err := checkconfig.Edit(checkconfig.Default(id), edit, id, now)
		if err != nil {
			return err
		}
		if t.cfg.Quotas.Checks > 0 {
			if *total < 0 {
				st, err := t.d.Store.CheckStats(ctx, u.ID, now)
				if err != nil {
					return err
				}
				*total = st.Total
			}
			if err := t.cfg.Quotas.AllowCheck(*total, 1); err != nil {
				return err
			}
		}
		changed = true
		if opt.KeepUUIDs || !opt.DryRun {
			res.UUID = id
		}
		if !opt.DryRun {
			c := checklogic.NewCheck(u.ID, id, cfg, now)
			if err := t.d.Store.CreateCheck(ctx, &c); err != nil {
				if messages.CodeOf(err) == messages.EConflict {
					return messages.Errorf(messages.EConflict, "slug %q or UUID %s is already taken", cfg.Slug, id)
				}
				return err
			}
			t.d.Checks.Created(c.ID)
			cur, res.ID = c, c.ID
			if it.paused != nil && *it.paused {
				if err := t.d.Checks.Pause(ctx, u.ID, c.ID, nil); err != nil {
					return err
				}
			}
		}
		if *total >= 0 {
			*total++
		}
	}
	chChanged, notes := t.importChannels(ctx, u, cur, found || !opt.DryRun, it.channels, opt.DryRun)
	res.Notes = append(res.Notes, notes...)
	switch {
	case !found:
		res.Result = ImportCreated
	case changed || chChanged:
		res.Result = ImportUpdated
	default:
		res.Result = ImportUnchanged
	}
	return nil
}

// importTarget finds the user's check an item updates: by UUID first when UUIDs are kept (a
// UUID of another user's check is an error: it is never taken over), then by slug.
func (t *Transfer) importTarget(ctx context.Context, u messages.User, it importItem, opt ImportOptions) (messages.Check, bool, error) {
	if opt.KeepUUIDs {
		ref, err := t.d.Store.ResolveUUID(ctx, it.uuid)
		switch {
		case err == nil && ref.UserID != u.ID:
			return messages.Check{}, false, messages.Errorf(messages.EConflict,
				"UUID %s belongs to a check of another account; it was not imported", it.uuid)
		case err == nil:
			c, err := t.d.Store.GetCheck(ctx, u.ID, ref.ID)
			return c, err == nil, err
		case messages.CodeOf(err) != messages.ENotFound:
			return messages.Check{}, false, err
		}
	}
	slug := it.slug
	if slug == "" {
		if opt.KeepUUIDs {
			slug = it.uuid
		} else {
			return messages.Check{}, false, nil
		}
	}
	ref, err := t.d.Store.ResolveSlug(ctx, u.ID, slug)
	if messages.CodeOf(err) == messages.ENotFound {
		return messages.Check{}, false, nil
	}
	if err != nil {
		return messages.Check{}, false, err
	}
	if opt.KeepUUIDs && ref.UUID != it.uuid {
		return messages.Check{}, false, messages.Errorf(messages.EConflict,
			"slug %q is used by another of this account's checks (UUID %s); the check was not imported", slug, ref.UUID)
	}
	c, err := t.d.Store.GetCheck(ctx, u.ID, ref.ID)
	return c, err == nil, err
}

// sameConfig reports whether an edit changed nothing a user sees.
func sameConfig(a, b messages.CheckConfig) bool {
	norm := func(c messages.CheckConfig) messages.CheckConfig {
		if len(c.Tags) == 0 {
			c.Tags = nil
		}
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// importChannels applies an item's channel settings to check c (exists: whether c is a
// stored check; a dry run's new check is not). Problems are notes, not failures of the
// check: it was imported, and the note says which channel to set up.
func (t *Transfer) importChannels(ctx context.Context, u messages.User, c messages.Check, exists bool,
	chans map[messages.ChannelKind]importChannel, dryRun bool) (changed bool, notes []string) {
	if len(chans) == 0 {
		return false, nil
	}
	var stored []messages.Channel
	if exists && c.ID != 0 {
		var err error
		if stored, err = t.d.Store.Channels(ctx, u.ID, c.ID); err != nil {
			return false, []string{"channels: internal error reading this check's channels"}
		}
	}
	for _, name := range apiChannels {
		in, ok := chans[name]
		if !ok {
			continue
		}
		spec, _ := channelSpecOf(name)
		if in.config == nil {
			notes = append(notes, string(name)+": the source has no settings for it; set it up here")
			continue
		}
		cfg, err := cleanChannel(spec, *in.config)
		if err == nil {
			err = channelUsable(t.cfg, spec, channelPlan{enabled: in.enabled, config: &cfg})
		}
		if err != nil {
			notes = append(notes, string(name)+": "+messages.MessageOf(err))
			continue
		}
		a := apiArgs{user: u, checkID: c.ID, channel: name}
		if i := slices.IndexFunc(stored, func(ch messages.Channel) bool { return ch.Name == name }); i >= 0 && len(stored[i].ConfigEnc) > 0 {
			if prev, err := openChannel(ctx, t.d.Ring, t.log, a, stored[i]); err == nil && prev == cfg && stored[i].Enabled == in.enabled {
				continue // as the source has it
			}
		}
		changed = true
		if dryRun {
			continue
		}
		enc, err := sealChannel(t.d.Ring, a, cfg)
		if err == nil {
			err = t.d.Checks.SetChannel(ctx, u.ID, c.ID, name, in.enabled, enc, false)
		}
		if err != nil {
			t.log.WarnContext(ctx, "import a channel", "request_id", RequestIDFrom(ctx), "check_id", c.ID, "channel", name, "err", err)
			notes = append(notes, string(name)+": not set: "+messages.MessageOf(err))
		}
	}
	return changed, notes
}

// cleanChannel validates imported settings field by field as a PUT of the channel would, and
// keeps only the channel's own fields.
func cleanChannel(spec channelSpec, in messages.ChannelConfig) (messages.ChannelConfig, error) {
	var out messages.ChannelConfig
	for _, f := range spec.fields {
		v := *f.ptr(&in)
		if v == "" {
			return messages.ChannelConfig{}, invalid("%s is required", f.name)
		}
		clean, err := f.parse(f.name, v)
		if err != nil {
			return messages.ChannelConfig{}, err
		}
		*f.ptr(&out) = clean
	}
	return out, nil
}

// docItems reads a document's checks as import items. sealer opens channel settings; nil
// when the document has none or no passphrase was given (its settings are then skipped, and
// each channel says so).
func docItems(doc transfer.Document, sealer *transfer.Sealer) []importItem {
	items := make([]importItem, 0, len(doc.Checks))
	for _, raw := range doc.Checks {
		items = append(items, docItem(raw, doc.Secrets != nil, sealer))
	}
	return items
}

func docItem(raw json.RawMessage, sealed bool, sealer *transfer.Sealer) importItem {
	var body map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || raw[0] != '{' || json.Unmarshal(raw, &body) != nil {
		return importItem{err: invalid("a check must be a JSON object")}
	}
	var it importItem
	_ = json.Unmarshal(body["slug"], &it.slug)
	_ = json.Unmarshal(body["name"], &it.name)
	fail := func(err error) importItem { it.err = err; return it }
	if raw, ok := body[transfer.FieldUUID]; ok {
		delete(body, transfer.FieldUUID)
		if json.Unmarshal(raw, &it.uuid) != nil {
			return fail(invalid("uuid must be a string"))
		}
		if it.uuid != "" {
			v, err := uuid.Parse(it.uuid)
			if err != nil || len(it.uuid) != 36 {
				return fail(invalid("uuid is not a UUID"))
			}
			it.uuid = v.String()
		}
	}
	if raw, ok := body[transfer.FieldPaused]; ok {
		delete(body, transfer.FieldPaused)
		v, err := decodeBool(transfer.FieldPaused, raw)
		if err != nil {
			return fail(err)
		}
		it.paused = &v
	}
	if raw, ok := body[transfer.FieldChannels]; ok {
		delete(body, transfer.FieldChannels)
		var chans map[string]transfer.Channel
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&chans); err != nil {
			return fail(invalid("channels: %s", messages.MessageOf(jsonError(err))))
		}
		it.channels = map[messages.ChannelKind]importChannel{}
		for name, ch := range chans {
			if !slices.Contains(apiChannels, messages.ChannelKind(name)) {
				return fail(invalid("channels: unknown channel %q", truncateRunes(name, 32)))
			}
			in := importChannel{enabled: ch.Enabled}
			switch {
			case ch.Settings != "" && !sealed:
				return fail(invalid("channels: %s has settings but the document has no secrets header", name))
			case ch.Settings != "" && sealer == nil:
				it.notes = append(it.notes, name+": settings not imported: give the document's passphrase to import them")
				continue
			case ch.Settings != "":
				cfg, err := sealer.OpenChannel(it.slug, name, ch.Settings)
				if err != nil {
					return fail(err)
				}
				in.config = &cfg
			case !ch.Configured:
				continue // neither settings nor configured: nothing to set up
			}
			it.channels[messages.ChannelKind(name)] = in
		}
	}
	edit, err := checkEditFrom(body)
	if err != nil {
		return fail(err)
	}
	it.edit = edit
	return it
}

// HCImportRequest is an import from a healthchecks project (the body of POST
// /api/v1/checks/import/healthchecks).
type HCImportRequest struct {
	URL       string `json:"url"`
	APIKey    string `json:"api_key"`
	KeepUUIDs bool   `json:"keep_uuids"`
	DryRun    bool   `json:"dry_run"`
}

// ImportHealthchecks fetches a healthchecks project's checks with its API key and imports
// them for user u. A user's import (operator false) may fetch only from a server the
// operator lists (--import-hc-servers; any other is EInvalid): keeping UUIDs is allowed
// because ttr fetched them itself, with the project's key, from a server it trusts. An
// operator may name any server. Either way it is reached through the SSRF-safe client.
func (t *Transfer) ImportHealthchecks(ctx context.Context, u messages.User, in HCImportRequest, operator bool) (ImportReport, error) {
	raw := in.URL
	if strings.TrimSpace(raw) == "" {
		raw = transfer.DefaultHCServer
	}
	server, err := transfer.NormalizeServer(raw)
	if err != nil {
		return ImportReport{}, err
	}
	if !operator && !transfer.ServerAllowed(server, t.cfg.ImportHCServers) {
		return ImportReport{}, invalid("%s is not a healthchecks server this ttr imports from (the operator lists them with --import-hc-servers)", server)
	}
	return t.importFromHC(ctx, u, server, in)
}

// maxHCAnswer bounds what is read of one answer of a healthchecks server.
const maxHCAnswer = 32 << 20

// importFromHC fetches a healthchecks project's checks and integrations and imports the
// checks; the integrations are listed for the user to set up (healthchecks' API does not
// return their settings).
func (t *Transfer) importFromHC(ctx context.Context, u messages.User, server string, in HCImportRequest) (ImportReport, error) {
	if in.APIKey == "" || len(in.APIKey) > 256 || strings.ContainsFunc(in.APIKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return ImportReport{}, invalid("api_key is required: the project's API key (Project Settings → API Access)")
	}
	checksBody, err := t.hcGet(ctx, server+"/api/v3/checks/", in.APIKey)
	if err != nil {
		return ImportReport{}, err
	}
	checks, err := transfer.ParseHCChecks(checksBody)
	if err != nil {
		return ImportReport{}, err
	}
	var chans []transfer.HCChannel
	if b, err := t.hcGet(ctx, server+"/api/v3/channels/", in.APIKey); err == nil {
		chans, _ = transfer.ParseHCChannels(b) // a read-only key may not list them: a note is lost, nothing else
	}
	names := map[string]transfer.HCChannel{}
	for _, c := range chans {
		names[c.ID] = c
	}
	now := t.now()
	items := make([]importItem, 0, len(checks))
	for _, c := range checks {
		it := importItem{slug: c.Slug, name: c.Name, uuid: c.UUID}
		edit, paused, err := hcapi.ImportEdit(c.Body, now)
		if err != nil {
			it.err = err
		} else {
			if edit.GetSlug() == "" {
				edit.Slug = nil // no slug on healthchecks: the check's UUID here
			}
			it.edit, it.paused = edit, &paused
		}
		for _, id := range c.Channels {
			n := id
			if ch, ok := names[id]; ok {
				n = ch.Name + " (" + ch.Kind + ")"
			}
			it.notes = append(it.notes, "notified "+n+" on healthchecks: set up its channel here")
		}
		items = append(items, it)
	}
	rep, err := t.runImport(ctx, u, items, ImportOptions{DryRun: in.DryRun, KeepUUIDs: in.KeepUUIDs})
	if err != nil {
		return ImportReport{}, err
	}
	rep.Channels = chans
	return rep, nil
}

// hcGet fetches one answer of a healthchecks server's API through the client that refuses
// private addresses (the SSRF-safe one alerts use). Redirects are not followed: the API key
// must go to the server named, and nowhere else.
func (t *Transfer) hcGet(ctx context.Context, u, key string) ([]byte, error) {
	if t.d.HCClient == nil {
		return nil, messages.Errorf(messages.EUnavailable, "imports from healthchecks are not available on this server")
	}
	c := *t.d.HCClient
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, invalid("url is not a valid address")
	}
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		host := ""
		if pu, perr := url.Parse(u); perr == nil {
			host = pu.Host
		}
		t.log.InfoContext(ctx, "healthchecks import: fetch failed", "request_id", RequestIDFrom(ctx), "host", host, "err", err)
		return nil, messages.Errorf(messages.EInvalid, "could not fetch from the healthchecks server %s (unreachable, or an address this server may not connect to)", host)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return nil, invalid("the healthchecks server refused the API key (%d)", res.StatusCode)
	case res.StatusCode != http.StatusOK:
		return nil, invalid("the healthchecks server answered %d", res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxHCAnswer+1))
	if err != nil {
		return nil, invalid("reading the healthchecks server's answer failed")
	}
	if len(b) > maxHCAnswer {
		return nil, invalid("the healthchecks server's answer is larger than %d bytes", maxHCAnswer)
	}
	return b, nil
}
