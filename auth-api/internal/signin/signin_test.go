package signin_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/shared/servicetest"

	"github.com/jwt-micro-system/auth-api/internal/account"
	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/metrics"
	"github.com/jwt-micro-system/auth-api/internal/signin"
	"github.com/jwt-micro-system/auth-api/internal/store"
)

const (
	password   = "alice-pass-1"
	wrong      = "not-alices-pass"
	refreshTTL = 10 * time.Hour
	accessTTL  = 15 * time.Minute
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is the sign-in flows over their real dependencies: a fresh SQLite
// store, the account service, the limiter and the metrics, on one clock,
// with the user alice and a log that keeps every line.
type env struct {
	flows    *signin.Flows
	verifier *jwtauth.Verifier
	metrics  *metrics.Metrics
	clock    *clock
	log      *slog.Logger
	logs     *bytes.Buffer
}

type options struct {
	limits       bruteforce.Limits
	refreshLimit int
}

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := secretkey.NewKeys(servicetest.NewSecret(), "")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	accounts, err := account.New(st, account.Config{BcryptCost: 4, RefreshTokenTTL: refreshTTL, AccessTokenTTL: accessTTL,
		Keys: keys, RefreshLimit: o.refreshLimit, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.CreateUser(ctx, "alice", password, account.RoleUser); err != nil {
		t.Fatal(err)
	}
	iss, err := jwtauth.NewIssuer(keys, jwtauth.IssuerConfig{TTL: accessTTL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := bruteforce.New(st, o.limits)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	logs := &bytes.Buffer{}
	e := &env{flows: signin.New(accounts, iss, lim, m, clk.Now), verifier: ver, metrics: m, clock: clk,
		log: slog.New(slog.NewJSONHandler(logs, nil)), logs: logs}
	t.Cleanup(func() {
		// Whatever happened, no password reached the log.
		for _, p := range []string{password, wrong, "alice-pass-2"} {
			if strings.Contains(logs.String(), p) {
				t.Errorf("a password is in the log:\n%s", logs)
			}
		}
	})
	return e
}

// counted returns the value of the metric sample line that starts with
// sample (name and labels), 0 when absent.
func (e *env) counted(t *testing.T, sample string) string {
	t.Helper()
	w := httptest.NewRecorder()
	e.metrics.Handler("").ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.SplitSeq(w.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return "0"
}

// session verifies an access token and returns its claims.
func (e *env) session(t *testing.T, access string) *jwtauth.Claims {
	t.Helper()
	c, err := e.verifier.Verify(access)
	if err != nil {
		t.Fatalf("the access token does not verify: %v", err)
	}
	return c
}

func TestLogin(t *testing.T) {
	for _, tt := range []struct {
		name, user, pass string
		wantErr          error
		outcome          string
		logged           string
	}{
		{"right password", "alice", password, nil, "success", `"msg":"login","user":"alice","role":"user"`},
		{"name in another case", "ALICE", password, nil, "success", `"msg":"login","user":"alice"`},
		{"wrong password", "alice", wrong, account.ErrBadCredentials, "invalid_credentials", `"msg":"login failed","user":"alice","client_ip":"192.0.2.1"`},
		{"unknown user", "mallory", password, account.ErrBadCredentials, "invalid_credentials", `"msg":"login failed","user":"mallory"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, options{})
			tok, err := e.flows.Login(context.Background(), e.log, tt.user, tt.pass, "192.0.2.1")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if got := e.counted(t, `auth_api_logins_total{outcome="`+tt.outcome+`"}`); got != "1" {
				t.Errorf("logins counted as %s: %s, want 1", tt.outcome, got)
			}
			if !strings.Contains(e.logs.String(), tt.logged) {
				t.Errorf("log has no %s:\n%s", tt.logged, e.logs)
			}
			if err != nil {
				if tok != (signin.Tokens{}) {
					t.Errorf("a refused login returned tokens: %+v", tok)
				}
				return
			}
			c := e.session(t, tok.Access)
			if c.Subject != "alice" || c.Role != account.RoleUser || c.SessionID == "" {
				t.Errorf("claims %+v, want alice, user and a session id", c)
			}
			if tok.Refresh == "" || tok.AccessTTL != accessTTL || tok.SessionLeft != refreshTTL {
				t.Errorf("tokens %+v: want a refresh token, AccessTTL %s, SessionLeft %s", tok, accessTTL, refreshTTL)
			}
		})
	}
}

// Attempts count before the password is checked and only a right one
// forgives the username's failures, so once the limit is reached even the
// right password is refused, without being checked, until the window ends.
func TestLoginLimit(t *testing.T) {
	e := newEnv(t, options{limits: bruteforce.Limits{PerUsername: 2, PerAddress: 100, Window: time.Minute}})
	ctx := context.Background()
	for i, step := range []struct {
		pass    string
		wantErr error // for attempts the limiter lets through
		limited bool
	}{
		{pass: wrong, wantErr: account.ErrBadCredentials},
		{pass: password}, // forgives the failure before it
		{pass: wrong, wantErr: account.ErrBadCredentials},
		{pass: wrong, wantErr: account.ErrBadCredentials},
		{pass: password, limited: true},
	} {
		_, err := e.flows.Login(ctx, e.log, "alice", step.pass, "192.0.2.1")
		var limited *signin.LimitedError
		if step.limited {
			if !errors.As(err, &limited) || limited.Refresh || limited.Wait <= 0 || limited.Wait > time.Minute {
				t.Fatalf("attempt %d: got %v, want a login LimitedError with a wait up to 1m", i+1, err)
			}
		} else if !errors.Is(err, step.wantErr) || (step.wantErr == nil) != (err == nil) {
			t.Fatalf("attempt %d: got %v, want %v", i+1, err, step.wantErr)
		}
	}
	if got := e.counted(t, `auth_api_logins_total{outcome="rate_limited"}`); got != "1" {
		t.Errorf("rate-limited logins counted: %s, want 1", got)
	}
	if !strings.Contains(e.logs.String(), `"msg":"login rate limited","user":"alice"`) {
		t.Errorf("the refusal is not logged:\n%s", e.logs)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.flows.Login(ctx, e.log, "alice", password, "192.0.2.1"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()
	login := func(t *testing.T, e *env) signin.Tokens {
		t.Helper()
		tok, err := e.flows.Login(ctx, e.log, "alice", password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	rotate := func(t *testing.T, e *env, presented string) signin.Tokens {
		t.Helper()
		next, err := e.flows.Refresh(ctx, e.log, presented, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		return next
	}

	t.Run("rotates within the session", func(t *testing.T) {
		e := newEnv(t, options{})
		first := login(t, e)
		sid := e.session(t, first.Access).SessionID
		e.clock.Advance(time.Hour) // the access token has expired, the session goes on
		next := rotate(t, e, first.Refresh)
		if next.Refresh == first.Refresh || next.Refresh == "" {
			t.Errorf("the refresh token was not rotated: %q", next.Refresh)
		}
		if c := e.session(t, next.Access); c.SessionID != sid || c.Subject != "alice" {
			t.Errorf("new access token %+v, want alice in session %s", c, sid)
		}
		if next.SessionLeft != refreshTTL-time.Hour {
			t.Errorf("SessionLeft %s, want %s: rotation must not extend the session", next.SessionLeft, refreshTTL-time.Hour)
		}
		if got := e.counted(t, `auth_api_refreshes_total{outcome="success"}`); got != "1" {
			t.Errorf("refreshes counted: %s, want 1", got)
		}
	})

	t.Run("reuse revokes the family", func(t *testing.T) {
		e := newEnv(t, options{})
		first := login(t, e)
		next := rotate(t, e, first.Refresh)
		_, err := e.flows.Refresh(ctx, e.log, first.Refresh, "192.0.2.1")
		var refused *account.RefreshError
		if !errors.As(err, &refused) || refused.Outcome != account.OutcomeReused {
			t.Fatalf("replayed token: got %v, want outcome %s", err, account.OutcomeReused)
		}
		if _, err := e.flows.Refresh(ctx, e.log, next.Refresh, "192.0.2.1"); !errors.Is(err, account.ErrRefreshRefused) {
			t.Errorf("the family's newest token after the reuse: %v, want refused", err)
		}
		if got := e.counted(t, `auth_api_refreshes_total{outcome="reused"}`); got != "1" {
			t.Errorf("reuses counted: %s, want 1", got)
		}
		if !strings.Contains(e.logs.String(), `"msg":"refresh token reused; its family is revoked","outcome":"reused","user":"alice"`) {
			t.Errorf("the reuse is not logged as a warning with its user:\n%s", e.logs)
		}
	})

	t.Run("hostile tokens", func(t *testing.T) {
		e := newEnv(t, options{})
		for _, tok := range []string{"", "x", strings.Repeat("A", 10_000), "\x00\xff", tamper(login(t, e).Refresh)} {
			_, err := e.flows.Refresh(ctx, e.log, tok, "192.0.2.1")
			if !errors.Is(err, account.ErrRefreshRefused) {
				t.Errorf("Refresh(%.20q): %v, want refused", tok, err)
			}
		}
	})

	t.Run("per-address limit", func(t *testing.T) {
		e := newEnv(t, options{limits: bruteforce.Limits{RefreshPerAddress: 1, RefreshWindow: time.Minute}})
		tok := login(t, e)
		next := rotate(t, e, tok.Refresh)
		_, err := e.flows.Refresh(ctx, e.log, next.Refresh, "192.0.2.1")
		var limited *signin.LimitedError
		if !errors.As(err, &limited) || !limited.Refresh || limited.Wait <= 0 {
			t.Fatalf("second refresh from the address: %v, want a refresh LimitedError", err)
		}
		if _, err := e.flows.Refresh(ctx, e.log, next.Refresh, "198.51.100.7"); err != nil {
			t.Errorf("the refused attempt spent the token, or another address is limited too: %v", err)
		}
	})

	t.Run("per-family limit", func(t *testing.T) {
		e := newEnv(t, options{refreshLimit: 1})
		tok := login(t, e)
		next := rotate(t, e, tok.Refresh)
		_, err := e.flows.Refresh(ctx, e.log, next.Refresh, "192.0.2.1")
		var tooMany *account.TooManyRefreshesError
		if !errors.Is(err, account.ErrTooManyRefreshes) || !errors.As(err, &tooMany) || tooMany.Wait <= 0 {
			t.Fatalf("second rotation of the family: %v, want ErrTooManyRefreshes with a wait", err)
		}
		if got := e.counted(t, `auth_api_refreshes_total{outcome="rate_limited"}`); got != "1" {
			t.Errorf("rate-limited refreshes counted: %s, want 1", got)
		}
	})
}

// tamper returns tok with one character in its middle changed (the last
// character of base64 may carry unused bits, the middle ones never do).
func tamper(tok string) string {
	b := []byte(tok)
	if i := len(b) / 2; b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()

	t.Run("ends every session", func(t *testing.T) {
		e := newEnv(t, options{})
		tok, err := e.flows.Login(ctx, e.log, "alice", password, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.flows.ChangePassword(ctx, e.log, "alice", password, "alice-pass-2", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.flows.Refresh(ctx, e.log, tok.Refresh, "192.0.2.1"); !errors.Is(err, account.ErrRefreshRefused) {
			t.Errorf("a refresh token from before the change: %v, want refused", err)
		}
		if _, err := e.flows.Login(ctx, e.log, "alice", password, "192.0.2.1"); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("the old password: %v, want refused", err)
		}
		if _, err := e.flows.Login(ctx, e.log, "alice", "alice-pass-2", "192.0.2.1"); err != nil {
			t.Errorf("the new password: %v", err)
		}
	})

	// A change that could never succeed is refused before the limiter and
	// costs no attempt; a wrong current password costs one.
	t.Run("limits", func(t *testing.T) {
		e := newEnv(t, options{limits: bruteforce.Limits{PerUsername: 1, PerAddress: 100, Window: time.Minute}})
		for i, step := range []struct {
			current, next string
			want          error
		}{
			{password, password, account.ErrInvalid},
			{"", "alice-pass-2", account.ErrInvalid},
			{password, "short", account.ErrInvalid},
			{wrong, "alice-pass-2", account.ErrWrongPassword},
		} {
			if err := e.flows.ChangePassword(ctx, e.log, "alice", step.current, step.next, "192.0.2.1"); !errors.Is(err, step.want) {
				t.Fatalf("step %d: got %v, want %v", i+1, err, step.want)
			}
		}
		err := e.flows.ChangePassword(ctx, e.log, "alice", password, "alice-pass-2", "192.0.2.1")
		var limited *signin.LimitedError
		if !errors.As(err, &limited) || limited.Refresh {
			t.Fatalf("after a wrong current password at a limit of 1: %v, want a LimitedError", err)
		}
		if _, err := e.flows.Login(ctx, e.log, "alice", password, "192.0.2.1"); !errors.As(err, &limited) {
			t.Errorf("login while the username is limited: %v, want a LimitedError", err)
		}
	})
}
