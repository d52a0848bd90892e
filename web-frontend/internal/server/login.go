package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/clientip"
	"github.com/jwt-micro-system/web-frontend/internal/nextpath"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// maxFormBytes bounds a form; authCallTimeout a call to auth-api.
const (
	maxFormBytes    = 16 << 10
	authCallTimeout = 5 * time.Second
)

// handleLoginPage shows the login form; someone already logged in goes
// straight on to next.
func handleLoginPage(rd *renderer, sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next := nextpath.Safe(r.URL.Query().Get("next"))
		if sessions.Live(r) {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		p := rd.page(r)
		p.Title = p.L["login_title"]
		p.Login = &pages.Login{Next: next}
		if p.Flash = pages.EndedFlash(r.URL.Query().Get("msg"), p.L); p.Flash != nil {
			p.SessionEnded = true
		}
		rd.render(w, r, http.StatusOK, "login", p)
	}
}

// readLogin reads the login form of r into v and returns the credentials.
func readLogin(w http.ResponseWriter, r *http.Request, v *pages.Login) (username, password string, err error) {
	if err := readForm(w, r); err != nil {
		return "", "", err
	}
	v.Next = nextpath.Safe(r.PostForm.Get("next"))
	username = strings.TrimSpace(r.PostForm.Get("username"))
	password = r.PostForm.Get("password")
	v.Username = username
	switch {
	case username == "" || password == "":
		return "", "", errMissingFields
	case len(username) > pages.MaxUsernameLen || len(password) > pages.MaxPasswordLen:
		v.Username = ""
		return "", "", errTooLong
	}
	return username, password, nil
}

// handleLogin checks the credentials at auth-api, starts the session and
// sends the user on to next. A failure shows the form again with the
// reason.
func handleLogin(log *slog.Logger, rd *renderer, auth AuthAPI, sessions *session.Manager, trusted []netip.Prefix) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p := rd.page(r)
		p.Title = p.L["login_title"]
		p.Login = &pages.Login{Next: "/"}
		var username, password string
		fail := func(err error) {
			pr := problemOf(err)
			if pr.status >= 500 {
				log.ErrorContext(ctx, "login failed", "user", username, "status", pr.status, "err", err)
			} else if username != "" {
				log.InfoContext(ctx, "login failed", "user", username, "reason", pr.code)
			}
			pr.setRetryAfter(w)
			p.Flash = &pages.Flash{Kind: "error", Text: pr.message(p.L)}
			p.Failed = true
			if errors.Is(err, errMissingFields) {
				// Say which field is empty, next to it.
				if p.Login.Username == "" {
					p.Login.Form.Fail("username", p.L["err_username_missing"])
				}
				if password == "" {
					p.Login.Form.Fail("password", p.L["err_password_missing"])
				}
			}
			rd.render(w, r, pr.status, "login", p)
		}

		username, password, err := readLogin(w, r, p.Login)
		if errors.Is(err, errMissingFields) {
			password = r.PostForm.Get("password")
		}
		if err != nil {
			fail(err)
			return
		}
		actx, cancel := context.WithTimeout(ctx, authCallTimeout)
		defer cancel()
		tokens, err := auth.Login(actx, username, password, clientip.Of(r, trusted))
		if err != nil {
			fail(err)
			return
		}
		if _, err := sessions.Start(w, tokens); err != nil {
			fail(err)
			return
		}
		if t, ok := trackerOf(ctx); ok {
			t.SetUser(username)
		}
		log.InfoContext(ctx, "login succeeded", "user", username)
		http.Redirect(w, r, p.Login.Next, http.StatusSeeOther)
	}
}

// handleLogout ends the session (revoking its refresh token at auth-api)
// and shows the login page with a message. The cookie is cleared even when
// auth-api cannot be reached.
func handleLogout(sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sessions.End(w, r)
		http.Redirect(w, r, "/login?msg="+pages.MsgLoggedOut, http.StatusSeeOther)
	}
}

// handleSessionEnded is fetched, as a hidden image, by the login page shown
// after a logout or an expired session; see session.Manager.MarkEnded.
func handleSessionEnded(sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		sessions.MarkEnded(w)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	}
}

// claimsJSONCacheSize bounds how many tokens' /api/me answers are kept.
const claimsJSONCacheSize = 1024

// handleAPIMe returns the verified claims as JSON, encoded once per token
// (jwtauth.ClaimsJSON, with the trailing newline writeJSON writes).
func handleAPIMe(cache *jwtauth.ClaimsJSON) http.HandlerFunc {
	contentType := []string{jsonContentType}
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := authFrom(r.Context())
		body, err := cache.Get(a.token, a.claims)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		w.Header()["Content-Type"] = contentType
		_, _ = w.Write(body)
	}
}

// readForm parses the form of r, bounded to maxFormBytes.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errFormTooLarge
		}
		return fmt.Errorf("%w: %w", errBadForm, err)
	}
	return nil
}
