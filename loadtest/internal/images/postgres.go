package images

import (
	"cmp"
	"context"
	_ "embed" // the recipe hashes its own source
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DefaultPostgresRepo is the PostgreSQL image's name.
const DefaultPostgresRepo = "jwt-micro-system/postgres"

// Debian suite and PostgreSQL major version of the image.
const (
	postgresSuite = "bookworm"
	postgresMajor = "15"
)

// postgresRecipe is this file: a changed recipe makes a new image.
//
//go:embed postgres.go
var postgresRecipe []byte

// PostgresOptions are Postgres's options.
type PostgresOptions struct {
	Options
	// Mirror is the Debian mirror; empty: http://deb.debian.org/debian.
	Mirror string
}

// Postgres makes (or finds) the PostgreSQL server image of
// deploy/stack.yml and returns its tag: a minimal Debian root filesystem
// (debootstrap --variant=minbase) with Debian's postgresql package and
// deploy/postgres/entrypoint.sh, `docker import`ed. The tag hashes this
// recipe, the entrypoint, the suite and the package version the host's apt
// sees, so it is built once and reused. It needs root, debootstrap and the
// mirror.
func Postgres(ctx context.Context, o PostgresOptions) (string, error) {
	repo := cmp.Or(o.Repo, DefaultPostgresRepo)
	mirror := cmp.Or(o.Mirror, "http://deb.debian.org/debian")
	logf := func(format string, args ...any) { o.logf("postgres-image", format, args...) }
	entrypoint, err := os.ReadFile(filepath.Join(o.Root, "deploy", "postgres", "entrypoint.sh"))
	if err != nil {
		return "", err
	}
	version := aptCandidate(ctx, "postgresql-"+postgresMajor)
	tag := contentTag(repo, postgresMajor, postgresRecipe, entrypoint, []byte(postgresSuite+" "+postgresMajor+" "+cmp.Or(version, "unknown")))
	if exists(ctx, tag) {
		logf("reusing %s", tag)
		return tag, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("debootstrap needs root")
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", errors.New("debootstrap is not installed (apt-get install debootstrap)")
	}
	work, err := os.MkdirTemp("", "postgres-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	root := filepath.Join(work, "rootfs")

	logf("debootstrap %s (minbase) from %s", postgresSuite, mirror)
	if err := combined(ctx, "debootstrap", "--variant=minbase", postgresSuite, root, mirror); err != nil {
		return "", err
	}

	// Install the server without starting anything and without the default
	// cluster: the entrypoint creates the cluster in the volume on first start.
	logf("installing postgresql-%s %s", postgresMajor, version)
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return "", err
	}
	for name, body := range map[string]string{
		"usr/sbin/policy-rc.d":                     "#!/bin/sh\nexit 101\n",
		"etc/postgresql-common/createcluster.conf": "create_main_cluster = false\n",
		"etc/resolv.conf":                          string(resolv),
	} {
		if err := writeFile(filepath.Join(root, name), []byte(body)); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(filepath.Join(root, "usr/sbin/policy-rc.d"), 0o755); err != nil {
		return "", err
	}
	install := "export DEBIAN_FRONTEND=noninteractive LC_ALL=C; apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-" + postgresMajor
	if err := combined(ctx, "chroot", root, "/bin/sh", "-c", install); err != nil {
		return "", err
	}

	// What a server never reads: package lists, caches, documentation, locales.
	if err := combined(ctx, "chroot", root, "apt-get", "clean"); err != nil {
		return "", err
	}
	for _, pattern := range []string{"var/lib/apt/lists/*", "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*",
		"usr/share/locale/*", "var/cache/debconf/*-old", "usr/sbin/policy-rc.d"} {
		matches, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				return "", err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), nil, 0o644); err != nil {
		return "", err
	}
	if err := writeFile(filepath.Join(root, "usr/local/bin/pg-entrypoint"), entrypoint); err != nil {
		return "", err
	}
	if err := os.Chmod(filepath.Join(root, "usr/local/bin/pg-entrypoint"), 0o755); err != nil {
		return "", err
	}
	for _, d := range []string{"var/lib/postgresql/data", "run/postgresql"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return "", err
		}
	}
	if err := combined(ctx, "chroot", root, "chown", "-R", "postgres:postgres", "/var/lib/postgresql", "/run/postgresql"); err != nil {
		return "", err
	}
	if err := os.Chmod(filepath.Join(root, "var/lib/postgresql/data"), 0o700); err != nil {
		return "", err
	}

	logf("importing %s", tag)
	changes := []string{
		"ENV PATH=/usr/lib/postgresql/" + postgresMajor + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV PGDATA=/var/lib/postgresql/data", "ENV LANG=C.UTF-8", "USER postgres", "EXPOSE 5432",
		`VOLUME ["/var/lib/postgresql/data"]`, `ENTRYPOINT ["/usr/local/bin/pg-entrypoint"]`,
	}
	// A Debian root has device nodes, hard links and owners: tar(1) keeps
	// them all.
	fill := func(w io.Writer) error {
		cmd := exec.CommandContext(ctx, "tar", "-C", root, "-cf", "-", ".")
		cmd.Stdout = w
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("tar: %w: %s", err, errb.String())
		}
		return nil
	}
	if err := dockerImport(ctx, tag, changes, fill); err != nil {
		return "", err
	}
	// Older images of this recipe are superseded.
	removeSuperseded(ctx, repo, tag)
	logf("built %s", tag)
	return tag, nil
}

// aptCandidate returns the version apt would install of pkg, or "".
func aptCandidate(ctx context.Context, pkg string) string {
	out, err := command{}.output(ctx, "apt-cache", "policy", pkg)
	if err != nil {
		return ""
	}
	for l := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Candidate: "); ok {
			return v
		}
	}
	return ""
}

// combined runs a command whose progress goes to stdout and stderr alike;
// on failure the error carries the last lines of both.
func combined(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(string(out), 30))
	}
	return nil
}
