package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// Form limits: generous for people, small for abuse. auth-api applies the
// real password rules.
const (
	maxFormBytes    = 16 << 10
	maxUsernameLen  = 256
	maxPasswordLen  = 1024
	authCallTimeout = 5 * time.Second
)

type loginView struct {
	Username string
	Next     string
}

// handleLoginPage shows the login form; someone already logged in goes
// straight on to next.
func (s *server) handleLoginPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next := safeNext(r.URL.Query().Get("next"))
		if s.hasLiveSession(r) {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		p := s.newPage(r)
		p.Title = p.L["login_title"]
		p.Login = &loginView{Next: next}
		switch r.URL.Query().Get("msg") {
		case msgExpired:
			p.Flash = &flash{Kind: "warning", Text: p.L["msg_expired"]}
			p.SessionEnded = true
		case msgLoggedOut:
			p.Flash = &flash{Kind: "info", Text: p.L["msg_logged_out"]}
			p.SessionEnded = true
		}
		s.render(w, r, http.StatusOK, "login", p)
	}
}

// hasLiveSession reports whether r carries a session whose access token is
// valid right now. It never renews and never writes.
func (s *server) hasLiveSession(r *http.Request) bool {
	ck, err := r.Cookie(s.codec.Name())
	if err != nil {
		return false
	}
	sess, err := s.codec.Decode(ck.Value)
	if err != nil {
		return false
	}
	c, err := s.verifier.Verify(sess.AccessToken)
	return err == nil && s.now().Before(c.Expiry())
}

// handleLogin checks the credentials at auth-api, sets the session cookie
// and sends the user on to next.
func (s *server) handleLogin() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.newPage(r)
		p.Title = p.L["login_title"]
		p.Login = &loginView{Next: "/"}
		fail := func(status int, text string) {
			p.Flash = &flash{Kind: "error", Text: text}
			s.render(w, r, status, "login", p)
		}

		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				fail(http.StatusRequestEntityTooLarge, p.L["err_too_long"])
				return
			}
			fail(http.StatusBadRequest, p.L["err_bad_form"])
			return
		}
		p.Login.Next = safeNext(r.PostForm.Get("next"))
		username := strings.TrimSpace(r.PostForm.Get("username"))
		password := r.PostForm.Get("password")
		p.Login.Username = username
		switch {
		case username == "" || password == "":
			fail(http.StatusBadRequest, p.L["err_missing_fields"])
			return
		case len(username) > maxUsernameLen || len(password) > maxPasswordLen:
			p.Login.Username = ""
			fail(http.StatusBadRequest, p.L["err_too_long"])
			return
		}

		ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
		defer cancel()
		tokens, err := s.auth.Login(ctx, username, password, clientIP(r, s.opts.TrustedProxies))
		if err != nil {
			var ae *authclient.Error
			switch {
			case errors.Is(err, authclient.ErrUnauthorized):
				s.log.Info("login failed", "user", username, "reason", "bad_credentials")
				fail(http.StatusUnauthorized, p.L["err_credentials"])
			case errors.Is(err, authclient.ErrRateLimited):
				secs := 60
				if errors.As(err, &ae) && ae.RetryAfter > 0 {
					secs = int(ae.RetryAfter / time.Second)
				}
				s.log.Info("login failed", "user", username, "reason", "rate_limited")
				w.Header().Set("Retry-After", fmt.Sprint(secs))
				fail(http.StatusTooManyRequests, fmt.Sprintf(p.L["err_rate_limited"], secs))
			case errors.Is(err, authclient.ErrRejected) && errors.As(err, &ae) && ae.Message != "":
				// auth-api's own words about what to fix (e.g. the password
				// length rule).
				s.log.Info("login failed", "user", username, "reason", ae.Code)
				fail(http.StatusBadRequest, ae.Message)
			default:
				s.log.Error("login failed: auth-api unavailable", "err", err)
				w.Header().Set("Retry-After", "5")
				fail(http.StatusServiceUnavailable, p.L["err_unavailable"])
			}
			return
		}

		if _, err := s.verifier.Verify(tokens.AccessToken); err != nil {
			s.log.Error("auth-api issued a token this service refuses; check SECRET_KEY, ISSUER and JWT_AUDIENCE on both services",
				"reason", string(jwtauth.ReasonOf(err)))
			fail(http.StatusServiceUnavailable, p.L["err_login_config"])
			return
		}
		value, err := s.codec.Encode(session.Session{AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken})
		if err != nil {
			s.log.Error("session cookie could not be sealed", "err", err)
			fail(http.StatusInternalServerError, p.L["err_internal"])
			return
		}
		http.SetCookie(w, s.codec.Cookie(value))
		s.log.Info("login succeeded", "user", username)
		http.Redirect(w, r, p.Login.Next, http.StatusSeeOther)
	}
}

// handleLogout revokes the session's refresh token at auth-api, clears the
// cookie and shows the login page with a message. The cookie is cleared
// even when auth-api cannot be reached.
func (s *server) handleLogout() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ck, err := r.Cookie(s.codec.Name()); err == nil {
			if sess, err := s.codec.Decode(ck.Value); err == nil {
				rt := sess.RefreshToken
				if newer, ok := s.renewer.forget(rt); ok {
					rt = newer
				}
				ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), authCallTimeout)
				err := s.auth.Logout(ctx, rt)
				cancel()
				if err != nil && !errors.Is(err, authclient.ErrUnauthorized) {
					s.log.Warn("logout: refresh token not revoked at auth-api", "err", err)
				}
			}
		}
		http.SetCookie(w, s.codec.ClearCookie())
		http.Redirect(w, r, "/login?msg="+msgLoggedOut, http.StatusSeeOther)
	}
}

// sessionEndedCookie is a throwaway cookie; see handleSessionEnded.
const sessionEndedCookie = "session_ended"

// handleSessionEnded is fetched, as a hidden image, by the login page shown
// after a logout or an expired session. Chromium keeps even no-store pages
// in its back/forward cache, and evicts them only when a cookie changes
// after they entered it; the session cookie was cleared just before, so
// without this Back would show a frozen copy of the dashboard just left.
// Changing a throwaway cookie once the login page has loaded evicts it. No
// session state changes here.
func (s *server) handleSessionEnded() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		ck := s.codec.Cookie(strconv.FormatInt(s.now().UnixNano(), 36))
		ck.Name = sessionEndedCookie
		ck.MaxAge = 10
		http.SetCookie(w, ck)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	}
}

type adminView struct {
	Users []userRow
}

type userRow struct {
	Username, Role, Created string
}

// handleAdmin lists the users, fetched from auth-api with the admin's own
// token. Other roles get the 403 page.
func (s *server) handleAdmin() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := authFrom(r.Context())
		if a.claims.Role != "admin" {
			s.log.Info("admin page refused", "user", a.claims.Subject, "role", a.claims.Role)
			s.renderError(w, r, http.StatusForbidden, "err_forbidden")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
		defer cancel()
		users, err := s.auth.Users(ctx, a.token)
		switch {
		case err == nil:
		case errors.Is(err, authclient.ErrForbidden):
			s.renderError(w, r, http.StatusForbidden, "err_forbidden")
			return
		case errors.Is(err, authclient.ErrUnauthorized):
			// auth-api no longer accepts the token (user deleted, key
			// rotated): the session is over.
			http.SetCookie(w, s.codec.ClearCookie())
			http.Redirect(w, r, "/login?next=%2Fadmin&msg="+msgExpired, http.StatusSeeOther)
			return
		default:
			s.log.Error("admin page: listing users failed", "err", err)
			w.Header().Set("Retry-After", "5")
			s.renderError(w, r, http.StatusServiceUnavailable, "err_unavailable")
			return
		}
		p := s.newPage(r)
		p.Title = p.L["admin_title"]
		p.Active = "admin"
		view := &adminView{Users: make([]userRow, 0, len(users))}
		for _, u := range users {
			row := userRow{Username: u.Username, Role: u.Role}
			if !u.CreatedAt.IsZero() {
				row.Created = u.CreatedAt.UTC().Format(timeLayout)
			}
			view.Users = append(view.Users, row)
		}
		p.Admin = view
		s.render(w, r, http.StatusOK, "admin", p)
	}
}

// handleAPIMe returns the verified claims as JSON.
func handleAPIMe() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := authFrom(r.Context())
		writeJSON(w, http.StatusOK, a.claims)
	}
}
