// Command soak drives a running auth-api and web-frontend on loopback with a
// bounded, mixed load — logins through both services, page views, API
// calls, refreshes and logouts — for a fixed time, then checks that nothing
// was lost: zero 5xx, every user created still exists, every session still
// open still works, and resident memory stayed flat. It builds and starts
// both binaries itself (shared/servicetest); see `make soak`.
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jwt-micro-system/shared/servicetest"
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
	fs.DurationVar(&c.duration, "duration", 2*time.Minute, "how long to drive the load")
	fs.IntVar(&c.workers, "workers", 8, "concurrent simulated clients")
	fs.IntVar(&c.users, "users", 16, "users to create")
	fs.Float64Var(&c.maxGrowth, "max-rss-growth", 0.10, "allowed RSS growth between the first and last window")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
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
	dir, err := os.MkdirTemp("", "jwt-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bins, err := servicetest.BuildBinaries(dir, "soak")
	if err != nil {
		return err
	}
	// A short access token lifetime makes the web sessions renew silently
	// during the run, so refreshes through the frontend are part of the mix.
	// All workers are one client address (loopback) refreshing far more
	// often than any real one: the per-address refresh limit is off.
	st, err := servicetest.StartStack(bins, servicetest.StackOptions{Dir: dir, AdminUser: "soakadmin",
		AuthEnv: map[string]string{"BCRYPT_COST": "10", "ACCESS_TOKEN_TTL": "20s", "REFRESH_RATE_PER_ADDRESS": "0"}})
	if err != nil {
		return err
	}
	defer st.Stop(10 * time.Second)
	cfg.api, cfg.frontend, cfg.adminUser, cfg.adminPW = st.Auth.URL, st.Web.URL, st.AdminUser, st.AdminPassword
	cfg.apiPID, cfg.frontendPID = st.Auth.Pid(), st.Web.Pid()
	if err := soak(ctx, cfg, out); err != nil {
		for _, p := range []*servicetest.Proc{st.Auth, st.Web} {
			fmt.Fprintf(out, "--- last %s log lines\n%s\n", p.Name, lastLines(p.Logs(), 20))
		}
		return err
	}
	return nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// soak drives the running stack of cfg and checks it.
func soak(ctx context.Context, cfg config, out io.Writer) error {
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
