// Package runchart is the run-duration chart of a check's page: runs paired from the ping
// log (a start and the success or failure that ends it, by the rules the check itself uses
// for its last run duration) and drawn as a small, accessible SVG bar chart. It is pure: no
// HTTP, no store, no clock; it imports only the standard library and messages' ping kinds.
package runchart
