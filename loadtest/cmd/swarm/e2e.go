package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// userPassword is the password of the test users swarm e2e creates.
const userPassword = "swarm-e2e-password-7"

// e2e runs every check on a fresh stack and removes it all afterwards, also
// when a check fails.
func e2e(ctx context.Context, getenv func(string) string, out io.Writer) (err error) {
	if err := refuseOthers(ctx, getenv); err != nil {
		return err
	}
	started := time.Now()
	created, err := ensureSwarm(ctx, out)
	if err != nil {
		return err
	}
	d := &deployment{Stack: "jwtms-e2e-" + hex.EncodeToString([]byte(randomToken(3)))[:8], CreatedSwarm: created}
	defer func() {
		if terr := d.teardown(out); terr != nil {
			err = errors.Join(err, fmt.Errorf("teardown: %w", terr))
		}
	}()
	images, err := buildImages(ctx, getenv, "swarm-e2e", out)
	if err != nil {
		return err
	}
	nd, err := newDeployment(ctx, d.Stack, images, map[string]string{
		"BCRYPT_COST": "10", "LOG_LEVEL": "warn",
	}, getenv("SWARM_ROUTING") == "mesh", out)
	nd.CreatedSwarm = created
	*d = *nd
	if err != nil {
		return err
	}
	bctx, stopBackends := context.WithCancel(ctx)
	defer stopBackends()
	c := newClient(d.backends(bctx))
	deployStart := time.Now()
	if err := d.waitHealthy(ctx, c, 4*time.Minute); err != nil {
		return err
	}
	fmt.Fprintf(out, "swarm: stack healthy %.1f s after deploy (%s in all so far)\n", time.Since(deployStart).Seconds(), time.Since(started).Round(time.Second))

	r := &e2eRun{d: d, c: c, out: out}
	if err := r.setup(ctx); err != nil {
		return err
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	r.l.run(loadCtx, &wg)
	defer func() { stopLoad(); wg.Wait() }()

	checks := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"replicas share sessions", r.checkReplicas},
		{"killed tasks lose no session", r.checkKill},
		{"postgres restart", r.checkPostgresRestart},
		{"rolling update", r.checkRollingUpdate},
		{"brute-force limit across replicas", r.checkBruteForce},
		{"logout honoured everywhere", r.checkLogout},
	}
	var failed []string
	for _, ch := range checks {
		fmt.Fprintf(out, "\n== %s\n", ch.name)
		if err := ch.fn(ctx); err != nil {
			fmt.Fprintf(out, "FAIL %s: %v\n", ch.name, err)
			failed = append(failed, ch.name)
			continue
		}
		fmt.Fprintf(out, "ok   %s\n", ch.name)
	}
	stopLoad()
	wg.Wait()
	total := r.l.count.snap()
	ok, bad := total.total()
	fmt.Fprintf(out, "\n== figures\nsteady load over the whole run: %s\n", total)
	rate := 100 * float64(bad) / float64(max(ok+bad, 1))
	fmt.Fprintf(out, "failed: %d of %d requests (%.3f %%; target ≤ 0.1 %%)\n", bad, ok+bad, rate)
	if bad*1000 > ok+bad {
		failed = append(failed, fmt.Sprintf("%.3f %% of the requests failed", rate))
	}
	fmt.Fprintf(out, "web-frontend replicas seen: %v\nauth-api replicas seen: %v\n", c.seen("web-frontend"), c.seen("auth-api"))
	fmt.Fprintf(out, "swarm e2e took %s\n", time.Since(started).Round(time.Second))
	if len(failed) > 0 {
		return fmt.Errorf("failed checks: %s", strings.Join(failed, "; "))
	}
	return nil
}

// refuseOthers stops before touching the swarm when containers this run did
// not start are running: joining or leaving a swarm can cut the networks of
// a compose project that runs beside it.
func refuseOthers(ctx context.Context, getenv func(string) string) error {
	out, err := docker(ctx, "ps", "--format", "{{.Names}}")
	if err != nil {
		return fmt.Errorf("no Docker engine answers: %w", err)
	}
	if others := lines(out); len(others) > 0 && getenv("SWARM_E2E_ALLOW_OTHERS") != "1" {
		return fmt.Errorf("other containers are running (%s): swarm init/leave can break their networks. "+
			"Stop them first, or set SWARM_E2E_ALLOW_OTHERS=1 to run anyway", strings.Join(others, ", "))
	}
	return nil
}

type e2eRun struct {
	d   *deployment
	c   *client
	out io.Writer
	l   *load
}

// setup creates the test users and opens the pool of web sessions the load
// and the checks use.
func (r *e2eRun) setup(ctx context.Context) error {
	status, admin, err := r.c.apiLogin(ctx, r.d.AdminUser, r.d.AdminPass)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("admin login: status %d: %v", status, err)
	}
	r.l = &load{c: r.c, password: userPassword}
	// swarm-user-0…7 take part in the load; swarm-user-8 is only for the
	// brute-force check (a successful login of the load would clear its
	// count).
	for i := range 9 {
		name := fmt.Sprintf("swarm-user-%d", i)
		body := fmt.Sprintf(`{"username":%q,"password":%q,"role":"user"}`, name, userPassword)
		resp, b, err := r.c.do(ctx, http.MethodPost, r.c.api+"/users", "application/json", body,
			http.Header{"Authorization": {"Bearer " + admin.AccessToken}})
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("create %s: status %d: %s", name, resp.StatusCode, b)
		}
		if i < 8 {
			r.l.users = append(r.l.users, name)
		}
	}
	for i := range 24 {
		s, err := r.c.webLogin(ctx, r.l.users[i%len(r.l.users)], userPassword)
		if err != nil {
			return err
		}
		r.l.sessions = append(r.l.sessions, s)
	}
	return nil
}

// phase runs fn and prints what the steady load saw meanwhile.
func (r *e2eRun) phase(fn func() error) (snapshot, error) {
	before := r.l.count.snap()
	err := fn()
	d := r.l.count.snap().minus(before)
	fmt.Fprintf(r.out, "load meanwhile: %s\n", d)
	return d, err
}

func (r *e2eRun) checkReplicas(ctx context.Context) error {
	s := r.l.sessions[0]
	for range 30 {
		if status, err := r.c.webMe(ctx, s); err != nil || status != http.StatusOK {
			return fmt.Errorf("session request: status %d: %v", status, err)
		}
	}
	time.Sleep(2 * time.Second) // let the load reach every replica
	var errs []error
	for _, svc := range []string{"web-frontend", "auth-api"} {
		seen := r.c.seen(svc)
		fmt.Fprintf(r.out, "%s: responses per replica %v\n", svc, seen)
		if len(seen) < 2 {
			errs = append(errs, fmt.Errorf("%s: %d replica(s) answered, want at least 2 (is INSTANCE_NAME set?)", svc, len(seen)))
		}
	}
	if len(errs) == 0 {
		fmt.Fprintln(r.out, "one session, opened on one web-frontend replica, answered 30 times across the replicas")
	}
	return errors.Join(errs...)
}

func (r *e2eRun) checkKill(ctx context.Context) error {
	d, err := r.phase(func() error {
		for _, svc := range []string{"web-frontend", "auth-api"} {
			var victim string
			if list := r.c.b.order(svc); len(list) > 0 && list[0].container != "" {
				victim = list[0].container
				r.c.b.kill(victim)
			} else if ids, err := serviceContainers(ctx, r.d.Stack, svc); err == nil && len(ids) > 0 {
				victim = ids[0] // the routing mesh notices by itself
			} else {
				return fmt.Errorf("%s containers: %v", svc, err)
			}
			if _, err := docker(ctx, "kill", victim); err != nil {
				return err
			}
			fmt.Fprintf(r.out, "killed %s task container %s\n", svc, victim)
		}
		time.Sleep(3 * time.Second)
		return r.d.waitHealthy(ctx, r.c, 2*time.Minute)
	})
	if err != nil {
		return err
	}
	ok, bad := d.total()
	// At most one request per load worker can be in flight on the killed
	// containers; any more failed for another reason.
	fmt.Fprintf(r.out, "failed while killing: %d of %d (at most %d can be in flight on the killed containers)\n", bad, ok+bad, loadWorkers)
	if _, err := r.l.checkSessions(ctx); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "all %d sessions still work\n", len(r.l.sessions))
	if bad > loadWorkers {
		return fmt.Errorf("%d failed requests: more than were in flight", bad)
	}
	return nil
}

func (r *e2eRun) checkPostgresRestart(ctx context.Context) error {
	var red, green bool
	var sessionFailures int
	d, err := r.phase(func() error {
		// Logins and refreshes need the database: they pause while it is
		// down on purpose; session requests go on (local verification).
		r.l.pauseWrites.Store(true)
		defer r.l.pauseWrites.Store(false)
		done := make(chan error, 1)
		go func() {
			_, err := docker(ctx, "service", "update", "--force", "--detach=true", r.d.Stack+"_postgres")
			done <- err
		}()
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) && !(red && green) {
			status, err := r.c.apiStatus(ctx, "/readyz", "")
			switch {
			case err == nil && status == http.StatusOK:
				green = red
			case err == nil:
				red = true
			}
			if status, err := r.c.webMe(ctx, r.l.sessions[1]); err != nil || status != http.StatusOK {
				sessionFailures++
			}
			time.Sleep(100 * time.Millisecond)
		}
		return <-done
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "auth-api /readyz went red: %v, then green: %v; session requests failed meanwhile: %d (+%d in the load)\n",
		red, green, sessionFailures, d.failed[kindSession])
	switch {
	case !red || !green:
		return errors.New("auth-api /readyz did not go red and then green")
	case sessionFailures > 0 || d.failed[kindSession] > 0:
		return errors.New("sessions failed while the database restarted")
	}
	return r.d.waitHealthy(ctx, r.c, 2*time.Minute)
}

func (r *e2eRun) checkRollingUpdate(ctx context.Context) error {
	d, err := r.phase(func() error {
		for _, svc := range []string{"auth-api", "web-frontend"} {
			start := time.Now()
			if _, err := docker(ctx, "service", "update", "--force", "--quiet", r.d.Stack+"_"+svc); err != nil {
				return err
			}
			fmt.Fprintf(r.out, "rolled %s in %.1f s\n", svc, time.Since(start).Seconds())
		}
		return r.d.waitHealthy(ctx, r.c, 2*time.Minute)
	})
	if err != nil {
		return err
	}
	if d.failed[kindLogin] > 0 || d.failed[kindSession] > 0 {
		return fmt.Errorf("%d failed logins and %d failed session requests during the update, want 0",
			d.failed[kindLogin], d.failed[kindSession])
	}
	return nil
}

func (r *e2eRun) checkBruteForce(ctx context.Context) error {
	user := "swarm-user-8"
	before := r.c.seen("auth-api")
	var statuses []int
	for range 6 {
		status, _, err := r.c.apiLogin(ctx, user, "wrong-password-123")
		if err != nil {
			return err
		}
		statuses = append(statuses, status)
		if status == http.StatusTooManyRequests {
			break
		}
	}
	after := r.c.seen("auth-api")
	var spread []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if after[k] > before[k] {
			spread = append(spread, k)
		}
	}
	fmt.Fprintf(r.out, "wrong passwords for %s: statuses %v, served by %v\n", user, statuses, spread)
	if statuses[len(statuses)-1] != http.StatusTooManyRequests {
		return errors.New("no 429 within 6 wrong passwords")
	}
	// A correct password is refused while the lock holds.
	if status, _, err := r.c.apiLogin(ctx, user, userPassword); err != nil || status != http.StatusTooManyRequests {
		return fmt.Errorf("login during the lock: status %d, want 429: %v", status, err)
	}
	return nil
}

func (r *e2eRun) checkLogout(ctx context.Context) error {
	user := r.l.users[0]
	// A web session: logged out through one replica, refused by all.
	s, err := r.c.webLogin(ctx, user, userPassword)
	if err != nil {
		return err
	}
	old := s.header()
	if err := r.c.webLogout(ctx, s); err != nil {
		return err
	}
	replay := &session{cookies: map[string]string{}}
	for part := range strings.SplitSeq(strings.TrimPrefix(old.Get("Cookie"), ""), "; ") {
		if k, v, ok := strings.Cut(part, "="); ok {
			replay.cookies[k] = v
		}
	}
	webLast, err := r.lastAccepted(3*time.Second, func() (int, error) { return r.c.webMe(ctx, replay) })
	if err != nil {
		return err
	}
	// An API session: /logout on one auth-api replica, the access token
	// refused by all.
	status, t, err := r.c.apiLogin(ctx, user, userPassword)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("api login: status %d: %v", status, err)
	}
	resp, _, err := r.c.do(ctx, http.MethodPost, r.c.api+"/logout", "application/json",
		fmt.Sprintf(`{"refresh_token":%q}`, t.RefreshToken), http.Header{"Authorization": {"Bearer " + t.AccessToken}})
	if err != nil || resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("api logout: %v", err)
	}
	apiLast, err := r.lastAccepted(3*time.Second, func() (int, error) { return r.c.apiStatus(ctx, "/me", t.AccessToken) })
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "replayed cookie last accepted %s after logout; access token last accepted %s after API logout (target < 2 s)\n",
		webLast.Round(time.Millisecond), apiLast.Round(time.Millisecond))
	if webLast >= 2*time.Second || apiLast >= 2*time.Second {
		return errors.New("a logout took 2 s or more to reach every replica")
	}
	return nil
}

// lastAccepted calls probe for window and returns how long after the start
// the last 200 came (0 when none did).
func (r *e2eRun) lastAccepted(window time.Duration, probe func() (int, error)) (time.Duration, error) {
	start := time.Now()
	var last time.Duration
	for time.Since(start) < window {
		status, err := probe()
		if err != nil {
			return 0, err
		}
		switch status {
		case http.StatusOK:
			last = time.Since(start)
		case http.StatusUnauthorized, http.StatusSeeOther:
		default:
			return 0, fmt.Errorf("replay: unexpected status %d", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last, nil
}
