// Package webtest drives a headless Chromium for the web UI's browser tests: it finds the
// browser ($TTR_CHROME, then PATH), starts it with a fresh profile, records what the browser
// reports against a page (Content-Security-Policy violations, script errors), and runs the
// pinned axe-core accessibility checker on a page in each theme and mode.
//
// Tests skip when no browser is installed, unless CI is set (then they fail: `make test`
// installs Debian's chromium first). axe-core is fetched with `npm pack` into a cache
// directory outside the repository and checked against its SHA-256 before use.
//
// It is a test helper: only _test files import it.
package webtest
