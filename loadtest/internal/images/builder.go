package images

import (
	"archive/tar"
	"cmp"
	"context"
	"debug/elf"
	_ "embed" // the recipe hashes its own source
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultBuilderRepo is the offline builder's image name.
const DefaultBuilderRepo = "jwt-micro-system/go-builder"

// builderRecipe is this file: a changed recipe makes a new image.
//
//go:embed builder.go
var builderRecipe []byte

// rootfsRecipe is the writer of the root filesystem, part of the recipe
// too.
//
//go:embed rootfs.go
var rootfsRecipe []byte

// builderModules are the modules deploy/Dockerfile builds: the module
// cache holds exactly their dependencies.
func builderModules() []string { return []string{"shared", "auth-api", "web-frontend"} }

// ourModules prefixes the import paths of this repository's own packages,
// which the image does not precompile.
const ourModules = "github.com/jwt-micro-system/"

// precompileDockerfile compiles the dependencies with the flags
// deploy/Dockerfile uses (-trimpath, -tags nomsgpack), so its build finds
// them in GOCACHE. {{BASE}} and {{GOVERSION}} are replaced.
const precompileDockerfile = `FROM {{BASE}}
WORKDIR /src
COPY . .
ENV CGO_ENABLED=0 GOWORK=off
RUN for m in auth-api web-frontend; do \
      if [ -s $m.txt ]; then (cd $m && go build -trimpath -tags nomsgpack $(cat ../$m.txt)) || exit 1; fi; \
    done && go build -trimpath std && rm -rf /src
WORKDIR /go
LABEL org.opencontainers.image.title="jwt-micro-system offline Go builder" \
      org.opencontainers.image.description="Go {{GOVERSION}} with the module cache of jwt-micro-system, made by loadtest/internal/images"
`

// Builder makes (or finds) the offline Go builder image and returns its tag.
//
// The image is `docker import`ed from a root filesystem written here:
//
//	/usr/local/go   the host's Go toolchain (go env GOROOT), without tests and docs
//	/go/pkg/mod     a module cache holding exactly the modules of shared/,
//	                auth-api/ and web-frontend/ (from the host's module cache,
//	                falling back to the host's GOPROXY when one is missing)
//	/bin            busybox (Debian's busybox-static) as the shell for RUN
//	/etc/ssl/certs  the host's CA bundle (copied into the runtime images)
//
// and runs with GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local, so
// deploy/Dockerfile resolves modules from the baked cache only. A second
// step compiles the dependencies once, so image builds compile only our
// code. The tag hashes the Go version, this recipe (builder.go, rootfs.go) and the go.mod and go.sum
// files: a changed go.sum or Go version makes a new image.
func Builder(ctx context.Context, o Options) (string, error) {
	repo := cmp.Or(o.Repo, DefaultBuilderRepo)
	logf := func(format string, args ...any) { o.logf("builder-image", format, args...) }

	if _, err := exec.LookPath("go"); err != nil {
		return "", errors.New("go is not on PATH (the host's Go toolchain is what goes into the image)")
	}
	env, err := command{}.output(ctx, "go", "env", "GOROOT", "GOVERSION", "GOMODCACHE", "GOPROXY")
	if err != nil {
		return "", err
	}
	goenv := strings.Split(env, "\n")
	if len(goenv) != 4 {
		return "", fmt.Errorf("go env printed %q, want four lines", env)
	}
	goroot, gover, hostCache, hostProxy := goenv[0], goenv[1], goenv[2], goenv[3]

	parts := [][]byte{[]byte(gover), builderRecipe, rootfsRecipe}
	manifests := map[string][]byte{}
	for _, m := range builderModules() {
		for _, f := range []string{"go.mod", "go.sum"} {
			b, err := os.ReadFile(filepath.Join(o.Root, m, f))
			if err != nil && !(f == "go.sum" && errors.Is(err, fs.ErrNotExist)) {
				return "", err
			}
			manifests[m+"/"+f] = b
			parts = append(parts, []byte(m+"/"+f), b)
		}
	}
	tag := contentTag(repo, strings.TrimPrefix(gover, "go"), parts...)
	if exists(ctx, tag) {
		logf("reusing %s", tag)
		return tag, nil
	}

	logf("assembling %s (Go %s from %s)", tag, gover, goroot)
	work, err := os.MkdirTemp("", "go-builder-")
	if err != nil {
		return "", err
	}
	defer removeAll(work)
	busybox, err := staticBusybox(ctx, work)
	if err != nil {
		return "", err
	}

	// The module cache: only our modules' dependencies, read from the host's
	// cache first. go mod download runs on copies of go.mod and go.sum, so
	// it cannot touch the working tree; go.sum still verifies every module.
	logf("filling the module cache")
	modcache := filepath.Join(work, "mod")
	ctxDir := filepath.Join(work, "ctx")
	for name, b := range manifests {
		if err := writeFile(filepath.Join(ctxDir, name), b); err != nil {
			return "", err
		}
	}
	proxy := "file://" + filepath.Join(hostCache, "cache", "download")
	if hostProxy != "off" {
		proxy += "," + hostProxy
	}
	goEnv := []string{"GOWORK=off", "GOFLAGS=-mod=readonly", "GOMODCACHE=" + modcache, "GOTOOLCHAIN=local", "CGO_ENABLED=0"}
	for _, m := range builderModules() {
		c := command{dir: filepath.Join(ctxDir, m), env: append(goEnv, "GOPROXY="+proxy)}
		if _, err := c.output(ctx, "go", "mod", "download"); err != nil {
			return "", fmt.Errorf("go mod download in %s (is its go.sum complete? try: cd %s && go mod tidy): %w", m, m, err)
		}
	}

	// The dependency packages to precompile: everything the two binaries
	// import that is not our own code. go list reads the sources in place
	// (read-only) against the cache just filled.
	ndeps := 0
	seen := map[string]bool{}
	for _, m := range []string{"auth-api", "web-frontend"} {
		c := command{dir: filepath.Join(o.Root, m), env: append(goEnv, "GOPROXY=off")}
		out, err := c.output(ctx, "go", "list", "-deps", "-f", "{{if and (not .Standard) .Module}}{{.ImportPath}}{{end}}", "./...")
		if err != nil {
			return "", err
		}
		var deps []string
		for _, p := range strings.Fields(out) {
			if !strings.HasPrefix(p, ourModules) {
				deps = append(deps, p)
				if !seen[p] {
					seen[p] = true
					ndeps++
				}
			}
		}
		if err := writeFile(filepath.Join(ctxDir, m+".txt"), []byte(strings.Join(deps, "\n"))); err != nil {
			return "", err
		}
	}

	base := repo + "-base:" + strings.TrimPrefix(tag, repo+":")
	logf("importing %s", base)
	changes := []string{
		"ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV GOPATH=/go", "ENV GOPROXY=off", "ENV GOSUMDB=off", "ENV GOTOOLCHAIN=local", "ENV GOFLAGS=-mod=readonly",
		"WORKDIR /go", `CMD ["/bin/sh"]`,
	}
	applets, err := command{}.output(ctx, busybox, "--list")
	if err != nil {
		return "", err
	}
	fill := func(w io.Writer) error {
		tw := tar.NewWriter(w)
		if err := builderRoot(rootfs{tw}, goroot, busybox, strings.Fields(applets), modcache); err != nil {
			return err
		}
		return tw.Close()
	}
	if err := dockerImport(ctx, base, changes, fill); err != nil {
		return "", err
	}
	defer func() { _, _ = docker(context.WithoutCancel(ctx), "image", "rm", base) }()

	logf("precompiling %d dependency packages", ndeps)
	dockerfile := strings.NewReplacer("{{BASE}}", base, "{{GOVERSION}}", gover).Replace(precompileDockerfile)
	if err := writeFile(filepath.Join(ctxDir, "Dockerfile"), []byte(dockerfile)); err != nil {
		return "", err
	}
	build := exec.CommandContext(ctx, "docker", "build", "--force-rm", "-t", tag, ctxDir)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("precompiling the dependencies: %w\n%s", err, tail(string(out), 40))
	}
	// Older builders are superseded (a changed go.sum or Go version).
	removeSuperseded(ctx, repo, tag)
	logf("built %s", tag)
	return tag, nil
}

// builderRoot writes the builder's root filesystem.
func builderRoot(r rootfs, goroot, busybox string, applets []string, modcache string) error {
	for _, d := range []string{"bin", "etc", "etc/ssl", "etc/ssl/certs", "go", "go/pkg", "root", "usr", "usr/local"} {
		if err := r.dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := r.dir("tmp", 0o1777); err != nil {
		return err
	}
	// The Go toolchain, without what building never reads.
	err := r.tree(goroot, "usr/local/go", func(rel string, d fs.DirEntry) bool {
		return d.IsDir() && (d.Name() == "testdata" || rel == "test" || rel == "api" || rel == "doc")
	})
	if err != nil {
		return err
	}
	// A shell and the usual tools for RUN lines.
	if err := r.copyFile(busybox, "bin/busybox"); err != nil {
		return err
	}
	sort.Strings(applets)
	for i, a := range applets {
		if a == "busybox" || strings.Contains(a, "/") || (i > 0 && applets[i-1] == a) {
			continue
		}
		if err := r.symlink("bin/"+a, "busybox"); err != nil {
			return err
		}
	}
	ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := r.file("etc/ssl/certs/ca-certificates.crt", 0o644, ca); err != nil {
		return err
	}
	if err := r.file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n")); err != nil {
		return err
	}
	if err := r.file("etc/group", 0o644, []byte("root:x:0:\nnonroot:x:65532:\n")); err != nil {
		return err
	}
	return r.tree(modcache, "go/pkg/mod", nil)
}

// staticBusybox returns the path of a statically linked busybox: the
// installed Debian busybox-static, or one unpacked from `apt-get download
// busybox-static` into work.
func staticBusybox(ctx context.Context, work string) (string, error) {
	if isStatic("/bin/busybox") {
		return "/bin/busybox", nil
	}
	const hint = "need a static busybox: apt-get install busybox-static"
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "", errors.New(hint)
	}
	dir := filepath.Join(work, "busybox")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if _, err := (command{dir: dir}).output(ctx, "apt-get", "download", "-q", "busybox-static"); err != nil {
		return "", fmt.Errorf("%s (run apt-get update first): %w", hint, err)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "busybox-static_*.deb"))
	if len(debs) != 1 {
		return "", errors.New(hint)
	}
	if _, err := (command{}).output(ctx, "dpkg-deb", "-x", debs[0], filepath.Join(dir, "x")); err != nil {
		return "", err
	}
	return filepath.Join(dir, "x", "bin", "busybox"), nil
}

// isStatic reports whether path is an ELF executable with no program
// interpreter (no dynamic loader).
func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// writeFile writes name, creating its directory.
func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, b, 0o644)
}

// removeAll removes dir even where the module cache made it read-only.
func removeAll(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}
