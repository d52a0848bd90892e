// Package images makes the container images this repository needs without
// pulling anything, for machines with no container registry (an air gap,
// this CI):
//
//   - [Builder]: a Go builder image for deploy/Dockerfile (GO_IMAGE), from
//     the host's Go toolchain and module cache;
//   - [Postgres]: a PostgreSQL server image for deploy/stack.yml, from a
//     debootstrap root with Debian's postgresql package.
//
// Each is `docker import`ed and tagged with a hash of its inputs, so an
// unchanged input reuses the image and a changed one makes a new image and
// removes the superseded ones. It drives the docker, go, debootstrap and
// tar commands; `make builder-image` and loadtest/cmd/swarm call it.
package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Options are what both image makers need.
type Options struct {
	// Root is the repository root (where deploy/ and the modules are).
	Root string
	// Repo is the image name without tag; empty: the maker's default.
	Repo string
	// Log receives one line per step.
	Log io.Writer
}

func (o Options) logf(name, format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, name+": "+format+"\n", args...)
	}
}

// command is one external command: its environment is the process's plus
// env, and an error carries the command line and what it wrote to stderr.
type command struct {
	dir   string
	env   []string
	stdin io.Reader
}

func (c command) output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = c.stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(errb.String(), 30))
	}
	return strings.TrimSpace(out.String()), nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func docker(ctx context.Context, args ...string) (string, error) {
	return command{}.output(ctx, "docker", args...)
}

// exists reports whether the engine has the image ref.
func exists(ctx context.Context, ref string) bool {
	_, err := docker(ctx, "image", "inspect", ref)
	return err == nil
}

// removeSuperseded removes every tag of repo but keep, never forcing: an
// image a container still uses stays.
func removeSuperseded(ctx context.Context, repo, keep string) {
	out, err := docker(ctx, "image", "ls", repo, "--format", "{{.Repository}}:{{.Tag}}")
	if err != nil {
		return
	}
	for _, ref := range strings.Fields(out) {
		if ref != keep {
			_, _ = docker(ctx, "image", "rm", ref)
		}
	}
}

// contentTag is repo:prefix-<first 12 hex digits of the SHA-256 of parts>.
func contentTag(repo, prefix string, parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		// Length-prefixed, so moving bytes between parts changes the hash.
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return repo + ":" + prefix + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// dockerImport pipes a root filesystem tarball written by fill into
// `docker import`, with the Dockerfile instructions changes, as ref.
func dockerImport(ctx context.Context, ref string, changes []string, fill func(io.Writer) error) error {
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	args = append(args, "-", ref)
	pr, pw := io.Pipe()
	filled := make(chan error, 1)
	go func() {
		err := fill(pw)
		pw.CloseWithError(err)
		filled <- err
	}()
	_, err := command{stdin: pr}.output(ctx, "docker", args...)
	// Unblocks fill when docker stopped reading early.
	pr.CloseWithError(io.ErrClosedPipe)
	if ferr := <-filled; ferr != nil && ferr != io.ErrClosedPipe {
		// docker may have imported the part it got: that image is wrong.
		_, _ = docker(ctx, "image", "rm", ref)
		return fmt.Errorf("writing the root filesystem of %s: %w", ref, ferr)
	}
	return err
}
