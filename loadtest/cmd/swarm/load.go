package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// instanceHeader names the replica that served a response (INSTANCE_NAME,
// which deploy/stack.yml sets per task); without it the client names the
// task container it connected to.
const instanceHeader = "X-Instance"

// kind is one sort of request of the steady load.
type kind int

const (
	kindLogin   kind = iota // form login on web-frontend
	kindSession             // GET /api/me on web-frontend with a session cookie
	kindRefresh             // POST /refresh on auth-api
	numKinds
)

func (k kind) String() string {
	return [...]string{"logins", "session requests", "refreshes"}[k]
}

// counters are cumulative request outcomes per kind; phases report the
// difference of two snapshots.
type counters struct {
	ok, failed [numKinds]atomic.Int64
}

type snapshot struct{ ok, failed [numKinds]int64 }

func (c *counters) snap() snapshot {
	var s snapshot
	for k := range numKinds {
		s.ok[k], s.failed[k] = c.ok[k].Load(), c.failed[k].Load()
	}
	return s
}

func (s snapshot) minus(o snapshot) snapshot {
	for k := range numKinds {
		s.ok[k] -= o.ok[k]
		s.failed[k] -= o.failed[k]
	}
	return s
}

func (s snapshot) total() (ok, failed int64) {
	for k := range numKinds {
		ok += s.ok[k]
		failed += s.failed[k]
	}
	return ok, failed
}

func (s snapshot) String() string {
	var b strings.Builder
	for k := range numKinds {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d ok / %d failed", k, s.ok[k], s.failed[k])
	}
	return b.String()
}

// client talks to the stack through its backends. Keep-alives are off, so
// every request is a new connection that may reach any replica, as it would
// for many independent clients.
type client struct {
	web, api string // base URLs; their hosts name the services
	http     *http.Client
	b        *backends

	mu        sync.Mutex
	instances map[string]map[string]int // service → instance → responses
}

func newClient(b *backends) *client {
	return &client{
		web: "http://web-frontend", api: "http://auth-api", b: b,
		http: &http.Client{
			Timeout:       10 * time.Second,
			Transport:     &http.Transport{DisableKeepAlives: true, DialContext: b.dial},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		instances: map[string]map[string]int{"web-frontend": {}, "auth-api": {}},
	}
}

// do sends one request and returns the response with its body read.
func (c *client) do(ctx context.Context, method, u, contentType, body string, hdr http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	var remote string
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { remote = info.Conn.RemoteAddr().String() },
	}))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, err
	}
	svc := req.URL.Hostname()
	name := resp.Header.Get(instanceHeader)
	if name == "" {
		name = c.b.nameOf(svc, remote)
	}
	c.mu.Lock()
	c.instances[svc][name]++
	c.mu.Unlock()
	return resp, b, nil
}

// seen returns how many responses each instance of service gave.
func (c *client) seen(service string) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.instances[service]))
	for k, v := range c.instances[service] {
		out[k] = v
	}
	return out
}

// session is a web-frontend cookie session; renewals replace its cookies.
type session struct {
	mu      sync.Mutex
	cookies map[string]string
}

func (s *session) header() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make([]string, 0, len(s.cookies))
	for k, v := range s.cookies {
		parts = append(parts, k+"="+v)
	}
	return http.Header{"Cookie": {strings.Join(parts, "; ")}}
}

func (s *session) update(resp *http.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(s.cookies, ck.Name)
		} else {
			s.cookies[ck.Name] = ck.Value
		}
	}
}

// webLogin signs in through the web-frontend's form.
func (c *client) webLogin(ctx context.Context, user, password string) (*session, error) {
	form := url.Values{"username": {user}, "password": {password}}.Encode()
	resp, _, err := c.do(ctx, http.MethodPost, c.web+"/login", "application/x-www-form-urlencoded", form, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("form login of %s: status %d", user, resp.StatusCode)
	}
	s := &session{cookies: map[string]string{}}
	s.update(resp)
	if len(s.cookies) == 0 {
		return nil, errors.New("form login set no cookie")
	}
	return s, nil
}

// webMe asks the web-frontend who the session is; it returns the status.
func (c *client) webMe(ctx context.Context, s *session) (int, error) {
	resp, _, err := c.do(ctx, http.MethodGet, c.web+"/api/me", "", "", s.header())
	if err != nil {
		return 0, err
	}
	s.update(resp)
	return resp.StatusCode, nil
}

// webLogout signs the session out through the form.
func (c *client) webLogout(ctx context.Context, s *session) error {
	h := s.header()
	h.Set("Origin", c.web)
	resp, _, err := c.do(ctx, http.MethodPost, c.web+"/logout", "application/x-www-form-urlencoded", "", h)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("logout: status %d", resp.StatusCode)
	}
	return nil
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// apiLogin signs in at auth-api; it returns the status and, on 200, the pair.
func (c *client) apiLogin(ctx context.Context, user, password string) (int, tokens, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	return c.tokenCall(ctx, c.api+"/login", string(body))
}

// apiRefresh rotates a refresh token.
func (c *client) apiRefresh(ctx context.Context, refresh string) (int, tokens, error) {
	body, _ := json.Marshal(map[string]string{"refresh_token": refresh})
	return c.tokenCall(ctx, c.api+"/refresh", string(body))
}

func (c *client) tokenCall(ctx context.Context, u, body string) (int, tokens, error) {
	resp, b, err := c.do(ctx, http.MethodPost, u, "application/json", body, nil)
	if err != nil {
		return 0, tokens{}, err
	}
	var t tokens
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &t); err != nil {
			return resp.StatusCode, t, fmt.Errorf("token response: %w", err)
		}
	}
	return resp.StatusCode, t, nil
}

// apiStatus returns the status of a GET on auth-api with an optional bearer.
func (c *client) apiStatus(ctx context.Context, path, bearer string) (int, error) {
	var h http.Header
	if bearer != "" {
		h = http.Header{"Authorization": {"Bearer " + bearer}}
	}
	resp, _, err := c.do(ctx, http.MethodGet, c.api+path, "", "", h)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// loadWorkers is how many requests the steady load has in flight at most.
const loadWorkers = 1 + 4 + 2

// load is the steady mixed traffic that runs under every check.
type load struct {
	c        *client
	users    []string
	password string
	sessions []*session
	count    counters

	pauseWrites atomic.Bool // while the database is down on purpose
}

// run starts the workers; they stop when ctx ends.
func (l *load) run(ctx context.Context, wg *sync.WaitGroup) {
	worker := func(pace time.Duration, step func(context.Context)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				step(ctx)
				select {
				case <-ctx.Done():
				case <-time.After(pace):
				}
			}
		})
	}
	worker(150*time.Millisecond, l.login)
	for range 4 {
		worker(20*time.Millisecond, l.sessionRequest)
	}
	// Each refresher keeps one family rotating below auth-api's default
	// REFRESH_RATE_PER_FAMILY (60 a minute), which would answer 429.
	for i := range 2 {
		worker(1500*time.Millisecond, l.refresher(i))
	}
}

func (l *load) record(k kind, ok bool) {
	if ok {
		l.count.ok[k].Add(1)
	} else {
		l.count.failed[k].Add(1)
	}
}

func (l *load) login(ctx context.Context) {
	if l.pauseWrites.Load() {
		return
	}
	_, err := l.c.webLogin(ctx, l.users[rand.IntN(len(l.users))], l.password)
	if ctx.Err() == nil {
		l.record(kindLogin, err == nil)
	}
}

func (l *load) sessionRequest(ctx context.Context) {
	s := l.sessions[rand.IntN(len(l.sessions))]
	status, err := l.c.webMe(ctx, s)
	if ctx.Err() == nil {
		l.record(kindSession, err == nil && status == http.StatusOK)
	}
}

// refresher returns a worker step that keeps one refresh family rotating. A
// request that fails in flight is retried with the same token: within
// REFRESH_REUSE_INTERVAL auth-api answers with the same successor.
func (l *load) refresher(i int) func(context.Context) {
	var refresh string
	return func(ctx context.Context) {
		if l.pauseWrites.Load() {
			return
		}
		if refresh == "" {
			status, t, err := l.c.apiLogin(ctx, l.users[i%len(l.users)], l.password)
			if err != nil || status != http.StatusOK {
				if ctx.Err() == nil {
					l.record(kindRefresh, false)
				}
				return
			}
			refresh = t.RefreshToken
		}
		status, t, err := l.c.apiRefresh(ctx, refresh)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil && status == http.StatusOK:
			refresh = t.RefreshToken
			l.record(kindRefresh, true)
		case err == nil && status == http.StatusUnauthorized:
			// The family is gone: that is a lost session.
			refresh = ""
			l.record(kindRefresh, false)
		default:
			l.record(kindRefresh, false)
		}
	}
}

// checkSessions asks for every pooled session once and returns how many no
// longer work.
func (l *load) checkSessions(ctx context.Context) (lost int, err error) {
	var buf bytes.Buffer
	for i, s := range l.sessions {
		status, err := l.c.webMe(ctx, s)
		if err != nil || status != http.StatusOK {
			lost++
			fmt.Fprintf(&buf, " #%d:%d", i, status)
		}
	}
	if lost > 0 {
		return lost, fmt.Errorf("%d of %d sessions lost:%s", lost, len(l.sessions), buf.String())
	}
	return 0, nil
}
