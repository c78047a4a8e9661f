package hcapi

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Slugify is Django's slugify, which healthchecks.io's v1 and v2 use to derive a check's slug
// from its name: decompose (NFKD), drop what is not ASCII, lower-case, keep word characters,
// spaces and hyphens, turn runs of spaces and hyphens into one hyphen, and trim hyphens and
// underscores from both ends.
func Slugify(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(name) {
		if r > unicode.MaxASCII {
			continue
		}
		r = unicode.ToLower(r)
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		}
	}
	var out strings.Builder
	pending := false
	for _, r := range b.String() {
		if r == ' ' || r == '-' {
			pending = true
			continue
		}
		if pending {
			out.WriteByte('-')
			pending = false
		}
		out.WriteRune(r)
	}
	if pending {
		out.WriteByte('-')
	}
	return strings.Trim(out.String(), "-_")
}
