package jwtauth

import (
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultCacheSize is the number of verified tokens a Verifier remembers
// when VerifierConfig.CacheSize is zero.
const DefaultCacheSize = 4096

// verifiedToken is what the cache remembers of an accepted token: its
// claims, and the window of instants in which golang-jwt's validation
// accepts them (from ≤ t < until, leeway included). Every rule but the time
// rules depends on the claims alone, and the time rules pass exactly inside
// the window, so a hit inside it needs no validation; outside it the
// validator runs again and says why the token is refused.
type verifiedToken struct {
	claims      Claims
	from, until time.Time
}

// verifiedCache remembers tokens whose signature, algorithm, key, structure
// and claims were already verified, so a session that presents the same
// token on every request pays a map lookup instead of base64, JSON and HMAC
// work. Only accepted tokens enter it. The key is the exact token string,
// signature included, and a Verifier's keys never change, so a hit means
// these bytes were verified with these keys before. It is a
// hashicorp/golang-lru cache: bounded, least recently used out first, safe
// for concurrent use.
type verifiedCache struct {
	lru *lru.Cache[string, verifiedToken]
}

// newVerifiedCache returns a cache of size tokens, or nil (no caching) when
// size is not positive.
func newVerifiedCache(size int) *verifiedCache {
	if size <= 0 {
		return nil
	}
	c, err := lru.New[string, verifiedToken](size)
	if err != nil {
		return nil // only for size <= 0, excluded above
	}
	return &verifiedCache{lru: c}
}

func (c *verifiedCache) get(token string) (verifiedToken, bool) {
	if c == nil {
		return verifiedToken{}, false
	}
	return c.lru.Get(token)
}

func (c *verifiedCache) put(token string, t verifiedToken) {
	if c == nil {
		return
	}
	// Clone so the cache never pins a larger buffer the token was cut from,
	// and never shares a slice with the claims handed to the caller.
	t.claims.Audience = slices.Clone(t.claims.Audience)
	c.lru.Add(strings.Clone(token), t)
}

func (c *verifiedCache) len() int {
	if c == nil {
		return 0
	}
	return c.lru.Len()
}
