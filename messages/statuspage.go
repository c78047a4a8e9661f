package messages

import "time"

// StatusPage is a public page, /s/{user slug}/{Slug}, showing some of its owner's checks.
type StatusPage struct {
	ID           int64
	UserID       int64
	Slug         string
	Name         string
	Description  string
	Layout       string // StatusPageLayouts
	ShowActivity bool   // the last pings' times, kinds and countries
	CheckIDs     []int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Version counts the owner's edits (the API's ETag; If-Match compares against it).
	Version int64
}

// Status page layouts; the first is the default.
const (
	LayoutCards    = "cards"
	LayoutGrid     = "grid"
	LayoutTimeline = "timeline"
)

// StatusPageLayouts are the layouts a page may have, the default first.
var StatusPageLayouts = []string{LayoutCards, LayoutGrid, LayoutTimeline}
