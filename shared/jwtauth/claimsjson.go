package jwtauth

import (
	"encoding/json"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
)

// ClaimsJSON remembers the JSON of a verified access token's claims per
// token, for the "who am I" answers (auth-api's /me, web-frontend's
// /api/me): a token's claims never change, so they are encoded once per
// token, not once per request. The key is the exact token, and only tokens
// that passed the Verifier on this request may reach it; it caches the
// encoding, never a verdict. It is safe for concurrent use.
type ClaimsJSON struct {
	lru     *lru.Cache[string, []byte]
	newline bool
}

// NewClaimsJSON returns a cache of the JSON of at most size tokens' claims
// (size <= 0: nothing is cached, every call encodes). With newline, every
// encoding ends in '\n', as a json.Encoder writes it; without, it is what
// json.Marshal (and so gin's c.JSON) writes.
func NewClaimsJSON(size int, newline bool) *ClaimsJSON {
	c, err := lru.New[string, []byte](size)
	if err != nil {
		return &ClaimsJSON{newline: newline} // size <= 0: no caching
	}
	return &ClaimsJSON{lru: c, newline: newline}
}

// Get returns the JSON of claims, the verified claims of token. The slice
// is shared: callers only write it out.
func (c *ClaimsJSON) Get(token string, claims *Claims) ([]byte, error) {
	if c.lru != nil {
		if b, ok := c.lru.Get(token); ok {
			return b, nil
		}
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	if c.newline {
		b = append(b, '\n')
	}
	if c.lru != nil {
		// Cloned so the cache never pins the request's headers.
		c.lru.Add(strings.Clone(token), b)
	}
	return b, nil
}
