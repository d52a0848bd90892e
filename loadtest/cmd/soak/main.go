// Command soak drives a running auth-api and web-frontend on loopback with a
// bounded, mixed load — logins through both services, page views, API
// calls, refreshes and logouts — for a fixed time, then checks that nothing
// was lost: zero 5xx, every user created still exists, every session still
// open still works, and resident memory stayed flat. scripts/soak.sh starts
// the binaries and runs it; see `make soak`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	api, frontend       string
	adminUser, adminPW  string
	duration            time.Duration
	workers, users      int
	apiPID, frontendPID int
	maxGrowth           float64
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.StringVar(&c.api, "api", "", "auth-api base URL (loopback)")
	fs.StringVar(&c.frontend, "frontend", "", "web-frontend base URL (loopback)")
	fs.StringVar(&c.adminUser, "admin", "", "admin username")
	fs.StringVar(&c.adminPW, "admin-password", os.Getenv("SOAK_ADMIN_PASSWORD"), "admin password (or SOAK_ADMIN_PASSWORD)")
	fs.DurationVar(&c.duration, "duration", 2*time.Minute, "how long to drive the load")
	fs.IntVar(&c.workers, "workers", 8, "concurrent simulated clients")
	fs.IntVar(&c.users, "users", 16, "users to create")
	fs.IntVar(&c.apiPID, "api-pid", 0, "auth-api process id, for RSS")
	fs.IntVar(&c.frontendPID, "frontend-pid", 0, "web-frontend process id, for RSS")
	fs.Float64Var(&c.maxGrowth, "max-rss-growth", 0.10, "allowed RSS growth between the first and last window")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case c.api == "" || c.frontend == "":
		return c, errors.New("-api and -frontend are required")
	case c.adminUser == "" || c.adminPW == "":
		return c, errors.New("-admin and -admin-password (or SOAK_ADMIN_PASSWORD) are required")
	case c.duration < 10*time.Second:
		return c, fmt.Errorf("-duration must be at least 10s, got %s", c.duration)
	case c.workers < 1 || c.users < 1:
		return c, errors.New("-workers and -users must be at least 1")
	}
	return c, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args[1:])
	if err != nil {
		return err
	}
	d := newDriver(cfg)
	if err := d.setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	fmt.Fprintf(out, "soak: %d workers, %d users, %s\n", cfg.workers, cfg.users, cfg.duration)

	loadCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	mem := newMemSampler(map[string]int{"auth-api": cfg.apiPID, "web-frontend": cfg.frontendPID})
	var wg sync.WaitGroup
	wg.Go(func() { mem.run(loadCtx, time.Second) })
	for i := range cfg.workers {
		wg.Go(func() { d.worker(loadCtx, rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))) })
	}
	wg.Wait()

	// Checks use a fresh context: the load context has ended.
	checkCtx, cancelCheck := context.WithTimeout(ctx, time.Minute)
	defer cancelCheck()
	lost := d.verify(checkCtx)
	growth := mem.report(out, cfg.duration)
	d.stats.report(out)

	var problems []error
	if n := d.stats.count5xx(); n > 0 {
		problems = append(problems, fmt.Errorf("%d responses were 5xx", n))
	}
	if n := d.stats.unexpected(); n > 0 {
		problems = append(problems, fmt.Errorf("%d responses had an unexpected status", n))
	}
	problems = append(problems, lost...)
	for name, g := range growth {
		if g > cfg.maxGrowth {
			problems = append(problems, fmt.Errorf("%s RSS grew %.1f%% between the first and last window (limit %.0f%%)", name, g*100, cfg.maxGrowth*100))
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	fmt.Fprintln(out, "soak: PASS (zero 5xx, zero lost users or sessions, RSS flat)")
	return nil
}
