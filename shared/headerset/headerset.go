// Package headerset is a fixed set of response headers, precomputed once
// and written into every response of a service without canonicalising a
// key or allocating per request.
package headerset

import (
	"net/http"
	"net/textproto"
)

// Set is a fixed set of response headers, canonicalised once when it is
// built and written into every response by plain map assignment: no key
// canonicalisation and no allocation per request.
//
// The value slices are shared by every response. Each has cap == len, so a
// handler's Header().Add appends to a fresh copy, and Set or Del replace the
// map entry; nothing writes into a shared slice. The zero Set is empty and
// ready to use.
type Set struct {
	keys   []string
	values [][]string
}

// New returns the set of the key-value pairs kv (a trailing odd key is
// ignored).
func New(kv ...string) Set {
	var s Set
	for i := 0; i+1 < len(kv); i += 2 {
		s = s.With(kv[i], kv[i+1])
	}
	return s
}

// With returns a copy of s in which key has value (replacing an earlier
// value of key); s itself is unchanged.
func (s Set) With(key, value string) Set {
	key = textproto.CanonicalMIMEHeaderKey(key)
	out := Set{keys: make([]string, 0, len(s.keys)+1), values: make([][]string, 0, len(s.keys)+1)}
	for i, k := range s.keys {
		if k != key {
			out.keys = append(out.keys, k)
			out.values = append(out.values, s.values[i])
		}
	}
	out.keys = append(out.keys, key)
	out.values = append(out.values, []string{value}[:1:1])
	return out
}

// Apply writes the set into h.
func (s Set) Apply(h http.Header) {
	for i, k := range s.keys {
		h[k] = s.values[i]
	}
}

// Get returns the value of key in s ("" when absent).
func (s Set) Get(key string) string {
	key = textproto.CanonicalMIMEHeaderKey(key)
	for i, k := range s.keys {
		if k == key {
			return s.values[i][0]
		}
	}
	return ""
}
