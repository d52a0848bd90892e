package server

import (
	"encoding/json"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jwt-micro-system/shared/jwtauth"
)

// claimsJSONCacheSize bounds how many tokens' /api/me answers are kept.
const claimsJSONCacheSize = 1024

// claimsJSON remembers the JSON answer of /api/me per access token: a
// token's claims never change, so they are encoded once per token, not
// once per request. The key is the exact token, and only tokens that
// passed the Verifier on this request reach it; it caches the encoding,
// never a verdict.
type claimsJSON struct {
	lru *lru.Cache[string, []byte]
}

func newClaimsJSON(size int) *claimsJSON {
	c, err := lru.New[string, []byte](size)
	if err != nil {
		return &claimsJSON{} // size <= 0: no caching
	}
	return &claimsJSON{lru: c}
}

// get returns the JSON of claims, the verified claims of token, with a
// trailing newline as writeJSON writes it. The slice is shared: callers
// only write it out.
func (c *claimsJSON) get(token string, claims *jwtauth.Claims) ([]byte, error) {
	if c.lru != nil {
		if b, ok := c.lru.Get(token); ok {
			return b, nil
		}
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	if c.lru != nil {
		// Cloned so the cache never pins the request's headers.
		c.lru.Add(strings.Clone(token), b)
	}
	return b, nil
}
