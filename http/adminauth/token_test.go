package adminauth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ttr-rip/ttr/http/adminauth"
)

var (
	key     = []byte("0123456789abcdef0123456789abcdef")
	prevKey = []byte("fedcba9876543210fedcba9876543210")
	t0      = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
)

func newTokens(t *testing.T, keys adminauth.Keys, now func() time.Time) *adminauth.Tokens {
	t.Helper()
	tok, err := adminauth.New(adminauth.DefaultConfig(), keys, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sign signs claims with method and k (a forger's token).
func sign(t *testing.T, method jwt.SigningMethod, claims jwt.Claims, k any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims returns valid access claims at t0, changed by f.
func claims(f func(c *adminauth.Claims)) *adminauth.Claims {
	c := &adminauth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "ttr", Subject: "7", Audience: jwt.ClaimStrings{"ttr-admin"},
			ExpiresAt: jwt.NewNumericDate(t0.Add(10 * time.Minute)), IssuedAt: jwt.NewNumericDate(t0), ID: "jti-1",
		},
		Type: adminauth.Access, Family: "fam-1",
	}
	if f != nil {
		f(c)
	}
	return c
}

func TestParseRefuses(t *testing.T) {
	now := func() time.Time { return t0.Add(time.Minute) }
	tokens := newTokens(t, adminauth.Keys{Sign: key}, now)
	refresh, _, err := tokens.Mint(7, adminauth.Refresh, "fam-1")
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(t, jwt.SigningMethodHS256, claims(nil), key)
	if c, err := tokens.Parse(valid, adminauth.Access); err != nil || c.AdminID() != 7 || c.Family != "fam-1" || c.ID != "jti-1" {
		t.Fatalf("the valid control token: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"missing", ""},
		{"garbage", "not.a.jwt"},
		{"wrong key", sign(t, jwt.SigningMethodHS256, claims(nil), []byte("another key of thirty-two bytes!!"))},
		{"expired", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) {
			c.ExpiresAt = jwt.NewNumericDate(t0.Add(30 * time.Second))
		}), key)},
		{"no exp", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.ExpiresAt = nil }), key)},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) {
			c.IssuedAt = jwt.NewNumericDate(t0.Add(5 * time.Minute))
		}), key)},
		{"alg none", sign(t, jwt.SigningMethodNone, claims(nil), jwt.UnsafeAllowNoneSignatureType)},
		{"HS384 with the right key", sign(t, jwt.SigningMethodHS384, claims(nil), key)},
		{"HS512 with the right key", sign(t, jwt.SigningMethodHS512, claims(nil), key)},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.Audience = jwt.ClaimStrings{"ttr-user"} }), key)},
		{"no audience", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.Audience = nil }), key)},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.Issuer = "elsewhere" }), key)},
		{"refresh typed as access", refresh},
		{"no type", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.Type = "" }), key)},
		{"no subject", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.Subject = "" }), key)},
		{"subject not an id", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.Subject = "admin" }), key)},
		{"no jti", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.ID = "" }), key)},
		{"no family", sign(t, jwt.SigningMethodHS256, claims(func(c *adminauth.Claims) { c.Family = "" }), key)},
		{"signature stripped", valid[:strings.LastIndex(valid, ".")+1]},
		{"too long", valid + strings.Repeat("A", adminauth.MaxTokenLen)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := tokens.Parse(tc.token, adminauth.Access); err != adminauth.ErrInvalidToken {
				t.Errorf("accepted (%+v) or refused with %v; want ErrInvalidToken", c, err)
			}
		})
	}
}

func TestMintParseRoundTrip(t *testing.T) {
	now := t0
	tokens := newTokens(t, adminauth.Keys{Sign: key}, func() time.Time { return now })
	for _, typ := range []adminauth.TokenType{adminauth.Access, adminauth.Refresh} {
		s, minted, err := tokens.Mint(42, typ, "fam")
		if err != nil {
			t.Fatal(err)
		}
		got, err := tokens.Parse(s, typ)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if got.ID != minted.ID || got.AdminID() != 42 || got.Family != "fam" || got.Type != typ {
			t.Errorf("%s: parsed %+v, minted %+v", typ, got, minted)
		}
		ttl := got.ExpiresAt.Sub(got.IssuedAt.Time)
		if want := map[adminauth.TokenType]time.Duration{adminauth.Access: 10 * time.Minute, adminauth.Refresh: 12 * time.Hour}[typ]; ttl != want {
			t.Errorf("%s lives %v, want %v", typ, ttl, want)
		}
	}
	// Two tokens never share a jti.
	a, ca, _ := tokens.Mint(1, adminauth.Access, "f")
	b, cb, _ := tokens.Mint(1, adminauth.Access, "f")
	if a == b || ca.ID == cb.ID {
		t.Error("two mints gave the same token id")
	}
	// The access token ends after ten minutes.
	now = t0.Add(10*time.Minute + time.Second)
	if _, err := tokens.Parse(a, adminauth.Access); err == nil {
		t.Error("an access token was accepted after ten minutes")
	}
}

// TestRotationOfTheSecret: while the previous secret's key verifies, tokens it signed are
// accepted; afterwards they are not.
func TestRotationOfTheSecret(t *testing.T) {
	now := func() time.Time { return t0 }
	old := newTokens(t, adminauth.Keys{Sign: prevKey}, now)
	s, _, err := old.Mint(3, adminauth.Access, "f")
	if err != nil {
		t.Fatal(err)
	}
	rotating := newTokens(t, adminauth.Keys{Sign: key, Verify: [][]byte{key, prevKey}}, now)
	if _, err := rotating.Parse(s, adminauth.Access); err != nil {
		t.Errorf("during a rotation, a token of the previous secret: %v", err)
	}
	if !rotating.CheckCSRF("f", old.CSRF("f")) {
		t.Error("during a rotation, a CSRF token of the previous secret is refused")
	}
	after := newTokens(t, adminauth.Keys{Sign: key}, now)
	if _, err := after.Parse(s, adminauth.Access); err == nil {
		t.Error("after the rotation, a token of the previous secret is accepted")
	}
}

func TestCSRF(t *testing.T) {
	tokens := newTokens(t, adminauth.Keys{Sign: key}, nil)
	c := tokens.CSRF("fam-a")
	for _, tc := range []struct {
		family, token string
		want          bool
	}{
		{"fam-a", c, true},
		{"fam-b", c, false},
		{"fam-a", "", false},
		{"fam-a", c[:len(c)-2], false},
		{"fam-a", "!!!", false},
	} {
		if got := tokens.CheckCSRF(tc.family, tc.token); got != tc.want {
			t.Errorf("CheckCSRF(%q, %q) = %v, want %v", tc.family, tc.token, got, tc.want)
		}
	}
}

func TestNewRefusesWeakSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*adminauth.Config)
		keys adminauth.Keys
	}{
		{"short key", nil, adminauth.Keys{Sign: []byte("short")}},
		{"short verification key", nil, adminauth.Keys{Sign: key, Verify: [][]byte{key, []byte("short")}}},
		{"no audience", func(c *adminauth.Config) { c.Audience = "" }, adminauth.Keys{Sign: key}},
		{"access for a day", func(c *adminauth.Config) { c.AccessTTL = 24 * time.Hour }, adminauth.Keys{Sign: key}},
		{"refresh shorter than access", func(c *adminauth.Config) { c.RefreshTTL = time.Minute }, adminauth.Keys{Sign: key}},
	} {
		cfg := adminauth.DefaultConfig()
		if tc.cfg != nil {
			tc.cfg(&cfg)
		}
		if _, err := adminauth.New(cfg, tc.keys, nil); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
