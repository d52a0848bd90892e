package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/jwt-micro-system/shared/jwtauth"
)

// Pages are the parsed page templates and the texts, built once at start.
type Pages struct {
	tmpl     map[string]*template.Template
	catalogs map[string]map[string]string
}

// ParsePages parses the templates in fsys: each page under templates/ is
// rendered inside templates/layout.html.
func ParsePages(fsys fs.FS) (*Pages, error) {
	p := &Pages{tmpl: make(map[string]*template.Template), catalogs: catalogs()}
	for _, name := range []string{"login", "dashboard", "admin", "error"} {
		t, err := template.New(name).ParseFS(fsys, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	return p, nil
}

// flash is a one-line message at the top of a page.
type flash struct {
	Kind string // "error", "warning", "info": the CSS modifier
	Text string
}

// page is the data of every template.
type page struct {
	Lang    string
	L       map[string]string
	Title   string
	User    *jwtauth.Claims // nil on pages shown logged out
	IsAdmin bool
	Version string
	Flash   *flash
	Active  string // the nav entry to highlight
	// SignedIn is true when the request carries a live session, even on
	// pages that do not show the user (error pages).
	SignedIn bool
	// SessionEnded is true on the login page shown after a logout or an
	// expired session; see handleSessionEnded.
	SessionEnded bool

	Login *loginView
	Dash  *dashView
	Admin *adminView
	Error *errorView
}

type errorView struct {
	Status  int
	Message string
}

// newPage starts the data of a page for r, in its language.
func (s *server) newPage(r *http.Request) *page {
	lang := pickLang(r.Header.Get("Accept-Language"))
	p := &page{Lang: lang, L: s.pages.catalogs[lang], Version: s.opts.Version}
	if a, ok := authFrom(r.Context()); ok && !a.bearer {
		p.User = a.claims
		p.IsAdmin = a.claims.Role == "admin"
	}
	return p
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	t, ok := s.pages.tmpl[name]
	if !ok {
		s.log.Error("unknown template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("rendering page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Add("Vary", "Accept-Language")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// renderError shows the error page with the message of msgKey.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, msgKey string) {
	p := s.newPage(r)
	// Pages outside the session middleware (404, 405, 403 for a
	// cross-site post) still offer the dashboard to someone logged in.
	p.SignedIn = p.User != nil || s.hasLiveSession(r)
	p.Title = p.L["title_"+strconv.Itoa(status)]
	p.Error = &errorView{Status: status, Message: p.L[msgKey]}
	s.render(w, r, status, "error", p)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeJSONError writes the error body both services use.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"error": code, "message": message})
}

func (s *server) handleNotFound() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusNotFound, "err_not_found")
	}
}

func (s *server) handleMethodNotAllowed() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusMethodNotAllowed, "err_method")
	}
}

func handleAPINotFound() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSONError(w, http.StatusNotFound, "not_found", "There is no such API endpoint; see GET /api/me.")
	}
}

func handleAPIMethodNotAllowed() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed", "This endpoint does not accept that method.")
	}
}
