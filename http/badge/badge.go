package badge

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/actors/checklogic"
	"github.com/ttr-rip/ttr/messages"
)

// Status is what a badge shows.
type Status string

// The badge statuses. Unknown is what an id, key or tag that names nothing shows, so that a
// badge reveals nothing about what exists.
const (
	Up      Status = "up"
	Late    Status = "late"
	Down    Status = "down"
	New     Status = "new"
	Paused  Status = "paused"
	Unknown Status = "unknown"
)

// UnknownLabel is the label of the unknown badge (the same for every kind of badge).
const UnknownLabel = "status"

// Of returns a check's badge status at now, from its stored state: down, paused and new as
// stored; up, or late when the check is past its expected time but within its grace (the
// deadline the check's owner stored, computed from its interval, cron or OnCalendar
// schedule). A status this release does not know is Unknown.
func Of(st messages.CheckState, now time.Time) Status {
	switch st.Status {
	case messages.StatusUp:
		if late, _ := checklogic.Derived(messages.CheckConfig{}, st, now); late {
			return Late
		}
		return Up
	case messages.StatusDown:
		return Down
	case messages.StatusNew:
		return New
	case messages.StatusPaused:
		return Paused
	}
	return Unknown
}

// rank orders statuses from the least to the most alarming: a tag's badge shows its worst
// check. An active check outranks a new or paused one, so a tag whose checks are up and
// paused is up.
func rank(s Status) int {
	switch s {
	case Paused:
		return 1
	case New:
		return 2
	case Up:
		return 3
	case Late:
		return 4
	case Down:
		return 5
	}
	return 0
}

// Worst returns the most alarming of ss (down > late > up > new > paused); Unknown when ss
// is empty.
func Worst(ss []Status) Status {
	w := Unknown
	for _, s := range ss {
		if rank(s) > rank(w) {
			w = s
		}
	}
	return w
}

// Badge is one rendered badge's content.
type Badge struct {
	Label  string
	Status Status
}

// Unknowns is the badge every unknown, disabled or rotated id, key or tag answers.
var Unknowns = Badge{Label: UnknownLabel, Status: Unknown}

// Colour is the status's colour as a hex triple (for the SVG).
func (s Status) Colour() string {
	switch s {
	case Up:
		return "#4c1"
	case Late:
		return "#fe7d37"
	case Down:
		return "#e05d44"
	}
	return "#9f9f9f"
}

// ShieldsColour is the status's colour as a shields.io colour name.
func (s Status) ShieldsColour() string {
	switch s {
	case Up:
		return "brightgreen"
	case Late:
		return "orange"
	case Down:
		return "red"
	}
	return "lightgrey"
}

// MaxLabelRunes caps a label (a check's name is at most 100 characters, a tag 50).
const MaxLabelRunes = 100

// label is b's label, capped, with control characters (which XML 1.0 cannot carry) replaced.
func (b Badge) label() string {
	l := b.Label
	if utf8.RuneCountInString(l) > MaxLabelRunes {
		l = string([]rune(l)[:MaxLabelRunes-1]) + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || r == 0xfffe || r == 0xffff {
			return '?'
		}
		return r
	}, l)
}

// JSON is the .json form: {"status", "label"}.
func (b Badge) JSON() []byte {
	out, _ := json.Marshal(struct {
		Status Status `json:"status"`
		Label  string `json:"label"`
	}{b.Status, b.label()})
	return out
}

// Shields is the .shields form: the shields.io endpoint schema
// (https://shields.io/badges/endpoint-badge), schemaVersion 1.
func (b Badge) Shields() []byte {
	out, _ := json.Marshal(struct {
		SchemaVersion int    `json:"schemaVersion"`
		Label         string `json:"label"`
		Message       string `json:"message"`
		Color         string `json:"color"`
	}{1, b.label(), string(b.Status), b.Status.ShieldsColour()})
	return out
}

// padding is the space on each side of a text, in px (shields' flat style).
const padding = 5

// Width returns the advance width of s in DejaVu Sans at 11 px, in px. A rune outside the
// table counts as the widest printable ASCII rune, so a label never overflows its box.
func Width(s string) float64 {
	var w int
	for _, r := range s {
		switch {
		case r >= 0x20 && r <= 0x7e:
			w += int(asciiWidths[r-0x20])
		case r >= 0xa0 && r <= 0xff:
			w += int(latin1Widths[r-0xa0])
		default:
			w += int(widest)
		}
	}
	return float64(w) / 64
}

// widest is the largest advance of the ASCII table.
var widest = func() uint16 {
	var m uint16
	for _, v := range asciiWidths {
		m = max(m, v)
	}
	return m
}()

// SVG renders b in the flat style: the label on grey, the status on its colour.
func (b Badge) SVG() []byte {
	label, msg := b.label(), string(b.Status)
	lw := boxWidth(label)
	mw := boxWidth(msg)
	total := lw + mw
	el, em := xmlEscape(label), xmlEscape(msg)
	var s strings.Builder
	s.Grow(1024 + 4*len(el))
	w := func(parts ...string) {
		for _, p := range parts {
			s.WriteString(p)
		}
	}
	tw, lws, mws := itoa(total), itoa(lw), itoa(mw)
	w(`<svg xmlns="http://www.w3.org/2000/svg" width="`, tw, `" height="20" role="img" aria-label="`, el, `: `, em, `">`)
	w(`<title>`, el, `: `, em, `</title>`)
	w(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	w(`<clipPath id="r"><rect width="`, tw, `" height="20" rx="3" fill="#fff"/></clipPath>`)
	w(`<g clip-path="url(#r)"><rect width="`, lws, `" height="20" fill="#555"/><rect x="`, lws, `" width="`, mws,
		`" height="20" fill="`, b.Status.Colour(), `"/><rect width="`, tw, `" height="20" fill="url(#s)"/></g>`)
	w(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`)
	text(&s, centre(0, lw), el)
	text(&s, centre(lw, mw), em)
	w(`</g></svg>`)
	return []byte(s.String())
}

// boxWidth is the width of a text's box: the measured text, rounded up, plus padding.
func boxWidth(t string) int {
	return int(Width(t)+0.999) + 2*padding
}

// centre is the middle of a box of width w starting at x, in px (halves written as .5).
func centre(x, w int) string {
	c := itoa(x + w/2)
	if w%2 == 1 {
		c += ".5"
	}
	return c
}

// text writes a centred text with the flat style's shadow one pixel below it.
func text(s *strings.Builder, x, escaped string) {
	s.WriteString(`<text x="` + x + `" y="15" fill="#010101" fill-opacity=".3">` + escaped + `</text>`)
	s.WriteString(`<text x="` + x + `" y="14">` + escaped + `</text>`)
}

func itoa(n int) string { return strconv.Itoa(n) }

// xmlEscape escapes the five XML special characters (text and attribute values alike).
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}
