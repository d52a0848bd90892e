package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/i18n"
	"github.com/jwt-micro-system/web-frontend/internal/nextpath"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// Message codes the login page accepts in ?msg=. Only these fixed codes
// are shown, never text from the URL.
const (
	msgExpired   = "expired"
	msgLoggedOut = "logged_out"
)

// Pages are the parsed page templates and the texts, built once at start.
type Pages struct {
	tmpl map[string]*template.Template
	i18n *i18n.Catalog
}

// ParsePages parses the templates in fsys: each page under templates/ is
// rendered inside templates/layout.html.
func ParsePages(fsys fs.FS) (*Pages, error) {
	p := &Pages{tmpl: make(map[string]*template.Template), i18n: i18n.New()}
	for _, name := range []string{"login", "dashboard", "account", "admin", "error"} {
		t, err := template.New(name).Funcs(template.FuncMap{"field": newField}).
			ParseFS(fsys, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	return p, nil
}

// fieldView is one labelled input of a form, as templates/layout.html's
// "input" template shows it.
type fieldView struct {
	ID, Name, Type, Label, Autocomplete, Hint string
	Value, Error                              string
}

// newField is the template function "field": the input id (also the
// form field name unless name is given), its type, label, autocomplete
// token and hint, with the value and error of form f.
func newField(f formState, id, name, typ, label, autocomplete, hint string) fieldView {
	if name == "" {
		name = id
	}
	return fieldView{ID: id, Name: name, Type: typ, Label: label, Autocomplete: autocomplete, Hint: hint,
		Value: f.Values[name], Error: f.Errors[name]}
}

// flash is a one-line message at the top of a page.
type flash struct {
	Kind string // "error", "warning", "info": the CSS modifier
	Text string
}

// page is the data of every template.
type page struct {
	Lang    string
	L       i18n.Texts
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

	// Failed is true when the page shows an error: its title says so.
	Failed bool

	Login   *loginView
	Dash    *dashView
	Account *accountView
	Admin   *adminView
	Error   *errorView
}

// FullTitle is the document title: the page's, after "Error:" when the
// page shows one, so a screen reader hears it first.
func (p *page) FullTitle() string {
	if p.Failed || p.Error != nil {
		return p.L["error_prefix"] + ": " + p.Title
	}
	return p.Title
}

type errorView struct {
	Status  int
	Message string
}

// renderer turns page data into responses; the handlers that show pages
// ask for it.
type renderer struct {
	log      *slog.Logger
	pages    *Pages
	version  string
	sessions *session.Manager // only asked whether a request is signed in
}

// page starts the data of a page for r, in its language.
func (rd *renderer) page(r *http.Request) *page {
	lang, texts := rd.pages.i18n.Pick(r.Header.Get("Accept-Language"))
	p := &page{Lang: lang, L: texts, Version: rd.version}
	if a, ok := authFrom(r.Context()); ok && !a.bearer {
		p.User = a.claims
		p.IsAdmin = a.claims.Role == "admin"
	}
	return p
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 rather than half a page.
func (rd *renderer) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	t, ok := rd.pages.tmpl[name]
	if !ok {
		rd.log.ErrorContext(r.Context(), "unknown template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		rd.log.ErrorContext(r.Context(), "rendering page", "template", name, "err", err)
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

// fail answers a page request that failed with err: without a session, or
// with one that is over, the login page; otherwise the error page of
// problemOf(err). 5xx details go to the log.
func (rd *renderer) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, session.ErrNoSession) || errors.Is(err, session.ErrExpired) {
		q := url.Values{}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if next := r.URL.RequestURI(); next != "/" {
				q.Set("next", nextpath.Safe(next))
			}
		}
		if !errors.Is(err, session.ErrNoSession) {
			q.Set("msg", msgExpired)
		}
		target := "/login"
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	pr := problemOf(err)
	if pr.status >= 500 && !errors.Is(err, session.ErrUnavailable) { // the Manager logged that one
		rd.log.ErrorContext(r.Context(), "request failed", "status", pr.status, "err", err)
	}
	pr.setRetryAfter(w)
	p := rd.page(r)
	// Pages outside the session middleware (404, 405, 403 for a
	// cross-site post) keep the signed-in header for someone signed in.
	if p.User == nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && rd.sessions.Live(r) {
		if a, err := rd.sessions.Load(w, r); err == nil {
			p.User = a.Claims
			p.IsAdmin = a.Claims.Role == "admin"
		}
	}
	// auth-api being down leaves the session as it is: its sign-out
	// button stays.
	p.SignedIn = p.User != nil || rd.sessions.Live(r) || errors.Is(err, session.ErrUnavailable)
	p.Title = p.L["title_"+strconv.Itoa(pr.status)]
	p.Error = &errorView{Status: pr.status, Message: pr.message(p.L)}
	rd.render(w, r, pr.status, "error", p)
}

// jsonContentType is the Content-Type of every JSON answer.
const jsonContentType = "application/json; charset=utf-8"

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeJSONError writes the error body both services use.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"error": code, "message": message})
}
