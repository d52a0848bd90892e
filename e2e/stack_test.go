package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/servicetest"
)

// bins is set once by TestMain, before any test runs, and only read after.
var bins servicetest.Binaries

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jwt-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err = servicetest.BuildBinaries(dir, "e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the binaries:", err)
		return 1
	}
	return m.Run()
}

// RepoRoot returns the workspace root.
func RepoRoot() (string, error) { return servicetest.RepoRoot() }

// NewSecret returns a fresh random SECRET_KEY.
func NewSecret(testing.TB) string { return servicetest.NewSecret() }

// Proc is a service under test: a process this test started, or (with only
// Name and URL set) a service of a stack that already runs.
type Proc struct {
	Name string
	// Addr is host:port to dial (127.0.0.1 and the bound port).
	Addr string
	// URL is http://Addr.
	URL string
	p   *servicetest.Proc // nil for a service the tests did not start
}

// own wraps a started process and stops it when tb ends, showing its logs
// when tb failed.
func own(tb testing.TB, p *servicetest.Proc) *Proc {
	tb.Cleanup(func() {
		_ = p.Stop(15 * time.Second)
		if tb.Failed() {
			tb.Logf("%s logs:\n%s", p.Name, p.Logs())
		}
	})
	return &Proc{Name: p.Name, Addr: p.Addr, URL: p.URL, p: p}
}

// Logs returns everything the process wrote so far (JSON log lines on
// stdout, then stderr); "" for a service the tests did not start.
func (p *Proc) Logs() string {
	if p.p == nil {
		return ""
	}
	return p.p.Logs()
}

// WaitForLog waits until a log line contains substr, and fails tb after
// timeout.
func (p *Proc) WaitForLog(tb testing.TB, substr string, timeout time.Duration) {
	tb.Helper()
	if err := p.p.Stdout.WaitFor(substr, timeout); err != nil {
		tb.Fatalf("%s: %v; logs:\n%s", p.Name, err, p.Logs())
	}
}

// Stop sends SIGTERM (what docker stop sends) and waits for the exit,
// killing the process if it does not exit in time.
func (p *Proc) Stop() { _ = p.p.Stop(15 * time.Second) }

// WaitHealthy waits for GET /healthz to answer 200.
func WaitHealthy(tb testing.TB, base string) {
	tb.Helper()
	if err := servicetest.WaitHealthy(base, 10*time.Second); err != nil {
		tb.Fatal(err)
	}
}

// AuthOptions configure StartAuthAPI.
type AuthOptions struct {
	Secret         string        // SECRET_KEY; required
	AccessTokenTTL time.Duration // default 30m
	AdminUser      string        // default "admin"
	AdminPassword  string        // default "admin-password-e2e"
	Env            map[string]string
}

// authEnv is what the tests add to servicetest's auth-api defaults.
func authEnv(ttl time.Duration, extra map[string]string) map[string]string {
	if ttl == 0 {
		ttl = 30 * time.Minute
	}
	env := map[string]string{"ACCESS_TOKEN_TTL": ttl.String(), "LOG_LEVEL": "debug"}
	maps.Copy(env, extra)
	return env
}

// StartAuthAPI starts auth-api with a temporary SQLite database, bcrypt
// cost 10 and a bootstrap admin. It trusts X-Forwarded-For from loopback,
// where web-frontend runs.
func StartAuthAPI(tb testing.TB, o AuthOptions) *Proc {
	tb.Helper()
	if o.AdminUser == "" {
		o.AdminUser = "admin"
	}
	if o.AdminPassword == "" {
		o.AdminPassword = "admin-password-e2e"
	}
	p, err := servicetest.AuthAPI{Bin: bins.AuthAPI, Dir: tb.TempDir(), Secret: o.Secret,
		AdminUser: o.AdminUser, AdminPassword: o.AdminPassword, Env: authEnv(o.AccessTokenTTL, o.Env)}.Start()
	if err != nil {
		tb.Fatal(err)
	}
	return own(tb, p)
}

// StartFrontend starts web-frontend against the auth-api at authURL, with
// COOKIE_SECURE=false (the tests speak plain http) unless env says
// otherwise.
func StartFrontend(tb testing.TB, secret, authURL string, env map[string]string) *Proc {
	tb.Helper()
	e := map[string]string{"LOG_LEVEL": "debug"}
	maps.Copy(e, env)
	p, err := servicetest.WebFrontend{Bin: bins.WebFrontend, Dir: tb.TempDir(), Secret: secret, AuthURL: authURL, Env: e}.Start()
	if err != nil {
		tb.Fatal(err)
	}
	return own(tb, p)
}

// Stack is auth-api plus web-frontend sharing one SECRET_KEY.
type Stack struct {
	Auth, Web     *Proc
	Secret        string
	AdminUser     string
	AdminPassword string
}

// StartStack starts both services (servicetest.StartStack); ttl is
// auth-api's ACCESS_TOKEN_TTL (0 for the default).
func StartStack(tb testing.TB, ttl time.Duration) *Stack {
	tb.Helper()
	st, err := servicetest.StartStack(bins, servicetest.StackOptions{
		Dir: tb.TempDir(), AdminUser: "admin", AdminPassword: "admin-password-e2e",
		AuthEnv: authEnv(ttl, nil), WebEnv: map[string]string{"LOG_LEVEL": "debug"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	auth := own(tb, st.Auth)
	web := own(tb, st.Web) // stopped first: cleanups run last-in first-out
	return &Stack{Auth: auth, Web: web, Secret: st.Secret, AdminUser: st.AdminUser, AdminPassword: st.AdminPassword}
}

// Tokens is auth-api's answer to /login and /refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	// RefreshExpiresIn is the refresh family's time left, in seconds; 0
	// from an auth-api that does not send it.
	RefreshExpiresIn int `json:"refresh_expires_in"`
}

// APILogin logs in at auth-api directly and returns the tokens.
func (s *Stack) APILogin(tb testing.TB, user, password string) Tokens {
	tb.Helper()
	var t Tokens
	status := postJSON(tb, s.Auth.URL+"/login", "", map[string]string{"username": user, "password": password}, &t)
	if status != http.StatusOK {
		tb.Fatalf("auth-api login %s: got %d", user, status)
	}
	return t
}

// CreateUser adds a user at auth-api with the admin's token.
func (s *Stack) CreateUser(tb testing.TB, user, password, role string) {
	tb.Helper()
	admin := s.APILogin(tb, s.AdminUser, s.AdminPassword)
	status := postJSON(tb, s.Auth.URL+"/users", admin.AccessToken, map[string]string{"username": user, "password": password, "role": role}, nil)
	if status != http.StatusCreated && status != http.StatusOK && status != http.StatusConflict {
		tb.Fatalf("creating user %s: got %d", user, status)
	}
}

func postJSON(tb testing.TB, u, bearer string, in, out any) int {
	tb.Helper()
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			tb.Fatalf("POST %s: %v", u, err)
		}
	}
	return resp.StatusCode
}

// Client is a browser-like HTTP client of web-frontend: a cookie jar,
// redirects followed, an Accept-Language.
type Client struct {
	HTTP *http.Client
	Base *url.URL
	Lang string
}

// NewClient returns a Client for the web-frontend at base.
func NewClient(tb testing.TB, base string) *Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	return &Client{HTTP: &http.Client{Jar: jar, Timeout: 15 * time.Second}, Base: u}
}

// Page is a response, read in full.
type Page struct {
	Status  int
	URL     *url.URL // after redirects
	Header  http.Header
	Body    string
	Elapsed time.Duration
}

// Do sends a request to path (with headers) and reads the answer.
func (c *Client) Do(tb testing.TB, method, path string, form url.Values, headers map[string]string) Page {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.Base.String()+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading: %v", method, path, err)
	}
	return Page{Status: resp.StatusCode, URL: resp.Request.URL, Header: resp.Header, Body: string(b), Elapsed: time.Since(start)}
}

// Get fetches path.
func (c *Client) Get(tb testing.TB, path string) Page {
	tb.Helper()
	return c.Do(tb, http.MethodGet, path, nil, nil)
}

// Login submits the login form as a browser does (after loading it) and
// returns the page it lands on.
func (c *Client) Login(tb testing.TB, user, password string) Page {
	tb.Helper()
	if p := c.Get(tb, "/login"); p.Status != http.StatusOK || !strings.Contains(p.Body, `<form id="login"`) {
		tb.Fatalf("GET /login: got %d", p.Status)
	}
	return c.Do(tb, http.MethodPost, "/login", url.Values{"username": {user}, "password": {password}, "next": {"/"}}, nil)
}

// MustLogin logs in and fails tb unless the dashboard is shown.
func (c *Client) MustLogin(tb testing.TB, user, password string) {
	tb.Helper()
	p := c.Login(tb, user, password)
	if p.Status != http.StatusOK || p.URL.Path != "/" || !strings.Contains(p.Body, `id="claims-payload"`) {
		tb.Fatalf("login %s: landed on %d %s", user, p.Status, p.URL)
	}
}

// SessionCookie returns the session cookie in the jar, or nil.
func (c *Client) SessionCookie() *http.Cookie {
	for _, ck := range c.HTTP.Jar.Cookies(c.Base) {
		if ck.Name == "jwtms_session" || ck.Name == "__Host-jwtms_session" {
			return ck
		}
	}
	return nil
}

// GetWithCookie fetches path with exactly the given session cookie value
// (no jar, no redirects followed): for replaying an old cookie.
func GetWithCookie(tb testing.TB, base, path, name, value string) *http.Response {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.AddCookie(&http.Cookie{Name: name, Value: value})
	hc := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
