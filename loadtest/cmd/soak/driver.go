package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

const userPassword = "soak-password-0123"

// driver holds what the workers share: the services, the users, and the
// outcome counters.
type driver struct {
	cfg    config
	client *http.Client
	users  []string
	stats  *stats

	mu      sync.Mutex
	fe      []feSession  // frontend sessions still open at the end
	apiSess []apiSession // auth-api refresh families still open at the end
}

type feSession struct {
	user   string
	cookie *http.Cookie
}

type apiSession struct {
	user, access, refresh string
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func newDriver(cfg config) *driver {
	return &driver{
		cfg: cfg,
		client: &http.Client{
			Timeout: 10 * time.Second,
			// The frontend answers logins with 303; the driver looks at it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
		},
		stats: newStats(),
	}
}

func (d *driver) setup(ctx context.Context) error {
	admin, status, err := d.apiLogin(ctx, d.cfg.adminUser, d.cfg.adminPW)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("admin login: status %d: %v", status, err)
	}
	for i := range d.cfg.users {
		name := fmt.Sprintf("soak-%03d", i)
		body := fmt.Sprintf(`{"username":%q,"password":%q,"role":"user"}`, name, userPassword)
		status, _, _, err := d.do(ctx, http.MethodPost, d.cfg.api+"/users", "application/json", body, "Bearer "+admin.AccessToken, nil)
		if err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		if status != http.StatusCreated && status != http.StatusConflict {
			return fmt.Errorf("create %s: status %d", name, status)
		}
		d.users = append(d.users, name)
	}
	return nil
}

// worker performs random actions until ctx ends, keeping a few sessions of
// its own open.
func (d *driver) worker(ctx context.Context, rng *rand.Rand) {
	var fe []feSession
	var api []apiSession
	for ctx.Err() == nil {
		user := d.users[rng.IntN(len(d.users))]
		switch n := rng.IntN(100); {
		case n < 15 || len(fe) == 0:
			if s, ok := d.feLogin(ctx, user); ok {
				fe = append(fe, s)
			}
			if len(fe) > 4 {
				d.feLogout(ctx, fe[0])
				fe = fe[1:]
			}
		case n < 50:
			i := rng.IntN(len(fe))
			if !d.fePages(ctx, &fe[i]) {
				fe = slices.Delete(fe, i, i+1)
			}
		case n < 62 || len(api) == 0:
			if s, ok := d.apiLoginSession(ctx, user); ok {
				api = append(api, s)
			}
			if len(api) > 4 {
				d.apiLogout(ctx, api[0])
				api = api[1:]
			}
		case n < 80:
			i := rng.IntN(len(api))
			if !d.apiRefresh(ctx, &api[i]) {
				api = slices.Delete(api, i, i+1)
			}
		case n < 95:
			d.apiMe(ctx, api[rng.IntN(len(api))])
		default:
			i := rng.IntN(len(api))
			d.apiLogout(ctx, api[i])
			api = slices.Delete(api, i, i+1)
		}
	}
	d.mu.Lock()
	d.fe = append(d.fe, fe...)
	d.apiSess = append(d.apiSess, api...)
	d.mu.Unlock()
}

// do sends one request and returns the status, the body (at most 64 KiB)
// and the response cookies. A request cut off because the load ended is
// reported as status 0 and not counted.
func (d *driver) do(ctx context.Context, method, target, ctype, body, auth string, cookie *http.Cookie) (int, []byte, []*http.Cookie, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, b, resp.Cookies(), nil
}

// call is do plus bookkeeping: the outcome is counted under action, and
// anything but want is an unexpected status.
func (d *driver) call(ctx context.Context, action string, want int, method, target, ctype, body, auth string, cookie *http.Cookie) (int, []byte, []*http.Cookie, bool) {
	status, b, cookies, err := d.do(ctx, method, target, ctype, body, auth, cookie)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, false // the load ended mid-request
		}
		d.stats.add(action, -1, want)
		return 0, nil, nil, false
	}
	d.stats.add(action, status, want)
	return status, b, cookies, status == want
}

func (d *driver) apiLogin(ctx context.Context, user, pw string) (tokenPair, int, error) {
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)
	status, b, _, err := d.do(ctx, http.MethodPost, d.cfg.api+"/login", "application/json", body, "", nil)
	var p tokenPair
	if err == nil && status == http.StatusOK {
		err = json.Unmarshal(b, &p)
	}
	return p, status, err
}

func (d *driver) apiLoginSession(ctx context.Context, user string) (apiSession, bool) {
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, user, userPassword)
	_, b, _, ok := d.call(ctx, "api login", http.StatusOK, http.MethodPost, d.cfg.api+"/login", "application/json", body, "", nil)
	var p tokenPair
	if !ok || json.Unmarshal(b, &p) != nil {
		return apiSession{}, false
	}
	return apiSession{user: user, access: p.AccessToken, refresh: p.RefreshToken}, true
}

func (d *driver) apiRefresh(ctx context.Context, s *apiSession) bool {
	body := fmt.Sprintf(`{"refresh_token":%q}`, s.refresh)
	_, b, _, ok := d.call(ctx, "api refresh", http.StatusOK, http.MethodPost, d.cfg.api+"/refresh", "application/json", body, "", nil)
	var p tokenPair
	if !ok || json.Unmarshal(b, &p) != nil {
		return false
	}
	s.access, s.refresh = p.AccessToken, p.RefreshToken
	return true
}

func (d *driver) apiMe(ctx context.Context, s apiSession) {
	d.call(ctx, "api me", http.StatusOK, http.MethodGet, d.cfg.api+"/me", "", "", "Bearer "+s.access, nil)
}

func (d *driver) apiLogout(ctx context.Context, s apiSession) {
	body := fmt.Sprintf(`{"refresh_token":%q}`, s.refresh)
	d.call(ctx, "api logout", http.StatusNoContent, http.MethodPost, d.cfg.api+"/logout", "application/json", body, "", nil)
}

func sessionCookie(cookies []*http.Cookie) *http.Cookie {
	for _, c := range cookies {
		if c.Name == "jwtms_session" || c.Name == "__Host-jwtms_session" {
			return c
		}
	}
	return nil
}

func (d *driver) feLogin(ctx context.Context, user string) (feSession, bool) {
	form := url.Values{"username": {user}, "password": {userPassword}}.Encode()
	_, _, cookies, ok := d.call(ctx, "web login", http.StatusSeeOther, http.MethodPost, d.cfg.frontend+"/login", "application/x-www-form-urlencoded", form, "", nil)
	c := sessionCookie(cookies)
	if !ok || c == nil || c.Value == "" {
		return feSession{}, false
	}
	return feSession{user: user, cookie: c}, true
}

// fePages views the dashboard and /api/me; false means the session is gone.
func (d *driver) fePages(ctx context.Context, s *feSession) bool {
	for _, page := range []struct{ action, path string }{{"web dashboard", "/"}, {"web api/me", "/api/me"}} {
		_, b, cookies, ok := d.call(ctx, page.action, http.StatusOK, http.MethodGet, d.cfg.frontend+page.path, "", "", "", s.cookie)
		if c := sessionCookie(cookies); c != nil {
			if c.Value == "" || c.MaxAge < 0 {
				return false
			}
			s.cookie = c // renewed silently
		}
		if !ok {
			return false
		}
		if page.path == "/api/me" && !bytes.Contains(b, []byte(`"`+s.user+`"`)) {
			d.stats.add("web api/me wrong user", 0, 1)
		}
	}
	return true
}

func (d *driver) feLogout(ctx context.Context, s feSession) {
	d.call(ctx, "web logout", http.StatusSeeOther, http.MethodPost, d.cfg.frontend+"/logout", "application/x-www-form-urlencoded", "", "", s.cookie)
}

// verify checks after the load that every user and every open session is
// still there, and returns what was lost.
func (d *driver) verify(ctx context.Context) []error {
	var lost []error
	admin, status, err := d.apiLogin(ctx, d.cfg.adminUser, d.cfg.adminPW)
	if err != nil || status != http.StatusOK {
		return []error{fmt.Errorf("admin login after the load: status %d: %v", status, err)}
	}
	status, b, _, err := d.do(ctx, http.MethodGet, d.cfg.api+"/users", "", "", "Bearer "+admin.AccessToken, nil)
	var list struct {
		Users []struct {
			Username string `json:"username"`
		} `json:"users"`
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(b, &list) != nil {
		return []error{fmt.Errorf("list users after the load: status %d: %v", status, err)}
	}
	have := map[string]bool{}
	for _, u := range list.Users {
		have[u.Username] = true
	}
	for _, u := range d.users {
		if !have[u] {
			lost = append(lost, fmt.Errorf("user %s was lost", u))
		}
	}
	feLost, apiLost := 0, 0
	for _, s := range d.fe {
		if status, _, _, err := d.do(ctx, http.MethodGet, d.cfg.frontend+"/api/me", "", "", "", s.cookie); err != nil || status != http.StatusOK {
			feLost++
		}
	}
	for _, s := range d.apiSess {
		body := fmt.Sprintf(`{"refresh_token":%q}`, s.refresh)
		if status, _, _, err := d.do(ctx, http.MethodPost, d.cfg.api+"/refresh", "application/json", body, "", nil); err != nil || status != http.StatusOK {
			apiLost++
		}
	}
	fmt.Printf("after the load: %d/%d users present, %d/%d web sessions and %d/%d auth-api sessions still valid\n",
		len(d.users)-len(lost), len(d.users), len(d.fe)-feLost, len(d.fe), len(d.apiSess)-apiLost, len(d.apiSess))
	if feLost > 0 {
		lost = append(lost, fmt.Errorf("%d web sessions were lost", feLost))
	}
	if apiLost > 0 {
		lost = append(lost, fmt.Errorf("%d auth-api sessions were lost", apiLost))
	}
	return lost
}

// stats counts outcomes per action and status.
type stats struct {
	mu     sync.Mutex
	counts map[string]map[int]int
	bad    int
	s5xx   int
}

func newStats() *stats { return &stats{counts: map[string]map[int]int{}} }

func (s *stats) add(action string, status, want int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts[action] == nil {
		s.counts[action] = map[int]int{}
	}
	s.counts[action][status]++
	if status != want {
		s.bad++
	}
	if status >= 500 {
		s.s5xx++
	}
}

func (s *stats) count5xx() int   { s.mu.Lock(); defer s.mu.Unlock(); return s.s5xx }
func (s *stats) unexpected() int { s.mu.Lock(); defer s.mu.Unlock(); return s.bad }

func (s *stats) report(out io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	actions := make([]string, 0, len(s.counts))
	for a := range s.counts {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	total := 0
	fmt.Fprintln(out, "requests by action and status (-1: transport error):")
	for _, a := range actions {
		statuses := make([]int, 0, len(s.counts[a]))
		for st := range s.counts[a] {
			statuses = append(statuses, st)
		}
		sort.Ints(statuses)
		var parts []string
		for _, st := range statuses {
			parts = append(parts, fmt.Sprintf("%d×%d", s.counts[a][st], st))
			total += s.counts[a][st]
		}
		fmt.Fprintf(out, "  %-22s %s\n", a, strings.Join(parts, " "))
	}
	fmt.Fprintf(out, "total %d requests, %d unexpected, %d 5xx\n", total, s.bad, s.s5xx)
}
