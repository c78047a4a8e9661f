package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var staticFS embed.FS

// asset is one static file, ready to serve under its content-hashed name.
type asset struct {
	hashed string // "app.3f2a1b4c5d6e.css"
	ctype  string
	body   []byte
	gz     []byte // nil when gzip does not make it smaller
}

// assets are the embedded static files by logical name ("app.css") and by hashed name.
type assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// loadAssets reads every embedded static file, names it by a hash of its content (so a
// changed file gets a new URL and the old one can be cached forever) and gzips it once.
func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		as := &asset{hashed: strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext, body: body}
		as.ctype = mime.TypeByExtension(ext)
		if as.ctype == "" {
			as.ctype = "application/octet-stream"
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			as.gz = buf.Bytes()
		}
		a.byName[name], a.byHashed[as.hashed] = as, as
		return nil
	})
	return a, err
}

// url returns the path of a static file by its logical name.
func (a *assets) url(name string) (string, error) {
	as, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + as.hashed, nil
}

// serve answers /static/{hashed name}: immutable for a year (the name changes with the
// content), gzipped when the browser accepts it. Unknown names (an old hash) are 404.
func (a *assets) serve(w http.ResponseWriter, r *http.Request, notFound func(http.ResponseWriter, *http.Request)) {
	as, ok := a.byHashed[strings.TrimPrefix(r.URL.Path, "/static/")]
	if !ok {
		notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	body := as.body
	if as.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether Accept-Encoding lists gzip with a non-zero weight.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
