package credential

import (
	"fmt"
	"strings"
)

// Scope is one permission of an API token.
type Scope uint8

// The scopes. Write implies Read (a token that changes checks must see them).
const (
	Read     Scope = 1 << iota // list and read checks, pings, flips, stats
	Write                      // create, update, pause, resume checks
	Delete                     // delete checks
	Channels                   // alert settings, test sends and rate snapshots
)

// Scopes is a set of scopes.
type Scopes uint8

// All is every scope: what the user's key and a session may do.
const All = Scopes(Read | Write | Delete | Channels)

// ordered lists the scopes in their canonical (alphabetical) order.
var ordered = []struct {
	s    Scope
	name string
}{{Channels, "channels"}, {Delete, "delete"}, {Read, "read"}, {Write, "write"}}

// String is the scope's name.
func (s Scope) String() string {
	for _, o := range ordered {
		if o.s == s {
			return o.name
		}
	}
	return fmt.Sprintf("scope(%d)", uint8(s))
}

// ParseScopes reads scope names. Write adds Read; an unknown name or an empty list is an
// error naming the problem.
func ParseScopes(names []string) (Scopes, error) {
	if len(names) == 0 {
		return 0, fmt.Errorf("scopes: name at least one of read, write, delete, channels")
	}
	var set Scopes
	for _, n := range names {
		s, ok := scopeNamed(n)
		if !ok {
			return 0, fmt.Errorf("scopes: unknown scope %q (read, write, delete, channels)", n)
		}
		set |= Scopes(s)
	}
	if set.Has(Write) {
		set |= Scopes(Read)
	}
	return set, nil
}

func scopeNamed(name string) (Scope, bool) {
	for _, o := range ordered {
		if o.name == name {
			return o.s, true
		}
	}
	return 0, false
}

// ScopesFromStored reads the stored form (String); names it does not know are dropped, so a
// scope removed in a later release grants nothing.
func ScopesFromStored(stored string) Scopes {
	var set Scopes
	for _, n := range strings.Split(stored, ",") {
		if s, ok := scopeNamed(n); ok {
			set |= Scopes(s)
		}
	}
	return set
}

// Has reports whether the set holds s.
func (ss Scopes) Has(s Scope) bool { return ss&Scopes(s) != 0 }

// Names lists the set's scopes in canonical order.
func (ss Scopes) Names() []string {
	out := []string{}
	for _, o := range ordered {
		if ss.Has(o.s) {
			out = append(out, o.name)
		}
	}
	return out
}

// String is the stored form: the names in canonical order, comma-separated.
func (ss Scopes) String() string { return strings.Join(ss.Names(), ",") }

// Kind is the token kind the set shows in its prefix: "ro" for read only, "rw" otherwise.
func (ss Scopes) Kind() string {
	if ss == Scopes(Read) {
		return KindReadOnly
	}
	return KindReadWrite
}
