package jwtauth

import (
	"testing"
	"time"
)

func BenchmarkIssue(b *testing.B) {
	is, err := NewIssuer(mustKeys(b, testSecret, ""), IssuerConfig{TTL: 30 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := is.Issue("alice", "admin"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the steady state of a session: the same token on
// every request, answered from the verified-token cache after the first.
func BenchmarkVerify(b *testing.B) { benchmarkVerify(b, 0) }

// BenchmarkVerifyCold is the first sight of a token: base64, JSON and
// HMAC through golang-jwt, with the cache disabled.
func BenchmarkVerifyCold(b *testing.B) { benchmarkVerify(b, -1) }

func benchmarkVerify(b *testing.B, cacheSize int) {
	ks := mustKeys(b, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: 30 * time.Minute, Now: fixedClock(testNow)})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := is.Issue("alice", "admin")
	if err != nil {
		b.Fatal(err)
	}
	v := mustVerifier(b, ks, VerifierConfig{Leeway: MaxLeeway, CacheSize: cacheSize})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallel is the steady state with every core verifying
// the same session's token at once: contention on the cache.
func BenchmarkVerifyParallel(b *testing.B) {
	ks := mustKeys(b, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: 30 * time.Minute, Now: fixedClock(testNow)})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := is.Issue("alice", "admin")
	if err != nil {
		b.Fatal(err)
	}
	v := mustVerifier(b, ks, VerifierConfig{Leeway: MaxLeeway})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifyRejectDots(b *testing.B) {
	v := mustVerifier(b, mustKeys(b, testSecret, ""), VerifierConfig{})
	dots := string(make([]byte, 200<<10))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(dots); err == nil {
			b.Fatal("accepted")
		}
	}
}
