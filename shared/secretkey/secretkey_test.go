package secretkey

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
)

// Two well-formed test secrets; neither is used anywhere but tests.
const (
	testSecret     = "t3st-s3cret-0123456789-abcdefghijklmnop"
	testSecretPrev = "pr3vious-s3cret-9876543210-zyxwvutsrqpo"
)

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
		{"good", testSecret, ""},
		{"openssl base64 48", "q0Wl5nM2Jm3bH0xq1oJm8f2Xo3yJb6cZr0ZKkL1gq9yT2JmY+u9Zc7QmSPtEV0cF", ""},
		{"empty", "", "not set"},
		{"short", "0123456789abcdef", "too short"},
		{"31 bytes", strings.Repeat("ab3", 10) + "x", "too short"},
		{"seed your-very-secret", "your-very-secret", "placeholder"},
		{"seed your-very-secret-key", "your-very-secret-key", "placeholder"},
		{"seed supersecret", "supersecret", "placeholder"},
		{"seed flask secret", "your_flask_secret", "placeholder"},
		{".env.example value", ExamplePlaceholder, "placeholder"},
		{"long change-me", "please-CHANGE-ME-before-production-0123456789", "placeholder"},
		{"repetitive", strings.Repeat("a", 64), "repetitive"},
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
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
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
