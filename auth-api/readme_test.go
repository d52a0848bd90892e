package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// readmeExample is one curl command of the README's auth-api section and
// the status its comment promises.
type readmeExample struct {
	command string
	status  string
}

var statusComment = regexp.MustCompile(`\(→ (\d{3})`)

// readmeExamples extracts the curl commands between the README's markers.
func readmeExamples(t *testing.T) []readmeExample {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "<!-- auth-api curl examples: begin -->")
	section, _, ok2 := strings.Cut(rest, "<!-- auth-api curl examples: end -->")
	if !ok || !ok2 {
		t.Fatal("README.md lacks the auth-api curl example markers")
	}
	var out []readmeExample
	status, cmd := "", ""
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := statusComment.FindStringSubmatch(line); strings.HasPrefix(line, "#") && m != nil {
			status = m[1]
			continue
		}
		if cmd == "" && !strings.HasPrefix(line, "curl ") {
			continue
		}
		cmd += strings.TrimSuffix(line, `\`) + " "
		if !strings.HasSuffix(line, `\`) {
			if status == "" {
				t.Fatalf("README example %q has no (→ status) comment", cmd)
			}
			out = append(out, readmeExample{command: strings.TrimSpace(cmd), status: status})
			cmd = ""
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d curl examples in README.md", len(out))
	}
	return out
}

// TestREADMECurlExamples runs the README's curl commands, as written,
// against the real binary, with a fresh admin login before each.
func TestREADMECurlExamples(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed; the README examples need it")
	}
	examples := readmeExamples(t)
	covered := map[string]bool{}
	p := start(t, t.TempDir(), baseEnv("SECRET_KEY="+e2eSecret, "BOOTSTRAP_ADMIN_USERNAME=admin",
		"BOOTSTRAP_ADMIN_PASSWORD="+e2eAdminPwd, "DATABASE_URL=sqlite://auth.db"))
	c := client{t, p.base}
	for _, ex := range examples {
		token, refresh := c.login("admin", e2eAdminPwd)
		command := strings.ReplaceAll(ex.command, "http://localhost:10000", p.base) + ` -o /dev/null -w '%{http_code}'`
		cmd := exec.Command("bash", "-c", command)
		cmd.Env = []string{"PATH=" + strings.TrimSuffix(curl, "/curl") + ":" + os.Getenv("PATH"),
			"ADMIN_PASSWORD=" + e2eAdminPwd, "TOKEN=" + token, "REFRESH_TOKEN=" + refresh}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v: %s", ex.command, err, out)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != ex.status {
			t.Errorf("%s: got status %s, want %s", ex.command, got, ex.status)
		}
		for _, f := range strings.Fields(ex.command) {
			if strings.HasPrefix(f, "http://localhost:10000/") {
				covered[strings.TrimPrefix(f, "http://localhost:10000")] = true
			}
		}
	}
	for _, path := range []string{"/login", "/refresh", "/logout", "/me", "/me/password", "/users", "/users/alice",
		"/token", "/token-key", "/healthz", "/readyz", "/metrics", "/openapi.yaml"} {
		if !covered[path] {
			t.Errorf("README has no curl example for %s", path)
		}
	}
	p.stop(t)
}
