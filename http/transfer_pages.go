package http

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/ttr-rip/ttr/http/transfer"
	"github.com/ttr-rip/ttr/messages"
)

// Status pages in the document: exported with their checks by slug, imported after the
// checks (so that a page may name the document's new checks), upserted by page slug.

// PageSettings are a status page's settings as an export carries them, with its checks by
// id in the page's order.
type PageSettings struct {
	ID           int64 // 0 for a page not yet made
	Slug         string
	Name         string
	Description  string
	Layout       string
	ShowActivity bool
	CheckIDs     []int64
}

// TransferPages is what exports and imports need of the status pages (the status-page
// service, adapted). Errors are *messages.Error (EInvalid for settings a page may not have,
// EForbidden beyond the quota).
type TransferPages interface {
	// ListPages returns all of the user's pages.
	ListPages(ctx context.Context, userID int64) ([]PageSettings, error)
	// ValidatePage checks p as CreatePage and UpdatePage would, and normalises it (the
	// default layout).
	ValidatePage(p *PageSettings) error
	// CreatePage makes a page and returns its id.
	CreatePage(ctx context.Context, userID int64, p PageSettings) (int64, error)
	UpdatePage(ctx context.Context, userID int64, p PageSettings) error
}

// exportPages writes the user's pages, their checks by slug (checks are the user's).
func (t *Transfer) exportPages(ctx context.Context, u messages.User, checks []messages.Check) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	if t.d.Pages == nil {
		return out, nil
	}
	pages, err := t.d.Pages.ListPages(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	slugs := make(map[int64]string, len(checks))
	for _, c := range checks {
		slugs[c.ID] = c.Slug
	}
	for _, p := range pages {
		x := transfer.StatusPage{Slug: p.Slug, Name: p.Name, Description: p.Description, Layout: p.Layout,
			ShowActivity: p.ShowActivity, Checks: make([]string, 0, len(p.CheckIDs))}
		for _, id := range p.CheckIDs {
			if s, ok := slugs[id]; ok {
				x.Checks = append(x.Checks, s)
			}
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// checkRef is what a page's check slug names after the checks were imported: a check id, or
// a check a dry run would create (pending).
type checkRef struct {
	id      int64
	pending bool
}

// importPages imports a document's pages after its checks (items and their results, in
// order). One page's failure never stops the others.
func (t *Transfer) importPages(ctx context.Context, u messages.User, raws []json.RawMessage, items []importItem,
	results []ImportResult, dryRun bool) ([]ImportResult, error) {
	out := make([]ImportResult, 0, len(raws))
	if len(raws) == 0 {
		return out, nil
	}
	if t.d.Pages == nil {
		for i := range raws {
			out = append(out, ImportResult{Slug: "#" + strconv.Itoa(i+1), Result: ImportFailed,
				Detail: "status pages are not available on this server"})
		}
		return out, nil
	}
	// The document's checks by the slug the document gives them.
	refs := map[string]checkRef{}
	for i, it := range items {
		if i >= len(results) || it.slug == "" || results[i].Result == ImportFailed {
			continue
		}
		refs[it.slug] = checkRef{id: results[i].ID, pending: results[i].ID == 0}
	}
	have, err := t.d.Pages.ListPages(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, raw := range raws {
		res := ImportResult{Slug: "#" + strconv.Itoa(i+1)}
		err := t.importPage(ctx, u, raw, refs, have, seen, dryRun, &res)
		if err != nil {
			if messages.CodeOf(err) == messages.EInternal {
				if ctx.Err() != nil {
					return nil, err
				}
				t.log.ErrorContext(ctx, "import a status page", "request_id", RequestIDFrom(ctx), "user_id", u.ID, "err", err)
			}
			res.Result, res.Detail = ImportFailed, messages.MessageOf(err)
			if messages.CodeOf(err) == messages.EInternal {
				res.Detail = "internal error"
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// importPage imports one page and fills res.
func (t *Transfer) importPage(ctx context.Context, u messages.User, raw json.RawMessage, refs map[string]checkRef,
	have []PageSettings, seen map[string]bool, dryRun bool, res *ImportResult) error {
	in, err := transfer.ParseStatusPage(raw)
	if err != nil {
		return err
	}
	res.Slug, res.Name = in.Slug, in.Name
	if seen[in.Slug] {
		return invalid("status page %q appears twice in the document; only the first was imported", in.Slug)
	}
	seen[in.Slug] = true
	p := PageSettings{Slug: in.Slug, Name: in.Name, Description: in.Description, Layout: in.Layout, ShowActivity: in.ShowActivity}
	pending := false
	for _, slug := range in.Checks {
		ref, ok := refs[slug]
		if !ok {
			c, err := t.d.Store.ResolveSlug(ctx, u.ID, slug)
			switch {
			case messages.CodeOf(err) == messages.ENotFound:
				res.Notes = append(res.Notes, "check "+strconv.Quote(truncateRunes(slug, 64))+" is neither imported nor one of this account's checks: left out")
				continue
			case err != nil:
				return err
			}
			ref = checkRef{id: c.ID}
		}
		if ref.pending {
			pending = true
			continue // a dry run's new check: it has no id yet
		}
		if !slices.Contains(p.CheckIDs, ref.id) {
			p.CheckIDs = append(p.CheckIDs, ref.id)
		}
	}
	if err := t.d.Pages.ValidatePage(&p); err != nil {
		return err
	}
	i := slices.IndexFunc(have, func(h PageSettings) bool { return h.Slug == p.Slug })
	if i < 0 {
		res.Result = ImportCreated
		if dryRun {
			return nil
		}
		res.ID, err = t.d.Pages.CreatePage(ctx, u.ID, p)
		return err
	}
	cur := have[i]
	p.ID, res.ID = cur.ID, cur.ID
	if !pending && samePage(cur, p) {
		res.Result = ImportUnchanged
		return nil
	}
	res.Result = ImportUpdated
	if dryRun {
		return nil
	}
	return t.d.Pages.UpdatePage(ctx, u.ID, p)
}

// samePage reports whether two pages' settings are equal.
func samePage(a, b PageSettings) bool {
	return a.Slug == b.Slug && a.Name == b.Name && a.Description == b.Description && a.Layout == b.Layout &&
		a.ShowActivity == b.ShowActivity && slices.Equal(a.CheckIDs, b.CheckIDs)
}
