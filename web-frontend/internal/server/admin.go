package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

// requireAdmin lets only admins through; others get the 403 page.
func requireAdmin(log *slog.Logger, rd *renderer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a, _ := authFrom(r.Context())
			if a.claims.Role != "admin" {
				log.InfoContext(r.Context(), "admin page refused", "user", a.claims.Subject, "role", a.claims.Role)
				rd.fail(w, r, errForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// adminPage fetches the users from auth-api with the admin's own token and
// starts the admin page.
func adminPage(w http.ResponseWriter, r *http.Request, rd *renderer, auth AuthAPI, sessions *session.Manager) (*pages.Page, error) {
	a, _ := authFrom(r.Context())
	ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
	defer cancel()
	users, err := auth.Users(ctx, a.token)
	if err != nil {
		return nil, sessionOver(w, sessions, err)
	}
	p := rd.page(r)
	p.Title = p.L["admin_title"]
	p.Active = "admin"
	view := &pages.Admin{Users: make([]pages.UserRow, 0, len(users))}
	for _, u := range users {
		row := pages.UserRow{Username: u.Username, Role: u.Role, Self: strings.EqualFold(u.Username, a.claims.Subject),
			ResetLabel: fmt.Sprintf(p.L["reset_label"], u.Username)}
		if !u.CreatedAt.IsZero() {
			row.Created = u.CreatedAt.UTC().Format(pages.TimeLayout)
			row.CreatedISO = u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		view.Users = append(view.Users, row)
	}
	p.Admin = view
	return p, nil
}

// handleAdmin shows the users and the forms that manage them. A ?done=
// message is shown only when the list agrees with it, so a crafted link
// cannot announce what did not happen.
func handleAdmin(rd *renderer, auth AuthAPI, sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := adminPage(w, r, rd, auth, sessions)
		if err != nil {
			rd.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		name := q.Get("user")
		var key string
		switch listed := p.Admin.Has(name); q.Get("done") {
		case doneCreated, doneReset:
			if listed {
				key = "done_" + q.Get("done")
			}
		case doneDeleted:
			if !listed {
				key = "done_deleted"
			}
		}
		if key != "" && name != "" {
			p.Flash = &pages.Flash{Kind: "info", Text: fmt.Sprintf(p.L[key], name)}
		}
		rd.render(w, r, http.StatusOK, "admin", p)
	}
}

// adminDone sends the admin back to the list with a message.
func adminDone(w http.ResponseWriter, r *http.Request, done, user string) {
	http.Redirect(w, r, "/admin?"+url.Values{"done": {done}, "user": {user}}.Encode(), http.StatusSeeOther)
}

// handleCreateUser creates a user from the form on /admin.
func handleCreateUser(log *slog.Logger, rd *renderer, auth AuthAPI, sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := readForm(w, r); err != nil {
			rd.fail(w, r, err)
			return
		}
		a, _ := authFrom(r.Context())
		name := strings.TrimSpace(r.PostForm.Get("username"))
		password, role := r.PostForm.Get("password"), r.PostForm.Get("role")
		var f pages.Form
		f.Values = map[string]string{"username": name, "role": role}
		L := rd.page(r).L
		switch {
		case name == "":
			f.Fail("username", L["err_username_missing"])
		case len(name) > maxUsernameLen:
			f.Fail("username", L["err_username_rule"])
		}
		if password == "" || len(password) > maxPasswordLen {
			f.Fail("password", L["err_password_rule"])
		}
		status := http.StatusBadRequest
		if !f.Failed() {
			ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
			err := auth.CreateUser(ctx, a.token, name, password, role)
			cancel()
			field, msg, isRule := ruleField(err, L, "password")
			switch {
			case err == nil:
				log.InfoContext(r.Context(), "user created", "user", name, "role", role, "by", a.claims.Subject)
				adminDone(w, r, doneCreated, name)
				return
			case isRule:
				f.Fail(field, msg)
			case codeOf(err) == "user_exists":
				f.Fail("username", L["err_username_taken"])
				status = http.StatusConflict
			default:
				rd.fail(w, r, sessionOver(w, sessions, err))
				return
			}
		}
		p, err := adminPage(w, r, rd, auth, sessions)
		if err != nil {
			rd.fail(w, r, err)
			return
		}
		p.Admin.Create = f
		p.Failed = true
		rd.render(w, r, status, "admin", p)
	}
}

// handleResetPassword sets the password of the user in the path, from the
// form of that user's row.
func handleResetPassword(log *slog.Logger, rd *renderer, auth AuthAPI, sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := readForm(w, r); err != nil {
			rd.fail(w, r, err)
			return
		}
		a, _ := authFrom(r.Context())
		name := chi.URLParam(r, "username")
		password := r.PostForm.Get(fieldResetPassword)
		L := rd.page(r).L
		var f pages.Form
		status := http.StatusBadRequest
		if password == "" || len(password) > maxPasswordLen {
			f.Fail(fieldResetPassword, L["err_password_rule"])
		} else {
			ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
			err := auth.SetPassword(ctx, a.token, name, password)
			cancel()
			_, msg, isRule := ruleField(err, L, fieldResetPassword)
			switch {
			case err == nil:
				log.InfoContext(r.Context(), "password reset", "user", name, "by", a.claims.Subject)
				adminDone(w, r, doneReset, name)
				return
			case isRule:
				f.Fail(fieldResetPassword, msg)
			case codeOf(err) == "not_found":
				f.Fail(fieldResetPassword, L["err_no_user"])
				status = http.StatusNotFound
			default:
				rd.fail(w, r, sessionOver(w, sessions, err))
				return
			}
		}
		p, err := adminPage(w, r, rd, auth, sessions)
		if err != nil {
			rd.fail(w, r, err)
			return
		}
		p.Admin.ResetUser, p.Admin.Reset = name, f
		if !p.Admin.Has(name) {
			p.Flash = &pages.Flash{Kind: "error", Text: L["err_no_user"]}
		}
		p.Failed = true
		rd.render(w, r, status, "admin", p)
	}
}

// handleDeleteUser deletes the user in the path at auth-api, which revokes
// its refresh tokens. The form of the user's row posts without confirm:
// that shows the question, whose form posts again with confirm=yes.
func handleDeleteUser(log *slog.Logger, rd *renderer, auth AuthAPI, sessions *session.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := readForm(w, r); err != nil {
			rd.fail(w, r, err)
			return
		}
		a, _ := authFrom(r.Context())
		name := chi.URLParam(r, "username")
		if r.PostForm.Get("confirm") != "yes" {
			p, err := adminPage(w, r, rd, auth, sessions)
			if err != nil {
				rd.fail(w, r, err)
				return
			}
			if !p.Admin.Has(name) {
				p.Flash = &pages.Flash{Kind: "error", Text: p.L["err_no_user"]}
				rd.render(w, r, http.StatusNotFound, "admin", p)
				return
			}
			p.Admin.Confirm = name
			p.Title = fmt.Sprintf(p.L["confirm_title"], name)
			rd.render(w, r, http.StatusOK, "admin", p)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
		err := auth.DeleteUser(ctx, a.token, name)
		cancel()
		var key string
		status := http.StatusConflict
		switch {
		case err == nil:
			log.InfoContext(r.Context(), "user deleted", "user", name, "by", a.claims.Subject)
			adminDone(w, r, doneDeleted, name)
			return
		case codeOf(err) == "cannot_delete_self":
			key = "err_delete_self"
		case codeOf(err) == "not_found", errors.Is(err, authclient.ErrRejected):
			key, status = "err_no_user", http.StatusNotFound
		default:
			rd.fail(w, r, sessionOver(w, sessions, err))
			return
		}
		p, err := adminPage(w, r, rd, auth, sessions)
		if err != nil {
			rd.fail(w, r, err)
			return
		}
		p.Flash = &pages.Flash{Kind: "error", Text: p.L[key]}
		p.Failed = true
		rd.render(w, r, status, "admin", p)
	}
}
