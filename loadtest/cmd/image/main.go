// Command image makes an image this repository needs without pulling
// anything, and prints its tag (progress goes to standard error):
//
//	image builder    the offline Go builder for deploy/Dockerfile (GO_IMAGE),
//	                 from the host's Go toolchain and module cache
//	image postgres   the PostgreSQL server of deploy/stack.yml, from a
//	                 debootstrap root (needs root, debootstrap, a Debian mirror)
//
// An image whose inputs did not change is reused. GO_BUILDER_REPO and
// POSTGRES_IMAGE_REPO override the names, DEBIAN_MIRROR the mirror. Run it
// from the repository root: `make builder-image` and scripts/up.sh do.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/jwt-micro-system/loadtest/internal/images"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "image: error: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: %s builder|postgres", args[0])
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	var tag string
	switch args[1] {
	case "builder":
		tag, err = images.Builder(ctx, images.Options{Root: root, Repo: getenv("GO_BUILDER_REPO"), Log: stderr})
	case "postgres":
		tag, err = images.Postgres(ctx, images.PostgresOptions{
			Options: images.Options{Root: root, Repo: getenv("POSTGRES_IMAGE_REPO"), Log: stderr},
			Mirror:  getenv("DEBIAN_MIRROR"),
		})
	default:
		return fmt.Errorf("unknown image %q: use builder or postgres", args[1])
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tag)
	return err
}
