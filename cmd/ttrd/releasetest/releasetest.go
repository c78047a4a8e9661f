// Package releasetest builds earlier releases of ttrd for tests that run them beside the
// current code: the upgrade test (fill a store with the previous release, migrate it with this
// one) and rolling-upgrade tests (a cluster of mixed releases).
//
// The previous release is the commit named in testdata/upgrade/base at the repository root.
// BuildBase checks that commit out with `git worktree add` into a cache directory keyed by the
// commit, builds its cmd/ttrd there, and keeps the binary, so later runs (and other test
// packages) reuse it without building again. It needs git history: without it (a source
// tarball, a shallow clone) the test is skipped, unless the CI environment variable is set,
// when it fails.
//
// It is a test helper and nothing else: only _test.go files import it (it takes a testing.TB
// everywhere). It lives outside cmd/ttrd/internal so that the tests of every package can use
// it — cmd/ttrd's upgrade test and cluster/chaos's rolling upgrades — and share one cache of
// built releases. It imports no package of ours.
package releasetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BaseFile is where, relative to the repository root, the previous release's commit is named.
const BaseFile = "testdata/upgrade/base"

// CacheEnv names the environment variable that overrides the cache directory (default: the
// user cache directory's ttr-releasetest, or the system temp directory without one).
const CacheEnv = "TTR_RELEASE_CACHE"

// buildTimeout bounds checking out and building one release on a loaded machine.
const buildTimeout = 10 * time.Minute

// BuildBase returns the path of the ttrd binary of the previous release (BaseFile), building
// it on first use.
func BuildBase(tb testing.TB) string {
	tb.Helper()
	root := RepoRoot(tb)
	return Build(tb, BaseCommit(tb, root))
}

// BaseCommit reads the commit named in BaseFile under the repository root.
func BaseCommit(tb testing.TB, root string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, BaseFile))
	if err != nil {
		tb.Fatalf("releasetest: %v", err)
	}
	rev := strings.TrimSpace(string(b))
	if rev == "" {
		tb.Fatalf("releasetest: %s is empty", BaseFile)
	}
	return rev
}

// RepoRoot returns the top of the git work tree the test runs in, or skips (fails under CI)
// when there is none.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	out, err := git(context.Background(), "", "rev-parse", "--show-toplevel")
	if err != nil {
		unavailable(tb, "no git work tree: %v", err)
	}
	return strings.TrimSpace(out)
}

// Build returns the path of the ttrd binary of rev (a commit, tag or abbreviated hash of the
// repository the test runs in), building it on first use into the cache directory under rev's
// full hash.
func Build(tb testing.TB, rev string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	root := RepoRoot(tb)
	out, err := git(ctx, root, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		unavailable(tb, "commit %s is not in this clone's history (shallow clone?): %v", rev, err)
	}
	commit := strings.TrimSpace(out)
	dir := filepath.Join(cacheDir(), commit)
	bin := filepath.Join(dir, "ttrd")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("releasetest: %v", err)
	}
	tb.Logf("releasetest: building ttrd at %s (cached in %s)", commit[:12], dir)
	if err := build(ctx, root, commit, dir, bin); err != nil {
		tb.Fatalf("releasetest: build ttrd at %s: %v", commit, err)
	}
	return bin
}

// build checks commit out into a temporary worktree under dir, builds cmd/ttrd there and
// renames the binary to bin. The rename is atomic, so two packages building at once both
// succeed and the cache never holds half a binary.
func build(ctx context.Context, root, commit, dir, bin string) error {
	wt, err := os.MkdirTemp(dir, "worktree-")
	if err != nil {
		return err
	}
	// git worktree add wants to create the directory itself.
	if err := os.Remove(wt); err != nil {
		return err
	}
	if _, err := git(ctx, root, "worktree", "add", "--detach", "--force", wt, commit); err != nil {
		return err
	}
	defer func() {
		_, _ = git(context.Background(), root, "worktree", "remove", "--force", wt)
		_ = os.RemoveAll(wt)
		_, _ = git(context.Background(), root, "worktree", "prune")
	}()
	tmp := filepath.Join(dir, fmt.Sprintf("ttrd.%d.tmp", os.Getpid()))
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", tmp, "./cmd/ttrd")
	cmd.Dir = wt
	// The old release builds against its own go.mod, never a workspace of the current tree.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("go build: %v\n%s", err, stderr.String())
	}
	return os.Rename(tmp, bin)
}

// cacheDir is where built releases are kept.
func cacheDir() string {
	if d := os.Getenv(CacheEnv); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "ttr-releasetest")
	}
	return filepath.Join(os.TempDir(), "ttr-releasetest")
}

// git runs git in dir ("" = the current directory) and returns its standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", errors.New("git is not installed")
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// unavailable skips the test when git history is missing, unless CI is set: a CI run must
// not pass by skipping the upgrade test.
func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("releasetest: "+format, args...)
	}
	tb.Skipf("releasetest: "+format, args...)
}
