package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/revocation"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

// Test secrets are fresh for every run, as the secret policy wants them.
var testSecret, otherSecret = servicetest.NewSecret(), servicetest.NewSecret()

const (
	adminPassword  = "admin-pass-1"
	alicePassword  = "alice-pass-1"
	testRemoteAddr = "192.0.2.1"
)

// clock is a settable time source for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testCost is bcrypt's minimum cost, for speed; the cost does not change
// what the handlers do.
const testCost = 4

// testConfig is what a test may change: the server's configuration and the
// account service's.
type testConfig struct {
	Config
	Accounts account.Config
	// LogTo receives the server's log at debug level; nothing when nil.
	LogTo io.Writer
}

type testServer struct {
	*Server
	store    *store.SQLite
	accounts *account.Service
	clock    *clock
	keys     *secretkey.Keys
	verifier *jwtauth.Verifier
	log      *slog.Logger
	cfg      testConfig
}

// newTestServer returns a server on a fresh database with an admin ("admin")
// and a user ("alice"), passwords hashed at testCost.
func newTestServer(tb testing.TB, opts ...func(*testConfig)) *testServer {
	tb.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(tb.TempDir(), "auth.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Now().Truncate(time.Second)}
	for _, u := range []struct{ name, pass, role string }{{"admin", adminPassword, "admin"}, {"alice", alicePassword, "user"}} {
		h, err := account.HashPassword(u.pass, testCost)
		if err != nil {
			tb.Fatal(err)
		}
		if err := st.CreateUser(ctx, store.User{Username: u.name, PasswordHash: h, Role: u.role, CreatedAt: clk.Now()}); err != nil {
			tb.Fatal(err)
		}
	}
	keys, err := secretkey.NewKeys(testSecret, "")
	if err != nil {
		tb.Fatal(err)
	}
	revoked := revocation.NewSet()
	cfg := testConfig{
		Config:   Config{AccessTokenTTL: 30 * time.Minute, Revocations: revoked, Now: clk.Now},
		Accounts: account.Config{BcryptCost: testCost, RefreshTokenTTL: 168 * time.Hour, AccessTokenTTL: 30 * time.Minute, Revocations: revoked, Keys: keys, Now: clk.Now},
	}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if cfg.LogTo != nil {
		log = slog.New(slog.NewJSONHandler(cfg.LogTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.Accounts.Log = log
	accounts, err := account.New(st, cfg.Accounts)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewServer(log, cfg.Config, accounts, st, keys)
	if err != nil {
		tb.Fatal(err)
	}
	ver, err := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Issuer: jwtauth.DefaultIssuer, Audience: cfg.Audience, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return &testServer{Server: s, store: st, accounts: accounts, clock: clk, keys: keys, verifier: ver, log: log, cfg: cfg}
}

// request describes one call to the handler.
type request struct {
	method, path, body string
	contentType        string // "application/json" when empty and there is a body; "-" for none
	token              string
	header             map[string]string
	remote             string
}

func (ts *testServer) do(tb testing.TB, r request) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	switch {
	case r.contentType == "-":
	case r.contentType != "":
		req.Header.Set("Content-Type", r.contentType)
	case r.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	req.RemoteAddr = testRemoteAddr + ":1234"
	if r.remote != "" {
		req.RemoteAddr = r.remote + ":1234"
	}
	w := httptest.NewRecorder()
	ts.ServeHTTP(w, req)
	return w
}

// counters returns how many attempt counters the database holds.
func (ts *testServer) counters(tb testing.TB) int64 {
	tb.Helper()
	// Deleting the counters whose window ends in ten years counts them all.
	n, err := ts.store.DeleteStaleAttempts(context.Background(), ts.clock.Now().Add(10*365*24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func jsonBody(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func (ts *testServer) login(tb testing.TB, username, password string) tokenResponse {
	tb.Helper()
	w := ts.do(tb, request{method: "POST", path: "/login", body: jsonBody(tb, map[string]string{"username": username, "password": password})})
	if w.Code != http.StatusOK {
		tb.Fatalf("login %s: got %d %s, want 200", username, w.Code, w.Body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil {
		tb.Fatal(err)
	}
	return tr
}

// checkError checks that w is a JSON error with the status and code.
func checkError(tb testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	tb.Helper()
	if w.Code != status {
		tb.Errorf("got status %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("got Content-Type %q, want application/json", ct)
	}
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		tb.Fatalf("error body %q is not JSON: %v", w.Body, err)
	}
	if code != "" && e.Error != code {
		tb.Errorf("got error code %q, want %q (message %q)", e.Error, code, e.Message)
	}
	if e.Error == "" || e.Message == "" {
		tb.Errorf("error body %s lacks error or message", w.Body)
	}
}

func jwtDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func jwtEncode(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }
