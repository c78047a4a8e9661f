//go:build !unix

package sqlite

// lockFile locks nothing where flock is not available.
func lockFile(string, bool) (func(), error) { return func() {}, nil }
