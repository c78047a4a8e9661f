package messages

import "time"

// Session is a signed-in browser (the web UI). TokenHash is the keyed hash of the random
// token its cookie holds; the token itself is never stored.
type Session struct {
	TokenHash []byte
	UserID    int64
	CreatedAt time.Time
	SeenAt    time.Time // last use, refreshed at most once a minute (idle expiry)
	ExpiresAt time.Time // absolute expiry
}

// UserPrefs are a user's display settings in the web UI. "" means the default throughout:
// the default theme, the browser's light/dark preference, UTC.
type UserPrefs struct {
	Theme     string
	ThemeMode string
	TZ        string
}

// UserSettings is a partial update of a user's settings: nil fields keep their value.
type UserSettings struct {
	SlugPings *bool
	Theme     *string
	ThemeMode *string
	TZ        *string
}
