package account

import (
	"strings"
	"testing"
)

func TestRandomSlug(t *testing.T) {
	seen := map[byte]bool{}
	for range 200 {
		s, err := randomSlug(userSlugLen)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != userSlugLen {
			t.Fatalf("len(%q) = %d", s, len(s))
		}
		for i := 0; i < len(s); i++ {
			if !strings.ContainsRune(slugAlphabet, rune(s[i])) {
				t.Fatalf("%q has %q", s, s[i])
			}
			seen[s[i]] = true
		}
	}
	if len(seen) < 30 { // 1600 draws from 36 characters
		t.Errorf("only %d distinct characters drawn", len(seen))
	}
}
