package server

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/clientaddr"
	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/shared/requestid"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/config"
	"github.com/jwt-micro-system/web-frontend/internal/metrics"
	"github.com/jwt-micro-system/web-frontend/internal/pages"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

const tokenTTL = 30 * time.Minute

// Test secrets are fresh for every run, as the secret policy wants them.
var testSecret, otherSecret = servicetest.NewSecret(), servicetest.NewSecret()

// clock is a fake clock shared by the fake auth-api, the Verifier and the
// server, so expiry is tested without sleeping.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) fn() func() time.Time    { return c.Now }

// fakeAuth is an in-memory auth-api that behaves like the real one where
// the frontend can tell: refresh rotation with reuse detection (a reused
// refresh token revokes its family, except that within fakeReuseInterval
// of its rotation it gets the same successor again), logout, admin-only
// /users, 429 and 503 on demand.
type fakeAuth struct {
	clock  *clock
	issuer *jwtauth.Issuer
	keys   *secretkey.Keys
	iss    string

	mu       sync.Mutex
	refresh  map[string]*refreshEntry // by token
	families map[string]bool          // revoked families
	users    map[string][2]string     // username -> password, role

	refreshCalls atomic.Int64
	loginCalls   atomic.Int64
	down         atomic.Bool // answer 503 to everything
	rateLimit    atomic.Bool // answer 429 to /login
	refreshDelay time.Duration
	// familyTTL, when set, makes every pair say refresh_expires_in: what
	// is left of its family's familyTTL (never extended by rotation).
	familyTTL  time.Duration
	familyExp  map[string]time.Time // by family
	lastClient atomic.Value         // the verified client address of the last login
	requestIDs chan string          // X-Request-Id of every call, when set
}

type refreshEntry struct {
	user, role, family string
	used               bool
	next               string    // the successor, once used
	usedAt             time.Time // when it was used
}

// fakeReuseInterval is auth-api's default REFRESH_REUSE_INTERVAL.
const fakeReuseInterval = 30 * time.Second

// fakeUsers returns the accounts of the fake: username -> password, role.
func fakeUsers() map[string][2]string {
	return map[string][2]string{
		"alice": {"alice-password", "admin"},
		"bob":   {"bob-password", "user"},
	}
}

func newFakeAuth(tb testing.TB, secret string, clk *clock) *fakeAuth {
	tb.Helper()
	ks, err := secretkey.NewKeys(secret, "")
	if err != nil {
		tb.Fatal(err)
	}
	is, err := jwtauth.NewIssuer(ks, jwtauth.IssuerConfig{TTL: tokenTTL, Now: clk.fn()})
	if err != nil {
		tb.Fatal(err)
	}
	return &fakeAuth{clock: clk, issuer: is, keys: ks, iss: jwtauth.DefaultIssuer,
		refresh: map[string]*refreshEntry{}, families: map[string]bool{}, users: fakeUsers(),
		familyExp: map[string]time.Time{}}
}

// revokeUser revokes every refresh family of user; f.mu is held.
func (f *fakeAuth) revokeUser(user string) {
	for _, e := range f.refresh {
		if e.user == user {
			f.families[e.family] = true
		}
	}
}

// bearer verifies the request's bearer token: its claims, or nil after
// answering 401.
func (f *fakeAuth) bearer(w http.ResponseWriter, r *http.Request) *jwtauth.Claims {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	v, _ := jwtauth.NewVerifier(f.keys, jwtauth.VerifierConfig{Now: f.clock.fn()})
	c, err := v.Verify(tok)
	if err != nil {
		writeJSONError(w, 401, "invalid_token", "bad token")
		return nil
	}
	return c
}

// accountCall serves the account and admin calls of the fake.
func (f *fakeAuth) accountCall(w http.ResponseWriter, r *http.Request, in map[string]string) bool {
	route := r.Method + " " + r.URL.Path
	name, isUser := strings.CutPrefix(r.URL.Path, "/users/")
	if !strings.HasPrefix(route, "POST /me/") && route != "POST /users" && !isUser {
		return false
	}
	c := f.bearer(w, r)
	if c == nil {
		return true
	}
	if strings.HasPrefix(route, "POST /users") || isUser {
		if c.Role != "admin" {
			writeJSONError(w, 403, "forbidden", "admins only")
			return true
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name, reset := strings.CutSuffix(name, "/password")
	weak := func(field, pw string) bool {
		if len(pw) < 8 {
			writeJSONError(w, 400, "invalid_request", field+" is too short (at least 8)")
			return true
		}
		return false
	}
	switch {
	case route == "POST /me/password":
		u := f.users[c.Subject]
		switch {
		case in["current_password"] != u[0]:
			writeJSONError(w, 403, "invalid_credentials", "current_password is wrong")
		case in["new_password"] == in["current_password"]:
			writeJSONError(w, 400, "invalid_request", "new_password must differ from current_password")
		case weak("new_password: password", in["new_password"]):
		default:
			f.users[c.Subject] = [2]string{in["new_password"], u[1]}
			f.revokeUser(c.Subject)
			w.WriteHeader(204)
		}
	case route == "POST /me/logout-all":
		f.revokeUser(c.Subject)
		w.WriteHeader(204)
	case route == "POST /users":
		_, taken := f.users[strings.ToLower(in["username"])]
		switch {
		case strings.Contains(in["username"], " "):
			writeJSONError(w, 400, "invalid_request", "username may contain only letters")
		case taken:
			writeJSONError(w, 409, "user_exists", "a user with this name already exists")
		case weak("password", in["password"]):
		default:
			f.users[in["username"]] = [2]string{in["password"], in["role"]}
			w.WriteHeader(201)
		}
	case r.Method == http.MethodPut && reset:
		if _, ok := f.users[name]; !ok {
			writeJSONError(w, 404, "not_found", "no such user")
		} else if !weak("password", in["password"]) {
			f.users[name] = [2]string{in["password"], f.users[name][1]}
			f.revokeUser(name)
			w.WriteHeader(204)
		}
	case r.Method == http.MethodDelete && !reset:
		switch _, ok := f.users[name]; {
		case name == c.Subject:
			writeJSONError(w, 409, "cannot_delete_self", "you cannot delete your own account")
		case !ok:
			writeJSONError(w, 404, "not_found", "no such user")
		default:
			delete(f.users, name)
			f.revokeUser(name)
			w.WriteHeader(204)
		}
	default:
		writeJSONError(w, 404, "not_found", "no route")
	}
	return true
}

func randToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (f *fakeAuth) pair(w http.ResponseWriter, user, role, family string) string {
	return f.pairWith(w, user, role, family, randToken())
}

// pairWith answers with a new access token and the refresh token rt.
func (f *fakeAuth) pairWith(w http.ResponseWriter, user, role, family, rt string) string {
	access, _, err := f.issuer.Issue(user, role)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return ""
	}
	if f.refresh[rt] == nil {
		f.refresh[rt] = &refreshEntry{user: user, role: role, family: family}
	}
	body := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(tokenTTL.Seconds()),
		"refresh_token": rt, "token": access}
	if f.familyTTL > 0 {
		exp, ok := f.familyExp[family]
		if !ok {
			exp = f.clock.Now().Add(f.familyTTL)
			f.familyExp[family] = exp
		}
		body["refresh_expires_in"] = int(exp.Sub(f.clock.Now()).Seconds())
	}
	writeJSON(w, 200, body)
	return rt
}

func (f *fakeAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.requestIDs != nil {
		f.requestIDs <- r.Method + " " + r.URL.Path + " " + r.Header.Get("X-Request-Id")
	}
	if f.down.Load() {
		writeJSONError(w, 503, "unavailable", "down for the test")
		return
	}
	var in map[string]string
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		_ = json.NewDecoder(r.Body).Decode(&in)
	}
	if f.accountCall(w, r, in) {
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /login":
		f.loginCalls.Add(1)
		client := "unverified"
		if v, err := clientaddr.NewVerifier(f.keys); err == nil {
			if a, err := v.Verify(r.Header.Get(clientaddr.Header), time.Now()); err == nil {
				client = a.String()
			}
		}
		f.lastClient.Store(client)
		if f.rateLimit.Load() {
			w.Header().Set("Retry-After", "42")
			writeJSONError(w, 429, "rate_limited", "too many attempts")
			return
		}
		if len(in["password"]) > 72 {
			writeJSONError(w, 400, "invalid_request", "password must be at most 72 bytes")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		u, ok := f.users[in["username"]]
		if !ok || u[0] != in["password"] {
			writeJSONError(w, 401, "invalid_credentials", "invalid username or password")
			return
		}
		f.pair(w, in["username"], u[1], randToken())
	case "POST /refresh":
		f.refreshCalls.Add(1)
		if f.refreshDelay > 0 {
			time.Sleep(f.refreshDelay)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		e, ok := f.refresh[in["refresh_token"]]
		switch {
		case !ok || f.families[e.family]:
			writeJSONError(w, 401, "invalid_token", "refresh token invalid")
		case e.used && !f.refresh[e.next].used && f.clock.Now().Sub(e.usedAt) < fakeReuseInterval:
			f.pairWith(w, e.user, e.role, e.family, e.next)
		case e.used:
			f.families[e.family] = true // reuse: revoke the family
			writeJSONError(w, 401, "invalid_token", "refresh token reused")
		default:
			e.used, e.usedAt = true, f.clock.Now()
			e.next = f.pair(w, e.user, e.role, e.family)
		}
	case "POST /logout":
		f.mu.Lock()
		defer f.mu.Unlock()
		if e, ok := f.refresh[in["refresh_token"]]; ok {
			f.families[e.family] = true
		}
		w.WriteHeader(204)
	case "GET /users":
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		v, _ := jwtauth.NewVerifier(f.keys, jwtauth.VerifierConfig{Now: f.clock.fn()})
		c, err := v.Verify(tok)
		if err != nil {
			writeJSONError(w, 401, "invalid_token", "bad token")
			return
		}
		if c.Role != "admin" {
			writeJSONError(w, 403, "forbidden", "admins only")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		created := map[string]string{"alice": "2026-11-01T09:00:00Z", "bob": "2026-11-02T10:30:00Z"}
		list := []map[string]string{}
		for _, name := range slices.Sorted(maps.Keys(f.users)) {
			list = append(list, map[string]string{"username": name, "role": f.users[name][1], "created_at": cmp.Or(created[name], "2026-11-22T12:00:00Z")})
		}
		writeJSON(w, 200, map[string]any{"users": list})
	case "GET /token-key":
		writeJSON(w, 200, map[string]string{"alg": "HS256", "kid": f.keys.Current().ID(), "issuer": f.iss})
	default:
		writeJSONError(w, 404, "not_found", "no route")
	}
}

func (f *fakeAuth) familyRevoked(refreshToken string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.refresh[refreshToken]
	return ok && f.families[e.family]
}

// env is a web-frontend wired to a fake auth-api.
type env struct {
	h        http.Handler
	log      *slog.Logger
	rd       *renderer
	deps     Deps
	sessions *session.Manager
	fake     *fakeAuth
	authSrv  *httptest.Server
	clock    *clock
	keys     *secretkey.Keys
	codec    *session.Codec
	verifier *jwtauth.Verifier
	opts     Options
	logs     *syncBuffer
}

type envConfig struct {
	secret, previous string // the frontend's keys (default testSecret)
	authSecret       string // the fake auth-api's key (default testSecret)
	insecure         bool
	trusted          string
	allowedHosts     []string // Options.AllowedHosts
	metricsToken     string   // Options.MetricsToken
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(tb testing.TB, cfg envConfig) *env {
	tb.Helper()
	if cfg.secret == "" {
		cfg.secret = testSecret
	}
	if cfg.authSecret == "" {
		cfg.authSecret = testSecret
	}
	clk := newClock()
	e := &env{clock: clk, fake: newFakeAuth(tb, cfg.authSecret, clk), logs: &syncBuffer{}}
	e.authSrv = httptest.NewServer(e.fake)
	tb.Cleanup(e.authSrv.Close)

	var err error
	if e.keys, err = secretkey.NewKeys(cfg.secret, cfg.previous); err != nil {
		tb.Fatal(err)
	}
	if e.verifier, err = jwtauth.NewVerifier(e.keys, jwtauth.VerifierConfig{Leeway: jwtauth.MaxLeeway, Now: clk.fn()}); err != nil {
		tb.Fatal(err)
	}
	if e.codec, err = session.NewCodec(e.keys, !cfg.insecure); err != nil {
		tb.Fatal(err)
	}
	pgs, err := pages.Parse(os.DirFS("../.."))
	if err != nil {
		tb.Fatal(err)
	}
	mets, err := metrics.NewMetrics()
	if err != nil {
		tb.Fatal(err)
	}
	u, _ := url.Parse(e.authSrv.URL)
	proxies, err := config.ParseProxies(cfg.trusted)
	if err != nil {
		tb.Fatal(err)
	}
	e.opts = Options{Keys: e.keys, Issuer: jwtauth.DefaultIssuer, TrustedProxies: proxies, Version: "test",
		HSTS: !cfg.insecure, AllowedHosts: cfg.allowedHosts, MetricsToken: cfg.metricsToken}
	var logw io.Writer = e.logs
	e.log = slog.New(requestid.LogHandler(slog.NewJSONHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug})))
	auth := authclient.New(u, nil)
	if err := auth.UseKeys(e.keys); err != nil {
		tb.Fatal(err)
	}
	e.sessions, err = session.NewManager(e.log, e.codec, e.verifier, auth, session.Options{Now: clk.fn(), Observe: mets.Session})
	if err != nil {
		tb.Fatal(err)
	}
	e.deps = Deps{
		Sessions: e.sessions, Auth: auth, Pages: pgs,
		Static: os.DirFS("../../static"), Metrics: mets, Now: clk.fn(),
	}
	e.rd = &renderer{log: e.log, pages: pgs, version: "test", sessions: e.sessions}
	e.h = NewServer(e.log, e.opts, e.deps)
	return e
}

// do serves one request and returns the recorded response.
func (e *env) do(tb testing.TB, r *http.Request) *httptest.ResponseRecorder {
	tb.Helper()
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
		tb.Errorf("%s %s: got status %d", r.Method, r.URL, w.Code)
	}
	return w
}

func get(path string, cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

func postForm(path string, form url.Values, cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// sessionCookie returns the session cookie set by w, or nil.
func (e *env) sessionCookie(w *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == e.codec.Name() {
			return c
		}
	}
	return nil
}

// login logs user in through the form and returns the session cookie.
func (e *env) login(tb testing.TB, user string) *http.Cookie {
	tb.Helper()
	w := e.do(tb, postForm("/login", url.Values{"username": {user}, "password": {fakeUsers()[user][0]}}))
	if w.Code != http.StatusSeeOther {
		tb.Fatalf("login %s: got status %d, want 303: %s", user, w.Code, w.Body)
	}
	c := e.sessionCookie(w)
	if c == nil || c.Value == "" {
		tb.Fatalf("login %s: no session cookie", user)
	}
	return c
}

// wantLoginRedirect checks a redirect to the login page, with the expiry
// message when expired is true, and that the cookie is cleared then.
func (e *env) wantLoginRedirect(tb testing.TB, w *httptest.ResponseRecorder, expired bool) {
	tb.Helper()
	if w.Code != http.StatusSeeOther {
		tb.Fatalf("got status %d, want 303 to /login: %s", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || loc.Path != "/login" {
		tb.Fatalf("got Location %q, want /login", w.Header().Get("Location"))
	}
	if got := loc.Query().Get("msg") == pages.MsgExpired; got != expired {
		tb.Errorf("got Location %q, want expiry message %v", loc, expired)
	}
	if expired {
		c := e.sessionCookie(w)
		if c == nil || c.MaxAge >= 0 {
			tb.Errorf("session cookie not cleared: %v", w.Header().Values("Set-Cookie"))
		}
	}
}

func rawPost(path, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func httptestRequest(method, path string) *http.Request {
	return httptest.NewRequest(method, path, nil)
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
