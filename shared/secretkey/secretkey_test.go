package secretkey

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// Two test secrets, fresh for every run, as the policy wants them.
var testSecret, testSecretPrev = randomSecret(48), randomSecret(48)

func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// randomText is a random string of n printable characters that is neither
// hex nor base64 (it has a '!' at the end).
func randomText(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!#$%&*"
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	b[n-1] = '!'
	return string(b)
}

func counting(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func mustKeys(tb testing.TB, current, previous string) *Keys {
	tb.Helper()
	ks, err := NewKeys(current, previous)
	if err != nil {
		tb.Fatalf("NewKeys: %v", err)
	}
	return ks
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		wantErr string // substring; "" means accepted
	}{
		{"openssl rand -base64 48", testSecret, ""},
		{"openssl rand -base64 32", randomSecret(32), ""},
		{"openssl rand -hex 32", hex.EncodeToString(randomBytes(32)), ""},
		{"openssl rand -hex 32, upper case", strings.ToUpper(hex.EncodeToString(randomBytes(32))), ""},
		{"base64url, unpadded", base64.RawURLEncoding.EncodeToString(randomBytes(40)), ""},
		{"long random", randomSecret(300), ""},
		{"random text of 64 characters", randomText(64), ""},
		// Issue 14 item 1: published examples that passed the old checks.
		{"jwt.io example", "a-string-secret-at-least-256-bits-long", "published example"},
		{"hex counting", "0123456789abcdef0123456789abcdef", "published example"},
		{"secret_key x3", "secret_key_secret_key_secret_key", "published example"},
		{"supersecretkey x3", strings.Repeat("supersecretkey", 3), "published example"},
		{"spring tutorial hex", "404E635266556A586E3272357538782F413F4428472B4B6250645367566B5970", "published example"},
		{"base64 of the jwt.io example", base64.StdEncoding.EncodeToString([]byte("a-string-secret-at-least-256-bits-long")), "published example"},
		// Not on the list, but no more random than those.
		{"counting, three times", strings.Repeat("0123456789ABCDEF", 3), "not random enough"},
		{"counting, four times (hex of 32 bytes)", strings.Repeat("0123456789abcdef", 4), "different"},
		{"a long phrase that is valid base64", "this-is-my-very-long-secret-key-for-the-jwt-signing-of-our-system", "looks like words"},
		{"a long phrase with spaces", "this is my very long secret key for the jwt signing of our system now", "looks like words"},
		{"key words", "my-jwt-signing-key-for-production-2024!", "not random enough"},
		{"sentence", "thisisaverylongsecretkeyforjwtsigning12345", "not random enough"},
		{"repeated word", strings.Repeat("password", 5), "not random enough"},
		{"repeated word, long", strings.Repeat("password", 10), "not random enough"},
		{"keyboard walk", "qwertyuiopasdfghjklzxcvbnm1234567890", "not random enough"},
		{"base64 of a phrase", base64.StdEncoding.EncodeToString([]byte("mysecretkeymysecretkeymysecretkey")), "not random enough"},
		{"hex of a phrase", hex.EncodeToString([]byte("this is my jwt secret key")), "not random enough"},
		{"hex of random text", hex.EncodeToString([]byte(randomSecret(32))[:32]), "not random enough"},
		{"old test secret", "t3st-s3cret-0123456789-abcdefghijklmnop", "not random enough"},
		{"base64 of 24 random bytes", randomSecret(24), "decodes (base64) to 24 bytes"},
		{"empty", "", "not set"},
		{"short", "0123456789abcdef", "too short"},
		{"31 bytes", strings.Repeat("ab3", 10) + "x", "too short"},
		{"seed your-very-secret", "your-very-secret", "published example"},
		{"seed your-very-secret-key", "your-very-secret-key", "published example"},
		{"seed supersecret", "supersecret", "published example"},
		{"seed flask secret", "your_flask_secret", "published example"},
		{".env.example value", ExamplePlaceholder, "published example"},
		{"long change-me", "please-CHANGE-ME-before-production-0123456789", "published example"},
		{"repetitive", strings.Repeat("a", 64), "not random enough"},
		{"repetitive, upper case", strings.Repeat("A", 64), "different"},
		{"run of one byte, hex", strings.Repeat("00", 48), "different"},
		{"two bytes alternating, base64", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x17, 0xe2}, 32)), "different"},
		{"a random block twice", strings.Repeat(hex.EncodeToString(randomBytes(24)), 2), "repeats a block"},
		{"a random block three times, bytes", base64.StdEncoding.EncodeToString(bytes.Repeat(randomBytes(20), 3)), "repeats a block"},
		{"counting bytes", base64.StdEncoding.EncodeToString(counting(64)), "sequence"},
		{"the alphabet, twice and more", "abcdefghijklmnopqrstuvwxyz!abcdefghijklmnopqrstuvwxyz!abcdefghijklm", "not random enough"},
		{"random text, too short", randomText(63), "at least 64 characters"},
		{"hostile: 1 MB of one byte", strings.Repeat("X", 1<<20), "different"},
		{"hostile: 1 MB of random text", randomText(1 << 20), ""},
		{"hostile: NUL bytes", strings.Repeat("\x00", 64), "different"},
		{"hostile: invalid UTF-8", string(bytes.Repeat([]byte{0xff, 0xfe}, 40)), "different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check("SECRET_KEY", tt.secret)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got accepted, want error containing %q", tt.wantErr)
			}
			for _, want := range []string{"SECRET_KEY", tt.wantErr, "openssl rand"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %q, want it to contain %q", err, want)
				}
			}
			if len(tt.secret) >= 8 && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
}

func TestNewKeys(t *testing.T) {
	tests := []struct {
		name, current, previous, wantErr string
	}{
		{"current only", testSecret, "", ""},
		{"rotation", testSecret, testSecretPrev, ""},
		{"bad current", "short", "", "SECRET_KEY "},
		{"bad previous", testSecret, "supersecret", "SECRET_KEY_PREVIOUS"},
		{"same twice", testSecret, testSecret, "equals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeys(tt.current, tt.previous)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestKeyIDIsOneWayAndStable(t *testing.T) {
	a, b := KeyID([]byte(testSecret)), KeyID([]byte(testSecret))
	if a != b {
		t.Fatalf("got %q and %q for one secret", a, b)
	}
	if len(a) != 16 {
		t.Errorf("got kid of %d characters, want 16", len(a))
	}
	if a == KeyID([]byte(testSecretPrev)) {
		t.Error("two secrets share a kid")
	}
	if strings.Contains(testSecret, a) || strings.Contains(a, testSecret[:8]) {
		t.Errorf("kid %q reveals the secret", a)
	}
}

func TestDerive(t *testing.T) {
	ks := mustKeys(t, testSecret, testSecretPrev)
	cookie, err := ks.Derive("web-frontend/session-cookie/v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ks.Derive("web-frontend/session-cookie/v1", 32)
	other, _ := ks.Derive("something-else", 32)
	prev, ok, err := ks.DerivePrevious("web-frontend/session-cookie/v1", 32)
	if err != nil || !ok {
		t.Fatalf("DerivePrevious: %v %v", ok, err)
	}
	switch {
	case len(cookie) != 32:
		t.Errorf("got %d bytes, want 32", len(cookie))
	case !bytes.Equal(cookie, again):
		t.Error("derivation is not stable")
	case bytes.Equal(cookie, other):
		t.Error("two purposes share a key")
	case bytes.Equal(cookie, prev):
		t.Error("previous key derives the same key")
	case bytes.Contains(cookie, []byte(testSecret[:8])) || bytes.Equal(cookie, []byte(testSecret[:32])):
		t.Error("derived key is the secret")
	}
	if _, err := Derive([]byte(testSecret), "", 32); err == nil {
		t.Error("Derive accepted an empty purpose")
	}
	if _, ok, _ := mustKeys(t, testSecret, "").DerivePrevious("x", 32); ok {
		t.Error("DerivePrevious reported a key that is not configured")
	}
}

func TestKeysLookupAndAll(t *testing.T) {
	rotating := mustKeys(t, testSecret, testSecretPrev)
	plain := mustKeys(t, testSecret, "")
	cur, prev := KeyID([]byte(testSecret)), KeyID([]byte(testSecretPrev))
	tests := []struct {
		name   string
		keys   *Keys
		kid    string
		wantOK bool
	}{
		{"current", rotating, cur, true},
		{"previous while rotating", rotating, prev, true},
		{"previous after rotation", plain, prev, false},
		{"unknown", rotating, "AAAAAAAAAAAAAAAA", false},
		{"empty kid", plain, "", false},
		{"the secret itself", plain, testSecret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, ok := tt.keys.Lookup(tt.kid)
			if ok != tt.wantOK {
				t.Fatalf("Lookup(%q): got ok %v, want %v", tt.kid, ok, tt.wantOK)
			}
			if ok && k.ID() != tt.kid {
				t.Errorf("got key %q, want %q", k.ID(), tt.kid)
			}
		})
	}
	if got := rotating.All(); len(got) != 2 || got[0].ID() != cur || got[1].ID() != prev {
		t.Errorf("All while rotating: got %v, want current then previous", got)
	}
	if got := plain.All(); len(got) != 1 || got[0].ID() != cur {
		t.Errorf("All: got %v, want the current key only", got)
	}
	if _, ok := plain.Previous(); ok {
		t.Error("Previous reported a key that is not configured")
	}
}

func TestKeySecretIsACopy(t *testing.T) {
	k, err := NewKey(EnvCurrent, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	s := k.Secret()
	if string(s) != testSecret {
		t.Fatalf("got %q, want the secret", s)
	}
	s[0] ^= 0xff
	if string(k.Secret()) != testSecret {
		t.Error("changing the returned secret changed the key")
	}
	if _, err := NewKey("JWT_SECRET", "short"); err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Errorf("got %v, want an error naming JWT_SECRET", err)
	}
}

func TestDeriveKnownAnswer(t *testing.T) {
	// HKDF-SHA256 with salt "jwt-micro-system": a change of salt, hash or
	// label would silently log every user out, so the output is pinned.
	got, err := Derive([]byte(testSecret), "web-frontend/session-cookie/v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	want := hkdfReference(t, []byte(testSecret), []byte("jwt-micro-system"), []byte("web-frontend/session-cookie/v1"), 32)
	if !bytes.Equal(got, want) {
		t.Errorf("got %x, want %x", got, want)
	}
	if _, err := Derive(nil, "x", 32); err == nil {
		t.Error("Derive accepted an empty secret")
	}
}

// hkdfReference is RFC 5869 written out with crypto/hmac, independently of
// crypto/hkdf.
func hkdfReference(tb testing.TB, secret, salt, info []byte, size int) []byte {
	tb.Helper()
	ext := hmac.New(sha256.New, salt)
	ext.Write(secret)
	prk := ext.Sum(nil)
	var out, prev []byte
	for i := byte(1); len(out) < size; i++ {
		m := hmac.New(sha256.New, prk)
		m.Write(prev)
		m.Write(info)
		m.Write([]byte{i})
		prev = m.Sum(nil)
		out = append(out, prev...)
	}
	return out[:size]
}
