package session

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
)

// The cache of opened cookies saves the decryption only: every request
// still has its access token verified, so expiry and every other check
// apply to cached cookies exactly as to fresh ones.
func TestOpenedCookiesAreStillVerified(t *testing.T) {
	h := newHarness(t, Options{})
	ck := h.cookie(t, h.auth.pair())
	for range 3 {
		if _, _, err := h.load(ck); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.m.opened.len(); n != 1 {
		t.Fatalf("got %d opened cookies cached, want 1", n)
	}
	// Past the access token's expiry (and the leeway) the cached cookie is
	// renewed, as an uncached one would be.
	h.clock.Advance(tokenTTL + time.Minute)
	a, set, err := h.load(ck)
	if err != nil || set == nil || h.auth.refreshes.Load() != 1 {
		t.Fatalf("expired cached cookie: got %v, new cookie %v, %d refreshes; want a renewal", err, set != nil, h.auth.refreshes.Load())
	}
	if !a.Claims.Expiry().After(h.clock.Now()) {
		t.Error("renewed session expires in the past")
	}
	// Past the grace window the old refresh token is refused (it was
	// used): the cached cookie is refused and cleared, not served from
	// the cache.
	h.clock.Advance(time.Minute)
	if _, _, err := h.load(ck); !errors.Is(err, ErrExpired) {
		t.Errorf("cached cookie with a used refresh token: got %v, want ErrExpired", err)
	}
}

func TestOpenedCacheKeepsOnlyCookiesThatOpened(t *testing.T) {
	h := newHarness(t, Options{})
	good := h.cookie(t, h.auth.pair())
	if _, _, err := h.load(good); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{
		"junk",
		strings.Repeat("A", 200),
		tamper(good.Value), // one character of the ciphertext changed
		good.Value + "A",   // the exact bytes are the key: one more is another value
	} {
		bad := *good
		bad.Value = v
		if _, _, err := h.load(&bad); !errors.Is(err, ErrExpired) {
			t.Errorf("cookie %.20q…: got %v, want ErrExpired", v, err)
		}
	}
	if n := h.m.opened.len(); n != 1 {
		t.Errorf("got %d opened cookies cached, want 1 (refused ones are never cached)", n)
	}
}

// tamper changes a character in the middle of v (the last one may only
// carry padding bits, which base64 decoding ignores).
func tamper(v string) string {
	i := len(v) / 2
	c := byte('A')
	if v[i] == 'A' {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}

func TestOpenedCacheIsBounded(t *testing.T) {
	for _, tc := range []struct {
		size, want int
	}{{2, 2}, {-1, 0}} {
		h := newHarness(t, Options{CookieCacheSize: tc.size})
		for range 3 {
			if _, _, err := h.load(h.cookie(t, h.auth.pair())); err != nil {
				t.Fatal(err)
			}
		}
		if n := h.m.opened.len(); n != tc.want {
			t.Errorf("CookieCacheSize %d: got %d cached, want %d", tc.size, n, tc.want)
		}
	}
}

// A cookie that opens but carries a token the Verifier refuses is opened
// from the cache the second time, and still refused every time.
func TestCachedCookieWithBadTokenIsRefused(t *testing.T) {
	h := newHarness(t, Options{})
	ck := h.cookie(t, h.auth.pair())
	// Swap the access token for one the Verifier refuses (not a JWT).
	bad, err := h.codec.Encode(Session{AccessToken: "not-a-jwt", RefreshToken: "rt"})
	if err != nil {
		t.Fatal(err)
	}
	ck.Value = bad
	for i := range 2 {
		if _, _, err := h.load(ck); !errors.Is(err, ErrExpired) {
			t.Errorf("load %d: got %v, want ErrExpired", i+1, err)
		}
	}
	want := "invalid/" + string(jwtauth.ReasonMalformed) + " "
	if got := h.outcomes.String(); got != want+want {
		t.Errorf("got outcomes %q, want %q", got, want+want)
	}
	if n := h.m.opened.len(); n != 1 {
		t.Errorf("got %d cached, want 1: the cookie opened, its token did not verify", n)
	}
}
