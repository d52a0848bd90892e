package jwtauth

import (
	"slices"
	"strings"
	"sync"
)

// DefaultCacheSize is the number of verified tokens a Verifier remembers
// when VerifierConfig.CacheSize is zero.
const DefaultCacheSize = 4096

// verifiedCache remembers tokens whose signature, algorithm, key and
// structure were already verified, so a session that presents the same token
// on every request pays a map lookup instead of base64, JSON and HMAC work.
// Only accepted tokens enter it; the time claims are checked again on every
// hit, so a cached token still expires on time. The key is the exact token
// string, signature included, and a Verifier's keys never change, so a hit
// means these bytes were verified with these keys before.
type verifiedCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]Claims
}

func newVerifiedCache(size int) *verifiedCache {
	if size <= 0 {
		return nil
	}
	return &verifiedCache{max: size, m: make(map[string]Claims, size)}
}

func (c *verifiedCache) get(token string) (Claims, bool) {
	if c == nil {
		return Claims{}, false
	}
	c.mu.RLock()
	claims, ok := c.m[token]
	c.mu.RUnlock()
	return claims, ok
}

// put stores claims for token. When the cache is full it first drops
// expired entries, then arbitrary ones (map order), down to three quarters,
// so memory stays bounded whatever the traffic.
func (c *verifiedCache) put(token string, claims Claims, expired func(*Claims) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, v := range c.m {
			if expired(&v) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max*3/4 {
				break
			}
			delete(c.m, k)
		}
	}
	// Clone so the cache never pins a larger buffer the token was cut from,
	// and never shares a slice with the claims handed to the caller.
	claims.Audience = slices.Clone(claims.Audience)
	c.m[strings.Clone(token)] = claims
}

func (c *verifiedCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
