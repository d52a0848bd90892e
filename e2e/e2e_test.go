package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// shortTTL is auth-api's ACCESS_TOKEN_TTL in the renewal tests; waiting a
// little longer than it is the only way to let a real token expire.
const shortTTL = 2 * time.Second

func waitPastExpiry() { time.Sleep(shortTTL + 1200*time.Millisecond) }

func contains(tb testing.TB, what, body string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			tb.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestLoginThroughTheFormAndDashboard(t *testing.T) {
	t.Parallel()
	checkLoginAndDashboard(t, StartStack(t, 0))
}

// checkLoginAndDashboard logs the admin in through the form (after a wrong
// password) and checks the dashboard; it runs against the binaries here and
// against the containers in TestContainers.
func checkLoginAndDashboard(t *testing.T, s *Stack) {
	c := NewClient(t, s.Web.URL)

	p := c.Get(t, "/")
	if p.Status != http.StatusOK || p.URL.Path != "/login" {
		t.Fatalf("logged out /: landed on %d %s, want the login page", p.Status, p.URL)
	}
	contains(t, "login page", p.Body, `<form id="login"`, `id="username"`, `id="password"`)
	if strings.Contains(p.Body, `class="flash`) {
		t.Error("a first visit shows a message")
	}

	p = c.Login(t, s.AdminUser, "wrong-password")
	if p.Status != http.StatusUnauthorized || p.URL.Path != "/login" {
		t.Fatalf("wrong password: got %d %s, want 401 on /login", p.Status, p.URL)
	}
	contains(t, "failed login", p.Body, "Incorrect username or password.", `class="flash flash-error"`)

	p = c.Login(t, s.AdminUser, s.AdminPassword)
	if p.Status != http.StatusOK || p.URL.Path != "/" {
		t.Fatalf("login: landed on %d %s, want the dashboard", p.Status, p.URL)
	}
	contains(t, "dashboard", p.Body, `id="dash-user">`+s.AdminUser+`<`, `id="dash-role">admin<`, `id="claims-header"`, `id="claims-payload"`,
		`data-claim="kid"`, `data-claim="jti"`, `data-claim="exp"`, "expires: when the token stops being valid")
	if p.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("dashboard Cache-Control %q, want no-store", p.Header.Get("Cache-Control"))
	}
	ck := c.SessionCookie()
	if ck == nil || len(ck.Value) > 3800 {
		t.Fatalf("session cookie missing or too big: %v", ck)
	}

	c.Lang = "ja"
	p = c.Get(t, "/")
	contains(t, "Japanese dashboard", p.Body, `<html lang="ja">`, "subject:トークンの対象者", "expires:有効期限")
}

func TestAdminAndUser(t *testing.T) {
	t.Parallel()
	s := StartStack(t, 0)
	s.CreateUser(t, "carol", "carol-password", "user")

	admin := NewClient(t, s.Web.URL)
	admin.MustLogin(t, s.AdminUser, s.AdminPassword)
	p := admin.Get(t, "/admin")
	if p.Status != http.StatusOK {
		t.Fatalf("admin /admin: got %d", p.Status)
	}
	contains(t, "user list", p.Body, `id="user-list"`, `data-user="admin"`, `data-user="carol"`)

	user := NewClient(t, s.Web.URL)
	user.MustLogin(t, "carol", "carol-password")
	p = user.Get(t, "/admin")
	if p.Status != http.StatusForbidden {
		t.Fatalf("user /admin: got %d, want 403", p.Status)
	}
	contains(t, "403 page", p.Body, `data-status="403"`, "administrators only")
	if strings.Contains(p.Body, `data-user="admin"`) {
		t.Error("the 403 page shows the user list")
	}
}

func TestAPIMeByCookieAndBearer(t *testing.T) {
	t.Parallel()
	checkAPIMe(t, StartStack(t, 0))
}

// checkAPIMe checks web-frontend's /api/me with a session cookie, with a
// bearer token from auth-api (one SECRET_KEY), with a forged one and with
// none; against the binaries here and the containers in TestContainers.
func checkAPIMe(t *testing.T, s *Stack) {
	c := NewClient(t, s.Web.URL)
	c.MustLogin(t, s.AdminUser, s.AdminPassword)

	p := c.Get(t, "/api/me")
	var claims map[string]any
	if p.Status != http.StatusOK || json.Unmarshal([]byte(p.Body), &claims) != nil || claims["sub"] != s.AdminUser || claims["role"] != "admin" {
		t.Fatalf("cookie: got %d %s", p.Status, p.Body)
	}

	tok := s.APILogin(t, s.AdminUser, s.AdminPassword)
	anon := NewClient(t, s.Web.URL)
	p = anon.Do(t, http.MethodGet, "/api/me", nil, map[string]string{"Authorization": "Bearer " + tok.AccessToken})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `"sub":"`+s.AdminUser+`"`) {
		t.Fatalf("bearer: got %d %s", p.Status, p.Body)
	}

	forged := tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA"
	p = anon.Do(t, http.MethodGet, "/api/me", nil, map[string]string{"Authorization": "Bearer " + forged})
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, `"error":"invalid_token"`) {
		t.Errorf("forged bearer: got %d %s", p.Status, p.Body)
	}
	p = anon.Get(t, "/api/me")
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Header.Get("Content-Type"), "json") {
		t.Errorf("no credentials: got %d %s", p.Status, p.Body)
	}
}

func TestSilentRefreshAndConcurrentRequests(t *testing.T) {
	t.Parallel()
	s := StartStack(t, shortTTL)
	c := NewClient(t, s.Web.URL)
	c.MustLogin(t, s.AdminUser, s.AdminPassword)
	first := c.SessionCookie().Value

	// Sequential use past expiry: renewed silently, never logged out.
	for i := range 2 {
		waitPastExpiry()
		p := c.Get(t, "/")
		if p.Status != http.StatusOK || p.URL.Path != "/" {
			t.Fatalf("round %d after expiry: landed on %d %s, want the dashboard", i, p.Status, p.URL)
		}
	}
	if c.SessionCookie().Value == first {
		t.Fatal("the cookie was never renewed")
	}

	// Many concurrent requests carrying one expiring cookie: nobody is
	// logged out, and the session survives the next renewal too.
	waitPastExpiry()
	name, old := c.SessionCookie().Name, c.SessionCookie().Value
	before := s.refreshes(t)
	const n = 40
	var wg sync.WaitGroup
	statuses := make([]int, n)
	newest := make([]string, n)
	for i := range n {
		wg.Go(func() {
			path := "/api/me"
			if i%3 == 0 {
				path = "/"
			}
			resp := GetWithCookie(t, s.Web.URL, path, name, old)
			statuses[i] = resp.StatusCode
			for _, ck := range resp.Cookies() {
				if ck.Name == name && ck.Value != "" {
					newest[i] = ck.Value
				}
			}
		})
	}
	wg.Wait()
	renewed := map[string]bool{}
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("concurrent request %d: got %d, want 200", i, st)
		}
		if newest[i] != "" {
			renewed[newest[i]] = true
		}
	}
	if len(renewed) == 0 {
		t.Fatal("no concurrent request got a renewed cookie")
	}
	// web-frontend keeps no session state between requests: requests that
	// overlap share one refresh call, later ones refresh again and get the
	// same successor from auth-api's reuse interval.
	if got := s.refreshes(t) - before; got < 1 {
		t.Errorf("the %d concurrent requests caused %d refreshes at auth-api, want at least 1", n, got)
	}
	// Every renewed cookie is intact at auth-api (no reuse detection fired):
	// each renews again after the next expiry.
	waitPastExpiry()
	for ck := range renewed {
		if resp := GetWithCookie(t, s.Web.URL, "/api/me", name, ck); resp.StatusCode != http.StatusOK {
			t.Fatalf("a renewed cookie after the next expiry: got %d, want 200 (%d distinct renewed cookies)", resp.StatusCode, len(renewed))
		}
	}
	if strings.Contains(s.Auth.Logs(), "reused") {
		t.Error("auth-api saw a reused refresh token")
	}
}

// refreshes returns auth-api's count of successful refreshes.
func (s *Stack) refreshes(tb testing.TB) int {
	tb.Helper()
	v := metricValue(NewClient(tb, s.Auth.URL).Get(tb, "/metrics").Body, `auth_api_refreshes_total{outcome="success"}`)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		tb.Fatalf("auth_api_refreshes_total is %q", v)
	}
	return n
}

// metricValue returns the value of the sample named series in a
// Prometheus text exposition, or "".
func metricValue(exposition, series string) string {
	for line := range strings.SplitSeq(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestLogoutAndReplayOfTheOldCookie(t *testing.T) {
	t.Parallel()
	s := StartStack(t, shortTTL)
	c := NewClient(t, s.Web.URL)
	c.MustLogin(t, s.AdminUser, s.AdminPassword)
	ck := c.SessionCookie()

	p := c.Do(t, http.MethodPost, "/logout", url.Values{}, nil)
	if p.Status != http.StatusOK || p.URL.Path != "/login" {
		t.Fatalf("logout: landed on %d %s, want the login page", p.Status, p.URL)
	}
	contains(t, "after logout", p.Body, "You have signed out.")
	if c.SessionCookie() != nil {
		t.Error("the cookie survived logout")
	}
	if p := c.Get(t, "/"); p.URL.Path != "/login" {
		t.Errorf("after logout /: landed on %s, want /login", p.URL)
	}

	// Replay the old cookie once its access token has expired: the refresh
	// token is revoked, so it leads to the login page with the message.
	waitPastExpiry()
	resp := GetWithCookie(t, s.Web.URL, "/admin", ck.Name, ck.Value)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/login" || loc.Query().Get("msg") != "expired" {
		t.Fatalf("replayed cookie: got %d to %q, want 303 to /login?msg=expired", resp.StatusCode, resp.Header.Get("Location"))
	}
	replay := NewClient(t, s.Web.URL)
	replay.HTTP.Jar.SetCookies(replay.Base, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
	p = replay.Get(t, "/")
	if p.URL.Path != "/login" {
		t.Fatalf("replay: landed on %s", p.URL)
	}
	contains(t, "login page after replay", p.Body, "Your session has expired or is invalid. Please log in again.")

	replay.HTTP.Jar.SetCookies(replay.Base, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
	replay.Lang = "ja"
	p = replay.Get(t, "/")
	contains(t, "Japanese login page after replay", p.Body, "セッションの有効期限が切れているか無効です。再度ログインしてください。")
}

func TestAuthAPIStopped(t *testing.T) {
	t.Parallel()
	s := StartStack(t, 0)
	checkAuthAPIStopped(t, s, s.Auth.Stop)
}

// checkAuthAPIStopped stops auth-api with stop while a session is open:
// the session keeps working (verification is local), what needs auth-api
// gets a prompt 503 page; against the binaries here and the containers in
// TestContainers.
func checkAuthAPIStopped(t *testing.T, s *Stack, stop func()) {
	c := NewClient(t, s.Web.URL)
	c.MustLogin(t, s.AdminUser, s.AdminPassword)
	if p := c.Get(t, "/readyz"); p.Status != http.StatusOK {
		t.Fatalf("readyz with auth-api up: got %d %s", p.Status, p.Body)
	}

	stop()

	// Verification is local: the valid session keeps working.
	if p := c.Get(t, "/"); p.Status != http.StatusOK || p.URL.Path != "/" {
		t.Errorf("dashboard without auth-api: got %d %s", p.Status, p.URL)
	}
	if p := c.Get(t, "/api/me"); p.Status != http.StatusOK {
		t.Errorf("/api/me without auth-api: got %d", p.Status)
	}
	// What needs auth-api gets a clear 503 page, promptly.
	p := c.Get(t, "/admin")
	if p.Status != http.StatusServiceUnavailable {
		t.Errorf("/admin without auth-api: got %d, want 503", p.Status)
	}
	contains(t, "503 page", p.Body, `data-status="503"`, "not reachable")
	if p.Elapsed > 10*time.Second {
		t.Errorf("the 503 page took %s", p.Elapsed) // a hang, not a timing assertion
	}
	anon := NewClient(t, s.Web.URL)
	p = anon.Login(t, s.AdminUser, s.AdminPassword)
	if p.Status != http.StatusServiceUnavailable {
		t.Errorf("login without auth-api: got %d, want 503", p.Status)
	}
	if p := c.Get(t, "/readyz"); p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "auth_api_unreachable") {
		t.Errorf("readyz without auth-api: got %d %s", p.Status, p.Body)
	}
}

func TestMismatchedSecretKey(t *testing.T) {
	t.Parallel()
	s := StartStack(t, 0)
	wrong := StartFrontend(t, NewSecret(t), s.Auth.URL, nil)
	wrong.WaitForLog(t, "auth-api key check failed", 15*time.Second)
	contains(t, "mismatch log", wrong.Logs(), "SECRET_KEY differs between the services", `"level":"ERROR"`)

	c := NewClient(t, wrong.URL)
	p := c.Get(t, "/readyz")
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "key_mismatch") {
		t.Errorf("readyz: got %d %s, want 503 key_mismatch", p.Status, p.Body)
	}
	// Logging in through it cannot work and says so, without a 500.
	p = c.Login(t, s.AdminUser, s.AdminPassword)
	if p.Status != http.StatusServiceUnavailable || c.SessionCookie() != nil {
		t.Errorf("login through the mismatched frontend: got %d", p.Status)
	}
	// The matching frontend is fine.
	if p := NewClient(t, s.Web.URL).Get(t, "/readyz"); p.Status != http.StatusOK {
		t.Errorf("matching frontend readyz: got %d", p.Status)
	}
	for _, proc := range []*Proc{s.Web, wrong} {
		if strings.Contains(proc.Logs(), s.Secret) {
			t.Errorf("%s logged the secret", proc.Name)
		}
	}
}

func TestCrossSitePostRefused(t *testing.T) {
	t.Parallel()
	s := StartStack(t, 0)
	c := NewClient(t, s.Web.URL)
	c.MustLogin(t, s.AdminUser, s.AdminPassword)
	p := c.Do(t, http.MethodPost, "/logout", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if p.Status != http.StatusForbidden {
		t.Fatalf("cross-site logout: got %d, want 403", p.Status)
	}
	if p := c.Get(t, "/"); p.Status != http.StatusOK || p.URL.Path != "/" {
		t.Error("the refused logout logged the user out")
	}
}

func TestSubcommands(t *testing.T) {
	t.Parallel()
	s := StartStack(t, 0)
	_, port, _ := strings.Cut(s.Web.Addr, ":")
	hc := exec.Command(bins.WebFrontend, "healthcheck")
	hc.Env = []string{"PORT=" + port}
	if out, err := hc.CombinedOutput(); err != nil {
		t.Errorf("healthcheck against a running frontend: %v %s", err, out)
	}
	s.Web.Stop()
	hc = exec.Command(bins.WebFrontend, "healthcheck")
	hc.Env = []string{"PORT=" + port}
	if err := hc.Run(); err == nil {
		t.Error("healthcheck succeeded against a stopped frontend")
	}
	out, err := exec.Command(bins.WebFrontend, "version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "web-frontend e2e" {
		t.Errorf("version: got %q, %v", out, err)
	}
}
