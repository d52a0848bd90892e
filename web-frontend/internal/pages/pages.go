// Package pages is web-frontend's HTML: the page templates (templates/,
// each rendered inside layout.html), the data every template receives
// (Page and the view of each page) and the helpers that turn a token or a
// form into that data. It knows nothing of sessions or of auth-api: the
// handlers in package server fill the views in.
package pages

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/headerset"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/i18n"
)

// TimeLayout is how times are shown on the pages.
const TimeLayout = "2006-01-02 15:04:05 UTC"

// Set is the parsed page templates and the texts, built once at start.
type Set struct {
	tmpl map[string]*template.Template
	i18n *i18n.Catalog
	doc  headerset.Set // DocumentHeaders
}

// Parse parses the templates in fsys: each page under templates/ is
// rendered inside templates/layout.html.
func Parse(fsys fs.FS) (*Set, error) {
	s := &Set{tmpl: make(map[string]*template.Template), i18n: i18n.New(), doc: DocumentHeaders()}
	for _, name := range []string{"login", "dashboard", "account", "admin", "error"} {
		t, err := template.New(name).Funcs(template.FuncMap{"field": newField}).
			ParseFS(fsys, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		s.tmpl[name] = t
	}
	return s, nil
}

// New starts the data of a page in the language an Accept-Language header
// asks for.
func (s *Set) New(acceptLanguage, version string) *Page {
	lang, texts := s.i18n.Pick(acceptLanguage)
	return &Page{Lang: lang, L: texts, Version: version}
}

// Render executes page name into a buffer first, so that a template error
// is returned (for a clean 500) rather than half a page written, then
// writes it with status. A HEAD request gets the headers only.
func (s *Set) Render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) error {
	t, ok := s.tmpl[name]
	if !ok {
		return fmt.Errorf("pages: unknown template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("pages: rendering %s: %w", name, err)
	}
	h := w.Header()
	s.doc.Apply(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Add("Vary", "Accept-Language")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
	return nil
}

// Page is the data of every template.
type Page struct {
	Lang    string
	L       i18n.Texts
	Title   string
	User    *jwtauth.Claims // nil on pages shown logged out
	IsAdmin bool
	Version string
	Flash   *Flash
	Active  string // the nav entry to highlight
	// SignedIn is true when the request carries a live session, even on
	// pages that do not show the user (error pages).
	SignedIn bool
	// SessionEnded is true on the login page shown after a logout or an
	// expired session (it loads /logout/done; see server).
	SessionEnded bool

	// Failed is true when the page shows an error: its title says so.
	Failed bool

	Login   *Login
	Dash    *Dashboard
	Account *Account
	Admin   *Admin
	Error   *Error
}

// FullTitle is the document title: the page's, after "Error:" when the
// page shows one, so a screen reader hears it first.
func (p *Page) FullTitle() string {
	if p.Failed || p.Error != nil {
		return p.L["error_prefix"] + ": " + p.Title
	}
	return p.Title
}

// SetUser shows claims as the signed-in user.
func (p *Page) SetUser(c *jwtauth.Claims) {
	p.User = c
	p.IsAdmin = c.Role == "admin"
}

// Flash is a one-line message at the top of a page.
type Flash struct {
	Kind string // "error", "warning", "info": the CSS modifier
	Text string
}

// Error is the view of the error page.
type Error struct {
	Status  int
	Message string
}

// Login is the view of the login page.
type Login struct {
	Username string
	Next     string
	Form     Form // field errors
}

// Account is the view of the account page.
type Account struct {
	Password Form
	// SignInAgain says when the user has to sign in again (the refresh
	// family's expiry): "You will have to sign in again in 30 days", and
	// the time, for <time datetime>. Empty when unknown.
	SignInAgain, Until, UntilISO string
}

// NewAccount is the account page's view for a session that ends for good
// at refreshExpires (zero: unknown, and the page says nothing of it).
func NewAccount(refreshExpires, now time.Time, L i18n.Texts) *Account {
	v := &Account{}
	if !refreshExpires.IsZero() {
		v.SignInAgain = fmt.Sprintf(L["sign_in_again"], L.In(max(refreshExpires.Sub(now), 0)))
		v.Until = refreshExpires.UTC().Format(TimeLayout)
		v.UntilISO = refreshExpires.UTC().Format(time.RFC3339)
	}
	return v
}

// Admin is the view of the admin page.
type Admin struct {
	Users []UserRow
	// Create is the create-user form; Reset the password form of the
	// row named ResetUser, after a failed submit.
	Create    Form
	ResetUser string
	Reset     Form
	// Confirm is the user whose deletion is being confirmed; the page
	// then shows only that question.
	Confirm string
}

// UserRow is one user of the admin page's list.
type UserRow struct {
	Username, Role string
	Created        string
	CreatedISO     string
	Self           bool
	ResetLabel     string
}

// Has reports whether the list holds name, in any case.
func (v *Admin) Has(name string) bool {
	for _, u := range v.Users {
		if strings.EqualFold(u.Username, name) {
			return true
		}
	}
	return false
}

// Form is what a form shows again after a failed submit: the values
// worth keeping (never a password) and an error message per field, which
// the templates tie to the field with aria-invalid and aria-describedby.
type Form struct {
	Values map[string]string
	Errors map[string]string
}

// Fail records msg as the error of field.
func (f *Form) Fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Errors[field] = msg
}

// Failed reports whether any field has an error.
func (f *Form) Failed() bool { return len(f.Errors) > 0 }

// fieldView is one labelled input of a form, as templates/layout.html's
// "input" template shows it.
type fieldView struct {
	ID, Name, Type, Label, Autocomplete, Hint string
	Value, Error                              string
}

// newField is the template function "field": the input id (also the
// form field name unless name is given), its type, label, autocomplete
// token and hint, with the value and error of form f.
func newField(f Form, id, name, typ, label, autocomplete, hint string) fieldView {
	if name == "" {
		name = id
	}
	return fieldView{ID: id, Name: name, Type: typ, Label: label, Autocomplete: autocomplete, Hint: hint,
		Value: f.Values[name], Error: f.Errors[name]}
}
