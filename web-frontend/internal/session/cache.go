package session

import (
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultCookieCacheSize is how many opened cookies a Manager remembers
// when Options.CookieCacheSize is zero.
const DefaultCookieCacheSize = 1024

// openedCache remembers cookie values that opened, and what they hold, so
// that a session presenting the same cookie on every request pays a map
// lookup instead of base64 decoding and AES-GCM authentication.
//
// The key is the exact cookie value, authentication tag included, and a
// Codec's keys never change, so a hit means these bytes were authenticated
// under our keys before and would decrypt to the same session again. Only
// cookies that opened enter it, so junk cannot fill it. It caches the
// opening only: the access token is verified again on every request (the
// Verifier re-checks expiry on each of its own cache hits), and every other
// check of Load runs as before. It is a hashicorp/golang-lru cache: bounded,
// least recently used out first, safe for concurrent use.
type openedCache struct {
	lru *lru.Cache[string, Session]
}

// newOpenedCache returns a cache of size cookies, or nil (no caching)
// when size is negative.
func newOpenedCache(size int) *openedCache {
	if size == 0 {
		size = DefaultCookieCacheSize
	}
	if size < 0 {
		return nil
	}
	c, err := lru.New[string, Session](size)
	if err != nil {
		return nil // only for size <= 0, excluded above
	}
	return &openedCache{lru: c}
}

func (c *openedCache) get(value string) (Session, bool) {
	if c == nil {
		return Session{}, false
	}
	return c.lru.Get(value)
}

func (c *openedCache) put(value string, s Session) {
	if c == nil {
		return
	}
	// Cloned so the cache never pins the request's Cookie header.
	c.lru.Add(strings.Clone(value), s)
}

func (c *openedCache) len() int {
	if c == nil {
		return 0
	}
	return c.lru.Len()
}
