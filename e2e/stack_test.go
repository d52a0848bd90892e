package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binaries are the two service binaries under test.
type Binaries struct {
	AuthAPI     string
	WebFrontend string
}

// bins is set once by TestMain, before any test runs, and only read after.
var bins Binaries

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
	bins, err = BuildBinaries(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the binaries:", err)
		return 1
	}
	return m.Run()
}

// RepoRoot returns the workspace root: the directory of go.work, or the
// parent of this module when the workspace is off.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOWORK").Output()
	if err == nil {
		if gw := strings.TrimSpace(string(out)); gw != "" && gw != "off" {
			return filepath.Dir(gw), nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return filepath.Dir(wd), nil
}

// BuildBinaries builds auth-api and web-frontend from the workspace into
// dir.
func BuildBinaries(dir string) (Binaries, error) {
	root, err := RepoRoot()
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{AuthAPI: filepath.Join(dir, "auth-api"), WebFrontend: filepath.Join(dir, "web-frontend")}
	// Built inside each module directory, so this works with the workspace
	// and without it (GOWORK=off: each module finds shared/ by replace).
	for _, t := range []struct{ out, module string }{{b.AuthAPI, "auth-api"}, {b.WebFrontend, "web-frontend"}} {
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version=e2e", "-o", t.out, ".")
		cmd.Dir = filepath.Join(root, t.module)
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %w\n%s", t.module, err, out)
		}
	}
	return b, nil
}

// NewSecret returns a fresh random SECRET_KEY.
func NewSecret(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// logBuffer collects a process's output; safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Proc is a running service binary.
type Proc struct {
	Name string
	// Addr is host:port to dial (127.0.0.1 and the bound port).
	Addr string
	// URL is http://Addr.
	URL  string
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{}
	once sync.Once
}

// Logs returns everything the process wrote so far (JSON log lines on
// stdout, then stderr).
func (p *Proc) Logs() string { return p.logs.String() }

// WaitForLog waits until a log line contains substr, and fails tb after
// timeout.
func (p *Proc) WaitForLog(tb testing.TB, substr string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Logs(), substr) {
		if time.Now().After(deadline) {
			tb.Fatalf("%s never logged %q; logs:\n%s", p.Name, substr, p.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM (what docker stop sends) and waits for the exit,
// killing the process if it does not exit in time.
func (p *Proc) Stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// Start runs bin with exactly env (plus PATH), PORT=0 unless env sets it,
// in a fresh temporary directory (so no stray .env is read), and waits
// for its "listening" log line.
func Start(tb testing.TB, name, bin string, env map[string]string) *Proc {
	tb.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = tb.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PORT=0"}
	dieWithParent(cmd)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Proc{Name: name, cmd: cmd, logs: &logBuffer{}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", name, err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = p.logs.Write(append(append([]byte(nil), line...), '\n'))
			if sent {
				continue
			}
			var l struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(line, &l) == nil && l.Msg == "listening" && l.Addr != "" {
				addrc <- l.Addr
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("%s logs:\n%s", name, p.Logs())
		}
	})
	select {
	case addr := <-addrc:
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			tb.Fatalf("%s: listening on %q: %v", name, addr, err)
		}
		p.Addr = net.JoinHostPort("127.0.0.1", port)
		p.URL = "http://" + p.Addr
	case <-p.done:
		tb.Fatalf("%s exited before listening; logs:\n%s", name, p.Logs())
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s did not log \"listening\" in time; logs:\n%s", name, p.Logs())
	}
	WaitHealthy(tb, p.URL)
	return p
}

// WaitHealthy waits for GET /healthz to answer 200.
func WaitHealthy(tb testing.TB, base string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s/healthz not healthy: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
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

// StartAuthAPI starts auth-api with a temporary SQLite database, bcrypt
// cost 10 and a bootstrap admin. It trusts X-Forwarded-For from loopback,
// where web-frontend runs.
func StartAuthAPI(tb testing.TB, o AuthOptions) *Proc {
	tb.Helper()
	if o.AccessTokenTTL == 0 {
		o.AccessTokenTTL = 30 * time.Minute
	}
	if o.AdminUser == "" {
		o.AdminUser = "admin"
	}
	if o.AdminPassword == "" {
		o.AdminPassword = "admin-password-e2e"
	}
	env := map[string]string{
		"SECRET_KEY":               o.Secret,
		"DATABASE_URL":             "sqlite://" + filepath.Join(tb.TempDir(), "auth.db"),
		"BCRYPT_COST":              "10",
		"ACCESS_TOKEN_TTL":         o.AccessTokenTTL.String(),
		"BOOTSTRAP_ADMIN_USERNAME": o.AdminUser,
		"BOOTSTRAP_ADMIN_PASSWORD": o.AdminPassword,
		"TRUSTED_PROXIES":          "127.0.0.1,::1",
		"LOG_LEVEL":                "debug",
	}
	for k, v := range o.Env {
		env[k] = v
	}
	return Start(tb, "auth-api", bins.AuthAPI, env)
}

// StartFrontend starts web-frontend against the auth-api at authURL, with
// COOKIE_SECURE=false (the tests speak plain http) unless env says
// otherwise.
func StartFrontend(tb testing.TB, secret, authURL string, env map[string]string) *Proc {
	tb.Helper()
	e := map[string]string{
		"SECRET_KEY":    secret,
		"AUTH_API_URL":  authURL,
		"COOKIE_SECURE": "false",
		"LOG_LEVEL":     "debug",
	}
	for k, v := range env {
		e[k] = v
	}
	return Start(tb, "web-frontend", bins.WebFrontend, e)
}

// Stack is auth-api plus web-frontend sharing one SECRET_KEY.
type Stack struct {
	Auth, Web     *Proc
	Secret        string
	AdminUser     string
	AdminPassword string
}

// StartStack starts both services; ttl is auth-api's ACCESS_TOKEN_TTL (0
// for the default).
func StartStack(tb testing.TB, ttl time.Duration) *Stack {
	tb.Helper()
	s := &Stack{Secret: NewSecret(tb), AdminUser: "admin", AdminPassword: "admin-password-e2e"}
	s.Auth = StartAuthAPI(tb, AuthOptions{Secret: s.Secret, AccessTokenTTL: ttl, AdminUser: s.AdminUser, AdminPassword: s.AdminPassword})
	s.Web = StartFrontend(tb, s.Secret, s.Auth.URL, nil)
	return s
}

// Tokens is auth-api's answer to /login and /refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
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
		if ck.Name == "session" || ck.Name == "__Host-session" {
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
