package session

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"
)

// Test secrets are fresh for every run, as the secret policy wants them.
var testSecret, otherSecret = servicetest.NewSecret(), servicetest.NewSecret()

func mustCodec(tb testing.TB, current, previous string, secure bool) *Codec {
	tb.Helper()
	ks, err := secretkey.NewKeys(current, previous)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := NewCodec(ks, secure)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// realisticSession is about the size of a real pair: a 64-character
// username, an audience, a 43-character refresh token.
func realisticSession() Session {
	return Session{
		AccessToken:  "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxMjM0NTY3ODlhYmNkZWYiLCJ0eXAiOiJKV1QifQ." + strings.Repeat("x", 420) + "." + strings.Repeat("s", 43),
		RefreshToken: strings.Repeat("r", 43),
	}
}

func TestRoundTrip(t *testing.T) {
	c := mustCodec(t, testSecret, "", true)
	in := realisticSession()
	v, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(v)
	if err != nil {
		t.Fatal(err)
	}
	if got != in {
		t.Errorf("got %+v, want %+v", got, in)
	}
	v2, _ := c.Encode(in)
	if v2 == v {
		t.Error("two encodings are identical: nonce not random")
	}
	if strings.Contains(v, "rrrr") || strings.Contains(v, "xxxx") {
		t.Error("cookie value contains plaintext")
	}
}

func TestCookieFitsBrowserLimit(t *testing.T) {
	for _, secure := range []bool{true, false} {
		c := mustCodec(t, testSecret, "", secure)
		v, err := c.Encode(realisticSession())
		if err != nil {
			t.Fatal(err)
		}
		header := c.Cookie(v).String()
		if len(header) >= 4096 {
			t.Errorf("secure=%v: Set-Cookie is %d bytes, want < 4096", secure, len(header))
		}
	}
	// Whatever Encode accepts fits: the largest value it allows, plus the
	// name and attributes, stays under 4096 bytes.
	c := mustCodec(t, testSecret, "", true)
	if got := len(c.Cookie(strings.Repeat("a", MaxValueLen)).String()); got >= 4096 {
		t.Errorf("a cookie of MaxValueLen is %d bytes, want < 4096", got)
	}
	if _, err := c.Encode(Session{AccessToken: strings.Repeat("a", 3000), RefreshToken: "r"}); err == nil {
		t.Error("Encode accepted tokens too large for a cookie")
	}
}

func TestCookieWithARealMaximalTokenFits(t *testing.T) {
	ks, err := secretkey.NewKeys(testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	// The longest username auth-api allows (64), an audience, the admin role.
	is, err := jwtauth.NewIssuer(ks, jwtauth.IssuerConfig{Issuer: strings.Repeat("i", 64), Audience: strings.Repeat("a", 64), TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := is.Issue(strings.Repeat("u", 64), "admin")
	if err != nil {
		t.Fatal(err)
	}
	c := mustCodec(t, testSecret, "", true)
	v, err := c.Encode(Session{AccessToken: tok, RefreshToken: strings.Repeat("r", 43)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Cookie(v).String()); n >= 4096 {
		t.Errorf("Set-Cookie is %d bytes, want < 4096", n)
	} else {
		t.Logf("Set-Cookie for a maximal session: %d bytes", n)
	}
}

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		secure   bool
		wantName string
	}{
		{true, "__Host-jwtms_session"},
		// Issue 14 item 8: not the plain "session" other apps use.
		{false, "jwtms_session"},
	}
	for _, tt := range tests {
		c := mustCodec(t, testSecret, "", tt.secure)
		ck := c.Cookie("v")
		if ck.Name != tt.wantName || c.Name() != tt.wantName {
			t.Errorf("secure=%v: got name %q, want %q", tt.secure, ck.Name, tt.wantName)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != tt.secure || ck.Domain != "" {
			t.Errorf("secure=%v: got attributes %s", tt.secure, ck.String())
		}
		clr := c.ClearCookie()
		if clr.MaxAge >= 0 || clr.Value != "" || clr.Name != tt.wantName {
			t.Errorf("secure=%v: clear cookie %s does not delete", tt.secure, clr.String())
		}
	}
}

func TestRotation(t *testing.T) {
	old := mustCodec(t, otherSecret, "", true)
	v, err := old.Encode(realisticSession())
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustCodec(t, testSecret, otherSecret, true)
	if _, err := rotated.Decode(v); err != nil {
		t.Errorf("cookie sealed with the previous key refused during rotation: %v", err)
	}
	after := mustCodec(t, testSecret, "", true)
	if _, err := after.Decode(v); !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v after the rotation, want ErrInvalid", err)
	}
	// New cookies are sealed with the new key only.
	nv, _ := rotated.Encode(realisticSession())
	if _, err := after.Decode(nv); err != nil {
		t.Errorf("cookie sealed during rotation not opened with the new key: %v", err)
	}
}

func TestDecodeRefusesBadCookies(t *testing.T) {
	c := mustCodec(t, testSecret, "", true)
	good, err := c.Encode(realisticSession())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	foreign, _ := mustCodec(t, otherSecret, "", true).Encode(realisticSession())
	emptyPlain := func() string { // sealed correctly, but an empty payload
		b := []byte{version}
		b = c.current.Seal(b, nil, nil, []byte(aadV2))
		return base64.RawURLEncoding.EncodeToString(b)
	}()
	tests := []struct {
		name, value string
	}{
		{"empty", ""},
		{"garbage", "not a cookie"},
		{"padded base64", good + "=="},
		{"truncated", good[:len(good)-5]},
		{"truncated to version", good[:2]},
		{"oversized", strings.Repeat("A", MaxValueLen+1)},
		{"huge", strings.Repeat("A", 1<<20)},
		{"flipped version", flip(0)},
		{"flipped nonce", flip(3)},
		{"flipped ciphertext", flip(40)},
		{"flipped tag", flip(len(raw) - 1)},
		{"foreign key", foreign},
		{"empty payload", emptyPlain},
		{"unsealed plaintext", base64.RawURLEncoding.EncodeToString(append([]byte{version}, []byte(strings.Repeat("p", 64))...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.Decode(tt.value)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got err %v, want ErrInvalid", err)
			}
			if s != (Session{}) {
				t.Errorf("got session %+v with an error", s)
			}
		})
	}
}

func TestEncodeRefusesEmptyTokens(t *testing.T) {
	c := mustCodec(t, testSecret, "", true)
	for _, s := range []Session{{}, {AccessToken: "a"}, {RefreshToken: "r"}} {
		if _, err := c.Encode(s); err == nil {
			t.Errorf("Encode(%+v) succeeded", s)
		}
	}
}

// FuzzSessionDecode: Decode never panics, refuses anything it did not seal,
// and whatever it accepts round-trips.
func FuzzSessionDecode(f *testing.F) {
	c := mustCodec(f, testSecret, otherSecret, true)
	good, err := c.Encode(realisticSession())
	if err != nil {
		f.Fatal(err)
	}
	foreign, _ := mustCodec(f, servicetest.NewSecret(), "", true).Encode(realisticSession())
	for _, seed := range []string{good, good[:len(good)/2], foreign, "", "AQ", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", strings.Repeat("-_", 100)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		s, err := c.Decode(value)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if s.AccessToken == "" || s.RefreshToken == "" {
			t.Fatalf("accepted a session with an empty token: %+v", s)
		}
		v, err := c.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if s2, err := c.Decode(v); err != nil || s2 != s {
			t.Fatalf("round trip: got %+v, %v; want %+v", s2, err, s)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	c := mustCodec(b, testSecret, "", true)
	s := realisticSession()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	c := mustCodec(b, testSecret, "", true)
	v, err := c.Encode(realisticSession())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(v); err != nil {
			b.Fatal(err)
		}
	}
}

// sealV1 seals s in the cookie format of version 1 (no refresh expiry),
// as web-frontend wrote it before version 2.
func sealV1(c *Codec, s Session) string {
	plain := binary.AppendUvarint(nil, uint64(len(s.AccessToken)))
	plain = append(plain, s.AccessToken...)
	plain = append(plain, s.RefreshToken...)
	sealed := c.current.Seal([]byte{version1}, nil, plain, []byte(aadV1))
	return base64.RawURLEncoding.EncodeToString(sealed)
}

// sealV2Plain seals a raw version 2 plaintext.
func sealV2Plain(c *Codec, plain []byte) string {
	return base64.RawURLEncoding.EncodeToString(c.current.Seal([]byte{version2}, nil, plain, []byte(aadV2)))
}

func TestCookieVersions(t *testing.T) {
	c := mustCodec(t, testSecret, "", true)
	s := realisticSession()
	exp := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	withExp := s
	withExp.RefreshExpires = exp
	v2, err := c.Encode(withExp)
	if err != nil {
		t.Fatal(err)
	}
	v2unknown, err := c.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	v1 := sealV1(c, s)
	retag := func(v string, b byte) string { // the version byte changed, nothing else
		raw, _ := base64.RawURLEncoding.DecodeString(v)
		raw[0] = b
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	plain := func(exp uint64) []byte {
		p := binary.AppendUvarint(nil, exp)
		p = binary.AppendUvarint(p, uint64(len(s.AccessToken)))
		return append(append(p, s.AccessToken...), s.RefreshToken...)
	}
	tests := []struct {
		name    string
		value   string
		want    Session
		wantErr bool
	}{
		{"version 2 with the expiry", v2, withExp, false},
		{"version 2, expiry unknown", v2unknown, s, false},
		{"version 1: still opens, expiry unknown", v1, s, false},
		{"version 1 relabelled 2", retag(v1, version2), Session{}, true},
		{"version 2 relabelled 1", retag(v2, version1), Session{}, true},
		{"version 3", retag(v2, 3), Session{}, true},
		{"version 2, expiry past the year 9999", sealV2Plain(c, plain(maxUnix+1)), Session{}, true},
		{"version 2, expiry only", sealV2Plain(c, binary.AppendUvarint(nil, 1)), Session{}, true},
		{"version 2, truncated varint", sealV2Plain(c, []byte{0x80}), Session{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Decode(tt.value)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) || got != (Session{}) {
					t.Fatalf("got %+v, %v; want ErrInvalid", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	// Encode writes version 2, and an expiry it cannot carry is unknown.
	if raw, _ := base64.RawURLEncoding.DecodeString(v2); raw[0] != version2 {
		t.Errorf("Encode wrote version %d, want %d", raw[0], version2)
	}
	for _, bad := range []time.Time{time.Unix(-5, 0), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		odd := s
		odd.RefreshExpires = bad
		v, err := c.Encode(odd)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Decode(v); err != nil || !got.RefreshExpires.IsZero() {
			t.Errorf("expiry %v: got %v, %v; want it unknown", bad, got.RefreshExpires, err)
		}
	}
}
