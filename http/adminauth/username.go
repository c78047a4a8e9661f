package adminauth

import "regexp"

// MaxUsernameLen bounds an admin's username.
const MaxUsernameLen = 64

// usernamePattern is what a username may be: letters, digits and . _ @ -, up to 64.
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// ValidUsername reports whether name can be an admin's username (`ttrd admin create` makes
// no other). A sign-in with any other name cannot match an admin, so it is refused without
// asking the store, which may not accept every byte (PostgreSQL refuses NUL in text).
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }
