package jwtauth

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// mutableClock is a clock a test can move while a Verifier holds it.
type mutableClock struct{ ns atomic.Int64 }

func newMutableClock(t time.Time) *mutableClock {
	c := &mutableClock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *mutableClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *mutableClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestCachedTokenStillExpires(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	clock := newMutableClock(testNow)
	is, err := NewIssuer(ks, IssuerConfig{TTL: time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := is.Issue("alice", "user")
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, ks, VerifierConfig{Now: clock.Now})
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	if got := v.cache.len(); got != 1 {
		t.Fatalf("got %d cached tokens, want 1", got)
	}
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("cached Verify: %v", err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := v.Verify(token); ReasonOf(err) != ReasonExpired {
		t.Fatalf("got %v from a cached, expired token, want reason %q", err, ReasonExpired)
	}
}

func TestCacheNeverHoldsRejections(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	v := mustVerifier(t, ks, VerifierConfig{})
	bad := craft(t, map[string]any{"alg": "HS256", "kid": ks.Current().ID()}, goodPayload(), hs256, "another-long-secret-0123456789-abcdef", "")
	for range 3 {
		if _, err := v.Verify(bad); ReasonOf(err) != ReasonSignature {
			t.Fatalf("got %v, want reason %q", err, ReasonSignature)
		}
	}
	if got := v.cache.len(); got != 0 {
		t.Errorf("got %d cached entries after rejections, want 0", got)
	}
}

func TestCachedClaimsCannotBeChangedByCallers(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	v := mustVerifier(t, ks, VerifierConfig{Audience: "my-app"})
	token := craft(t, map[string]any{"alg": "HS256", "kid": ks.Current().ID()}, with(goodPayload(), "aud", "my-app"), hs256, testSecret, "")
	first, err := v.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	first.Role = "admin"
	first.Audience[0] = "changed"
	second, err := v.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	if second.Role != "user" || second.Audience[0] != "my-app" {
		t.Errorf("got role %q aud %v from the cache, want user [my-app]", second.Role, second.Audience)
	}
}

func TestCacheIsBounded(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: time.Hour, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	const size = 64
	v := mustVerifier(t, ks, VerifierConfig{CacheSize: size})
	for i := range 10 * size {
		token, _, err := is.Issue(fmt.Sprintf("user%d", i), "user")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(token); err != nil {
			t.Fatal(err)
		}
		if got := v.cache.len(); got > size {
			t.Fatalf("got %d cached tokens, want at most %d", got, size)
		}
	}
	disabled := mustVerifier(t, ks, VerifierConfig{CacheSize: -1})
	token, _, _ := is.Issue("alice", "user")
	if _, err := disabled.Verify(token); err != nil {
		t.Fatal(err)
	}
	if disabled.cache.len() != 0 {
		t.Error("a disabled cache holds tokens")
	}
}

func TestVerifierConcurrentUse(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: time.Hour, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, ks, VerifierConfig{CacheSize: 8})
	tokens := make([]string, 32)
	for i := range tokens {
		tokens[i], _, _ = is.Issue(fmt.Sprintf("user%d", i), "user")
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				tok := tokens[(g+i)%len(tokens)]
				c, err := v.Verify(tok)
				if err != nil {
					t.Errorf("Verify: %v", err)
					return
				}
				if want := fmt.Sprintf("user%d", (g+i)%len(tokens)); c.Subject != want {
					t.Errorf("got sub %q, want %q", c.Subject, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A cached token gets exactly the verdict an uncached one gets, at every
// instant around its time claims' edges, the clock moving either way: the
// window a hit skips validation in is the window golang-jwt accepts.
func TestCachedVerdictMatchesUncached(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	hdr := map[string]any{"alg": "HS256", "kid": ks.Current().ID()}
	const leeway = 5 * time.Second
	exp := testNow.Add(10 * time.Minute)
	nbf := testNow.Add(-time.Minute)
	iat := testNow.Add(-2 * time.Minute)
	tokens := []struct {
		name    string
		payload map[string]any
		edges   []time.Time
	}{
		{"exp only", with(goodPayload(), "iat", nil, "exp", exp.Unix()), []time.Time{exp}},
		{"exp and iat", with(goodPayload(), "iat", iat.Unix(), "exp", exp.Unix()), []time.Time{iat, exp}},
		{"exp, iat and later nbf", with(goodPayload(), "iat", iat.Unix(), "nbf", nbf.Unix(), "exp", exp.Unix()), []time.Time{iat, nbf, exp}},
		{"nbf before iat", with(goodPayload(), "iat", nbf.Unix(), "nbf", iat.Unix(), "exp", exp.Unix()), []time.Time{iat, nbf, exp}},
	}
	for _, tt := range tokens {
		t.Run(tt.name, func(t *testing.T) {
			token := craft(t, hdr, tt.payload, hs256, testSecret, "")
			clock := newMutableClock(testNow)
			cached := mustVerifier(t, ks, VerifierConfig{Leeway: leeway, Now: clock.Now})
			uncached := mustVerifier(t, ks, VerifierConfig{Leeway: leeway, Now: clock.Now, CacheSize: -1})
			if _, err := cached.Verify(token); err != nil {
				t.Fatalf("seeding the cache: %v", err)
			}
			var instants []time.Time
			for _, e := range tt.edges {
				for _, d := range []time.Duration{-leeway - time.Second, -leeway, -leeway + time.Nanosecond, -time.Nanosecond, 0, leeway - time.Nanosecond, leeway, leeway + time.Second} {
					instants = append(instants, e.Add(d))
				}
			}
			// Forward through every instant, then back, so the cached
			// token is also asked about times before it was cached.
			back := slices.Clone(instants)
			slices.Reverse(back)
			for _, at := range append(instants, back...) {
				clock.ns.Store(at.UnixNano())
				_, errCached := cached.Verify(token)
				_, errUncached := uncached.Verify(token)
				if got, want := ReasonOf(errCached), ReasonOf(errUncached); got != want {
					t.Errorf("at %s: cached got reason %q, uncached %q", at.Format(time.RFC3339Nano), got, want)
				}
			}
			if cached.cache.len() != 1 {
				t.Errorf("got %d cached tokens, want 1", cached.cache.len())
			}
		})
	}
}

// The least recently used token leaves a full cache first, so the tokens
// of active sessions stay cached.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ks := mustKeys(t, testSecret, "")
	is, err := NewIssuer(ks, IssuerConfig{TTL: time.Hour, Now: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, ks, VerifierConfig{CacheSize: 2})
	issue := func(sub string) string {
		tok, _, err := is.Issue(sub, "user")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	active, idle := issue("active"), issue("idle")
	if _, err := v.Verify(active); err != nil {
		t.Fatal(err)
	}
	issue("newcomer")
	if _, ok := v.cache.get(active); !ok {
		t.Error("the recently used token was evicted")
	}
	if _, ok := v.cache.get(idle); ok {
		t.Error("the least recently used token is still cached")
	}
}
