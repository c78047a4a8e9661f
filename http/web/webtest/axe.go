package webtest

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// The pinned axe-core: `npm pack axe-core@AxeVersion` must produce a tarball with this
// SHA-256. A new version is a deliberate change of both.
const (
	AxeVersion = "4.14.1"
	axeSHA256  = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"
)

var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

// cacheDir is where the axe-core tarball is kept: $TTR_CACHE_DIR, else the user's cache
// directory (never the repository).
func cacheDir() (string, error) {
	if d := os.Getenv("TTR_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "ttr"), nil
}

// AxeSource returns axe.min.js of the pinned axe-core, fetching it with npm into the cache on
// first use and verifying its checksum every time. Without npm the test is skipped (failed
// under CI).
func AxeSource(tb testing.TB) string {
	tb.Helper()
	axeOnce.Do(func() { axeSrc, axeErr = loadAxe() })
	if axeErr != nil {
		if errors.Is(axeErr, exec.ErrNotFound) && os.Getenv("CI") == "" {
			tb.Skipf("axe-core unavailable: %v", axeErr)
		}
		tb.Fatalf("axe-core: %v", axeErr)
	}
	return axeSrc
}

func loadAxe() (string, error) {
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tgz := filepath.Join(dir, "axe-core-"+AxeVersion+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "", fmt.Errorf("npm is needed to fetch axe-core: %w", err)
		}
		cmd := exec.Command(npm, "pack", "axe-core@"+AxeVersion, "--pack-destination", dir, "--silent")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm pack axe-core@%s: %v: %s", AxeVersion, err, out)
		}
	}
	raw, err := os.ReadFile(tgz)
	if err != nil {
		return "", err
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != axeSHA256 {
		_ = os.Remove(tgz) // fetched again next time
		return "", fmt.Errorf("%s: SHA-256 %x, want %s", tgz, sum, axeSHA256)
	}
	zr, err := gzip.NewReader(strings.NewReader(string(raw)))
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return "", fmt.Errorf("axe.min.js not found in %s: %w", tgz, err)
		}
		if h.Name == "package/axe.min.js" {
			b, err := io.ReadAll(tr)
			return string(b), err
		}
	}
}

// AxeFinding is one rule axe-core found broken on a page.
type AxeFinding struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (f AxeFinding) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", f.ID, f.Impact, f.Help, strings.Join(f.Targets, ", "))
}

// axeRun runs axe on the document and returns its serious and critical findings.
const axeRun = `(async () => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]});
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
})()`

// Axe runs axe-core on the current page and returns its serious and critical findings. The
// source is evaluated through the DevTools protocol, which the page's CSP does not govern.
func (b *Browser) Axe(tb testing.TB) []AxeFinding {
	tb.Helper()
	src := AxeSource(tb)
	if !Run(tb, b, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)) {
		Run(tb, b, chromedp.Evaluate[*struct{}](src+";null"))
	}
	return Run(tb, b, chromedp.Evaluate[[]AxeFinding](axeRun, chromedp.EvalAwaitPromise))
}

// Modes are the light and dark variants every theme is checked in ("system" resolves to one
// of them).
var Modes = []string{"light", "dark"}

// AxeAllThemes runs axe on the current page in every theme × mode (set on <html> as the
// server would) and fails the test for each serious or critical finding.
func (b *Browser) AxeAllThemes(tb testing.TB, where string, themes []string) {
	tb.Helper()
	for _, theme := range themes {
		for _, mode := range Modes {
			Run(tb, b, chromedp.Evaluate[string](fmt.Sprintf(`document.documentElement.dataset.theme = %q; document.documentElement.dataset.mode = %q`, theme, mode)))
			for _, f := range b.Axe(tb) {
				tb.Errorf("%s in %s/%s: %s", where, theme, mode, f)
			}
		}
	}
}
