package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jwt-micro-system/loadtest/internal/images"
)

// stateFile remembers what `swarm up` made, for `swarm down`. It holds the
// admin password, so it is private like .env.
const stateFile = ".swarm-state.json"

// deployment is one stack and everything made for it.
type deployment struct {
	Stack        string            `json:"stack"`
	CreatedSwarm bool              `json:"created_swarm"`
	Secrets      []string          `json:"secrets"`
	AdminUser    string            `json:"admin_user"`
	AdminPass    string            `json:"admin_password"`
	Mesh         bool              `json:"mesh"`     // ports through the routing mesh, else one host port per task
	WebPort      int               `json:"web_port"` // the mesh's published ports
	APIPort      int               `json:"api_port"`
	Env          map[string]string `json:"env"`
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// freePort asks the kernel for a free TCP port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// swarmState is the node's swarm state: "inactive", "active", ...
func swarmState(ctx context.Context) (string, error) {
	return docker(ctx, "info", "--format", "{{.Swarm.LocalNodeState}}")
}

// ensureSwarm makes this node a single-node swarm manager unless it already
// is one; it reports whether it created the swarm.
func ensureSwarm(ctx context.Context, log io.Writer) (bool, error) {
	state, err := swarmState(ctx)
	if err != nil {
		return false, err
	}
	switch state {
	case "active":
		fmt.Fprintln(log, "swarm: using the swarm this node is already in (it will be left as it is)")
		return false, nil
	case "inactive":
		if _, err := docker(ctx, "swarm", "init", "--advertise-addr", "127.0.0.1"); err != nil {
			return false, err
		}
		fmt.Fprintln(log, "swarm: created a single-node swarm (docker swarm init --advertise-addr 127.0.0.1)")
		return true, nil
	}
	return false, fmt.Errorf("this node's swarm state is %q: wait until it is active or inactive", state)
}

// buildImages builds both service images and the PostgreSQL image, nothing
// pulled: the builder is GO_IMAGE when set, else the offline one.
func buildImages(ctx context.Context, getenv func(string) string, tag string, log io.Writer) (map[string]string, error) {
	// Images made elsewhere (a registry, a CI step) are used as they are.
	if a, w, p := getenv("AUTH_API_IMAGE"), getenv("WEB_FRONTEND_IMAGE"), getenv("POSTGRES_IMAGE"); a != "" && w != "" && p != "" {
		fmt.Fprintf(log, "swarm: using the images AUTH_API_IMAGE=%s WEB_FRONTEND_IMAGE=%s POSTGRES_IMAGE=%s\n", a, w, p)
		return map[string]string{"auth-api": a, "web-frontend": w, "postgres": p}, nil
	}
	root, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	builder := getenv("GO_IMAGE")
	if builder == "" {
		opts := images.Options{Root: root, Repo: getenv("GO_BUILDER_REPO"), Log: log}
		if builder, err = images.Builder(ctx, opts); err != nil {
			return nil, err
		}
	}
	built := map[string]string{}
	for _, svc := range []string{"auth-api", "web-frontend"} {
		img := "jwt-micro-system/" + svc + ":" + tag
		fmt.Fprintf(log, "swarm: building %s (builder %s)\n", img, builder)
		cmd := exec.CommandContext(ctx, "docker", "build", "-q", "-f", "deploy/Dockerfile", "--target", svc,
			"--build-arg", "GO_IMAGE="+builder, "--build-arg", "VERSION="+tag, "-t", img, ".")
		cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %w\n%s", img, err, out)
		}
		built[svc] = img
	}
	pg, err := images.Postgres(ctx, images.PostgresOptions{
		Options: images.Options{Root: root, Repo: getenv("POSTGRES_IMAGE_REPO"), Log: log},
		Mirror:  getenv("DEBIAN_MIRROR"),
	})
	if err != nil {
		return nil, err
	}
	built["postgres"] = pg
	return built, nil
}

// newDeployment creates the secrets and deploys the stack; extra environment
// variables reach deploy/stack.yml.
func newDeployment(ctx context.Context, stack string, images map[string]string, extra map[string]string, mesh bool, log io.Writer) (*deployment, error) {
	d := &deployment{Stack: stack, Mesh: mesh, AdminUser: "admin", AdminPass: randomToken(18), Env: map[string]string{}}
	// The routing mesh and service VIPs need IPVS in the kernel. Without
	// them every task publishes a host port of its own (published 0: the
	// engine picks) and services find each other by DNS round robin.
	d.Env["PUBLISH_MODE"], d.Env["ENDPOINT_MODE"] = "host", "dnsrr"
	if mesh {
		d.Env["PUBLISH_MODE"], d.Env["ENDPOINT_MODE"] = "ingress", "vip"
		var err error
		if d.WebPort, err = freePort(); err != nil {
			return d, err
		}
		if d.APIPort, err = freePort(); err != nil {
			return d, err
		}
	}
	pgPass := randomToken(24)
	secrets := map[string]string{
		"SECRET_KEY_SECRET":               randomToken(48),
		"POSTGRES_PASSWORD_SECRET":        pgPass,
		"DATABASE_URL_SECRET":             "postgres://jwtms:" + pgPass + "@postgres:5432/jwtms?sslmode=disable",
		"BOOTSTRAP_ADMIN_PASSWORD_SECRET": d.AdminPass,
	}
	for variable, value := range secrets {
		name := stack + "_" + strings.ToLower(strings.TrimSuffix(variable, "_SECRET"))
		if _, err := dockerIn(ctx, []byte(value), "secret", "create", "--label", "jwt-micro-system.stack="+stack, name, "-"); err != nil {
			return d, err
		}
		d.Secrets = append(d.Secrets, name)
		d.Env[variable] = name
	}
	d.Env["AUTH_API_IMAGE"] = images["auth-api"]
	d.Env["WEB_FRONTEND_IMAGE"] = images["web-frontend"]
	d.Env["POSTGRES_IMAGE"] = images["postgres"]
	d.Env["WEB_FRONTEND_PUBLISHED_PORT"] = strconv.Itoa(d.WebPort)
	d.Env["AUTH_API_PUBLISHED_PORT"] = strconv.Itoa(d.APIPort)
	d.Env["BOOTSTRAP_ADMIN_USERNAME"] = d.AdminUser
	for k, v := range extra {
		d.Env[k] = v
	}
	return d, d.deploy(ctx, log)
}

// deploy runs docker stack deploy with the deployment's environment.
func (d *deployment) deploy(ctx context.Context, log io.Writer) error {
	if d.Mesh {
		fmt.Fprintf(log, "swarm: deploying stack %s (routing mesh: web-frontend on :%d, auth-api on :%d)\n", d.Stack, d.WebPort, d.APIPort)
	} else {
		fmt.Fprintf(log, "swarm: deploying stack %s (a host port per task, DNS round robin inside)\n", d.Stack)
	}
	cmd := exec.CommandContext(ctx, "docker", "stack", "deploy", "--resolve-image", "never", "-c", "deploy/stack.yml", d.Stack)
	cmd.Env = os.Environ()
	for k, v := range d.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker stack deploy: %w\n%s", err, out)
	}
	return nil
}

// replicas returns the wanted replica count of each service of the stack.
func (d *deployment) replicas() map[string]int {
	n := func(key string) int {
		if v, err := strconv.Atoi(d.Env[key]); err == nil {
			return v
		}
		return 3
	}
	return map[string]int{"postgres": 1, "auth-api": n("AUTH_API_REPLICAS"), "web-frontend": n("WEB_FRONTEND_REPLICAS")}
}

// backends returns what routes the client's requests to the stack: the
// mesh's two ports, or the tasks' own ports, kept current until ctx ends.
func (d *deployment) backends(ctx context.Context) *backends {
	b := newBackends()
	if d.Mesh {
		b.set("web-frontend", []backend{{addr: fmt.Sprintf("127.0.0.1:%d", d.WebPort), name: "mesh"}})
		b.set("auth-api", []backend{{addr: fmt.Sprintf("127.0.0.1:%d", d.APIPort), name: "mesh"}})
		return b
	}
	go b.watch(ctx, d.Stack, map[string]string{"web-frontend": "8080", "auth-api": "10000"})
	return b
}

// waitHealthy waits until every service runs its replica count of healthy
// tasks and both published ports answer /readyz.
func (d *deployment) waitHealthy(ctx context.Context, c *client, timeout time.Duration) error {
	for svc, want := range d.replicas() {
		err := waitFor(ctx, svc+" healthy", timeout, time.Second, func() (bool, error) {
			n, err := healthyTasks(ctx, d.Stack, svc)
			return err == nil && n >= want, err
		})
		if err != nil {
			return err
		}
	}
	for _, base := range []string{c.web, c.api} {
		err := waitFor(ctx, base+"/readyz", timeout, 500*time.Millisecond, func() (bool, error) {
			resp, _, err := c.do(ctx, "GET", base+"/readyz", "", "", nil)
			return err == nil && resp.StatusCode == 200, err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// teardown removes the stack, its secrets and volume, and the swarm when the
// deployment created it. It goes on after errors and returns them all.
func (d *deployment) teardown(log io.Writer) error {
	// A fresh context: teardown also runs after an interrupt.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var errs []error
	if _, err := docker(ctx, "stack", "rm", d.Stack); err != nil {
		errs = append(errs, err)
	}
	label := "label=com.docker.stack.namespace=" + d.Stack
	errs = append(errs, waitFor(ctx, "stack containers gone", 2*time.Minute, time.Second, func() (bool, error) {
		out, err := docker(ctx, "ps", "-aq", "--filter", label)
		return err == nil && out == "", err
	}))
	errs = append(errs, waitFor(ctx, "stack networks gone", time.Minute, time.Second, func() (bool, error) {
		out, err := docker(ctx, "network", "ls", "-q", "--filter", label)
		return err == nil && out == "", err
	}))
	for _, s := range d.Secrets {
		if _, err := docker(ctx, "secret", "rm", s); err != nil {
			errs = append(errs, err)
		}
	}
	// The volume can stay busy for a moment after its container is gone.
	errs = append(errs, waitFor(ctx, "stack volume removed", time.Minute, time.Second, func() (bool, error) {
		out, err := docker(ctx, "volume", "ls", "-q", "--filter", label)
		if err != nil || out == "" {
			return err == nil, err
		}
		_, err = docker(ctx, append([]string{"volume", "rm"}, lines(out)...)...)
		return false, err
	}))
	if d.CreatedSwarm {
		if _, err := docker(ctx, "swarm", "leave", "--force"); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintln(log, "swarm: left the swarm it had created")
		}
	}
	err := errors.Join(errs...)
	if err == nil {
		fmt.Fprintf(log, "swarm: removed stack %s, its secrets and volume\n", d.Stack)
	}
	return err
}

// up deploys a stack for people to use and records it in stateFile.
func up(ctx context.Context, getenv func(string) string, log io.Writer) error {
	if _, err := os.Stat(stateFile); err == nil {
		return fmt.Errorf("%s exists: a stack is up already (make swarm-down removes it)", stateFile)
	}
	created, err := ensureSwarm(ctx, log)
	if err != nil {
		return err
	}
	images, err := buildImages(ctx, getenv, "swarm", log)
	if err != nil {
		return errors.Join(err, (&deployment{CreatedSwarm: created}).leaveIfCreated())
	}
	d, err := newDeployment(ctx, "jwtms", images, map[string]string{
		"AUTH_API_REPLICAS":     getenv("AUTH_API_REPLICAS"),
		"WEB_FRONTEND_REPLICAS": getenv("WEB_FRONTEND_REPLICAS"),
	}, getenv("SWARM_ROUTING") != "host", log)
	d.CreatedSwarm = created
	if err != nil {
		return errors.Join(err, d.teardown(log))
	}
	b, _ := json.MarshalIndent(d, "", "  ")
	if err := os.WriteFile(stateFile, b, 0o600); err != nil {
		return errors.Join(err, d.teardown(log))
	}
	c := newClient(d.backends(ctx))
	if err := d.waitHealthy(ctx, c, 3*time.Minute); err != nil {
		return fmt.Errorf("%w (the stack stays up for a look: docker stack ps %s; make swarm-down removes it)", err, d.Stack)
	}
	if d.Mesh {
		fmt.Fprintf(log, "\nweb-frontend: http://127.0.0.1:%d   auth-api: http://127.0.0.1:%d\n", d.WebPort, d.APIPort)
	} else {
		for _, svc := range []string{"web-frontend", "auth-api"} {
			for _, be := range c.b.order(svc) {
				fmt.Fprintf(log, "%s: http://%s\n", be.name, be.addr)
			}
		}
	}
	fmt.Fprintf(log, "sign in as %s with the password in %s (admin_password)\n", d.AdminUser, stateFile)
	return nil
}

func (d *deployment) leaveIfCreated() error {
	if !d.CreatedSwarm {
		return nil
	}
	_, err := docker(context.Background(), "swarm", "leave", "--force")
	return err
}

// down removes what up made.
func down(_ context.Context, log io.Writer) error {
	b, err := os.ReadFile(stateFile)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(log, "swarm: no stack recorded (nothing to remove)")
		return nil
	}
	if err != nil {
		return err
	}
	var d deployment
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("%s: %w", stateFile, err)
	}
	if err := d.teardown(log); err != nil {
		return err
	}
	return os.Remove(stateFile)
}
