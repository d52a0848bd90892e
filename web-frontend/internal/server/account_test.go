package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jwt-micro-system/web-frontend/internal/pages"
)

func TestAccountPage(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	w := e.do(t, get("/account", ck))
	if w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", w.Code)
	}
	for _, want := range []string{`id="account-user">bob<`, `action="/account/password"`, `name="current_password"`,
		`name="new_password"`, `name="confirmation"`, `action="/account/logout-all"`, "Sign out everywhere",
		`id="nav-account" aria-current="page"`, "<title>Your account ·"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	e.wantLoginRedirect(t, e.do(t, get("/account")), false)
}

func TestChangePassword(t *testing.T) {
	form := func(current, next, again string) url.Values {
		return url.Values{"current_password": {current}, "new_password": {next}, "confirmation": {again}}
	}
	for _, tt := range []struct {
		name      string
		form      url.Values
		status    int
		field     string // the input marked invalid
		wantText  string
		unchanged bool
	}{
		{"nothing filled", form("", "", ""), 400, "current_password", "Enter your current password.", true},
		{"no confirmation", form("bob-password", "bob-password-2", ""), 400, "confirmation", "Enter the new password again.", true},
		{"confirmation differs", form("bob-password", "bob-password-2", "bob-password-3"), 400, "confirmation", "do not match", true},
		{"wrong current password", form("not-bobs", "bob-password-2", "bob-password-2"), 403, "current_password", "That is not your current password.", true},
		{"weak new password", form("bob-password", "short", "short"), 400, "new_password", "at least 8 characters", true},
		{"same as before", form("bob-password", "bob-password", "bob-password"), 400, "new_password", "must differ", true},
		{"success", form("bob-password", "bob-password-2", "bob-password-2"), 303, "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envConfig{})
			ck := e.login(t, "bob")
			other := e.login(t, "bob")
			w := e.do(t, postForm("/account/password", tt.form, ck))
			if w.Code != tt.status {
				t.Fatalf("got %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.field != "" {
				body := w.Body.String()
				for _, want := range []string{`id="` + tt.field + `"`, `aria-invalid="true" aria-describedby="` + tt.field + `-error`,
					`id="` + tt.field + `-error">` + "", tt.wantText, "<title>Error: Your account"} {
					if !strings.Contains(body, want) {
						t.Errorf("the page lacks %q", want)
					}
				}
				if strings.Contains(body, "bob-password") || strings.Contains(body, "not-bobs") {
					t.Error("a password is echoed in the page")
				}
			}
			e.fake.mu.Lock()
			pw := e.fake.users["bob"][0]
			e.fake.mu.Unlock()
			if changed := pw != "bob-password"; changed == tt.unchanged {
				t.Fatalf("password changed: %v, want %v", changed, !tt.unchanged)
			}
			if tt.unchanged {
				return
			}
			// This session continues with a new cookie; the other one's
			// refresh token is revoked.
			if loc := w.Header().Get("Location"); loc != "/account?done=password" {
				t.Errorf("got Location %q", loc)
			}
			fresh := e.sessionCookie(w)
			if fresh == nil || fresh.Value == "" || fresh.Value == ck.Value {
				t.Fatal("no new session cookie after the change")
			}
			if w := e.do(t, get("/account?done=password", fresh)); !strings.Contains(w.Body.String(), "Your password was changed.") {
				t.Errorf("no confirmation on the account page: %d", w.Code)
			}
			s, _ := e.codec.Decode(other.Value)
			if !e.fake.familyRevoked(s.RefreshToken) {
				t.Error("the other session's refresh token was not revoked")
			}
			s, _ = e.codec.Decode(fresh.Value)
			if e.fake.familyRevoked(s.RefreshToken) {
				t.Error("this session's new refresh token is revoked")
			}
		})
	}
}

func TestLogoutAll(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	other := e.login(t, "bob")
	w := e.do(t, postForm("/account/logout-all", nil, ck))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?msg="+pages.MsgLoggedOutAll {
		t.Fatalf("got %d %q", w.Code, w.Header().Get("Location"))
	}
	if c := e.sessionCookie(w); c == nil || c.MaxAge >= 0 {
		t.Error("this session's cookie was not cleared")
	}
	for _, c := range []string{ck.Value, other.Value} {
		s, _ := e.codec.Decode(c)
		if !e.fake.familyRevoked(s.RefreshToken) {
			t.Error("a session's refresh token was not revoked")
		}
	}
	if body := e.do(t, get("/login?msg="+pages.MsgLoggedOutAll)).Body.String(); !strings.Contains(body, "You have signed out everywhere.") {
		t.Error("the login page does not say so")
	}
}
