package jwtauth

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary strings to the Verifier: it must never panic,
// must never accept anything our key did not sign, and must always give a
// Reason.
func FuzzVerify(f *testing.F) {
	ks := mustKeys(f, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: time.Hour, Now: fixedClock(testNow)})
	if err != nil {
		f.Fatal(err)
	}
	valid, _, err := is.Issue("alice", "user")
	if err != nil {
		f.Fatal(err)
	}
	hdr := map[string]any{"alg": "HS256", "typ": "JWT", "kid": ks.Current().ID()}
	for _, seed := range []string{
		valid,
		valid[:len(valid)-1],
		strings.ReplaceAll(valid, ".", ".."),
		craft(f, with(hdr, "alg", "none"), goodPayload(), nil, "", ""),
		craft(f, with(hdr, "jku", "x"), goodPayload(), hs256, testSecret, ""),
		craft(f, hdr, with(goodPayload(), "sub", 1), hs256, testSecret, ""),
		"", ".", "..", "a.b.c", "eyJ.eyJ.eyJ", strings.Repeat(".", 5000),
	} {
		f.Add(seed)
	}
	v := mustVerifier(f, ks, VerifierConfig{Leeway: MaxLeeway})
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			if ReasonOf(err) == "" {
				t.Fatal("rejection without a reason")
			}
			return
		}
		// Anything accepted must carry a valid signature by our key,
		// checked independently, and identify someone.
		handVerify(t, token, testSecret)
		if c.Subject == "" || c.Role == "" || c.Issuer != DefaultIssuer {
			t.Fatalf("accepted incomplete claims %+v", c)
		}
	})
}
