package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/web-frontend/internal/authclient"
)

const tokenTTL = 30 * time.Minute

// testClock is a fake clock shared by the issuer, the Verifier and the
// Manager, so expiry is tested without sleeping.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeAuth is an in-process auth-api: refresh rotation (a used or unknown
// refresh token is refused with 401), logout, and failure on demand.
type fakeAuth struct {
	tb     testing.TB
	issuer *jwtauth.Issuer

	mu      sync.Mutex
	live    map[string]bool // refresh tokens that may still be used
	revoked []string

	refreshes atomic.Int64
	fail      atomic.Value // error: returned by Refresh when set
	// expiresIn, when set, is the refresh_expires_in of every pair.
	expiresIn atomic.Int64
	gate      chan struct{} // when set, Refresh waits for it to close
}

func newFakeAuth(tb testing.TB, keys *secretkey.Keys, clk *testClock) *fakeAuth {
	tb.Helper()
	is, err := jwtauth.NewIssuer(keys, jwtauth.IssuerConfig{TTL: tokenTTL, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return &fakeAuth{tb: tb, issuer: is, live: map[string]bool{}}
}

// pair issues a new pair for bob, as /login would.
func (f *fakeAuth) pair() authclient.Tokens {
	f.tb.Helper()
	access, _, err := f.issuer.Issue("bob", "user")
	if err != nil {
		f.tb.Fatal(err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	rt := base64.RawURLEncoding.EncodeToString(b)
	f.mu.Lock()
	f.live[rt] = true
	f.mu.Unlock()
	return authclient.Tokens{AccessToken: access, TokenType: "Bearer", RefreshToken: rt, RefreshExpiresIn: f.expiresIn.Load()}
}

func (f *fakeAuth) Refresh(ctx context.Context, rt string) (authclient.Tokens, error) {
	f.refreshes.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return authclient.Tokens{}, ctx.Err()
		}
	}
	if err, ok := f.fail.Load().(error); ok && err != nil {
		return authclient.Tokens{}, err
	}
	f.mu.Lock()
	ok := f.live[rt]
	delete(f.live, rt)
	f.mu.Unlock()
	if !ok {
		return authclient.Tokens{}, &authclient.Error{Status: http.StatusUnauthorized, Code: "invalid_token"}
	}
	return f.pair(), nil
}

func (f *fakeAuth) Logout(_ context.Context, rt string) error {
	if err, ok := f.fail.Load().(error); ok && err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, rt)
	return nil
}

// harness is a Manager wired to a fake auth-api and a fake clock.
type harness struct {
	m        *Manager
	auth     *fakeAuth
	clock    *testClock
	codec    *Codec
	outcomes *strings.Builder
}

func newHarness(tb testing.TB, opts Options) *harness {
	tb.Helper()
	keys, err := secretkey.NewKeys(testSecret, "")
	if err != nil {
		tb.Fatal(err)
	}
	clk := newTestClock()
	v, err := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Leeway: jwtauth.MaxLeeway, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	codec, err := NewCodec(keys, true)
	if err != nil {
		tb.Fatal(err)
	}
	h := &harness{auth: newFakeAuth(tb, keys, clk), clock: clk, codec: codec, outcomes: &strings.Builder{}}
	var mu sync.Mutex
	opts.Now = clk.Now
	opts.Observe = func(outcome, reason string) {
		mu.Lock()
		defer mu.Unlock()
		h.outcomes.WriteString(outcome + "/" + reason + " ")
	}
	h.m, err = NewManager(slog.New(slog.NewJSONHandler(io.Discard, nil)), codec, v, h.auth, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// cookie seals t into a session cookie.
func (h *harness) cookie(tb testing.TB, t authclient.Tokens) *http.Cookie {
	tb.Helper()
	v, err := h.codec.Encode(Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken})
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Cookie{Name: h.codec.Name(), Value: v}
}

// load runs Load on a request with cookies and returns the session cookie
// it set, if any.
func (h *harness) load(cookies ...*http.Cookie) (*Auth, *http.Cookie, error) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a, err := h.m.Load(w, r)
	var set *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == h.codec.Name() {
			set = c
		}
	}
	return a, set, err
}

func TestLoad(t *testing.T) {
	type cookieState int
	const (
		untouched cookieState = iota
		renewed
		cleared
	)
	tests := []struct {
		name     string
		cookies  func(*harness, tokensOf) []*http.Cookie
		setup    func(*harness)
		advance  time.Duration
		wantErr  error // nil: a session
		want     cookieState
		wantRefr int64
		outcome  string
	}{
		{name: "no cookie", cookies: func(*harness, tokensOf) []*http.Cookie { return nil },
			wantErr: ErrNoSession},
		{name: "empty cookie", cookies: func(h *harness, _ tokensOf) []*http.Cookie {
			return []*http.Cookie{{Name: h.codec.Name(), Value: ""}}
		}, wantErr: ErrNoSession},
		{name: "valid", outcome: "ok/"},
		{name: "truncated", cookies: mangle(func(v string) string { return v[:len(v)-7] }),
			wantErr: ErrExpired, want: cleared, outcome: "invalid/cookie"},
		{name: "tampered", cookies: mangle(func(v string) string {
			b, _ := base64.RawURLEncoding.DecodeString(v)
			b[len(b)/2] ^= 0x40
			return base64.RawURLEncoding.EncodeToString(b)
		}), wantErr: ErrExpired, want: cleared, outcome: "invalid/cookie"},
		{name: "not base64", cookies: mangle(func(string) string { return "%%%not-base64%%%" }),
			wantErr: ErrExpired, want: cleared},
		{name: "oversized", cookies: mangle(func(string) string { return strings.Repeat("A", 8000) }),
			wantErr: ErrExpired, want: cleared},
		{name: "sealed under another key", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			ks, _ := secretkey.NewKeys(otherSecret, "")
			other, _ := NewCodec(ks, true)
			v, _ := other.Encode(Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken})
			return []*http.Cookie{{Name: h.codec.Name(), Value: v}}
		}, wantErr: ErrExpired, want: cleared, outcome: "invalid/cookie"},
		{name: "token signed with another key inside", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			ks, _ := secretkey.NewKeys(otherSecret, "")
			is, _ := jwtauth.NewIssuer(ks, jwtauth.IssuerConfig{TTL: time.Hour, Now: h.clock.Now})
			forged, _, _ := is.Issue("bob", "admin")
			return []*http.Cookie{h.cookie(t.tb(), authclient.Tokens{AccessToken: forged, RefreshToken: t.RefreshToken})}
		}, wantErr: ErrExpired, want: cleared},
		{name: "junk then a real session", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			return []*http.Cookie{{Name: h.codec.Name(), Value: "junk"}, h.cookie(t.tb(), t.Tokens)}
		}, outcome: "ok/"},
		{name: "a real session then junk", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			return []*http.Cookie{h.cookie(t.tb(), t.Tokens), {Name: h.codec.Name(), Value: "junk"}}
		}, outcome: "ok/"},
		// Issue 14 item 8: a second real session, planted by a sibling
		// site under a more specific path, was taken when it came first.
		{name: "planted session first", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			return []*http.Cookie{h.cookie(t.tb(), h.auth.pair()), h.cookie(t.tb(), t.Tokens)}
		}, wantErr: ErrExpired, want: cleared, outcome: "invalid/two_cookies"},
		{name: "planted session second", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			return []*http.Cookie{h.cookie(t.tb(), t.Tokens), {Name: h.codec.Name(), Value: "junk"}, h.cookie(t.tb(), h.auth.pair())}
		}, wantErr: ErrExpired, want: cleared, outcome: "invalid/two_cookies"},
		{name: "the same session twice", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			return []*http.Cookie{h.cookie(t.tb(), t.Tokens), h.cookie(t.tb(), t.Tokens)}
		}, wantErr: ErrExpired, want: cleared, outcome: "invalid/two_cookies"},
		{name: "another app's plain session cookie", cookies: func(h *harness, t tokensOf) []*http.Cookie {
			return []*http.Cookie{{Name: "session", Value: "other-app"}, h.cookie(t.tb(), t.Tokens)}
		}, outcome: "ok/"},
		{name: "two junk cookies", cookies: func(h *harness, _ tokensOf) []*http.Cookie {
			return []*http.Cookie{{Name: h.codec.Name(), Value: "junk"}, {Name: h.codec.Name(), Value: "more-junk"}}
		}, wantErr: ErrExpired, want: cleared},
		{name: "expired, renewed", advance: tokenTTL + time.Minute, want: renewed, wantRefr: 1, outcome: "refreshed/"},
		{name: "inside the leeway, renewed eagerly", advance: tokenTTL + 5*time.Second, want: renewed, wantRefr: 1},
		{name: "expired, refresh refused", advance: tokenTTL + time.Minute,
			setup:   func(h *harness) { h.auth.fail.Store(error(&authclient.Error{Status: http.StatusUnauthorized})) },
			wantErr: ErrExpired, want: cleared, wantRefr: 1, outcome: "expired/refresh_rejected"},
		{name: "expired, auth-api down", advance: tokenTTL + time.Minute,
			setup:   func(h *harness) { h.auth.fail.Store(error(authclient.ErrUnavailable)) },
			wantErr: ErrUnavailable, want: untouched, wantRefr: 1, outcome: "unavailable/"},
		{name: "inside the leeway, auth-api down: served", advance: tokenTTL + 5*time.Second,
			setup: func(h *harness) { h.auth.fail.Store(error(authclient.ErrUnavailable)) },
			want:  untouched, wantRefr: 1, outcome: "ok/renewal_deferred"},
		{name: "expired, renewed token does not verify", advance: tokenTTL + time.Minute,
			setup: func(h *harness) {
				ks, _ := secretkey.NewKeys(otherSecret, "")
				h.auth.issuer, _ = jwtauth.NewIssuer(ks, jwtauth.IssuerConfig{TTL: tokenTTL, Now: h.clock.Now})
			}, wantErr: ErrExpired, want: cleared, wantRefr: 1, outcome: "invalid/renewed_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			pair := h.auth.pair()
			cookies := []*http.Cookie{h.cookie(t, pair)}
			if tt.cookies != nil {
				cookies = tt.cookies(h, tokensOf{pair, t})
			}
			if tt.setup != nil {
				tt.setup(h)
			}
			h.clock.Advance(tt.advance)
			a, set, err := h.load(cookies...)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("got error %v, want a session", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && (a == nil || a.Claims.Subject != "bob"):
				t.Fatalf("got session %+v, want bob's", a)
			}
			var got cookieState
			switch {
			case set == nil:
				got = untouched
			case set.MaxAge < 0:
				got = cleared
			default:
				got = renewed
				s, err := h.codec.Decode(set.Value)
				if err != nil || s.RefreshToken == pair.RefreshToken || s.AccessToken != a.AccessToken {
					t.Errorf("renewed cookie does not carry the new pair (err %v)", err)
				}
			}
			if got != tt.want {
				t.Errorf("got cookie state %d, want %d", got, tt.want)
			}
			if n := h.auth.refreshes.Load(); n != tt.wantRefr {
				t.Errorf("got %d refreshes, want %d", n, tt.wantRefr)
			}
			if tt.outcome != "" && !strings.Contains(h.outcomes.String(), tt.outcome) {
				t.Errorf("got outcomes %q, want %q", h.outcomes.String(), tt.outcome)
			}
		})
	}
}

// tokensOf is a pair with the test it belongs to, for the cookie builders.
type tokensOf struct {
	authclient.Tokens
	t testing.TB
}

func (p tokensOf) tb() testing.TB { return p.t }

// mangle returns a cookie builder that rewrites a real cookie's value.
func mangle(f func(string) string) func(*harness, tokensOf) []*http.Cookie {
	return func(h *harness, p tokensOf) []*http.Cookie {
		c := h.cookie(p.t, p.Tokens)
		c.Value = f(c.Value)
		return []*http.Cookie{c}
	}
}

func TestConcurrentLoadsShareOneRefresh(t *testing.T) {
	// In a synctest bubble, synctest.Wait returns once every request is
	// blocked: one in the refresh call, the others waiting for its answer.
	// (Waiting a fixed time instead, as this test once did, let a request
	// arrive after the refresh had returned on a loaded machine; it then
	// presented the rotated refresh token again, which the real auth-api
	// answers within its reuse interval and this fake refuses.)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Options{})
		h.auth.gate = make(chan struct{})
		ck := h.cookie(t, h.auth.pair())
		h.clock.Advance(tokenTTL + time.Minute)

		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, _, errs[i] = h.load(ck) })
		}
		synctest.Wait()
		if got := h.auth.refreshes.Load(); got != 1 {
			t.Errorf("with %d requests waiting: got %d refresh calls, want 1", n, got)
		}
		close(h.auth.gate)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}
		if got := h.auth.refreshes.Load(); got != 1 {
			t.Errorf("got %d refreshes, want 1", got)
		}
	})
}

// The Manager remembers no renewal: once the one shared refresh has
// returned, the old cookie goes to auth-api again (whose reuse interval
// answers it with the same successor; this fake refuses it).
func TestNoRenewalMemory(t *testing.T) {
	h := newHarness(t, Options{})
	old := h.cookie(t, h.auth.pair())
	h.clock.Advance(tokenTTL + time.Minute)
	if _, set, err := h.load(old); err != nil || set == nil {
		t.Fatalf("renewal: %v", err)
	}
	if _, _, err := h.load(old); !errors.Is(err, ErrExpired) {
		t.Errorf("the old cookie again: got %v, want auth-api's refusal (ErrExpired)", err)
	}
	if n := h.auth.refreshes.Load(); n != 2 {
		t.Errorf("got %d refreshes, want 2", n)
	}
}

func TestStart(t *testing.T) {
	h := newHarness(t, Options{})
	w := httptest.NewRecorder()
	pair := h.auth.pair()
	c, err := h.m.Start(w, pair)
	if err != nil || c.Subject != "bob" {
		t.Fatalf("got %v, %v", c, err)
	}
	set := w.Result().Cookies()
	if len(set) != 1 || set[0].Name != h.codec.Name() || !set[0].HttpOnly || !set[0].Secure {
		t.Fatalf("got cookies %v", set)
	}
	if s, err := h.codec.Decode(set[0].Value); err != nil || s.AccessToken != pair.AccessToken || s.RefreshToken != pair.RefreshToken {
		t.Errorf("the cookie does not carry the pair (err %v)", err)
	}

	ks, _ := secretkey.NewKeys(otherSecret, "")
	is, _ := jwtauth.NewIssuer(ks, jwtauth.IssuerConfig{TTL: time.Hour, Now: h.clock.Now})
	foreign, _, _ := is.Issue("bob", "user")
	w = httptest.NewRecorder()
	if _, err := h.m.Start(w, authclient.Tokens{AccessToken: foreign, RefreshToken: "r"}); !errors.Is(err, ErrMismatch) {
		t.Errorf("a token signed with another key: got %v, want ErrMismatch", err)
	}
	if len(w.Result().Cookies()) != 0 {
		t.Error("a refused pair set a cookie")
	}
}

func TestEnd(t *testing.T) {
	h := newHarness(t, Options{})
	pair := h.auth.pair()
	old := h.cookie(t, pair)
	h.clock.Advance(tokenTTL + time.Minute)
	_, set, _ := h.load(old)
	renewed, _ := h.codec.Decode(set.Value)

	// Ending with the old cookie (the browser had not stored the new one)
	// hands auth-api the old refresh token, which revokes its whole family
	// (the renewed token with it).
	r := httptest.NewRequest(http.MethodPost, "/logout", nil)
	r.AddCookie(old)
	w := httptest.NewRecorder()
	h.m.End(w, r)
	if got := h.auth.revoked; len(got) != 1 || got[0] != pair.RefreshToken || got[0] == renewed.RefreshToken {
		t.Errorf("revoked %v, want the old cookie's refresh token", got)
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Errorf("cookie not cleared: %v", c)
	}
	// Without a cookie, with junk, with auth-api down: the cookie is still
	// cleared.
	h.auth.fail.Store(error(authclient.ErrUnavailable))
	for _, c := range []*http.Cookie{nil, {Name: h.codec.Name(), Value: "junk"}, h.cookie(t, pair)} {
		r := httptest.NewRequest(http.MethodPost, "/logout", nil)
		if c != nil {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.m.End(w, r)
		if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
			t.Errorf("cookie not cleared: %v", c)
		}
	}
}

func TestLive(t *testing.T) {
	h := newHarness(t, Options{})
	ck := h.cookie(t, h.auth.pair())
	live := func(cookies ...*http.Cookie) bool {
		r := httptest.NewRequest(http.MethodGet, "/login", nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		return h.m.Live(r)
	}
	if !live(ck) {
		t.Error("a valid session is not live")
	}
	if live() || live(&http.Cookie{Name: h.codec.Name(), Value: "junk"}) {
		t.Error("no session or junk is live")
	}
	h.clock.Advance(tokenTTL + time.Second) // inside the leeway, but past exp
	if live(ck) {
		t.Error("an expired session is live")
	}
	if h.auth.refreshes.Load() != 0 {
		t.Error("Live renewed a session")
	}
}

// A hung auth-api costs a bounded wait, then ErrUnavailable (a 503), and
// the cookie is kept; a client that goes away is let go at once.
func TestAuthAPIHangs(t *testing.T) {
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) })
	u, _ := url.Parse(hung.URL)

	h := newHarness(t, Options{})
	ck := h.cookie(t, h.auth.pair())
	keys, _ := secretkey.NewKeys(testSecret, "")
	v, _ := jwtauth.NewVerifier(keys, jwtauth.VerifierConfig{Leeway: jwtauth.MaxLeeway, Now: h.clock.Now})
	m, err := NewManager(slog.New(slog.NewJSONHandler(io.Discard, nil)), h.codec, v, authclient.New(u, nil),
		Options{Now: h.clock.Now, RefreshTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(tokenTTL + time.Minute)

	tests := []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		wantIs error
	}{
		{"auth-api hangs", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.DeadlineExceeded},
		{"client gone", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
			r.AddCookie(ck)
			w := httptest.NewRecorder()
			done := make(chan error, 1)
			go func() { _, err := m.Load(w, r); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrUnavailable) || !errors.Is(err, tt.wantIs) {
					t.Errorf("got %v, want ErrUnavailable wrapping %v", err, tt.wantIs)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Load hung on a hung auth-api")
			}
			if len(w.Result().Cookies()) != 0 {
				t.Error("the cookie was changed; it must be kept for when auth-api is back")
			}
		})
	}
}

func TestNewManagerNeedsItsParts(t *testing.T) {
	if _, err := NewManager(slog.New(slog.NewJSONHandler(io.Discard, nil)), nil, nil, nil, Options{}); err == nil {
		t.Error("NewManager accepted nil dependencies")
	}
}

// The cookie carries the refresh family's expiry from the login's
// refresh_expires_in; a renewal takes auth-api's new figure, or keeps the
// cookie's when auth-api does not say; a version 1 cookie has none.
func TestRefreshExpiry(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name       string
		loginIn    int64 // refresh_expires_in at login (0: absent)
		v1         bool  // the cookie is of version 1
		refreshIn  int64 // refresh_expires_in of the renewal (0: absent)
		wantBefore time.Duration
		wantAfter  time.Duration // from the start; 0: unknown
	}{
		{name: "login says 30 days, renewal says 29 days 23 h", loginIn: int64(30 * day / time.Second), refreshIn: int64((30*day - tokenTTL - time.Minute) / time.Second),
			wantBefore: 30 * day, wantAfter: 30 * day},
		{name: "renewal does not say: kept", loginIn: int64(30 * day / time.Second), wantBefore: 30 * day, wantAfter: 30 * day},
		{name: "older auth-api: unknown throughout"},
		{name: "version 1 cookie, renewal says", v1: true, refreshIn: int64(10 * day / time.Second), wantAfter: 10*day + tokenTTL + time.Minute},
		{name: "version 1 cookie, renewal does not say", v1: true},
		{name: "absurd figure ignored", loginIn: 1 << 40},
		{name: "negative figure ignored", loginIn: -30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			start := h.clock.Now()
			h.auth.expiresIn.Store(tt.loginIn)
			var ck *http.Cookie
			if tt.v1 {
				ck = &http.Cookie{Name: h.codec.Name()}
				p := h.auth.pair()
				ck.Value = sealV1(h.codec, Session{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken})
			} else {
				w := httptest.NewRecorder()
				if _, err := h.m.Start(w, h.auth.pair()); err != nil {
					t.Fatal(err)
				}
				ck = w.Result().Cookies()[0]
			}
			want := func(d time.Duration) time.Time {
				if d == 0 {
					return time.Time{}
				}
				return start.Add(d)
			}
			a, _, err := h.load(ck)
			if err != nil || !a.RefreshExpires.Equal(want(tt.wantBefore)) {
				t.Fatalf("before renewal: got %v, %v; want %v", a, err, want(tt.wantBefore))
			}
			h.clock.Advance(tokenTTL + time.Minute)
			h.auth.expiresIn.Store(tt.refreshIn)
			a, set, err := h.load(ck)
			if err != nil || set == nil || !a.RefreshExpires.Equal(want(tt.wantAfter)) {
				t.Fatalf("renewal: got %+v, %v; want %v", a, err, want(tt.wantAfter))
			}
			if s, err := h.codec.Decode(set.Value); err != nil || !s.RefreshExpires.Equal(want(tt.wantAfter)) {
				t.Errorf("renewed cookie: got %v, %v; want %v", s.RefreshExpires, err, want(tt.wantAfter))
			}
		})
	}
}
