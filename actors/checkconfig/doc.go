// Package checkconfig owns the rules of a check's writable configuration: its defaults, what
// a valid configuration is, and how an edit (messages.CheckEdit) merges into the current one.
// The edge uses it to build a new check and to word its errors; the check actor uses it to
// apply an edit against the configuration it holds, so the merge happens where edits are
// ordered and two edits of different fields never undo each other.
//
// It is pure: no actor, SQL or HTTP code, and the time comes from the caller. It imports
// messages and the pure schedule and content-rule packages.
package checkconfig
