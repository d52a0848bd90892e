package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/pgtest"
)

// revocationDeadline is how soon every replica must refuse a session that
// was ended on another one (issue 12: "within 2 s").
const revocationDeadline = 2 * time.Second

// replicas is two auth-api and two web-frontend processes on loopback
// sharing one PostgreSQL database and one SECRET_KEY; web[i] talks to
// api[i].
type replicas struct {
	api, web                 [2]*Proc
	adminUser, adminPassword string
}

func startReplicas(tb testing.TB) *replicas {
	tb.Helper()
	pg := pgtest.Start(tb)
	secret := NewSecret(tb)
	env := map[string]string{"DATABASE_URL": pg.NewDatabase(tb)}
	r := &replicas{adminUser: "admin", adminPassword: "admin-password-e2e"}
	for i := range 2 {
		r.api[i] = StartAuthAPI(tb, AuthOptions{Secret: secret, AdminUser: r.adminUser, AdminPassword: r.adminPassword, Env: env})
	}
	for i := range 2 {
		r.web[i] = StartFrontend(tb, secret, r.api[i].URL, nil)
	}
	return r
}

// stack returns replica i as a Stack, for the helpers written for one.
func (r *replicas) stack(i int) *Stack {
	return &Stack{Auth: r.api[i], Web: r.web[i], AdminUser: r.adminUser, AdminPassword: r.adminPassword}
}

// cookieRefused reports "" when the web-frontend at base answers the
// session cookie value on / with a redirect to the login page with the
// expiry message, else what it did instead.
func cookieRefused(tb testing.TB, base, name, value string) string {
	resp := GetWithCookie(tb, base, "/", name, value)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode == http.StatusSeeOther && loc.Path == "/login" && loc.Query().Get("msg") == "expired" {
		return ""
	}
	return base + ": the session's cookie still gets " + resp.Status + " " + resp.Header.Get("Location") + ", want 303 to /login?msg=expired"
}

func cookieAccepted(tb testing.TB, base, name, value string) {
	tb.Helper()
	if resp := GetWithCookie(tb, base, "/", name, value); resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s: a live session's cookie got %d %s, want 200", base, resp.StatusCode, resp.Header.Get("Location"))
	}
}

func meStatus(tb testing.TB, base, token string) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s/me: %v", base, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReplicasSharePostgres is issue 12's "Done when" for the frontends
// and revocation: any replica serves any session, and a session ended on
// one replica is refused by all of them within two seconds.
func TestReplicasSharePostgres(t *testing.T) {
	t.Parallel()
	r := startReplicas(t)
	user, password := UniqueUser(t, "replica-user"), "replica-user-password"
	r.stack(0).CreateUser(t, user, password, "user")

	t.Run("a form login on frontend 1 works on frontend 2", func(t *testing.T) {
		c := NewClient(t, r.web[0].URL)
		c.MustLogin(t, user, password)
		ck := c.SessionCookie()
		cookieAccepted(t, r.web[1].URL, ck.Name, ck.Value)
		p := NewClient(t, r.web[1].URL)
		p.HTTP.Jar.SetCookies(p.Base, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
		dash := p.Get(t, "/")
		if dash.URL.Path != "/" {
			t.Fatalf("frontend 2 with frontend 1's cookie: landed on %s, want the dashboard", dash.URL)
		}
		contains(t, "frontend 2's dashboard", dash.Body, `id="dash-user">`+user+`<`)
	})

	t.Run("logout via frontend 1 is refused by frontend 2 within 2 s", func(t *testing.T) {
		c := NewClient(t, r.web[0].URL)
		c.MustLogin(t, user, password)
		ck := c.SessionCookie()
		cookieAccepted(t, r.web[1].URL, ck.Name, ck.Value)
		if p := c.Do(t, http.MethodPost, "/logout", url.Values{}, nil); p.URL.Path != "/login" {
			t.Fatalf("logout: landed on %s, want /login", p.URL)
		}
		Eventually(t, revocationDeadline, func() string { return cookieRefused(t, r.web[1].URL, ck.Name, ck.Value) })
		Eventually(t, revocationDeadline, func() string { return cookieRefused(t, r.web[0].URL, ck.Name, ck.Value) })
		// The person sees the usual expiry message.
		replay := NewClient(t, r.web[1].URL)
		replay.HTTP.Jar.SetCookies(replay.Base, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
		p := replay.Get(t, "/")
		if p.URL.Path != "/login" {
			t.Fatalf("replay on frontend 2: landed on %s, want /login", p.URL)
		}
		contains(t, "frontend 2's login page after the replay", p.Body, "Your session has expired or is invalid. Please log in again.")
		if replay.SessionCookie() != nil {
			t.Error("frontend 2 did not clear the revoked session's cookie")
		}
	})

	t.Run("an API logout on API 1 makes the access token 401 on API 2 within 2 s", func(t *testing.T) {
		tok := r.stack(0).APILogin(t, user, password)
		other := r.stack(1).APILogin(t, user, password)
		if got := meStatus(t, r.api[1].URL, tok.AccessToken); got != http.StatusOK {
			t.Fatalf("API 2 /me before the logout: got %d, want 200", got)
		}
		if got := postJSON(t, r.api[0].URL+"/logout", "", map[string]string{"refresh_token": tok.RefreshToken}, nil); got != http.StatusNoContent {
			t.Fatalf("logout on API 1: got %d, want 204", got)
		}
		if got := meStatus(t, r.api[0].URL, tok.AccessToken); got != http.StatusUnauthorized {
			t.Errorf("API 1 /me right after its own logout: got %d, want 401", got)
		}
		Eventually(t, revocationDeadline, func() string {
			if got := meStatus(t, r.api[1].URL, tok.AccessToken); got != http.StatusUnauthorized {
				return "API 2 still accepts the logged-out access token: " + http.StatusText(got)
			}
			return ""
		})
		for i := range 2 {
			if got := meStatus(t, r.api[i].URL, other.AccessToken); got != http.StatusOK {
				t.Errorf("API %d: the user's other session got %d, want 200", i+1, got)
			}
		}
	})

	t.Run("a password change revokes the user's other sessions on both frontends", func(t *testing.T) {
		var cookies [2]*http.Cookie
		for i := range 2 {
			c := NewClient(t, r.web[i].URL)
			c.MustLogin(t, user, password)
			cookies[i] = c.SessionCookie()
		}
		bystander := NewClient(t, r.web[1].URL)
		bystander.MustLogin(t, r.adminUser, r.adminPassword)
		bc := bystander.SessionCookie()
		tok := r.stack(1).APILogin(t, user, password)
		if got := postJSON(t, r.api[1].URL+"/me/password", tok.AccessToken,
			map[string]string{"current_password": password, "new_password": password + "-2"}, nil); got != http.StatusNoContent {
			t.Fatalf("password change on API 2: got %d, want 204", got)
		}
		password += "-2"
		for _, ck := range cookies {
			for _, web := range r.web {
				Eventually(t, revocationDeadline, func() string { return cookieRefused(t, web.URL, ck.Name, ck.Value) })
			}
		}
		for _, web := range r.web {
			cookieAccepted(t, web.URL, bc.Name, bc.Value)
		}
		if got := meStatus(t, r.api[0].URL, tok.AccessToken); got != http.StatusUnauthorized {
			t.Errorf("API 1: the token used for the change got %d, want 401 (its session is revoked too)", got)
		}
		NewClient(t, r.web[0].URL).MustLogin(t, user, password)
	})
}
