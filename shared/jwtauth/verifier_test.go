package jwtauth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerifierRefusesHostileTokens(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	kid := ks.Current().ID()
	hdr := map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}
	hdrWith := func(kv ...any) map[string]any { return with(hdr, kv...) }
	good := goodPayload()
	valid := craft(t, hdr, good, hs256, testSecret, "")
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + jsonSeg(t, with(good, "role", "admin")) + "." + parts[2]

	tests := []struct {
		name     string
		token    string
		audience string
		want     Reason
	}{
		{"alg none", craft(t, hdrWith("alg", "none"), good, nil, "", ""), "", ReasonAlgorithm},
		{"alg None", craft(t, hdrWith("alg", "None"), good, nil, "", ""), "", ReasonAlgorithm},
		{"alg NONE", craft(t, hdrWith("alg", "NONE"), good, nil, "", ""), "", ReasonAlgorithm},
		{"alg none with signature", craft(t, hdrWith("alg", "none"), good, hs256, testSecret, ""), "", ReasonAlgorithm},
		{"alg missing", craft(t, hdrWith("alg", nil), good, hs256, testSecret, ""), "", ReasonAlgorithm},
		{"HS384 with real key", craft(t, hdrWith("alg", "HS384"), good, hs384, testSecret, ""), "", ReasonAlgorithm},
		{"HS512 with real key", craft(t, hdrWith("alg", "HS512"), good, hs512, testSecret, ""), "", ReasonAlgorithm},
		{"RS256 header, HMAC-signed", craft(t, hdrWith("alg", "RS256"), good, hs256, testSecret, ""), "", ReasonAlgorithm},
		{"ES256 header, HMAC-signed", craft(t, hdrWith("alg", "ES256"), good, hs256, testSecret, ""), "", ReasonAlgorithm},
		{"RS256 header, zero signature", craft(t, hdrWith("alg", "RS256"), good, nil, "", b64(make([]byte, 256))), "", ReasonAlgorithm},
		{"ES256 header, zero signature", craft(t, hdrWith("alg", "ES256"), good, nil, "", b64(make([]byte, 64))), "", ReasonAlgorithm},
		{"wrong key, our kid", craft(t, hdr, good, hs256, "another-long-secret-0123456789-abcdef", ""), "", ReasonSignature},
		{"wrong key, no kid", craft(t, hdrWith("kid", nil), good, hs256, "another-long-secret-0123456789-abcdef", ""), "", ReasonSignature},
		{"empty key", craft(t, hdr, good, hs256, "", ""), "", ReasonSignature},
		{"empty key, no kid", craft(t, hdrWith("kid", nil), good, hs256, "", ""), "", ReasonSignature},
		{"seed key your-very-secret", craft(t, hdrWith("kid", nil), good, hs256, "your-very-secret", ""), "", ReasonSignature},
		{"seed key your-very-secret-key", craft(t, hdrWith("kid", nil), good, hs256, "your-very-secret-key", ""), "", ReasonSignature},
		{"seed key supersecret", craft(t, hdr, good, hs256, "supersecret", ""), "", ReasonSignature},
		{"expired", craft(t, hdr, with(good, "exp", testNow.Add(-time.Minute).Unix()), hs256, testSecret, ""), "", ReasonExpired},
		{"expired beyond leeway", craft(t, hdr, with(good, "exp", testNow.Add(-31*time.Second).Unix()), hs256, testSecret, ""), "", ReasonExpired},
		{"exp 0", craft(t, hdr, with(good, "exp", 0), hs256, testSecret, ""), "", ReasonExpired},
		{"exp negative", craft(t, hdr, with(good, "exp", -1), hs256, testSecret, ""), "", ReasonExpired},
		{"no exp", craft(t, hdr, with(good, "exp", nil), hs256, testSecret, ""), "", ReasonMissingExpiry},
		{"exp is a string", craft(t, hdr, with(good, "exp", "tomorrow"), hs256, testSecret, ""), "", ReasonMalformed},
		{"wrong iss", craft(t, hdr, with(good, "iss", "Your Identity"), hs256, testSecret, ""), "", ReasonIssuer},
		{"missing iss", craft(t, hdr, with(good, "iss", nil), hs256, testSecret, ""), "", ReasonIssuer},
		{"future nbf", craft(t, hdr, with(good, "nbf", testNow.Add(time.Hour).Unix()), hs256, testSecret, ""), "", ReasonNotYetValid},
		{"future iat", craft(t, hdr, with(good, "iat", testNow.Add(time.Hour).Unix()), hs256, testSecret, ""), "", ReasonNotYetValid},
		{"wrong aud", craft(t, hdr, with(good, "aud", "other-app"), hs256, testSecret, ""), "my-app", ReasonAudience},
		{"missing aud", valid, "my-app", ReasonAudience},
		{"tampered payload", tampered, "", ReasonSignature},
		{"stripped signature h.p.", parts[0] + "." + parts[1] + ".", "", ReasonSignature},
		{"stripped signature h.p", parts[0] + "." + parts[1], "", ReasonMalformed},
		{"signature of other token", parts[0] + "." + jsonSeg(t, with(good, "sub", "bob")) + "." + parts[2], "", ReasonSignature},
		{"kid path traversal", craft(t, hdrWith("kid", "../../../../etc/passwd"), good, hs256, testSecret, ""), "", ReasonUnknownKey},
		{"kid /dev/null", craft(t, hdrWith("kid", "/dev/null"), good, hs256, "", ""), "", ReasonUnknownKey},
		{"unknown kid", craft(t, hdrWith("kid", "AAAAAAAAAAAAAAAA"), good, hs256, testSecret, ""), "", ReasonUnknownKey},
		{"kid is a number", craft(t, hdrWith("kid", 1), good, hs256, testSecret, ""), "", ReasonUnknownKey},
		{"kid is the secret", craft(t, hdrWith("kid", testSecret), good, hs256, testSecret, ""), "", ReasonUnknownKey},
		{"jku header", craft(t, hdrWith("jku", "https://evil.example/jwks.json"), good, hs256, testSecret, ""), "", ReasonKeyHint},
		{"jwk header", craft(t, hdrWith("jwk", map[string]any{"kty": "oct", "k": b64([]byte("attacker"))}), good, hs256, "attacker", ""), "", ReasonKeyHint},
		{"x5u header", craft(t, hdrWith("x5u", "https://evil.example/cert.pem"), good, hs256, testSecret, ""), "", ReasonKeyHint},
		{"crit header", craft(t, hdrWith("crit", []string{"exp"}), good, hs256, testSecret, ""), "", ReasonKeyHint},
		{"non-string sub", craft(t, hdr, with(good, "sub", 42), hs256, testSecret, ""), "", ReasonMalformed},
		{"sub is an object", craft(t, hdr, with(good, "sub", map[string]any{"admin": true}), hs256, testSecret, ""), "", ReasonMalformed},
		{"non-string role", craft(t, hdr, with(good, "role", []string{"admin"}), hs256, testSecret, ""), "", ReasonMalformed},
		{"no sub", craft(t, hdr, with(good, "sub", nil), hs256, testSecret, ""), "", ReasonMissingClaim},
		{"no role", craft(t, hdr, with(good, "role", nil), hs256, testSecret, ""), "", ReasonMissingClaim},
		{"payload not JSON", craft(t, hdr, "not json", hs256, testSecret, ""), "", ReasonMalformed},
		{"payload JSON array", craft(t, hdr, "[1,2,3]", hs256, testSecret, ""), "", ReasonMalformed},
		{"header not JSON", craft(t, "{alg:HS256", good, hs256, testSecret, ""), "", ReasonMalformed},
		{"bad base64", "###.$$$.%%%", "", ReasonMalformed},
		{"padded base64", parts[0] + "==." + parts[1] + "." + parts[2], "", ReasonMalformed},
		{"garbage", "garbage", "", ReasonMalformed},
		{"empty segments", "..", "", ReasonMalformed},
		{"four segments", valid + ".x", "", ReasonMalformed},
		{"whitespace around", " " + valid + " ", "", ReasonMalformed},
		{"empty", "", "", ReasonMissingToken},
		{"200 KB of dots", strings.Repeat(".", 200<<10), "", ReasonMalformed},
		{"oversized but well formed", craft(t, hdr, with(good, "pad", strings.Repeat("A", MaxTokenLen)), hs256, testSecret, ""), "", ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, ks, VerifierConfig{Audience: tt.audience, Leeway: 30 * time.Second})
			claims, err := v.Verify(tt.token)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", claims)
			}
			if claims != nil {
				t.Errorf("got claims %+v alongside error", claims)
			}
			if got := ReasonOf(err); got != tt.want {
				t.Errorf("got reason %q, want %q (err: %v)", got, tt.want, err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %T is not an *Error", err)
			}
		})
	}
}

func TestVerifierAcceptsValidTokens(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	hdr := map[string]any{"alg": "HS256", "typ": "JWT", "kid": ks.Current().ID()}
	good := goodPayload()
	tests := []struct {
		name     string
		token    string
		audience string
	}{
		{"issued shape", craft(t, hdr, good, hs256, testSecret, ""), ""},
		{"no kid (another library, same secret)", craft(t, map[string]any{"alg": "HS256", "typ": "JWT"}, good, hs256, testSecret, ""), ""},
		{"no typ", craft(t, map[string]any{"alg": "HS256"}, good, hs256, testSecret, ""), ""},
		{"expired within leeway", craft(t, hdr, with(good, "exp", testNow.Add(-29*time.Second).Unix()), hs256, testSecret, ""), ""},
		{"iat slightly ahead (clock skew)", craft(t, hdr, with(good, "iat", testNow.Add(20*time.Second).Unix()), hs256, testSecret, ""), ""},
		{"aud string", craft(t, hdr, with(good, "aud", "my-app"), hs256, testSecret, ""), "my-app"},
		{"aud array", craft(t, hdr, with(good, "aud", []string{"x", "my-app"}), hs256, testSecret, ""), "my-app"},
		{"extra claims ignored", craft(t, hdr, with(good, "name", "Alice"), hs256, testSecret, ""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, ks, VerifierConfig{Audience: tt.audience, Leeway: 30 * time.Second})
			c, err := v.Verify(tt.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.Subject != "alice" || c.Role != "user" {
				t.Errorf("got sub %q role %q, want alice user", c.Subject, c.Role)
			}
		})
	}
}

func TestVerifierBoundedWorkOnDots(t *testing.T) {
	v := mustVerifier(t, mustKeys(t, testSecret, ""), VerifierConfig{})
	dots := strings.Repeat(".", 200<<10)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(dots); err == nil {
			t.Fatal("accepted dots")
		}
	})
	if allocs > 4 {
		t.Errorf("got %.0f allocations per rejected 200 KB token, want at most 4", allocs)
	}
}

func TestNewVerifierRefusesLargeLeeway(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	for _, l := range []time.Duration{-time.Second, 31 * time.Second, time.Hour} {
		if _, err := NewVerifier(ks, VerifierConfig{Leeway: l}); err == nil {
			t.Errorf("NewVerifier accepted leeway %s", l)
		}
	}
	if _, err := NewVerifier(ks, VerifierConfig{Leeway: MaxLeeway}); err != nil {
		t.Errorf("NewVerifier refused leeway %s: %v", MaxLeeway, err)
	}
	if _, err := NewVerifier(nil, VerifierConfig{}); err == nil {
		t.Error("NewVerifier accepted nil keys")
	}
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		err  error
		want Reason
	}{
		{nil, ""},
		{errors.New("x"), "invalid"},
		{&Error{Reason: ReasonExpired}, ReasonExpired},
		{errors.Join(errors.New("ctx"), &Error{Reason: ReasonSignature}), ReasonSignature},
	}
	for _, tt := range tests {
		if got := ReasonOf(tt.err); got != tt.want {
			t.Errorf("ReasonOf(%v): got %q, want %q", tt.err, got, tt.want)
		}
	}
}

// A rejection by golang-jwt keeps its error underneath the Reason, on the
// first sight of a token and from the cache alike.
func TestRejectionsWrapGolangJWTErrors(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	hdr := map[string]any{"alg": "HS256", "kid": ks.Current().ID()}
	good := goodPayload()
	tests := []struct {
		name    string
		payload map[string]any
		want    error
	}{
		{"expired", with(good, "exp", testNow.Add(-time.Hour).Unix()), jwt.ErrTokenExpired},
		{"future nbf", with(good, "nbf", testNow.Add(time.Hour).Unix()), jwt.ErrTokenNotValidYet},
		{"future iat", with(good, "iat", testNow.Add(time.Hour).Unix()), jwt.ErrTokenUsedBeforeIssued},
		{"wrong iss", with(good, "iss", "someone-else"), jwt.ErrTokenInvalidIssuer},
		{"no exp", with(good, "exp", nil), jwt.ErrTokenRequiredClaimMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustVerifier(t, ks, VerifierConfig{}).Verify(craft(t, hdr, tt.payload, hs256, testSecret, ""))
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want it to wrap %v", err, tt.want)
			}
		})
	}

	clock := newMutableClock(testNow)
	v := mustVerifier(t, ks, VerifierConfig{Now: clock.Now})
	token := craft(t, hdr, good, hs256, testSecret, "")
	if _, err := v.Verify(token); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := v.Verify(token); !errors.Is(err, jwt.ErrTokenExpired) || ReasonOf(err) != ReasonExpired {
		t.Errorf("cached, expired: got %v (reason %q), want reason %q wrapping %v", err, ReasonOf(err), ReasonExpired, jwt.ErrTokenExpired)
	}
}
