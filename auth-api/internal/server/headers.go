package server

import (
	"net/http"
	"net/textproto"

	"github.com/gin-gonic/gin"
)

// headerSet is a fixed set of response headers, canonicalised once when it
// is built and written into every response by plain map assignment: no key
// canonicalisation and no allocation per request.
//
// The value slices are shared by every response. Each has cap == len, so a
// handler's Header().Add appends to a fresh copy, and Set or Del replace the
// map entry; nothing writes into a shared slice.
type headerSet struct {
	keys   []string
	values [][]string
}

// newHeaderSet returns the set of the key-value pairs kv.
func newHeaderSet(kv ...string) headerSet {
	var s headerSet
	for i := 0; i+1 < len(kv); i += 2 {
		s = s.with(kv[i], kv[i+1])
	}
	return s
}

// with returns a copy of s in which key has value (replacing an earlier
// value of key); s itself is unchanged.
func (s headerSet) with(key, value string) headerSet {
	key = textproto.CanonicalMIMEHeaderKey(key)
	out := headerSet{keys: make([]string, 0, len(s.keys)+1), values: make([][]string, 0, len(s.keys)+1)}
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

// apply writes the set into h.
func (s headerSet) apply(h http.Header) {
	for i, k := range s.keys {
		h[k] = s.values[i]
	}
}

// get returns the value of key in s ("" when absent), for tests.
func (s headerSet) get(key string) string {
	key = textproto.CanonicalMIMEHeaderKey(key)
	for i, k := range s.keys {
		if k == key {
			return s.values[i][0]
		}
	}
	return ""
}

// responseHeaders returns the headers every response carries: so far
// X-Instance, when this replica has a name.
func responseHeaders(cfg Config) headerSet {
	var s headerSet
	if cfg.Instance != "" {
		s = s.with("X-Instance", cfg.Instance)
	}
	return s
}

// setHeaders writes hs into every response before the handlers run.
func setHeaders(hs headerSet) gin.HandlerFunc {
	return func(c *gin.Context) {
		hs.apply(c.Writer.Header())
		c.Next()
	}
}

// jsonContentType is the Content-Type gin's c.JSON writes.
const jsonContentType = "application/json; charset=utf-8"

// writeJSONBytes answers with body, JSON encoded before; contentType is
// []string{jsonContentType}, made once by the handler maker.
func writeJSONBytes(c *gin.Context, status int, contentType []string, body []byte) {
	c.Writer.Header()["Content-Type"] = contentType
	c.Status(status)
	_, _ = c.Writer.Write(body)
}
