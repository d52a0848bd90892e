package servicetest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// RepoRoot returns the repository root: the directory of go.work, or the
// first directory upwards from the working directory that holds
// auth-api/go.mod (the workspace switched off).
func RepoRoot() (string, error) {
	if out, err := exec.Command("go", "env", "GOWORK").Output(); err == nil {
		if gw := strings.TrimSpace(string(out)); gw != "" && gw != "off" {
			return filepath.Dir(gw), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "auth-api", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no repository root (go.work, or a directory with auth-api/go.mod) above the working directory")
		}
		dir = parent
	}
}

// Build runs `go build` of the package pkg ("." or "./cmd/x") inside the
// module directory moduleDir (relative to the repository root) into out:
// static (CGO_ENABLED=0, like the images) with main.version set to version.
// Not -trimpath: these builds share the build cache with go test and vet,
// where a trimmed build would compile every dependency (SQLite) again.
func Build(moduleDir, pkg, out, version string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	// Built inside the module directory, so this works with the workspace
	// and without it (each module finds shared/ by its replace directive).
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", out, pkg)
	cmd.Dir = filepath.Join(root, moduleDir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %w\n%s", pkg, moduleDir, err, b)
	}
	return nil
}

// Binaries are the two service binaries.
type Binaries struct {
	AuthAPI     string
	WebFrontend string
}

// BuildBinaries builds auth-api and web-frontend into dir.
func BuildBinaries(dir, version string) (Binaries, error) {
	b := Binaries{AuthAPI: filepath.Join(dir, "auth-api"), WebFrontend: filepath.Join(dir, "web-frontend")}
	if err := Build("auth-api", ".", b.AuthAPI, version); err != nil {
		return Binaries{}, err
	}
	if err := Build("web-frontend", ".", b.WebFrontend, version); err != nil {
		return Binaries{}, err
	}
	return b, nil
}

// NewSecret returns a fresh random SECRET_KEY (48 bytes, base64).
func NewSecret() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b)
}

// AuthAPI describes an auth-api to start.
type AuthAPI struct {
	Bin string
	// Dir is the working directory; the SQLite database is Dir/auth.db
	// unless Env sets DATABASE_URL.
	Dir                      string
	Secret                   string
	AdminUser, AdminPassword string
	// Env is added to the defaults (SECRET_KEY, DATABASE_URL, the
	// bootstrap admin, BCRYPT_COST=10, TRUSTED_PROXIES=127.0.0.1,::1 so
	// the web-frontend on loopback forwards the client address) and wins
	// over them; PORT=0 unless it sets PORT.
	Env map[string]string
}

// Start starts the auth-api and waits until /healthz answers 200.
func (a AuthAPI) Start() (*Proc, error) {
	env := map[string]string{
		"SECRET_KEY":               a.Secret,
		"DATABASE_URL":             "sqlite://" + filepath.Join(a.Dir, "auth.db"),
		"BOOTSTRAP_ADMIN_USERNAME": a.AdminUser,
		"BOOTSTRAP_ADMIN_PASSWORD": a.AdminPassword,
		"BCRYPT_COST":              "10",
		"TRUSTED_PROXIES":          "127.0.0.1,::1",
	}
	return startService("auth-api", a.Bin, a.Dir, env, a.Env)
}

// WebFrontend describes a web-frontend to start.
type WebFrontend struct {
	Bin     string
	Dir     string // working directory
	Secret  string
	AuthURL string // AUTH_API_URL
	// Env is added to the defaults (SECRET_KEY, AUTH_API_URL,
	// COOKIE_SECURE=false: loopback speaks plain http) and wins over them.
	Env map[string]string
}

// Start starts the web-frontend and waits until /healthz answers 200.
func (w WebFrontend) Start() (*Proc, error) {
	env := map[string]string{"SECRET_KEY": w.Secret, "AUTH_API_URL": w.AuthURL, "COOKIE_SECURE": "false"}
	return startService("web-frontend", w.Bin, w.Dir, env, w.Env)
}

func startService(name, bin, dir string, defaults, extra map[string]string) (*Proc, error) {
	maps.Copy(defaults, extra)
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, k := range slices.Sorted(maps.Keys(defaults)) {
		env = append(env, k+"="+defaults[k])
	}
	p, err := Start(Spec{Name: name, Path: bin, Dir: dir, Env: env})
	if err != nil {
		return nil, err
	}
	if err := WaitHealthy(p.URL, 10*time.Second); err != nil {
		_ = p.Kill()
		return nil, fmt.Errorf("%s: %w; output:\n%s", name, err, p.Logs())
	}
	return p, nil
}

// WaitHealthy waits for GET base/healthz to answer 200.
func WaitHealthy(base string, timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := hc.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/healthz not healthy within %s: %v", base, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StackOptions configure StartStack.
type StackOptions struct {
	// Dir holds the database and is both working directories; required.
	Dir string
	// Secret is the one SECRET_KEY; default NewSecret().
	Secret string
	// AdminUser and AdminPassword are the bootstrap admin; default
	// "admin" and a random password.
	AdminUser, AdminPassword string
	// AuthEnv and WebEnv are added to each service's defaults (see
	// AuthAPI.Env and WebFrontend.Env).
	AuthEnv, WebEnv map[string]string
}

// Stack is auth-api plus a web-frontend pointing at it, on loopback.
type Stack struct {
	Auth, Web                *Proc
	Secret                   string
	AdminUser, AdminPassword string
}

// StartStack starts auth-api, then web-frontend against it, each on a free
// 127.0.0.1 port, and returns once both answer /healthz.
func StartStack(b Binaries, o StackOptions) (*Stack, error) {
	if o.Dir == "" {
		return nil, errors.New("servicetest: StackOptions.Dir is required")
	}
	s := &Stack{Secret: o.Secret, AdminUser: o.AdminUser, AdminPassword: o.AdminPassword}
	if s.Secret == "" {
		s.Secret = NewSecret()
	}
	if s.AdminUser == "" {
		s.AdminUser = "admin"
	}
	if s.AdminPassword == "" {
		s.AdminPassword = "pw-" + strings.NewReplacer("+", "", "/", "", "=", "").Replace(NewSecret()[:24])
	}
	var err error
	s.Auth, err = AuthAPI{Bin: b.AuthAPI, Dir: o.Dir, Secret: s.Secret, AdminUser: s.AdminUser, AdminPassword: s.AdminPassword, Env: o.AuthEnv}.Start()
	if err != nil {
		return nil, err
	}
	s.Web, err = WebFrontend{Bin: b.WebFrontend, Dir: o.Dir, Secret: s.Secret, AuthURL: s.Auth.URL, Env: o.WebEnv}.Start()
	if err != nil {
		_ = s.Auth.Stop(10 * time.Second)
		return nil, err
	}
	return s, nil
}

// Stop stops web-frontend, then auth-api (SIGTERM, then SIGKILL after
// timeout each), and returns their exit errors.
func (s *Stack) Stop(timeout time.Duration) error {
	return errors.Join(s.Web.Stop(timeout), s.Auth.Stop(timeout))
}
