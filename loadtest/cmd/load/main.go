// Command load is make load: on loopback, in one run, it measures both
// services interleaved with a trivial net/http server (loadtest/cmd/trivial)
// and prints each target's requests per second as a ratio to it (median of
// LOAD_ROUNDS rounds, wrk -t2 -c32), then auth-api's login rate at
// BCRYPT_COST=12 against the bound bcrypt allows, and each service's idle
// and loaded resident memory. Targets that send a credential are also
// compared with the trivial server receiving the same request header ("vs
// same request"), and judged on that ratio. It fails on any error response or socket
// error; with LOAD_STRICT=1 also on a missed target.
//
// Knobs (environment): LOAD_DURATION (each wrk run, default 10s),
// LOAD_LOGIN_DURATION (the login run, default 20s), LOAD_ROUNDS (3),
// LOAD_THREADS (2), LOAD_CONNECTIONS (32), LOAD_BCRYPT_COST (12),
// LOAD_DATABASE_URL (auth-api's DATABASE_URL; default a SQLite file),
// LOAD_STRICT (0).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jwt-micro-system/loadtest/internal/bound"
	"github.com/jwt-micro-system/shared/servicetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "load: %v\n", err)
		if errors.Is(err, errBadResponses) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errBadResponses = errors.New("error responses or socket errors (want 0)")

// config is make load's knobs.
type config struct {
	duration, loginDuration time.Duration
	rounds, threads, conns  int
	cost                    int
	strict                  bool
}

func parseConfig(getenv func(string) string) (config, error) {
	var errs []error
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 10*time.Minute {
			errs = append(errs, fmt.Errorf("%s must be a duration from 1s to 10m, got %q", name, v))
		}
		return d
	}
	num := func(name string, def, lo, hi int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s must be a whole number from %d to %d, got %q", name, lo, hi, v))
		}
		return n
	}
	c := config{
		duration:      dur("LOAD_DURATION", 10*time.Second),
		loginDuration: dur("LOAD_LOGIN_DURATION", 20*time.Second),
		rounds:        num("LOAD_ROUNDS", 3, 1, 15),
		threads:       num("LOAD_THREADS", 2, 1, 64),
		conns:         num("LOAD_CONNECTIONS", 32, 1, 4096),
		cost:          num("LOAD_BCRYPT_COST", 12, 10, 16), // auth-api accepts 10-31
		strict:        getenv("LOAD_STRICT") == "1",
	}
	if c.conns < c.threads {
		errs = append(errs, fmt.Errorf("LOAD_CONNECTIONS (%d) must be at least LOAD_THREADS (%d)", c.conns, c.threads))
	}
	return c, errors.Join(errs...)
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	cfg, err := parseConfig(getenv)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "jwt-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintln(out, "load: building auth-api, web-frontend and the trivial server")
	// As make build builds them: gin without its MessagePack codec.
	if err := os.Setenv("GOFLAGS", strings.TrimSpace(getenv("GOFLAGS")+" -tags=nomsgpack")); err != nil {
		return err
	}
	bins, err := servicetest.BuildBinaries(dir, "load")
	if err != nil {
		return err
	}
	trivialBin := filepath.Join(dir, "trivial")
	if err := servicetest.Build("loadtest", "./cmd/trivial", trivialBin, "load"); err != nil {
		return err
	}
	trivial, err := servicetest.Start(servicetest.Spec{Name: "trivial", Path: trivialBin, Dir: dir, Env: []string{"PATH=" + getenv("PATH")}})
	if err != nil {
		return err
	}
	defer trivial.Stop(10 * time.Second)
	authEnv := map[string]string{"BCRYPT_COST": strconv.Itoa(cfg.cost)}
	if u := getenv("LOAD_DATABASE_URL"); u != "" {
		// e.g. postgres://…: the same figures with auth-api on PostgreSQL.
		authEnv["DATABASE_URL"] = u
		fmt.Fprintln(out, "load: auth-api on the database LOAD_DATABASE_URL names")
	}
	st, err := servicetest.StartStack(bins, servicetest.StackOptions{Dir: dir, AuthEnv: authEnv})
	if err != nil {
		return err
	}
	defer st.Stop(10 * time.Second)

	token, err := apiLogin(st)
	if err != nil {
		return err
	}
	cookie, err := webLogin(st)
	if err != nil {
		return err
	}
	procs := map[string]*servicetest.Proc{"auth-api": st.Auth, "web-frontend": st.Web}
	services := []string{"web-frontend", "auth-api"}
	time.Sleep(time.Second)
	idle, err := memory(procs, "VmRSS")
	if err != nil {
		return err
	}
	// The anonymous part (heap, stacks) apart from the pages of the
	// binary itself, which are file-backed and shared with the page cache.
	idleAnon, err := memory(procs, "RssAnon")
	if err != nil {
		return err
	}

	// The trivial server is also measured with each authenticated target's
	// request header: a 600-byte cookie costs any server (and wrk) a good
	// part of its rate, so "vs same request" isolates what the session
	// check itself costs, and the targets are judged on it.
	cookieHeader, bearerHeader := []string{"Cookie: " + cookie}, []string{"Authorization: Bearer " + token}
	jobs := []wrkJob{
		{url: trivial.URL + "/"},
		{url: trivial.URL + "/", headers: cookieHeader},
		{url: trivial.URL + "/", headers: bearerHeader},
		{url: st.Web.URL + "/healthz"},
		{url: st.Web.URL + "/api/me", headers: cookieHeader},
		{url: st.Auth.URL + "/healthz"},
		{url: st.Auth.URL + "/me", headers: bearerHeader},
	}
	targets := []measured{
		{target: target{name: `trivial net/http "ok"`}},
		{target: target{name: `trivial, with the cookie`, yardstick: true}},
		{target: target{name: `trivial, with the bearer token`, yardstick: true}},
		{target: target{name: "web-frontend GET /healthz", min: 0.9}},
		{target: target{name: "web-frontend GET /api/me (cookie)", min: 0.85, same: 1}},
		{target: target{name: "auth-api GET /healthz"}},
		{target: target{name: "auth-api GET /me (bearer)", min: 0.85, same: 2}},
	}
	fmt.Fprintf(out, "load: %d rounds of %d targets, %s each, wrk -t%d -c%d (about %s)\n",
		cfg.rounds, len(jobs), cfg.duration, cfg.threads, cfg.conns, time.Duration(cfg.rounds*len(jobs))*cfg.duration+cfg.loginDuration)
	for round := range cfg.rounds {
		results := make([]wrkResult, len(jobs))
		// Interleaved, each round starting one target further on, so no
		// target always runs first or last.
		for k := range jobs {
			i := (k + round) % len(jobs)
			j := jobs[i]
			j.threads, j.conns, j.duration = cfg.threads, cfg.conns, cfg.duration
			if results[i], err = runWrk(ctx, dir, j); err != nil {
				return err
			}
		}
		for i := range targets {
			targets[i].runs = append(targets[i].runs, results[i])
			targets[i].ratios = append(targets[i].ratios, results[i].RPS()/results[0].RPS())
			targets[i].sameRatios = append(targets[i].sameRatios, results[i].RPS()/results[targets[i].same].RPS())
		}
		fmt.Fprintf(out, "load: round %d of %d done\n", round+1, cfg.rounds)
	}

	body, _ := json.Marshal(map[string]string{"username": st.AdminUser, "password": st.AdminPassword})
	login, err := runWrk(ctx, dir, wrkJob{url: st.Auth.URL + "/login", threads: 1, conns: 2 * runtime.NumCPU(),
		duration: cfg.loginDuration, method: http.MethodPost, body: string(body)})
	if err != nil {
		return err
	}
	peak, err := memory(procs, "VmHWM")
	if err != nil {
		return err
	}
	b, err := bound.Measure(ctx, bins.AuthAPI, cfg.cost, 2*time.Second)
	if err != nil {
		return err
	}

	r := report{
		header: fmt.Sprintf("make load: %d cores; wrk -t%d -c%d, median of %d interleaved rounds of %s; login run %s at bcrypt cost %d",
			runtime.NumCPU(), cfg.threads, cfg.conns, cfg.rounds, cfg.duration, cfg.loginDuration, cfg.cost),
		targets: targets, login: login, loginMin: 0.9,
		boundPerSec: b.PerSecond, boundMS: b.PerCheck.Seconds() * 1000, cores: b.Cores,
		idle: idle, idleAnon: idleAnon, peak: peak, idleMax: 15, peakMax: 32, services: services,
	}
	missed := r.print(out)
	if r.bad() > 0 {
		return errBadResponses
	}
	if missed > 0 && cfg.strict {
		return fmt.Errorf("%d targets missed (LOAD_STRICT=1)", missed)
	}
	return nil
}

// apiLogin logs the admin in at auth-api and returns the access token.
func apiLogin(st *servicetest.Stack) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": st.AdminUser, "password": st.AdminPassword})
	resp, err := http.Post(st.Auth.URL+"/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || resp.StatusCode != http.StatusOK || t.AccessToken == "" {
		return "", fmt.Errorf("logging in at auth-api: status %d, %v", resp.StatusCode, err)
	}
	return t.AccessToken, nil
}

// webLogin logs the admin in through web-frontend's form and returns the
// session cookie as NAME=VALUE.
func webLogin(st *servicetest.Stack) (string, error) {
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(st.Web.URL+"/login", url.Values{"username": {st.AdminUser}, "password": {st.AdminPassword}})
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "session") && c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("logging in through web-frontend: status %d, no session cookie", resp.StatusCode)
}

// memory reads a /proc/PID/status field (VmRSS, VmHWM) of each process, in
// MiB.
func memory(procs map[string]*servicetest.Proc, field string) (map[string]float64, error) {
	out := map[string]float64{}
	for name, p := range procs {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.Pid()))
		if err != nil {
			return nil, fmt.Errorf("memory of %s: %w", name, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
				kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				if err == nil {
					out[name] = float64(kib) / 1024
				}
			}
		}
		f.Close()
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("memory of %s: no %s in /proc/%d/status", name, field, p.Pid())
		}
	}
	return out, nil
}
