package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminManagesUsers(t *testing.T) {
	e := newEnv(t, envConfig{})
	admin := e.login(t, "alice")
	bob := e.login(t, "bob")
	for _, tt := range []struct {
		name     string
		path     string
		form     url.Values
		status   int
		location string
		want     []string
	}{
		{"create: weak password", "/admin/users", url.Values{"username": {"carol"}, "password": {"short"}, "role": {"user"}}, 400, "",
			[]string{`id="new-user-password-error"`, "at least 8 characters", `value="carol"`, "<title>Error: Users"}},
		{"create: bad name", "/admin/users", url.Values{"username": {"carol smith"}, "password": {"carol-password"}, "role": {"user"}}, 400, "",
			[]string{`id="new-username-error"`, "no spaces"}},
		{"create: no name", "/admin/users", url.Values{"password": {"carol-password"}}, 400, "",
			[]string{`id="new-username-error"`, "Enter a username."}},
		{"create: taken", "/admin/users", url.Values{"username": {"BOB"}, "password": {"carol-password"}, "role": {"user"}}, 409, "",
			[]string{`id="new-username-error"`, "That username is taken"}},
		{"create", "/admin/users", url.Values{"username": {"carol"}, "password": {"carol-password"}, "role": {"admin"}}, 303,
			"/admin?done=created&user=carol", nil},
		{"reset: weak", "/admin/users/bob/password", url.Values{"password": {"short"}}, 400, "",
			[]string{`id="reset-bob-error"`, `aria-invalid="true" aria-describedby="reset-bob-error"`}},
		{"reset: no such user", "/admin/users/nobody/password", url.Values{"password": {"new-password"}}, 404, "",
			[]string{"There is no such user any more."}},
		{"reset", "/admin/users/bob/password", url.Values{"password": {"bob-password-2"}}, 303, "/admin?done=reset&user=bob", nil},
		{"delete asks first", "/admin/users/bob/delete", nil, 200, "",
			[]string{"Delete bob?", `name="confirm" value="yes"`, `href="/admin"`}},
		{"delete: self", "/admin/users/alice/delete", url.Values{"confirm": {"yes"}}, 409, "",
			[]string{"You cannot delete your own account."}},
		{"delete", "/admin/users/bob/delete", url.Values{"confirm": {"yes"}}, 303, "/admin?done=deleted&user=bob", nil},
		{"delete: gone", "/admin/users/bob/delete", url.Values{"confirm": {"yes"}}, 404, "", []string{"There is no such user any more."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(t, postForm(tt.path, tt.form, admin))
			if w.Code != tt.status {
				t.Fatalf("got %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("got Location %q, want %q", got, tt.location)
			}
			for _, s := range tt.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("the page lacks %q", s)
				}
			}
		})
	}
	s, _ := e.codec.Decode(bob.Value)
	if !e.fake.familyRevoked(s.RefreshToken) {
		t.Error("bob's session survived the reset and the deletion")
	}
	// The flash after a redirect, only when the list agrees with it.
	for _, tt := range []struct {
		query, want string
		shown       bool
	}{
		{"done=created&user=carol", "User carol was created.", true},
		{"done=deleted&user=bob", "User bob was deleted.", true},
		{"done=deleted&user=carol", "User carol was deleted.", false},
		{"done=created&user=mallory", "User mallory was created.", false},
	} {
		body := e.do(t, get("/admin?"+tt.query, admin)).Body.String()
		if strings.Contains(body, tt.want) != tt.shown {
			t.Errorf("/admin?%s: message %q shown %v, want %v", tt.query, tt.want, !tt.shown, tt.shown)
		}
	}
}

func TestAdminFormsAreForAdminsOnly(t *testing.T) {
	e := newEnv(t, envConfig{})
	bob := e.login(t, "bob")
	for _, path := range []string{"/admin/users", "/admin/users/alice/password", "/admin/users/alice/delete"} {
		w := e.do(t, postForm(path, url.Values{"username": {"x"}, "password": {"xxxxxxxxxx"}, "confirm": {"yes"}}, bob))
		if w.Code != http.StatusForbidden {
			t.Errorf("%s as a plain user: got %d, want 403", path, w.Code)
		}
	}
	e.fake.mu.Lock()
	defer e.fake.mu.Unlock()
	if len(e.fake.users) != 2 || e.fake.users["alice"][0] != "alice-password" {
		t.Errorf("a plain user changed the users: %v", e.fake.users)
	}
}

// Error pages outside the session routes keep the signed-in header.
func TestErrorPagesKeepTheHeader(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	w := e.do(t, get("/nowhere", ck))
	if w.Code != http.StatusNotFound {
		t.Fatalf("got %d, want 404", w.Code)
	}
	for _, want := range []string{`id="current-user">bob<`, `id="logout"`, `href="/account"`, "<title>Error: Page not found"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("the 404 page lacks %q", want)
		}
	}
	if body := e.do(t, get("/nowhere")).Body.String(); strings.Contains(body, `id="logout"`) {
		t.Error("the 404 page offers Sign out to someone not signed in")
	}
}
