package http

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ttr-rip/ttr/actors/checkconfig"
	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// Export and import of a user's checks (docs/api.md, "Export and import"). The document's
// shape and its sealing live in http/transfer; this file runs them against the store and the
// check actors: a new check is written to the store as POST /api/v1/checks writes it, and
// every change to an existing one is an edit, a pause or a channel setting sent to its actor.

// Results of one check of an import.
const (
	importCreated   = "created"
	importUpdated   = "updated"
	importUnchanged = "unchanged"
	importFailed    = "error"
)

// exportPage is how many checks one store read returns while an export walks them all.
const exportPage = 500

// allChecks returns every check of the user in id order.
func (s *Server) allChecks(ctx context.Context, userID int64) ([]messages.Check, error) {
	var out []messages.Check
	q := persistence.ListQuery{SortBy: "id", Limit: exportPage}
	for {
		page, err := s.deps.Store.ListChecks(ctx, userID, q)
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
func (s *Server) exportDoc(ctx context.Context, u messages.User, sealer *transfer.Sealer) (transfer.Document, error) {
	checks, err := s.allChecks(ctx, u.ID)
	if err != nil {
		return transfer.Document{}, err
	}
	doc := transfer.Document{
		Version: transfer.Version, UserSlug: u.Slug, ExportedAt: formatTime(s.now()),
		Checks: make([]json.RawMessage, 0, len(checks)), StatusPages: []json.RawMessage{},
	}
	if sealer != nil {
		doc.Secrets = sealer.Header()
	}
	for _, c := range checks {
		chans, err := s.deps.Store.Channels(ctx, u.ID, c.ID)
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
				cfg, err := s.openChannel(ctx, apiArgs{user: u, checkID: c.ID}, ch)
				if err == nil {
					if e.Settings, err = sealer.SealChannel(c.Slug, ch.Name, cfg); err != nil {
						return transfer.Document{}, err
					}
				}
			}
			x.Channels[ch.Name] = e
		}
		b, err := json.Marshal(x)
		if err != nil {
			return transfer.Document{}, err
		}
		doc.Checks = append(doc.Checks, b)
	}
	return doc, nil
}

// importOptions say how an import runs.
type importOptions struct {
	dryRun bool
	// keepUUIDs creates checks under the UUIDs the source gave (an admin's restore, or a
	// healthchecks import ttr fetched itself) and matches existing checks by UUID first.
	keepUUIDs bool
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
	channels map[string]importChannel
	notes    []string
	err      error // the item could not be read
}

type importChannel struct {
	enabled bool
	config  *messages.ChannelConfig
}

// importResult is one check's line of an import report.
type importResult struct {
	Slug   string   `json:"slug"`
	Name   string   `json:"name,omitempty"`
	UUID   string   `json:"uuid,omitempty"` // the check's UUID here (a dry run's new ones are not known yet)
	ID     int64    `json:"id,omitempty"`
	Result string   `json:"result"`
	Detail string   `json:"detail,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// importReport answers an import.
type importReport struct {
	DryRun    bool           `json:"dry_run"`
	KeepUUIDs bool           `json:"keep_uuids"`
	Summary   map[string]int `json:"summary"`
	Checks    []importResult `json:"checks"`
	// StatusPages reports the document's status pages (this release imports none).
	StatusPages []importResult `json:"status_pages"`
	// Channels are the source's integrations the user sets up here (healthchecks).
	Channels []transfer.HCChannel `json:"channels_to_set_up,omitempty"`
}

// runImport imports items for user u, in order; one item's failure never stops the others.
func (s *Server) runImport(ctx context.Context, u messages.User, items []importItem, opt importOptions) (importReport, error) {
	rep := importReport{DryRun: opt.dryRun, KeepUUIDs: opt.keepUUIDs, Checks: make([]importResult, 0, len(items)),
		StatusPages: []importResult{}, Summary: map[string]int{importCreated: 0, importUpdated: 0, importUnchanged: 0, importFailed: 0}}
	seen := map[string]bool{} // slugs and UUIDs met so far: a second one is an error
	now := s.now()
	var total int64 = -1 // the user's check count, read before the first create
	for _, it := range items {
		res := importResult{Slug: it.slug, Name: it.name, Notes: it.notes}
		err := it.err
		if err == nil {
			err = s.importOne(ctx, u, it, opt, now, seen, &total, &res)
		}
		if err != nil {
			if messages.CodeOf(err) == messages.EInternal {
				if ctx.Err() != nil {
					return importReport{}, err // out of time: the rest would fail alike
				}
				s.log.ErrorContext(ctx, "import a check", "request_id", RequestIDFrom(ctx), "user_id", u.ID, "err", err)
			}
			res.Result, res.Detail = importFailed, messages.MessageOf(err)
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
func (s *Server) importOne(ctx context.Context, u messages.User, it importItem, opt importOptions, now time.Time,
	seen map[string]bool, total *int64, res *importResult) error {
	if opt.keepUUIDs && it.uuid == "" {
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
	cur, found, err := s.importTarget(ctx, u, it, opt)
	if err != nil {
		return err
	}
	edit := it.edit
	if it.slug == "" || (it.slug == it.uuid && !opt.keepUUIDs) {
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
			if !opt.dryRun {
				edit.UserId = u.ID
				if err := s.deps.Checks.Edit(ctx, cur.ID, edit); err != nil {
					return slugConflict(err, next.Slug)
				}
			}
		}
		if it.paused != nil && *it.paused != (cur.Status == messages.StatusPaused) {
			changed = true
			if !opt.dryRun {
				run := s.deps.Checks.Resume
				if *it.paused {
					run = s.deps.Checks.Pause
				}
				if err := run(ctx, u.ID, cur.ID, nil); err != nil {
					return err
				}
			}
		}
	} else {
		id := it.uuid
		if !opt.keepUUIDs {
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
		if s.cfg.Quotas.Checks > 0 {
			if *total < 0 {
				st, err := s.deps.Store.CheckStats(ctx, u.ID, now)
				if err != nil {
					return err
				}
				*total = st.Total
			}
			if err := s.cfg.Quotas.AllowCheck(*total, 1); err != nil {
				return err
			}
		}
		changed = true
		if opt.keepUUIDs || !opt.dryRun {
			res.UUID = id
		}
		if !opt.dryRun {
			c := checklogic.NewCheck(u.ID, id, cfg, now)
			if err := s.deps.Store.CreateCheck(ctx, &c); err != nil {
				if messages.CodeOf(err) == messages.EConflict {
					return messages.Errorf(messages.EConflict, "slug %q or UUID %s is already taken", cfg.Slug, id)
				}
				return err
			}
			s.deps.Checks.Created(c.ID)
			cur, res.ID = c, c.ID
			if it.paused != nil && *it.paused {
				if err := s.deps.Checks.Pause(ctx, u.ID, c.ID, nil); err != nil {
					return err
				}
			}
		}
		if *total >= 0 {
			*total++
		}
	}
	chChanged, notes := s.importChannels(ctx, u, cur, found || !opt.dryRun, it.channels, opt.dryRun)
	res.Notes = append(res.Notes, notes...)
	switch {
	case !found:
		res.Result = importCreated
	case changed || chChanged:
		res.Result = importUpdated
	default:
		res.Result = importUnchanged
	}
	return nil
}

// importTarget finds the user's check an item updates: by UUID first when UUIDs are kept (a
// UUID of another user's check is an error: it is never taken over), then by slug.
func (s *Server) importTarget(ctx context.Context, u messages.User, it importItem, opt importOptions) (messages.Check, bool, error) {
	if opt.keepUUIDs {
		ref, err := s.deps.Store.ResolveUUID(ctx, it.uuid)
		switch {
		case err == nil && ref.UserID != u.ID:
			return messages.Check{}, false, messages.Errorf(messages.EConflict,
				"UUID %s belongs to a check of another account; it was not imported", it.uuid)
		case err == nil:
			c, err := s.deps.Store.GetCheck(ctx, u.ID, ref.ID)
			return c, err == nil, err
		case messages.CodeOf(err) != messages.ENotFound:
			return messages.Check{}, false, err
		}
	}
	slug := it.slug
	if slug == "" {
		if opt.keepUUIDs {
			slug = it.uuid
		} else {
			return messages.Check{}, false, nil
		}
	}
	ref, err := s.deps.Store.ResolveSlug(ctx, u.ID, slug)
	if messages.CodeOf(err) == messages.ENotFound {
		return messages.Check{}, false, nil
	}
	if err != nil {
		return messages.Check{}, false, err
	}
	if opt.keepUUIDs && ref.UUID != it.uuid {
		return messages.Check{}, false, messages.Errorf(messages.EConflict,
			"slug %q is used by another of this account's checks (UUID %s); the check was not imported", slug, ref.UUID)
	}
	c, err := s.deps.Store.GetCheck(ctx, u.ID, ref.ID)
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
func (s *Server) importChannels(ctx context.Context, u messages.User, c messages.Check, exists bool,
	chans map[string]importChannel, dryRun bool) (changed bool, notes []string) {
	if len(chans) == 0 {
		return false, nil
	}
	var stored []messages.Channel
	if exists && c.ID != 0 {
		var err error
		if stored, err = s.deps.Store.Channels(ctx, u.ID, c.ID); err != nil {
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
			notes = append(notes, name+": the source has no settings for it; set it up here")
			continue
		}
		cfg, err := cleanChannel(spec, *in.config)
		if err == nil {
			err = s.usable(spec, channelPlan{enabled: in.enabled, config: &cfg})
		}
		if err != nil {
			notes = append(notes, name+": "+messages.MessageOf(err))
			continue
		}
		a := apiArgs{user: u, checkID: c.ID, channel: name}
		if i := slices.IndexFunc(stored, func(ch messages.Channel) bool { return ch.Name == name }); i >= 0 && len(stored[i].ConfigEnc) > 0 {
			if prev, err := s.openChannel(ctx, a, stored[i]); err == nil && prev == cfg && stored[i].Enabled == in.enabled {
				continue // as the source has it
			}
		}
		changed = true
		if dryRun {
			continue
		}
		enc, err := s.sealChannel(a, cfg)
		if err == nil {
			err = s.deps.Checks.SetChannel(ctx, u.ID, c.ID, name, in.enabled, enc, false)
		}
		if err != nil {
			s.log.WarnContext(ctx, "import a channel", "request_id", RequestIDFrom(ctx), "check_id", c.ID, "channel", name, "err", err)
			notes = append(notes, name+": not set: "+messages.MessageOf(err))
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
		it.channels = map[string]importChannel{}
		for name, ch := range chans {
			if !slices.Contains(apiChannels, name) {
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
			it.channels[name] = in
		}
	}
	edit, err := checkEditFrom(body)
	if err != nil {
		return fail(err)
	}
	it.edit = edit
	return it
}
