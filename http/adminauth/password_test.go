package adminauth_test

import (
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/http/adminauth"
)

// fast are cheap parameters for the tests that do not check the cost itself.
var fast = adminauth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPasswordFormat(t *testing.T) {
	h, err := adminauth.HashPassword("correct horse battery", adminauth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Count(h, "$") != 5 {
		t.Errorf("hash %q is not the PHC string of argon2id with m=19 MiB, t=2, p=1", h)
	}
	h2, _ := adminauth.HashPassword("correct horse battery", adminauth.DefaultParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if ok, err := adminauth.VerifyPassword(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("the right password: %v, %v", ok, err)
	}
}

func TestVerifyPassword(t *testing.T) {
	h, err := adminauth.HashPassword("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, hash, pw string
		want, err      bool
	}{
		{"right", h, "correct horse battery", true, false},
		{"wrong", h, "correct horse batterx", false, false},
		{"empty", h, "", false, false},
		{"too long", h, strings.Repeat("x", adminauth.MaxPasswordBytes+1), false, false},
		{"bcrypt hash", "$2a$10$abcdefghijklmnopqrstuu5q6Vvxg8Vq0uK6xq7xZP7v3b3y7iX6O", "x", false, true},
		{"empty hash", "", "x", false, true},
		{"huge memory", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x", false, true},
		{"wrong version", strings.Replace(h, "v=19", "v=16", 1), "correct horse battery", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := adminauth.VerifyPassword(tc.hash, tc.pw)
			if ok != tc.want || (err != nil) != tc.err {
				t.Errorf("VerifyPassword = %v, %v; want %v, error %v", ok, err, tc.want, tc.err)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"short", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"ünïcödé-pässwörd", true},
		{strings.Repeat("é", 11), false}, // 22 bytes, 11 characters
		{strings.Repeat("x", adminauth.MaxPasswordBytes), true},
		{strings.Repeat("x", adminauth.MaxPasswordBytes+1), false},
		{"invalid utf8 \xff\xfe\xfd", false},
	} {
		if err := adminauth.CheckPassword(tc.pw); (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok %v", tc.pw, err, tc.ok)
		}
	}
}

func TestVerifierUnknownUser(t *testing.T) {
	v, err := adminauth.NewVerifier(fast)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := adminauth.HashPassword("correct horse battery", fast)
	if !v.Verify(h, true, "correct horse battery") {
		t.Error("the right password of a known admin is refused")
	}
	if v.Verify(h, true, "wrong password!") {
		t.Error("a wrong password is accepted")
	}
	// An unknown admin never signs in, whatever the password (the dummy's included).
	for _, pw := range []string{"correct horse battery", "ttr dummy password, never valid", ""} {
		if v.Verify("", false, pw) {
			t.Errorf("an unknown admin signed in with %q", pw)
		}
	}
	if v.Verify("garbage", true, "x") {
		t.Error("a damaged stored hash signs in")
	}
}
