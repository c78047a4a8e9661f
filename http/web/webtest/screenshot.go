package webtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Screenshot saves the current page as a PNG at path: the window's width, the page's height
// up to maxHeight CSS pixels, scaled by scale (documentation screenshots stay small).
func (b *Browser) Screenshot(tb testing.TB, path string, maxHeight int, scale float64) {
	tb.Helper()
	size := Run(tb, b, chromedp.Evaluate[[2]float64](`[document.documentElement.clientWidth, document.documentElement.scrollHeight]`))
	h := min(size[1], float64(maxHeight))
	png := Run(tb, b, chromedp.Action[[]byte](func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			CaptureBeyondViewport: ptr(true),
			FromSurface:           ptr(true),
			Clip:                  &page.Viewport{X: 0, Y: 0, Width: size[0], Height: h, Scale: scale},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
