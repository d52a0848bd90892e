package server

import (
	"net/http"
	"net/textproto"
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

// contentSecurityPolicy allows nothing but our own stylesheet, images and
// one small script (local times, show-password, caps-lock: progressive
// enhancement; the pages work without it): no inline script, no framing,
// forms only to ourselves.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// responseHeaders returns the headers every response carries: the security
// headers, no caching unless a handler says otherwise (static assets do),
// and X-Instance when this replica has a name.
func responseHeaders(opts Options) headerSet {
	s := newHeaderSet(
		"Content-Security-Policy", contentSecurityPolicy,
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "same-origin",
		"X-Frame-Options", "DENY",
		"Cross-Origin-Opener-Policy", "same-origin",
		"Permissions-Policy", "camera=(), microphone=(), geolocation=()",
		"Cache-Control", "no-store",
	)
	if opts.HSTS {
		s = s.with("Strict-Transport-Security", hsts)
	}
	if opts.Instance != "" {
		s = s.with("X-Instance", opts.Instance)
	}
	return s
}

// setHeaders writes hs into every response before the handler runs.
func setHeaders(hs headerSet) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hs.apply(w.Header())
			next.ServeHTTP(w, r)
		})
	}
}
