package server

import (
	"net/http"

	"github.com/jwt-micro-system/shared/headerset"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
)

// responseHeaders returns the headers every response carries: no caching
// unless a handler says otherwise (static assets do), no sniffing, no
// framing, no referrer beyond our origin, and a CSP that allows nothing
// (JSON, health and static answers load nothing); HSTS when cookies are
// Secure, and X-Instance when this replica has a name. HTML pages add
// pages.DocumentHeaders (their CSP, opener and permissions policies) when
// they render. The set stays within eight headers with X-Request-Id and
// Content-Type, so net/http's per-response header map stays one small map.
func responseHeaders(opts Options) headerset.Set {
	s := headerset.New(
		"Content-Security-Policy", pages.NoContentSecurityPolicy,
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "same-origin",
		"X-Frame-Options", "DENY",
		"Cache-Control", "no-store",
	)
	if opts.HSTS {
		s = s.With("Strict-Transport-Security", hsts)
	}
	if opts.Instance != "" {
		s = s.With("X-Instance", opts.Instance)
	}
	return s
}

// setHeaders writes hs into every response before the handler runs.
func setHeaders(hs headerset.Set) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hs.Apply(w.Header())
			next.ServeHTTP(w, r)
		})
	}
}
