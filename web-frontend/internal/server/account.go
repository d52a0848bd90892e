package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/clientip"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// Codes of ?done= on /account and /admin. Only these fixed codes are
// shown.
const (
	doneCreated  = "created"
	doneReset    = "reset"
	doneDeleted  = "deleted"
	donePassword = "password"
)

// handleAccount shows the account page: who you are, the password form and
// "Sign out everywhere".
func handleAccount(rd *renderer, now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := accountPage(rd, r, now())
		if r.URL.Query().Get("done") == donePassword {
			p.Flash = &pages.Flash{Kind: "info", Text: p.L["done_password"]}
		}
		rd.render(w, r, http.StatusOK, "account", p)
	}
}

func accountPage(rd *renderer, r *http.Request, now time.Time) *pages.Page {
	p := rd.page(r)
	p.Title = p.L["account_title"]
	p.Active = "account"
	a, _ := authFrom(r.Context())
	p.Account = pages.NewAccount(a.refreshExpires, now, p.L)
	return p
}

// handleChangePassword changes the password at auth-api, which revokes
// every refresh token of the user, this session's too; so it signs in
// again with the new password and replaces this session's cookie: this
// session continues, every other one ends.
func handleChangePassword(log *slog.Logger, rd *renderer, auth AuthAPI, sessions *session.Manager, trusted []netip.Prefix, now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		a, _ := authFrom(ctx)
		user := a.claims.Subject
		if err := readForm(w, r); err != nil {
			rd.fail(w, r, err)
			return
		}
		current, next, again := r.PostForm.Get(pages.FieldCurrent), r.PostForm.Get(pages.FieldNew), r.PostForm.Get(pages.FieldConfirmation)
		p := accountPage(rd, r, now())
		f := &p.Account.Password
		show := func(status int) {
			p.Failed = true
			rd.render(w, r, status, "account", p)
		}
		*f = pages.CheckPasswordChange(current, next, again, p.L)
		if f.Failed() {
			show(http.StatusBadRequest)
			return
		}

		actx, cancel := context.WithTimeout(ctx, authCallTimeout)
		defer cancel()
		if err := auth.ChangePassword(actx, a.token, current, next); err != nil {
			pr := problemOf(err)
			switch {
			case pr.field == "current_password":
				log.InfoContext(ctx, "password change refused", "user", user, "reason", "wrong_current_password")
				f.Fail(pages.FieldCurrent, pr.formMessage(p.L))
			case pr.field != "":
				// The one other field auth-api judges is the new password.
				f.Fail(pages.FieldNew, pr.formMessage(p.L))
			case pr.status == http.StatusTooManyRequests:
				pr.setRetryAfter(w)
				p.Flash = &pages.Flash{Kind: "error", Text: pr.message(p.L)}
			default:
				rd.fail(w, r, sessions.EndIfRefused(w, err))
				return
			}
			show(pr.status)
			return
		}
		log.InfoContext(ctx, "password changed", "user", user)

		// This session's refresh token is revoked now: continue it with a
		// fresh sign-in. Should that fail, the user signs in by hand.
		tokens, err := auth.Login(actx, user, next, clientip.Of(r, trusted))
		if err == nil {
			_, err = sessions.Start(w, tokens)
		}
		if err != nil {
			log.WarnContext(ctx, "password changed, but signing in again failed", "user", user, "err", err)
			sessions.Clear(w)
			http.Redirect(w, r, "/login?msg="+pages.MsgPasswordChanged, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/account?done="+donePassword, http.StatusSeeOther)
	}
}

// handleLogoutAll revokes every session of the user at auth-api (the
// others end through the revocation feed) and ends this one: "Sign out
// everywhere".
func handleLogoutAll(log *slog.Logger, rd *renderer, auth AuthAPI, sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := authFrom(r.Context())
		ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
		defer cancel()
		if err := auth.LogoutAll(ctx, a.token); err != nil {
			rd.fail(w, r, sessions.EndIfRefused(w, err))
			return
		}
		log.InfoContext(r.Context(), "signed out everywhere", "user", a.claims.Subject)
		sessions.Clear(w)
		http.Redirect(w, r, "/login?msg="+pages.MsgLoggedOutAll, http.StatusSeeOther)
	}
}
