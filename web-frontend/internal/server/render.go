package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/jwt-micro-system/web-frontend/internal/nextpath"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// renderer turns page data into responses; the handlers that show pages
// ask for it.
type renderer struct {
	log      *slog.Logger
	pages    *pages.Set
	version  string
	sessions *session.Manager // only asked whether a request is signed in
}

// page starts the data of a page for r, in its language, with the user
// requireSession established (not for a bearer token: pages ignore it).
func (rd *renderer) page(r *http.Request) *pages.Page {
	p := rd.pages.New(r.Header.Get("Accept-Language"), rd.version)
	if a, ok := authFrom(r.Context()); ok && !a.bearer {
		p.SetUser(a.claims)
	}
	return p
}

// render writes page name; a template error becomes a clean 500.
func (rd *renderer) render(w http.ResponseWriter, r *http.Request, status int, name string, p *pages.Page) {
	if err := rd.pages.Render(w, r, status, name, p); err != nil {
		rd.log.ErrorContext(r.Context(), "rendering page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
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
			q.Set("msg", pages.MsgExpired)
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
			p.SetUser(a.Claims)
		}
	}
	// auth-api being down leaves the session as it is: its sign-out
	// button stays.
	p.SignedIn = p.User != nil || rd.sessions.Live(r) || errors.Is(err, session.ErrUnavailable)
	p.Title = p.L["title_"+strconv.Itoa(pr.status)]
	p.Error = &pages.Error{Status: pr.status, Message: pr.message(p.L)}
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
