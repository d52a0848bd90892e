package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/pages"
)

// handleDashboard shows who is logged in and their decoded token.
func handleDashboard(rd *renderer, now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := authFrom(r.Context())
		p := rd.page(r)
		p.Title = p.L["dash_title"]
		p.Active = "dashboard"
		p.Dash = pages.NewDashboard(a.token, a.claims, now(), p.L)
		rd.render(w, r, http.StatusOK, "dashboard", p)
	}
}

// handleStatic serves the embedded stylesheet and images; no directory
// listings, cacheable for a day (the layout links them with ?v=version).
func handleStatic(rd *renderer, static fs.FS) http.HandlerFunc {
	files := http.FileServerFS(static)
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) {
			rd.fail(w, r, errNotFound)
			return
		}
		if st, err := fs.Stat(static, path.Clean(name)); err != nil || st.IsDir() {
			rd.fail(w, r, errNotFound)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	}
}
