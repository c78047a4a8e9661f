package statuspage

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
)

// Bounds of a page's settings.
const (
	MaxName        = 100
	MaxDescription = 1000
	// MaxChecks bounds the checks of one page: a page is computed in a constant number of
	// queries, whose size grows with its checks.
	MaxChecks = 100
)

// slugRE is a page slug: the characters of a user slug, one path segment.
var slugRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// reservedSlugs are page slugs that would shadow a route under /s/{user slug}/.
var reservedSlugs = []string{"data", "badge.svg"}

// Input is what an owner sets on a page.
type Input struct {
	Slug         string
	Name         string
	Description  string
	Layout       string // "" = the default (cards)
	ShowActivity bool
	CheckIDs     []int64
}

// Validate checks in and normalises it (default layout, trimmed name).
func (in *Input) Validate() error {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case !slugRE.MatchString(in.Slug):
		return messages.Errorf(messages.EInvalid, "slug must be 1 to 64 of a-z, 0-9, _ and -")
	case slices.Contains(reservedSlugs, in.Slug):
		return messages.Errorf(messages.EInvalid, "slug %q is taken by the page's own addresses: choose another", in.Slug)
	case in.Name == "" || utf8.RuneCountInString(in.Name) > MaxName:
		return messages.Errorf(messages.EInvalid, "name must be 1 to %d characters", MaxName)
	case !utf8.ValidString(in.Name) || !utf8.ValidString(in.Description):
		return messages.Errorf(messages.EInvalid, "name and description must be UTF-8")
	case utf8.RuneCountInString(in.Description) > MaxDescription:
		return messages.Errorf(messages.EInvalid, "description must be at most %d characters", MaxDescription)
	case len(in.CheckIDs) > MaxChecks:
		return messages.Errorf(messages.EInvalid, "a page shows at most %d checks", MaxChecks)
	}
	if in.Layout == "" {
		in.Layout = messages.LayoutCards
	}
	if !slices.Contains(messages.StatusPageLayouts, in.Layout) {
		return messages.Errorf(messages.EInvalid, "layout must be one of %s", strings.Join(messages.StatusPageLayouts, ", "))
	}
	seen := make(map[int64]bool, len(in.CheckIDs))
	for _, id := range in.CheckIDs {
		if id <= 0 {
			return messages.Errorf(messages.EInvalid, "check ids must be positive integers")
		}
		if seen[id] {
			return messages.Errorf(messages.EInvalid, "check %d is listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// ValidLayout reports whether l is a layout (for ?layout=).
func ValidLayout(l string) bool { return slices.Contains(messages.StatusPageLayouts, l) }

// ValidSlug reports whether s may be a page slug (a public URL that is not one is unknown).
func ValidSlug(s string) bool { return slugRE.MatchString(s) }
