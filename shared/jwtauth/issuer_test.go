package jwtauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
)

// handVerify checks an HS256 token without golang-jwt, the way any other
// standard library would, and returns its decoded header and payload.
func handVerify(tb testing.TB, token, secret string) (header, payload map[string]any) {
	tb.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		tb.Fatalf("got %d segments, want 3", len(parts))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		tb.Fatalf("signature is not base64url: %v", err)
	}
	if !hmac.Equal(sig, mac.Sum(nil)) {
		tb.Fatal("independent HMAC-SHA256 check failed")
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			tb.Fatalf("segment %d is not base64url: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			tb.Fatalf("segment %d is not JSON: %v", i, err)
		}
	}
	return header, payload
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestIssuedTokenMatchesSpec(t *testing.T) {
	tests := []struct {
		name     string
		audience string
		wantKeys []string
	}{
		{"no audience", "", []string{"exp", "iat", "iss", "jti", "role", "sub"}},
		{"with audience", "my-app", []string{"aud", "exp", "iat", "iss", "jti", "role", "sub"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := mustKeys(t, testSecret, "")
			is, err := NewIssuer(ks, IssuerConfig{Audience: tt.audience, TTL: 30 * time.Minute, Now: fixedClock(testNow)})
			if err != nil {
				t.Fatal(err)
			}
			token, claims, err := is.Issue("alice", "admin")
			if err != nil {
				t.Fatal(err)
			}

			header, payload := handVerify(t, token, testSecret)
			wantHeader := map[string]any{"alg": "HS256", "typ": "JWT", "kid": ks.Current().ID()}
			if !reflect.DeepEqual(header, wantHeader) {
				t.Errorf("got header %v, want %v", header, wantHeader)
			}
			if got := sortedKeys(payload); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("got payload keys %v, want %v", got, tt.wantKeys)
			}
			checks := []struct {
				claim string
				got   any
				want  any
			}{
				{"sub", payload["sub"], "alice"},
				{"role", payload["role"], "admin"},
				{"iss", payload["iss"], DefaultIssuer},
				{"iat", payload["iat"], float64(testNow.Unix())},
				{"exp", payload["exp"], float64(testNow.Add(30 * time.Minute).Unix())},
				{"jti", payload["jti"], claims.ID},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("claim %s: got %v, want %v", c.claim, c.got, c.want)
				}
			}
			if tt.audience != "" && !reflect.DeepEqual(payload["aud"], []any{tt.audience}) {
				t.Errorf("got aud %v, want [%s]", payload["aud"], tt.audience)
			}
			if jti, _ := payload["jti"].(string); len(jti) < 22 {
				t.Errorf("got jti %q, want at least 128 bits", jti)
			}

			v := mustVerifier(t, ks, VerifierConfig{Audience: tt.audience})
			got, err := v.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Subject != claims.Subject || got.Role != claims.Role || got.ID != claims.ID ||
				got.Issuer != claims.Issuer || !slices.Equal(got.Audience, claims.Audience) ||
				!got.ExpiresAt.Equal(claims.ExpiresAt.Time) || !got.IssuedAt.Equal(claims.IssuedAt.Time) {
				t.Errorf("got verified claims %+v, want %+v", got, claims)
			}
		})
	}
}

func TestIssueGivesUniqueTokenIDs(t *testing.T) {
	is, err := NewIssuer(mustKeys(t, testSecret, ""), IssuerConfig{TTL: time.Minute, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 100 {
		_, c, err := is.Issue("alice", "user")
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.ID] {
			t.Fatalf("jti %q issued twice", c.ID)
		}
		seen[c.ID] = true
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	if _, err := NewIssuer(ks, IssuerConfig{}); err == nil {
		t.Error("NewIssuer accepted a zero TTL")
	}
	if _, err := NewIssuer(nil, IssuerConfig{TTL: time.Minute}); err == nil {
		t.Error("NewIssuer accepted nil keys")
	}
	is, err := NewIssuer(ks, IssuerConfig{TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][2]string{{"", "user"}, {"alice", ""}} {
		if _, _, err := is.Issue(in[0], in[1]); err == nil {
			t.Errorf("Issue(%q, %q) succeeded", in[0], in[1])
		}
	}
}

func TestIssuedTokenExpires(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: 30 * time.Minute, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := is.Issue("alice", "user")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Duration
		want Reason
	}{
		{0, ""},
		{29 * time.Minute, ""},
		{30*time.Minute + 29*time.Second, ""}, // inside the 30 s leeway
		{30*time.Minute + 30*time.Second, ReasonExpired},
		{24 * time.Hour, ReasonExpired},
	}
	for _, tt := range tests {
		v := mustVerifier(t, ks, VerifierConfig{Leeway: MaxLeeway, Now: fixedClock(testNow.Add(tt.at))})
		_, err := v.Verify(token)
		if got := ReasonOf(err); got != tt.want {
			t.Errorf("at +%s: got reason %q, want %q", tt.at, got, tt.want)
		}
	}
}

func TestRotation(t *testing.T) {
	oldKeys := mustKeys(t, testSecretPrev, "")
	oldIssuer, err := NewIssuer(oldKeys, IssuerConfig{TTL: time.Hour, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	oldToken, _, err := oldIssuer.Issue("alice", "user")
	if err != nil {
		t.Fatal(err)
	}
	rotating := mustKeys(t, testSecret, testSecretPrev)
	newIssuer, err := NewIssuer(rotating, IssuerConfig{TTL: time.Hour, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	newToken, _, err := newIssuer.Issue("bob", "user")
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := handVerify(t, newToken, testSecret); h["kid"] != secretkey.KeyID([]byte(testSecret)) {
		t.Errorf("got kid %v on a token issued during rotation, want the new key's", h["kid"])
	}
	done := mustKeys(t, testSecret, "")
	tests := []struct {
		name  string
		keys  *secretkey.Keys
		token string
		want  Reason
	}{
		{"old token while previous key is set", rotating, oldToken, ""},
		{"new token while previous key is set", rotating, newToken, ""},
		{"old token after previous key is removed", done, oldToken, ReasonUnknownKey},
		{"new token after previous key is removed", done, newToken, ""},
		{"new token on a service not yet rotated", oldKeys, newToken, ReasonUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustVerifier(t, tt.keys, VerifierConfig{}).Verify(tt.token)
			if got := ReasonOf(err); got != tt.want {
				t.Errorf("got reason %q, want %q (err: %v)", got, tt.want, err)
			}
		})
	}
}
