package jwtauth

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/revocation"
)

func TestVerifyRevokedSession(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: 30 * time.Minute, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	set := revocation.NewSet()
	v := mustVerifier(t, ks, VerifierConfig{Revocations: set})
	older, _, err := is.IssueSession("alice", "admin", "family-1")
	if err != nil {
		t.Fatal(err)
	}
	newer, claims, err := is.IssueSession("alice", "admin", "family-1")
	if err != nil {
		t.Fatal(err)
	}
	if claims.SessionID != "family-1" {
		t.Fatalf("sid = %q, want family-1", claims.SessionID)
	}
	other, _, _ := is.IssueSession("alice", "admin", "family-2")
	noSession, _, _ := is.Issue("alice", "admin")
	// Verified once before the revocation, so the cache holds them.
	for _, tok := range []string{older, newer, other, noSession} {
		if _, err := v.Verify(tok); err != nil {
			t.Fatalf("before the revocation: %v", err)
		}
	}
	set.Add(revocation.Entry{SessionID: "family-1", ExpiresAt: testNow.Add(time.Hour)})
	for _, tt := range []struct {
		name  string
		token string
		want  Reason
	}{
		{"the newest token of the session", newer, ReasonRevoked},
		{"an older token of the session", older, ReasonRevoked},
		{"another session", other, ""},
		{"a token without sid", noSession, ""},
	} {
		_, err := v.Verify(tt.token)
		if got := ReasonOf(err); got != tt.want {
			t.Errorf("%s: reason %q, want %q", tt.name, got, tt.want)
		}
	}
	// Not from the cache either.
	cold := mustVerifier(t, ks, VerifierConfig{Revocations: set, CacheSize: -1})
	var e *Error
	if _, err := cold.Verify(newer); !errors.As(err, &e) || e.Reason != ReasonRevoked {
		t.Errorf("uncached: got %v, want a %q rejection", err, ReasonRevoked)
	}
}

// BenchmarkVerifyRevocations is BenchmarkVerifyParallel with a revocation
// set of 10,000 other sessions consulted on every call: the hot path of
// both services.
func BenchmarkVerifyRevocations(b *testing.B) {
	ks := mustKeys(b, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: 30 * time.Minute, Now: fixedClock(testNow)})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := is.IssueSession("alice", "admin", "family-of-alice-0123")
	if err != nil {
		b.Fatal(err)
	}
	set := revocation.NewSet()
	entries := make([]revocation.Entry, 10000)
	for i := range entries {
		entries[i] = revocation.Entry{SessionID: fmt.Sprintf("family-%015d", i), ExpiresAt: testNow.Add(time.Hour)}
	}
	set.Add(entries...)
	v := mustVerifier(b, ks, VerifierConfig{Leeway: MaxLeeway, Revocations: set})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
