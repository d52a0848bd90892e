package jwtauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
)

// Two test secrets, fresh for every run, as the secret policy wants them.
var testSecret, testSecretPrev = randomSecret(), randomSecret()

func randomSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b)
}

var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustKeys(tb testing.TB, current, previous string) *secretkey.Keys {
	tb.Helper()
	ks, err := secretkey.NewKeys(current, previous)
	if err != nil {
		tb.Fatalf("NewKeys: %v", err)
	}
	return ks
}

func mustVerifier(tb testing.TB, ks *secretkey.Keys, cfg VerifierConfig) *Verifier {
	tb.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedClock(testNow)
	}
	v, err := NewVerifier(ks, cfg)
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonSeg(tb testing.TB, v any) string {
	tb.Helper()
	if s, ok := v.(string); ok {
		return b64([]byte(s))
	}
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b64(b)
}

// craft builds a token by hand, independently of golang-jwt: header and
// payload are maps or raw JSON strings; the signature is HMAC with h over
// the signing input using key, or sig verbatim when h is nil.
func craft(tb testing.TB, header, payload any, h func() hash.Hash, key, sig string) string {
	tb.Helper()
	input := jsonSeg(tb, header) + "." + jsonSeg(tb, payload)
	if h != nil {
		mac := hmac.New(h, []byte(key))
		mac.Write([]byte(input))
		sig = b64(mac.Sum(nil))
	}
	return input + "." + sig
}

var (
	hs256 = sha256.New
	hs384 = sha512.New384
	hs512 = sha512.New
)

// goodPayload returns the claims of a valid token at testNow.
func goodPayload() map[string]any {
	return map[string]any{
		"sub":  "alice",
		"role": "user",
		"iat":  testNow.Add(-time.Minute).Unix(),
		"exp":  testNow.Add(29 * time.Minute).Unix(),
		"iss":  DefaultIssuer,
		"jti":  "test-jti",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}
