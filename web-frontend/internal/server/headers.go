package server

import (
	"net/http"

	"github.com/jwt-micro-system/shared/headerset"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
)

// responseHeaders returns the headers every response carries: the security
// headers, no caching unless a handler says otherwise (static assets do),
// and X-Instance when this replica has a name.
func responseHeaders(opts Options) headerset.Set {
	s := headerset.New(
		"Content-Security-Policy", pages.ContentSecurityPolicy,
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "same-origin",
		"X-Frame-Options", "DENY",
		"Cross-Origin-Opener-Policy", "same-origin",
		"Permissions-Policy", "camera=(), microphone=(), geolocation=()",
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
