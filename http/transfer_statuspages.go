package http

import (
	"context"

	"github.com/ttr-rip/ttr/http/statuspage"
)

// StatusPageTransfer adapts the status-page service to what exports and imports need of it
// (TransferPages): the same rules, quota and store as the API's. nil gives nil.
func StatusPageTransfer(s *statuspage.Service) TransferPages {
	if s == nil {
		return nil
	}
	return statusPageTransfer{s: s}
}

type statusPageTransfer struct{ s *statuspage.Service }

func inputOf(p PageSettings) statuspage.Input {
	return statuspage.Input{Slug: p.Slug, Name: p.Name, Description: p.Description, Layout: p.Layout,
		ShowActivity: p.ShowActivity, CheckIDs: p.CheckIDs}
}

func (t statusPageTransfer) ListPages(ctx context.Context, userID int64) ([]PageSettings, error) {
	ps, err := t.s.List(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]PageSettings, len(ps))
	for i, p := range ps {
		out[i] = PageSettings{ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description, Layout: p.Layout,
			ShowActivity: p.ShowActivity, CheckIDs: p.CheckIDs}
	}
	return out, nil
}

func (t statusPageTransfer) ValidatePage(p *PageSettings) error {
	in := inputOf(*p)
	if err := in.Validate(); err != nil {
		return err
	}
	p.Name, p.Layout = in.Name, in.Layout
	return nil
}

func (t statusPageTransfer) CreatePage(ctx context.Context, userID int64, p PageSettings) (int64, error) {
	pg, _, err := t.s.Create(ctx, userID, inputOf(p))
	return pg.ID, err
}

func (t statusPageTransfer) UpdatePage(ctx context.Context, userID int64, p PageSettings) error {
	_, err := t.s.Update(ctx, userID, p.ID, inputOf(p), 0)
	return err
}
