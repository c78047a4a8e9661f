package web

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/account"
)

// themeBlock is one palette of app.css: [data-theme="x"][data-mode="light|dark"] { … }.
var themeBlock = regexp.MustCompile(`\[data-theme="(\w+)"\]\[data-mode="(light|dark)"\][^{]*\{([^}]*)\}`)
var cssVar = regexp.MustCompile(`--([\w-]+):\s*(#[0-9a-fA-F]{6})`)

// luminance is WCAG 2's relative luminance of #rrggbb.
func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(0) + 0.7152*ch(1) + 0.0722*ch(2)
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// TestThemePalettes: every theme has a light and a dark palette defining every colour, and
// each pair of colours the pages put on top of each other reaches WCAG AA (4.5:1).
func TestThemePalettes(t *testing.T) {
	css, err := staticFS.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	pairs := [][2]string{
		{"fg", "bg"}, {"fg", "surface"}, {"muted", "bg"}, {"muted", "surface"},
		{"accent", "bg"}, {"accent", "surface"}, {"accent-fg", "accent"}, {"danger-fg", "danger"},
	}
	seen := map[string]bool{}
	for _, m := range themeBlock.FindAllStringSubmatch(string(css), -1) {
		name := m[1] + "/" + m[2]
		seen[name] = true
		vars := map[string]string{}
		for _, v := range cssVar.FindAllStringSubmatch(m[3], -1) {
			vars[v[1]] = strings.ToLower(v[2])
		}
		for _, p := range pairs {
			fg, bg := vars[p[0]], vars[p[1]]
			if fg == "" || bg == "" {
				t.Errorf("%s: --%s or --%s missing", name, p[0], p[1])
				continue
			}
			if c := contrast(fg, bg); c < 4.5 {
				t.Errorf("%s: --%s %s on --%s %s has contrast %.2f, want at least 4.5", name, p[0], fg, p[1], bg, c)
			}
		}
	}
	for _, th := range account.Themes {
		for _, mode := range []string{"light", "dark"} {
			if !seen[th+"/"+mode] {
				t.Errorf("theme %s has no %s palette", th, mode)
			}
		}
	}
}

func TestContrastFormula(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#767676", "#ffffff", 4.54}} {
		if got := contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}
