package jwtauth

import (
	"fmt"
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
