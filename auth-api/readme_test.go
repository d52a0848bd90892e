package main

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeExample is one curl command of the README's auth-api section, the
// status its comment promises and, when the comment shows the body as
// {"key",…}, the top-level keys that body has: exactly those.
type readmeExample struct {
	command string
	status  string
	keys    []string
}

// statusComment matches "(→ 200" and, optionally, a flat shape after it:
// "(→ 200 {"alg":"HS256","kid","issuer"})".
var statusComment = regexp.MustCompile(`\(→ (\d{3})(?: (\{[^{}]*\}))?`)

// shapeKeys returns the keys of a documented flat shape such as
// {"alg":"HS256","kid","issuer"}, sorted.
func shapeKeys(t *testing.T, shape string) []string {
	t.Helper()
	var keys []string
	for _, item := range strings.Split(strings.Trim(shape, "{}"), ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(item), ":")
		if len(name) < 3 || name[0] != '"' || name[len(name)-1] != '"' {
			t.Fatalf("README shape %s: %q is not a quoted key", shape, item)
		}
		keys = append(keys, name[1:len(name)-1])
	}
	slices.Sort(keys)
	return keys
}

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
	var keys []string
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := statusComment.FindStringSubmatch(line); strings.HasPrefix(line, "#") && m != nil {
			status, keys = m[1], nil
			if m[2] != "" {
				keys = shapeKeys(t, m[2])
			}
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
			out = append(out, readmeExample{command: strings.TrimSpace(cmd), status: status, keys: keys})
			cmd = ""
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d curl examples in README.md", len(out))
	}
	return out
}

// TestREADMECurlExamples runs the README's curl commands, as written,
// against the real binary, with a fresh admin login before each, and
// checks each status and each documented body shape.
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
	bodyFile := filepath.Join(t.TempDir(), "body")
	shapes := 0
	for _, ex := range examples {
		token, refresh := c.login("admin", e2eAdminPwd)
		command := strings.ReplaceAll(ex.command, "http://localhost:10000", p.base) + ` -o "$BODY_FILE" -w '%{http_code}'`
		cmd := exec.Command("bash", "-c", command)
		cmd.Env = []string{"PATH=" + strings.TrimSuffix(curl, "/curl") + ":" + os.Getenv("PATH"),
			"ADMIN_PASSWORD=" + e2eAdminPwd, "TOKEN=" + token, "REFRESH_TOKEN=" + refresh, "BODY_FILE=" + bodyFile}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v: %s", ex.command, err, out)
			continue
		}
		if got := strings.TrimSpace(string(out)); got != ex.status {
			t.Errorf("%s: got status %s, want %s", ex.command, got, ex.status)
		}
		if ex.keys != nil {
			shapes++
			body, err := os.ReadFile(bodyFile)
			if err != nil {
				t.Fatal(err)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(body, &obj); err != nil {
				t.Errorf("%s: body is not a JSON object: %v: %s", ex.command, err, body)
			} else if got := slices.Sorted(maps.Keys(obj)); !slices.Equal(got, ex.keys) {
				t.Errorf("%s: got body keys %q, want %q (as the README shows them)", ex.command, got, ex.keys)
			}
		}
		for _, f := range strings.Fields(ex.command) {
			if strings.HasPrefix(f, "http://localhost:10000/") {
				covered[strings.TrimPrefix(f, "http://localhost:10000")] = true
			}
		}
	}
	if shapes < 5 {
		t.Errorf("only %d README examples show their body shape", shapes)
	}
	for _, path := range []string{"/login", "/refresh", "/logout", "/me", "/me/password", "/users", "/users/alice",
		"/token", "/token-key", "/healthz", "/readyz", "/metrics", "/openapi.yaml"} {
		if !covered[path] {
			t.Errorf("README has no curl example for %s", path)
		}
	}
	p.stop(t)
}

// passwordVariable matches shell variables whose name ends in PASSWORD.
var passwordVariable = regexp.MustCompile(`\$\{?([A-Z_]*PASSWORD)\b`)

// TestREADMEAdminPassword checks that the README reads the bootstrap admin
// password from .env into one variable, and that every example uses that
// one: its line, run in a directory holding a .env, sets ADMIN_PASSWORD.
func TestREADMEAdminPassword(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, m := range passwordVariable.FindAllStringSubmatch(readme, -1) {
		if m[1] != "ADMIN_PASSWORD" {
			t.Errorf("README uses $%s; every example uses $ADMIN_PASSWORD", m[1])
		}
	}
	var line string
	for _, l := range strings.Split(readme, "\n") {
		if strings.HasPrefix(l, "ADMIN_PASSWORD=$(") {
			line = l
			break
		}
	}
	if line == "" {
		t.Fatal("README has no line ADMIN_PASSWORD=$(…) reading the password from .env")
	}
	dir := t.TempDir()
	const want = "Zq3xY7wV9uT1sR5p"
	env := "SECRET_KEY=" + e2eSecret + "\nBOOTSTRAP_ADMIN_USERNAME=admin\nBOOTSTRAP_ADMIN_PASSWORD=" + want + "\nPUBLISH_ADDRESS=127.0.0.1\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", line+"\n"+`printf '%s' "$ADMIN_PASSWORD"`)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", line, err, out)
	}
	if got := string(out); got != want {
		t.Errorf("%s: got ADMIN_PASSWORD %q, want %q", line, got, want)
	}
}
