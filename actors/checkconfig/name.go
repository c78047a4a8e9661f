package checkconfig

import (
	"strings"
	"unicode/utf8"
)

// controlClass is a kind of character a name must not hold, as a user would call it.
type controlClass struct {
	label string
	match func(r rune) bool
}

// controlClasses are checked in this order, and every class present is named, so one answer
// says everything that is wrong with a name (a name pasted from a terminal can hold several).
var controlClasses = []controlClass{
	{"NUL", func(r rune) bool { return r == 0 }},
	{"line breaks", func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029
	}},
	{"tabs", func(r rune) bool { return r == '\t' }},
	{"ESC (escape sequences)", func(r rune) bool { return r == 0x1b }},
	{"other control characters", func(r rune) bool {
		return (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) &&
			r != 0 && r != '\n' && r != '\r' && r != '\v' && r != '\f' && r != 0x85 && r != '\t' && r != 0x1b
	}},
}

// ValidateName checks a check's name: at most MaxNameLen characters, on one line, without
// control characters. A refusal names every class of offending character the name holds.
func ValidateName(name string) error {
	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		return invalid("name must be at most %d characters (it has %d)", MaxNameLen, n)
	}
	var found []string
	for _, c := range controlClasses {
		if strings.ContainsFunc(name, c.match) {
			found = append(found, c.label)
		}
	}
	if len(found) > 0 {
		return invalid("name must not contain %s", joinAnd(found))
	}
	return nil
}

// joinAnd joins items as "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
