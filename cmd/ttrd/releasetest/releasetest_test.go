package releasetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/cmd/ttrd/releasetest"
)

// TestBuildBase builds the previous release (or finds it cached) and checks that what it
// returns is a ttrd that runs: `ttrd -h` lists the flags every release has.
func TestBuildBase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release: not in -short")
	}
	bin := releasetest.BuildBase(t)
	if _, err := os.Stat(bin); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, "-h").CombinedOutput() // -h exits 0; the text is what counts
	for _, flag := range []string{"-http-addr", "-data-dir", "-database-url"} {
		if !strings.Contains(string(out), flag) {
			t.Errorf("%s -h does not list %s:\n%s", bin, flag, out)
		}
	}
	// A second call reuses the cached binary.
	if again := releasetest.BuildBase(t); again != bin {
		t.Errorf("second BuildBase = %s, want the cached %s", again, bin)
	}
}

// TestBaseCommitIsFullHash: testdata/upgrade/base names a full commit hash, so the cache key
// and the checkout never depend on how an abbreviation resolves.
func TestBaseCommitIsFullHash(t *testing.T) {
	root := releasetest.RepoRoot(t)
	rev := releasetest.BaseCommit(t, root)
	if len(rev) != 40 || strings.Trim(rev, "0123456789abcdef") != "" {
		t.Errorf("%s = %q, want a full 40-hex-digit commit hash", releasetest.BaseFile, rev)
	}
}
