package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pair is auth-api and web-frontend started with one key configuration on
// one database.
type pair struct{ auth, web *Proc }

func (p pair) stop() { p.web.Stop(); p.auth.Stop() }

// startPair starts both services with SECRET_KEY=secret and, when set,
// SECRET_KEY_PREVIOUS=previous, on the database file db.
func startPair(tb testing.TB, db, secret, previous string, ttl time.Duration) pair {
	tb.Helper()
	env := map[string]string{"DATABASE_URL": "sqlite://" + db}
	var webEnv map[string]string
	if previous != "" {
		env["SECRET_KEY_PREVIOUS"] = previous
		webEnv = map[string]string{"SECRET_KEY_PREVIOUS": previous}
	}
	auth := StartAuthAPI(tb, AuthOptions{Secret: secret, AccessTokenTTL: ttl, Env: env})
	return pair{auth: auth, web: StartFrontend(tb, secret, auth.URL, webEnv)}
}

// tokenKid returns the kid in the header of a JWT.
func tokenKid(tb testing.TB, jwt string) string {
	tb.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		tb.Fatalf("token header: %v", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		tb.Fatalf("token header: %v", err)
	}
	return h.Kid
}

// signingKid asks auth-api which key id it signs with.
func signingKid(tb testing.TB, authURL string) string {
	tb.Helper()
	resp, err := http.Get(authURL + "/token-key")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var k struct {
		Kid string `json:"kid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&k); err != nil || k.Kid == "" {
		tb.Fatalf("/token-key: %v %+v", err, k)
	}
	return k.Kid
}

// bearerStatus returns the status of GET path with the bearer token.
func bearerStatus(tb testing.TB, u, token string) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// at points c at a restarted web-frontend: the jar keeps its cookies
// (cookies are per host, not per port).
func (c *Client) at(tb testing.TB, base string) {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	c.Base = u
}

// The rotation procedure of docs/SECURITY.md, end to end with the real
// binaries: key A; then B with A as previous (nobody is logged out, new
// tokens carry B's kid); then B alone (what A made is refused).
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	keyA, keyB := NewSecret(t), NewSecret(t)
	db := filepath.Join(t.TempDir(), "auth.db")
	const admin, adminPassword = "admin", "admin-password-e2e"

	// Key A. Two kinds of session: long-lived tokens (a browser and an API
	// client) that are still valid after the restart, and a browser whose
	// access token will have expired, so that its first request after the
	// rotation renews it.
	a := startPair(t, db, keyA, "", 30*time.Minute)
	kidA := signingKid(t, a.auth.URL)
	s := &Stack{Auth: a.auth, Web: a.web, AdminUser: admin, AdminPassword: adminPassword}
	s.CreateUser(t, "alice", "alice-password-e2e", "user")
	browser := NewClient(t, a.web.URL)
	browser.MustLogin(t, "alice", "alice-password-e2e")
	cookieA := browser.SessionCookie()
	api := s.APILogin(t, admin, adminPassword)
	if got := tokenKid(t, api.AccessToken); got != kidA {
		t.Fatalf("key A token kid %q, want %q", got, kidA)
	}
	a.stop()

	a = startPair(t, db, keyA, "", shortTTL)
	renewing := NewClient(t, a.web.URL)
	renewing.MustLogin(t, admin, adminPassword)
	expires := time.Now().Add(shortTTL)
	a.stop()

	// Key B, A as previous.
	b := startPair(t, db, keyB, keyA, 30*time.Minute)
	kidB := signingKid(t, b.auth.URL)
	if kidB == kidA {
		t.Fatal("both keys have one kid")
	}
	time.Sleep(time.Until(expires.Add(1200 * time.Millisecond)))

	for _, tt := range []struct{ name, url string }{
		{"auth-api /me", b.auth.URL + "/me"},
		{"web-frontend /api/me", b.web.URL + "/api/me"},
	} {
		if got := bearerStatus(t, tt.url, api.AccessToken); got != http.StatusOK {
			t.Errorf("rotating: key A bearer token at %s: got %d, want 200", tt.name, got)
		}
	}
	browser.at(t, b.web.URL)
	if p := browser.Get(t, "/"); p.Status != http.StatusOK || p.URL.Path != "/" || !strings.Contains(p.Body, `id="dash-user">alice<`) {
		t.Errorf("rotating: key A cookie: landed on %d %s, want alice's dashboard", p.Status, p.URL)
	}
	renewing.at(t, b.web.URL)
	before := renewing.SessionCookie().Value
	if p := renewing.Get(t, "/"); p.Status != http.StatusOK || p.URL.Path != "/" || !strings.Contains(p.Body, kidB) {
		t.Errorf("rotating: expired key A session: landed on %d %s, want the dashboard showing kid %s", p.Status, p.URL, kidB)
	}
	renewed := renewing.SessionCookie()
	if renewed == nil || renewed.Value == before {
		t.Fatal("rotating: the expired session was not renewed into a new cookie")
	}
	var next Tokens
	if st := postJSON(t, b.auth.URL+"/refresh", "", map[string]string{"refresh_token": api.RefreshToken}, &next); st != http.StatusOK {
		t.Fatalf("rotating: refreshing a key A session: got %d", st)
	}
	if got := tokenKid(t, next.AccessToken); got != kidB {
		t.Errorf("rotating: refreshed token kid %q, want %q", got, kidB)
	}
	sB := &Stack{Auth: b.auth, Web: b.web, AdminUser: admin, AdminPassword: adminPassword}
	if got := tokenKid(t, sB.APILogin(t, "alice", "alice-password-e2e").AccessToken); got != kidB {
		t.Errorf("rotating: new login's kid %q, want %q", got, kidB)
	}
	fresh := NewClient(t, b.web.URL)
	fresh.MustLogin(t, "alice", "alice-password-e2e")
	b.stop()

	// Key B alone: key A tokens and cookies are refused, key B ones work.
	c := startPair(t, db, keyB, "", 30*time.Minute)
	for _, tt := range []struct {
		name, url, token string
		want             int
	}{
		{"key A token at auth-api /me", c.auth.URL + "/me", api.AccessToken, http.StatusUnauthorized},
		{"key A token at web-frontend /api/me", c.web.URL + "/api/me", api.AccessToken, http.StatusUnauthorized},
		{"key B token at auth-api /me", c.auth.URL + "/me", next.AccessToken, http.StatusOK},
		{"key B token at web-frontend /api/me", c.web.URL + "/api/me", next.AccessToken, http.StatusOK},
	} {
		if got := bearerStatus(t, tt.url, tt.token); got != tt.want {
			t.Errorf("after rotation: %s: got %d, want %d", tt.name, got, tt.want)
		}
	}
	resp := GetWithCookie(t, c.web.URL, "/", cookieA.Name, cookieA.Value)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/login" || loc.Query().Get("msg") != "expired" {
		t.Errorf("after rotation: key A cookie: got %d to %q, want 303 to /login?msg=expired", resp.StatusCode, resp.Header.Get("Location"))
	}
	browser.at(t, c.web.URL)
	if p := browser.Get(t, "/"); p.URL.Path != "/login" || !strings.Contains(p.Body, "Your session has expired or is invalid. Please log in again.") {
		t.Errorf("after rotation: key A browser landed on %d %s, want the login page with the expiry message", p.Status, p.URL)
	}
	for name, cl := range map[string]*Client{"renewed during the rotation": renewing, "logged in during the rotation": fresh} {
		cl.at(t, c.web.URL)
		if p := cl.Get(t, "/"); p.Status != http.StatusOK || p.URL.Path != "/" {
			t.Errorf("after rotation: session %s: landed on %d %s, want the dashboard", name, p.Status, p.URL)
		}
	}
}
