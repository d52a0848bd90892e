package secretkey

import (
	"bytes"
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
