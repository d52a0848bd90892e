package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
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
		return nil, sessions.EndIfRefused(w, err)
	}
	p := rd.page(r)
	p.Title = p.L["admin_title"]
	p.Active = "admin"
	p.Admin = pages.NewAdmin(users, a.claims.Subject, p.L)
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

// adminChange is one change to the users made from a form of /admin.
type adminChange struct {
	form  pages.Form                                    // the form as read, with its own errors
	call  func(ctx context.Context, token string) error // the change at auth-api
	done  func()                                        // log and redirect, after a success
	field func(problemField string) string              // where a refusal is shown on the form
	show  func(p *pages.Page, f pages.Form)             // put the failed form on the page
}

// submitAdmin makes the change unless its form already has errors, then
// either goes back to the list (done) or shows the list again with the
// form and auth-api's refusal (a problem about a field) next to it; any
// other failure is an error page. It is the one way the create and reset
// forms are answered.
func submitAdmin(w http.ResponseWriter, r *http.Request, rd *renderer, auth AuthAPI, sessions *session.Manager, c adminChange) {
	status := http.StatusBadRequest
	if !c.form.Failed() {
		a, _ := authFrom(r.Context())
		ctx, cancel := context.WithTimeout(r.Context(), authCallTimeout)
		err := c.call(ctx, a.token)
		cancel()
		if err == nil {
			c.done()
			return
		}
		pr := problemOf(err)
		if pr.field == "" || pr.status >= 500 {
			rd.fail(w, r, sessions.EndIfRefused(w, err))
			return
		}
		c.form.Fail(c.field(pr.field), pr.formMessage(rd.page(r).L))
		status = pr.status
	}
	p, err := adminPage(w, r, rd, auth, sessions)
	if err != nil {
		rd.fail(w, r, err)
		return
	}
	c.show(p, c.form)
	p.Failed = true
	rd.render(w, r, status, "admin", p)
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
		f := pages.CheckNewUser(name, password, role, rd.page(r).L)
		submitAdmin(w, r, rd, auth, sessions, adminChange{
			form: f,
			call: func(ctx context.Context, token string) error {
				return auth.CreateUser(ctx, token, name, password, role)
			},
			done: func() {
				log.InfoContext(r.Context(), "user created", "user", name, "role", role, "by", a.claims.Subject)
				adminDone(w, r, doneCreated, name)
			},
			field: func(field string) string { return field },
			show:  func(p *pages.Page, f pages.Form) { p.Admin.Create = f },
		})
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
		password := r.PostForm.Get(pages.FieldResetPassword)
		f := pages.CheckReset(password, rd.page(r).L)
		submitAdmin(w, r, rd, auth, sessions, adminChange{
			form: f,
			call: func(ctx context.Context, token string) error { return auth.SetPassword(ctx, token, name, password) },
			done: func() {
				log.InfoContext(r.Context(), "password reset", "user", name, "by", a.claims.Subject)
				adminDone(w, r, doneReset, name)
			},
			// The row has one field: every refusal is shown there.
			field: func(string) string { return pages.FieldResetPassword },
			show: func(p *pages.Page, f pages.Form) {
				p.Admin.ResetUser, p.Admin.Reset = name, f
				if !p.Admin.Has(name) {
					p.Flash = &pages.Flash{Kind: "error", Text: p.L["err_no_user"]}
				}
			},
		})
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
		if err == nil {
			log.InfoContext(r.Context(), "user deleted", "user", name, "by", a.claims.Subject)
			adminDone(w, r, doneDeleted, name)
			return
		}
		pr := problemOf(err)
		if pr.formKey == "" || pr.status >= 500 {
			rd.fail(w, r, sessions.EndIfRefused(w, err))
			return
		}
		p, err := adminPage(w, r, rd, auth, sessions)
		if err != nil {
			rd.fail(w, r, err)
			return
		}
		p.Flash = &pages.Flash{Kind: "error", Text: pr.formMessage(p.L)}
		p.Failed = true
		rd.render(w, r, pr.status, "admin", p)
	}
}
