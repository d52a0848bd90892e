package pages

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/jwt-micro-system/shared/headerset"
)

// ContentSecurityPolicy allows the pages nothing but our own stylesheet,
// images and one small script (local times, show-password, caps-lock:
// progressive enhancement; the pages work without it): no inline script,
// no framing, forms only to ourselves.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// NoContentSecurityPolicy is the CSP of every response that is not a page
// (JSON, health, static files, redirects): nothing may load, nothing may
// frame it.
const NoContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"

// DocumentHeaders are the headers only an HTML page needs, on top of the
// ones every response carries: the pages' CSP (replacing
// NoContentSecurityPolicy), and the opener and permissions policies of a
// document.
func DocumentHeaders() headerset.Set {
	return headerset.New(
		"Content-Security-Policy", ContentSecurityPolicy,
		"Cross-Origin-Opener-Policy", "same-origin",
		"Permissions-Policy", "camera=(), microphone=(), geolocation=()",
	)
}

// Static serves the files of static (the embedded stylesheet, script and
// images) under /static/: no directory listings, cacheable for a day (the
// layout links them with ?v=version). Anything else goes to notFound.
func Static(static fs.FS, notFound http.Handler) http.HandlerFunc {
	files := http.FileServerFS(static)
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) {
			notFound.ServeHTTP(w, r)
			return
		}
		if st, err := fs.Stat(static, path.Clean(name)); err != nil || st.IsDir() {
			notFound.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	}
}
