package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// composeStack is the compose project scripts/e2e.sh (make e2e) runs, named
// by E2E_COMPOSE: the compose command for that project, split on spaces
// (e.g. "docker-compose --env-file /tmp/x/env -p jwtms-e2e-1 -f docker-compose.yml").
type composeStack struct{ cmd []string }

// composeFromEnv returns the compose stack of E2E_COMPOSE, if set.
func composeFromEnv() (composeStack, bool) {
	c := strings.Fields(os.Getenv("E2E_COMPOSE"))
	return composeStack{cmd: c}, len(c) > 0
}

// run runs a compose subcommand and returns its standard output.
func (c composeStack) run(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command(c.cmd[0], append(c.cmd[1:], args...)...)
	// The repository root, where make e2e runs compose: relative paths
	// in E2E_COMPOSE (-f docker-compose.yml) mean the same here.
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", strings.Join(c.cmd, " "), strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// url returns the published address of a container port as a base URL
// (a restarted container may get another host port).
func (c composeStack) url(tb testing.TB, service, port string) string {
	tb.Helper()
	lines := strings.Fields(c.run(tb, "port", service, port))
	if len(lines) == 0 {
		tb.Fatalf("%s publishes no port %s", service, port)
	}
	return "http://" + lines[len(lines)-1]
}

// container returns the container id of a service.
func (c composeStack) container(tb testing.TB, service string) string {
	tb.Helper()
	return strings.TrimSpace(c.run(tb, "ps", "-q", service))
}

// waitHealthy waits for Docker to report the service's container healthy.
func (c composeStack) waitHealthy(tb testing.TB, service string) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, _ := exec.Command("docker", "inspect", "-f", "{{.State.Health.Status}}", c.container(tb, service)).Output()
		status := strings.TrimSpace(string(out))
		if status == "healthy" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not healthy after 2 minutes (status %q)", service, status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestContainers drives the containers of make e2e over HTTP: the checks
// the binaries get in this package (login, /api/me, auth-api stopped), plus
// what only the containers have: their security settings, the client
// address behind the compose network, restarts and the database volume.
// It is not parallel: it stops and restarts the services the browser flows
// use afterwards.
func TestContainers(t *testing.T) {
	dc, ok := composeFromEnv()
	if !ok {
		t.Skip("E2E_COMPOSE is not set: make e2e runs this against the containers")
	}
	s := NewSite(t, 0).Stack

	t.Run("security settings", func(t *testing.T) {
		for _, svc := range []string{"auth-api", "web-frontend"} {
			out, err := exec.Command("docker", "inspect", "-f",
				"{{.Config.User}} ro={{.HostConfig.ReadonlyRootfs}} caps={{.HostConfig.CapDrop}} sec={{.HostConfig.SecurityOpt}}",
				dc.container(t, svc)).Output()
			if got := strings.TrimSpace(string(out)); err != nil || got != "65532:65532 ro=true caps=[ALL] sec=[no-new-privileges:true]" {
				t.Errorf("%s runs with %q (%v), want non-root 65532, read-only root, no capabilities, no-new-privileges", svc, got, err)
			}
		}
	})
	t.Run("login form and dashboard", func(t *testing.T) { checkLoginAndDashboard(t, s) })
	t.Run("api me by cookie and bearer", func(t *testing.T) { checkAPIMe(t, s) })

	user, password := UniqueUser(t, "e2e-user"), "e2e-user-password"
	s.CreateUser(t, user, password, "user")
	t.Run("auth-api counts the client behind a form login", func(t *testing.T) {
		// The frontend has whatever address compose gave it: auth-api
		// believes its signed client-address header, not its address.
		out, err := exec.Command("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
			dc.container(t, "web-frontend")).Output()
		frontendIP := strings.TrimSpace(string(out))
		if err != nil || frontendIP == "" {
			t.Fatalf("the web-frontend's address in the compose network: %q, %v", frontendIP, err)
		}
		c := NewClient(t, s.Web.URL)
		if p := c.Login(t, user, "not-the-password"); p.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password through the form: got %d, want 401", p.Status)
		}
		var seen string
		re := regexp.MustCompile(`"client_ip":"([^"]*)"`)
		for line := range strings.SplitSeq(dc.run(t, "logs", "--no-color", "auth-api"), "\n") {
			if strings.Contains(line, `"msg":"login failed"`) && strings.Contains(line, `"`+user+`"`) {
				if m := re.FindStringSubmatch(line); m != nil {
					seen = m[1]
				}
			}
		}
		if seen == "" || strings.Contains(" "+frontendIP+" ", " "+seen+" ") {
			t.Fatalf("auth-api counted the failed form login against %q; want the client, not the web-frontend (%s): the signed client address was not believed", seen, frontendIP)
		}
	})

	c := NewClient(t, s.Web.URL)
	c.MustLogin(t, user, password)
	t.Run("auth-api stopped", func(t *testing.T) {
		checkAuthAPIStopped(t, s, func() { dc.run(t, "stop", "auth-api") })
	})
	dc.run(t, "start", "auth-api")
	dc.waitHealthy(t, "auth-api")
	s.Auth.URL = dc.url(t, "auth-api", "10000")
	t.Run("auth-api restarted keeps its users (volume)", func(t *testing.T) {
		s.APILogin(t, user, password)
		NewClient(t, s.Web.URL).MustLogin(t, user, password)
	})
	t.Run("web-frontend restarted keeps the sessions", func(t *testing.T) {
		ck := c.SessionCookie()
		dc.run(t, "restart", "web-frontend")
		dc.waitHealthy(t, "web-frontend")
		s.Web.URL = dc.url(t, "web-frontend", "8080")
		after := NewClient(t, s.Web.URL)
		after.HTTP.Jar.SetCookies(after.Base, []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
		if p := after.Get(t, "/api/me"); p.Status != http.StatusOK || !strings.Contains(p.Body, `"sub":"`+user+`"`) {
			t.Fatalf("the session from before the restart: got %d %s", p.Status, p.Body)
		}
	})
}
