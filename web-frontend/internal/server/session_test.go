package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"

	"github.com/jwt-micro-system/shared/secretkey"
	"github.com/jwt-micro-system/web-frontend/internal/session"
)

func TestProtectedPagesNeedASession(t *testing.T) {
	e := newEnv(t, envConfig{})
	tests := []struct {
		path, wantLoc string
	}{
		{"/", "/login"},
		{"/admin", "/login?next=%2Fadmin"},
		{"/admin?tab=users", "/login?next=%2Fadmin%3Ftab%3Dusers"},
	}
	for _, tt := range tests {
		w := e.do(t, get(tt.path))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tt.wantLoc {
			t.Errorf("GET %s: got %d to %q, want 303 to %q", tt.path, w.Code, w.Header().Get("Location"), tt.wantLoc)
		}
	}
}

func TestBadCookiesGoBackToLogin(t *testing.T) {
	e := newEnv(t, envConfig{})
	good := e.login(t, "alice")
	raw, _ := base64.RawURLEncoding.DecodeString(good.Value)
	tampered := append([]byte(nil), raw...)
	tampered[len(tampered)/2] ^= 0x20

	foreignKeys, _ := secretkey.NewKeys(otherSecret, "")
	foreignCodec, _ := session.NewCodec(foreignKeys, true)
	foreignCookie, _ := foreignCodec.Encode(session.Session{AccessToken: "a.b.c", RefreshToken: "r"})

	// A cookie we sealed, but around a token signed by another key, and one
	// around a token with alg none.
	otherIssuer, _ := jwtauth.NewIssuer(foreignKeys, jwtauth.IssuerConfig{TTL: time.Hour, Now: e.clock.fn()})
	forgedTok, _, _ := otherIssuer.Issue("alice", "admin")
	forged, _ := e.codec.Encode(session.Session{AccessToken: forgedTok, RefreshToken: "r"})
	noneTok := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9."
	none, _ := e.codec.Encode(session.Session{AccessToken: noneTok, RefreshToken: "r"})
	garbageTok, _ := e.codec.Encode(session.Session{AccessToken: "garbage", RefreshToken: "r"})

	tests := []struct{ name, value string }{
		{"tampered", base64.RawURLEncoding.EncodeToString(tampered)},
		{"truncated", good.Value[:len(good.Value)-10]},
		{"oversized", strings.Repeat("A", 5000)},
		{"foreign key", foreignCookie},
		{"garbage", "hello"},
		{"forged token inside", forged},
		{"alg none inside", none},
		{"not a jwt inside", garbageTok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck := &http.Cookie{Name: e.codec.Name(), Value: tt.value}
			for _, path := range []string{"/", "/admin"} {
				w := e.do(t, get(path, ck))
				e.wantLoginRedirect(t, w, true)
			}
			w := e.do(t, get("/api/me", ck))
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("Content-Type"), "application/json") {
				t.Errorf("/api/me: got %d %s, want 401 JSON", w.Code, w.Header().Get("Content-Type"))
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] == "" || body["message"] == "" {
				t.Errorf("/api/me: got body %s, want {error, message}", w.Body)
			}
		})
	}
	if e.fake.refreshCalls.Load() != 0 {
		t.Errorf("bad cookies caused %d refresh calls, want 0", e.fake.refreshCalls.Load())
	}
}

func TestEmptyCookieIsNoSession(t *testing.T) {
	e := newEnv(t, envConfig{})
	w := e.do(t, get("/", &http.Cookie{Name: e.codec.Name(), Value: ""}))
	e.wantLoginRedirect(t, w, false)
}

func TestPreviousKeyCookieAcceptedDuringRotation(t *testing.T) {
	// The frontend was restarted with a new SECRET_KEY and the old one as
	// SECRET_KEY_PREVIOUS; auth-api still signs with the old one.
	old := newEnv(t, envConfig{secret: otherSecret, authSecret: otherSecret})
	ck := old.login(t, "bob")
	rotated := newEnv(t, envConfig{secret: testSecret, previous: otherSecret, authSecret: otherSecret})
	rotated.clock.ns.Store(old.clock.ns.Load())
	w := rotated.do(t, get("/", ck))
	if w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200 for a cookie sealed with the previous key", w.Code)
	}
}

func TestSilentRenewal(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	old, _ := e.codec.Decode(ck.Value)

	e.clock.Advance(tokenTTL + time.Minute) // past exp and the leeway
	w := e.do(t, get("/", ck))
	if w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200 after silent renewal", w.Code)
	}
	nc := e.sessionCookie(w)
	if nc == nil || nc.Value == "" || nc.MaxAge < 0 {
		t.Fatal("renewal did not set a new cookie")
	}
	renewed, err := e.codec.Decode(nc.Value)
	if err != nil || renewed.RefreshToken == old.RefreshToken || renewed.AccessToken == old.AccessToken {
		t.Fatalf("new cookie does not carry a new pair (err %v)", err)
	}
	if n := e.fake.refreshCalls.Load(); n != 1 {
		t.Errorf("got %d refresh calls, want 1", n)
	}
	// The new cookie works without another refresh.
	if w := e.do(t, get("/api/me", nc)); w.Code != http.StatusOK {
		t.Errorf("new cookie: got %d, want 200", w.Code)
	}
	if n := e.fake.refreshCalls.Load(); n != 1 {
		t.Errorf("got %d refresh calls after using the new cookie, want 1", n)
	}
	// Within auth-api's reuse interval the old cookie presents the used
	// refresh token again and gets the same successor: the frontend
	// remembers nothing itself.
	w = e.do(t, get("/", ck))
	again := e.sessionCookie(w)
	if w.Code != http.StatusOK || again == nil {
		t.Fatalf("old cookie inside the reuse interval: got %d", w.Code)
	}
	if s, err := e.codec.Decode(again.Value); err != nil || s.RefreshToken != renewed.RefreshToken {
		t.Errorf("old cookie: got another refresh token (%v), want the same successor", err)
	}
	if n := e.fake.refreshCalls.Load(); n != 2 {
		t.Errorf("got %d refresh calls, want 2", n)
	}
	if e.fake.familyRevoked(renewed.RefreshToken) {
		t.Error("the session family was revoked")
	}
}

func TestRenewalInsideLeewayIsEager(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	e.clock.Advance(tokenTTL + 5*time.Second) // expired, but inside the 30 s leeway
	w := e.do(t, get("/", ck))
	if w.Code != http.StatusOK || e.sessionCookie(w) == nil || e.fake.refreshCalls.Load() != 1 {
		t.Errorf("got %d, cookie %v, %d refreshes; want 200, a new cookie, 1 refresh", w.Code, e.sessionCookie(w) != nil, e.fake.refreshCalls.Load())
	}
}

func TestConcurrentRequestsWithOneExpiringCookie(t *testing.T) {
	e := newEnv(t, envConfig{})
	e.fake.refreshDelay = 20 * time.Millisecond // let the requests pile up on one refresh
	ck := e.login(t, "bob")
	e.clock.Advance(tokenTTL + time.Minute)

	const n = 50
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			path := "/"
			if i%2 == 1 {
				path = "/api/me"
			}
			w := e.do(t, get(path, ck))
			codes[i] = w.Code
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("request %d: got %d, want 200", i, c)
		}
	}
	if got := e.fake.refreshCalls.Load(); got != 1 {
		t.Errorf("got %d refresh calls, want 1", got)
	}
}

func TestReuseIntervalEnds(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	e.clock.Advance(tokenTTL + time.Minute)
	if w := e.do(t, get("/", ck)); w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", w.Code)
	}
	// Long after auth-api's reuse interval, the old cookie presents a used
	// refresh token: auth-api refuses it (and revokes the family, as it
	// should).
	e.clock.Advance(2 * time.Minute)
	e.wantLoginRedirect(t, e.do(t, get("/", ck)), true)
}

func TestRenewalRefused(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	s, _ := e.codec.Decode(ck.Value)
	// Revoked elsewhere (logout on another device, password change).
	e.fake.mu.Lock()
	e.fake.families[e.fake.refresh[s.RefreshToken].family] = true
	e.fake.mu.Unlock()

	// Still valid: served without asking auth-api.
	if w := e.do(t, get("/", ck)); w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200 while the access token is valid", w.Code)
	}
	e.clock.Advance(tokenTTL + time.Second)
	w := e.do(t, get("/admin", ck))
	e.wantLoginRedirect(t, w, true)
	loc, _ := url.Parse(w.Header().Get("Location"))
	if loc.Query().Get("next") != "/admin" {
		t.Errorf("got next %q, want /admin", loc.Query().Get("next"))
	}
	if w := e.do(t, get("/api/me", ck)); w.Code != http.StatusUnauthorized {
		t.Errorf("/api/me: got %d, want 401", w.Code)
	}
}

func TestAuthAPIDown(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "alice")
	e.fake.down.Store(true)

	// A valid session keeps working: verification is local.
	if w := e.do(t, get("/", ck)); w.Code != http.StatusOK {
		t.Errorf("dashboard: got %d, want 200", w.Code)
	}
	if w := e.do(t, get("/api/me", ck)); w.Code != http.StatusOK {
		t.Errorf("/api/me: got %d, want 200", w.Code)
	}
	// The admin page needs auth-api: a clear 503 page.
	w := e.do(t, get("/admin", ck))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "not reachable") {
		t.Errorf("admin: got %d, want the 503 page", w.Code)
	}

	// Expired but inside the leeway: renewal deferred, still served.
	e.clock.Advance(tokenTTL + 5*time.Second)
	if w := e.do(t, get("/", ck)); w.Code != http.StatusOK || e.sessionCookie(w) != nil {
		t.Errorf("inside leeway: got %d (cookie changed: %v), want 200 and no change", w.Code, e.sessionCookie(w) != nil)
	}
	// Past the leeway: 503, and the cookie is kept for when auth-api is back.
	e.clock.Advance(time.Minute)
	w = e.do(t, get("/", ck))
	if w.Code != http.StatusServiceUnavailable || e.sessionCookie(w) != nil {
		t.Errorf("past leeway: got %d (cookie changed: %v), want 503 and the cookie kept", w.Code, e.sessionCookie(w) != nil)
	}
	if w := e.do(t, get("/api/me", ck)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("/api/me past leeway: got %d, want 503", w.Code)
	}
	// auth-api back: the same cookie is renewed.
	e.fake.down.Store(false)
	if w := e.do(t, get("/", ck)); w.Code != http.StatusOK || e.sessionCookie(w) == nil {
		t.Errorf("auth-api back: got %d, want 200 with a renewed cookie", w.Code)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	s, _ := e.codec.Decode(ck.Value)
	w := e.do(t, postForm("/logout", nil, ck))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?msg=logged_out" {
		t.Fatalf("got %d to %q, want 303 to /login?msg=logged_out", w.Code, w.Header().Get("Location"))
	}
	if c := e.sessionCookie(w); c == nil || c.MaxAge >= 0 {
		t.Error("cookie not cleared")
	}
	if !e.fake.familyRevoked(s.RefreshToken) {
		t.Error("refresh token not revoked at auth-api")
	}
	// Replaying the old cookie once its access token expired: login page.
	e.clock.Advance(tokenTTL + time.Minute)
	e.wantLoginRedirect(t, e.do(t, get("/", ck)), true)
}

func TestLogoutAfterRenewalRevokesTheNewToken(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	e.clock.Advance(tokenTTL + time.Minute)
	w := e.do(t, get("/", ck))
	nc, _ := e.codec.Decode(e.sessionCookie(w).Value)
	// Log out with the old cookie (the browser had not stored the new one).
	e.do(t, postForm("/logout", nil, ck))
	if !e.fake.familyRevoked(nc.RefreshToken) {
		t.Error("the renewed refresh token was not revoked")
	}
}

func TestLogoutWithoutSessionOrAuthAPI(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	e.authSrv.Close()
	for _, cookies := range [][]*http.Cookie{nil, {ck}, {{Name: e.codec.Name(), Value: "junk"}}} {
		w := e.do(t, postForm("/logout", nil, cookies...))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?msg=logged_out" {
			t.Errorf("got %d to %q, want 303 to /login?msg=logged_out", w.Code, w.Header().Get("Location"))
		}
	}
	if w := e.do(t, get("/logout")); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: got %d, want 405 (no state change on GET)", w.Code)
	}
}

func TestRenewedTokenThatDoesNotVerify(t *testing.T) {
	// auth-api was restarted with another SECRET_KEY: its new tokens do not
	// verify here. The session ends and the log says why.
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	other, _ := secretkey.NewKeys(otherSecret, "")
	e.fake.mu.Lock()
	e.fake.issuer, _ = jwtauth.NewIssuer(other, jwtauth.IssuerConfig{TTL: tokenTTL, Now: e.clock.fn()})
	e.fake.mu.Unlock()
	e.clock.Advance(tokenTTL + time.Minute)
	e.wantLoginRedirect(t, e.do(t, get("/", ck)), true)
	if !strings.Contains(e.logs.String(), "check SECRET_KEY") {
		t.Error("the log does not explain the mismatch")
	}
}
