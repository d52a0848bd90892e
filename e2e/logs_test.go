package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// docs/SECURITY.md promises that the logs never hold a password, a token, a
// cookie value or a key. Both binaries at LOG_LEVEL=debug go through every
// flow that handles them: form and API logins (right and wrong), bearer
// calls, refreshes, a silent renewal, both logouts and a forged token.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	s := StartStack(t, shortTTL)
	const password, wrongPassword = "logcheck-password-42", "wrong-password-LOGMARK"
	s.CreateUser(t, "logcheck", password, "user")
	secrets := map[string]string{
		"SECRET_KEY": s.Secret, "the admin password": s.AdminPassword,
		"a password": password, "a wrong password": wrongPassword,
	}
	addToken := func(what, jwtOrOpaque string) {
		secrets[what+" "+jwtOrOpaque] = jwtOrOpaque
		if parts := strings.Split(jwtOrOpaque, "."); len(parts) == 3 {
			secrets[what+" signature "+parts[2]] = parts[2]
		}
	}

	browser := NewClient(t, s.Web.URL)
	if p := browser.Login(t, "logcheck", wrongPassword); p.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: got %d", p.Status)
	}
	browser.MustLogin(t, "logcheck", password)
	first := browser.SessionCookie().Value
	addToken("cookie", first)

	api := s.APILogin(t, "logcheck", password)
	addToken("access token", api.AccessToken)
	addToken("refresh token", api.RefreshToken)
	postJSON(t, s.Auth.URL+"/login", "", map[string]string{"username": "logcheck", "password": wrongPassword}, nil)
	for _, u := range []string{s.Auth.URL + "/me", s.Web.URL + "/api/me"} {
		if got := bearerStatus(t, u, api.AccessToken); got != http.StatusOK {
			t.Errorf("GET %s with a bearer token: got %d", u, got)
		}
		forged := api.AccessToken[:len(api.AccessToken)-4] + "AAAA"
		addToken("forged token", forged)
		if got := bearerStatus(t, u, forged); got != http.StatusUnauthorized {
			t.Errorf("GET %s with a forged token: got %d", u, got)
		}
	}
	var next Tokens
	if st := postJSON(t, s.Auth.URL+"/refresh", "", map[string]string{"refresh_token": api.RefreshToken}, &next); st != http.StatusOK {
		t.Fatalf("refresh: got %d", st)
	}
	addToken("refreshed access token", next.AccessToken)
	addToken("refreshed refresh token", next.RefreshToken)
	// Reuse of the old refresh token: the theft path logs too.
	postJSON(t, s.Auth.URL+"/refresh", "", map[string]string{"refresh_token": api.RefreshToken}, nil)
	postJSON(t, s.Auth.URL+"/logout", "", map[string]string{"refresh_token": next.RefreshToken}, nil)

	waitPastExpiry()
	if p := browser.Get(t, "/"); p.Status != http.StatusOK || p.URL.Path != "/" {
		t.Fatalf("silent renewal: landed on %d %s", p.Status, p.URL)
	}
	addToken("renewed cookie", browser.SessionCookie().Value)
	if p := browser.Do(t, http.MethodPost, "/logout", url.Values{}, nil); p.URL.Path != "/login" {
		t.Fatalf("logout: landed on %s", p.URL)
	}

	for _, proc := range []*Proc{s.Auth, s.Web} {
		logs := proc.Logs()
		if !strings.Contains(logs, "logcheck") {
			t.Errorf("%s logged nothing about the flows (no username); is LOG_LEVEL=debug in effect?", proc.Name)
		}
		for what, v := range secrets {
			if strings.Contains(logs, v) {
				t.Errorf("%s logged %s", proc.Name, what)
			}
		}
	}
}
