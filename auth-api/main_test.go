package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"
)

// binary is the auth-api built once for the tests that run the real thing.
var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "auth-api-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "auth-api")
	// Built without -race even under go test -race: the race detector
	// makes bcrypt ~25 times slower, and the binary is the product as
	// shipped (CGO_ENABLED=0, like the container image). The packages are
	// already compiled without -race by go vet / make build.
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version=e2e-test", "-o", binary, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build auth-api:", err)
		return 1
	}
	return m.Run()
}

const (
	e2eSecret   = "e2e-secret-Kq8zR2vX5nM1pL7wT4yB9cF3hJ6dG0sA"
	e2eAdmin    = "admin"
	e2eAdminPwd = "e2e-admin-password"
)

// baseEnv is a minimal environment: no inherited SECRET_KEY or .env values.
func baseEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "BCRYPT_COST=10", "PORT=0"}
	return append(env, extra...)
}

// proc is a running auth-api (servicetest.Start: PORT=0, then its
// "listening" log line).
type proc struct {
	*servicetest.Proc
	base, port     string
	stdout, stderr *servicetest.Log
}

// start runs the binary in dir and waits for its "listening" log line.
func start(t *testing.T, dir string, env []string) *proc {
	t.Helper()
	p, err := servicetest.Start(servicetest.Spec{Name: "auth-api", Path: binary, Dir: dir, Env: env, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill() })
	_, port, _ := net.SplitHostPort(p.Addr)
	return &proc{Proc: p, base: p.URL, port: port, stdout: p.Stdout, stderr: p.Stderr}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.Stop(30 * time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, p.stderr)
	}
}

type client struct {
	t    *testing.T
	base string
}

func (c client) call(method, path, token string, body any) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: body %q is not JSON", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func (c client) expect(want int, method, path, token string, body any) map[string]any {
	c.t.Helper()
	got, out := c.call(method, path, token, body)
	if got != want {
		c.t.Fatalf("%s %s: got %d %v, want %d", method, path, got, out, want)
	}
	return out
}

func (c client) login(user, pass string) (access, refresh string) {
	c.t.Helper()
	out := c.expect(200, "POST", "/login", "", map[string]string{"username": user, "password": pass})
	return out["access_token"].(string), out["refresh_token"].(string)
}

// runCmd runs a subcommand and returns its exit code and output.
func runCmd(t *testing.T, dir string, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestEndToEnd runs the real binary on port 0 with a temporary database:
// bootstrap admin → login → /me → create user → login as user → 403 on
// admin routes → refresh rotation → reuse revokes the family → logout →
// restart → the user still exists.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	// SECRET_KEY comes from .env, the rest from the environment.
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("SECRET_KEY="+e2eSecret+"\nISSUER=from-dotenv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := baseEnv("BOOTSTRAP_ADMIN_USERNAME="+e2eAdmin, "BOOTSTRAP_ADMIN_PASSWORD="+e2eAdminPwd, "ISSUER=e2e", "DATABASE_URL=sqlite://data/auth.db")
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}

	// users add before the first start: the bootstrap admin is then not
	// created, because users exist. So create the admin this way too.
	if code, out, errOut := runCmd(t, dir, env, e2eAdminPwd+"\n", "users", "add", e2eAdmin, "--role", "admin"); code != 0 || !strings.Contains(out, "created user admin with role admin") {
		t.Fatalf("users add: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	p := start(t, dir, env)
	c := client{t, p.base}
	if strings.Contains(p.stdout.String(), "created bootstrap admin") {
		t.Error("bootstrap admin created although users exist")
	}

	c.expect(200, "GET", "/healthz", "", nil)
	c.expect(200, "GET", "/readyz", "", nil)
	key := c.expect(200, "GET", "/token-key", "", nil)
	if key["kid"] != secretkey.KeyID([]byte(e2eSecret)) || key["issuer"] != "e2e" {
		t.Errorf("token-key: got %v, want the kid of the .env SECRET_KEY and the real env's ISSUER", key)
	}
	adminToken, adminRefresh := c.login(e2eAdmin, e2eAdminPwd)
	me := c.expect(200, "GET", "/me", adminToken, nil)
	if me["sub"] != "admin" || me["role"] != "admin" || me["iss"] != "e2e" {
		t.Errorf("/me: got %v", me)
	}
	c.expect(201, "POST", "/users", adminToken, map[string]string{"username": "bob", "password": "bob-password-1"})
	c.expect(409, "POST", "/users", adminToken, map[string]string{"username": "Bob", "password": "bob-password-1"})
	bobToken, bobRefresh := c.login("bob", "bob-password-1")
	c.expect(403, "GET", "/users", bobToken, nil)
	c.expect(403, "POST", "/users", bobToken, map[string]string{"username": "eve", "password": "eve-password-1"})
	c.expect(403, "DELETE", "/users/admin", bobToken, nil)

	// Rotation: the new pair works, the old refresh token does not.
	next := c.expect(200, "POST", "/refresh", "", map[string]string{"refresh_token": bobRefresh})
	nextRefresh := next["refresh_token"].(string)
	c.expect(200, "GET", "/me", next["access_token"].(string), nil)
	// Within REFRESH_REUSE_INTERVAL (30 s) the old one gets the same
	// successor again.
	if again := c.expect(200, "POST", "/refresh", "", map[string]string{"refresh_token": bobRefresh}); again["refresh_token"] != nextRefresh {
		t.Errorf("old token within the reuse interval: got %v, want the same successor", again["refresh_token"])
	}
	third := c.expect(200, "POST", "/refresh", "", map[string]string{"refresh_token": nextRefresh})["refresh_token"].(string)
	// Now the first is two rotations behind: reuse revokes the family, and
	// the newest dies too.
	c.expect(401, "POST", "/refresh", "", map[string]string{"refresh_token": bobRefresh})
	c.expect(401, "POST", "/refresh", "", map[string]string{"refresh_token": third})

	// Logout revokes the admin's session.
	c.expect(204, "POST", "/logout", "", map[string]string{"refresh_token": adminRefresh})
	c.expect(401, "POST", "/refresh", "", map[string]string{"refresh_token": adminRefresh})

	// healthcheck subcommand against the running service.
	if code, _, errOut := runCmd(t, dir, append(env, "PORT="+p.port), "", "healthcheck"); code != 0 {
		t.Errorf("healthcheck: exit %d, %s", code, errOut)
	}

	p.stop(t)
	if !strings.Contains(p.stdout.String(), `"msg":"stopped"`) {
		t.Errorf("no clean shutdown in the log")
	}
	for _, secret := range []string{e2eAdminPwd, "bob-password-1", adminToken, bobRefresh, e2eSecret} {
		if strings.Contains(p.stdout.String()+p.stderr.String(), secret) {
			t.Errorf("a password, token or key appears in the logs")
		}
	}
	if code, _, _ := runCmd(t, dir, append(env, "PORT="+p.port), "", "healthcheck"); code == 0 {
		t.Error("healthcheck of a stopped service: got exit 0, want 1")
	}

	// Restart: bob is still there, with his password.
	p = start(t, dir, env)
	c = client{t, p.base}
	c.login("bob", "bob-password-1")
	p.stop(t)
}

func TestBootstrapAdmin(t *testing.T) {
	dir := t.TempDir()
	env := baseEnv("SECRET_KEY="+e2eSecret, "BOOTSTRAP_ADMIN_USERNAME=root", "BOOTSTRAP_ADMIN_PASSWORD=root-password", "DATABASE_URL=sqlite://"+filepath.Join(dir, "auth.db"))
	p := start(t, t.TempDir(), env)
	if !strings.Contains(p.stdout.String(), "created bootstrap admin") {
		t.Error("bootstrap admin not created on an empty database")
	}
	client{t, p.base}.login("root", "root-password")
	p.stop(t)
}

// Start-up with a missing, short or placeholder SECRET_KEY, or other bad
// configuration, exits non-zero with a message naming the variable.
func TestStartupRefusesBadConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"missing SECRET_KEY", nil, "SECRET_KEY is not set"},
		{"short SECRET_KEY", []string{"SECRET_KEY=too-short"}, "SECRET_KEY is too short"},
		{"placeholder SECRET_KEY", []string{"SECRET_KEY=" + secretkey.ExamplePlaceholder}, "SECRET_KEY is a published placeholder"},
		{"SECRET_KEY_PREVIOUS equal", []string{"SECRET_KEY=" + e2eSecret, "SECRET_KEY_PREVIOUS=" + e2eSecret}, "SECRET_KEY_PREVIOUS equals SECRET_KEY"},
		{"cost too low", []string{"SECRET_KEY=" + e2eSecret, "BCRYPT_COST=4"}, "BCRYPT_COST=4 is out of range"},
		{"unknown database scheme", []string{"SECRET_KEY=" + e2eSecret, "DATABASE_URL=mysql://x"}, `DATABASE_URL scheme "mysql"`},
		{"postgres unreachable", []string{"SECRET_KEY=" + e2eSecret, "DATABASE_URL=postgres://u:pw@127.0.0.1:1/auth?connect_timeout=2"}, "DATABASE_URL: open database"},
		{"database directory missing", []string{"SECRET_KEY=" + e2eSecret, "DATABASE_URL=sqlite:///nonexistent-dir/auth.db"}, "DATABASE_URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv(tt.env...)
			code, _, errOut := runCmd(t, t.TempDir(), env, "")
			if code == 0 {
				t.Fatal("got exit 0, want non-zero")
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", errOut, tt.want)
			}
		})
	}
}

func TestSubcommands(t *testing.T) {
	dir := t.TempDir()
	env := baseEnv()
	for _, tt := range []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		want     string
	}{
		{"version", "", []string{"version"}, 0, "e2e-test"},
		{"help", "", []string{"help"}, 0, "users add NAME"},
		{"unknown", "", []string{"frobnicate"}, 1, `unknown command "frobnicate"`},
		{"users without add", "", []string{"users"}, 1, "usage: auth-api users add"},
		{"add: no name", "", []string{"users", "add"}, 1, "usage"},
		{"add: bad name", "pw-long-enough\n", []string{"users", "add", "a b"}, 1, "username may contain only"},
		{"add: bad role", "pw-long-enough\n", []string{"users", "add", "carol", "--role", "root"}, 1, "--role: role must be admin or user"},
		{"add: no password", "", []string{"users", "add", "carol"}, 1, "no password on stdin"},
		{"add: short password", "short\n", []string{"users", "add", "carol"}, 1, "password is too short"},
		{"add: role before name", "pw-long-enough\n", []string{"users", "add", "--role", "admin", "carol"}, 0, "created user carol with role admin"},
		{"add: duplicate", "pw-long-enough\n", []string{"users", "add", "CAROL"}, 1, `user "CAROL" already exists`},
		{"healthcheck: bad port", "", []string{"healthcheck"}, 1, `PORT must be a TCP port number, got "0"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, dir, env, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("got exit %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("got %q, want it to contain %q", out+errOut, tt.want)
			}
		})
	}
}
