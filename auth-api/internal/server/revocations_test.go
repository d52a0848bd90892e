package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/clientaddr"
	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/shared/revocation"

	"github.com/jwt-micro-system/auth-api/internal/account"
)

func (ts *testServer) wantMe(tb testing.TB, token string, status int) {
	tb.Helper()
	w := ts.do(tb, request{method: "GET", path: "/me", token: token})
	if w.Code != status {
		tb.Errorf("/me: got %d %s, want %d", w.Code, w.Body, status)
	}
	if status == http.StatusUnauthorized && !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
		tb.Errorf("/me: WWW-Authenticate %q, want invalid_token", w.Header().Get("WWW-Authenticate"))
	}
}

func (ts *testServer) refresh(tb testing.TB, refreshToken string) tokenResponse {
	tb.Helper()
	w := ts.do(tb, request{method: "POST", path: "/refresh", body: jsonBody(tb, map[string]string{"refresh_token": refreshToken})})
	if w.Code != http.StatusOK {
		tb.Fatalf("refresh: got %d %s, want 200", w.Code, w.Body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil {
		tb.Fatal(err)
	}
	return tr
}

func TestAccessTokensCarryTheSession(t *testing.T) {
	ts := newTestServer(t)
	first := ts.login(t, "alice", alicePassword)
	next := ts.refresh(t, first.RefreshToken)
	other := ts.login(t, "alice", alicePassword)
	sid := func(tok string) string {
		c, err := ts.verifier.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		return c.SessionID
	}
	if a, b, c := sid(first.AccessToken), sid(next.AccessToken), sid(other.AccessToken); a == "" || a != b || a == c {
		t.Errorf("sid of login %q, of its refresh %q, of another login %q; want one non-empty sid per session", a, b, c)
	}
}

// /token's grants go through the same code as /login and /refresh: their
// access tokens carry the session, which is the family of the refresh
// token (FAMILY.GENERATION.SECRET).
func TestTokenEndpointCarriesTheSession(t *testing.T) {
	ts := newTestServer(t)
	sid := func(tok string) string {
		c, err := ts.verifier.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		return c.SessionID
	}
	first := checkOAuthTokens(t, ts, ts.do(t, tokenReq(passwordForm("alice", alicePassword))), "alice")
	next := checkOAuthTokens(t, ts, ts.do(t, tokenReq(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}.Encode())), "alice")
	family, _, _ := strings.Cut(first.RefreshToken, ".")
	if a, b := sid(first.AccessToken), sid(next.AccessToken); a == "" || a != b || a != family {
		t.Errorf("sid of the password grant %q, of the refresh grant %q; want both the refresh family %q", a, b, family)
	}
	login := ts.login(t, "alice", alicePassword)
	if f, _, _ := strings.Cut(login.RefreshToken, "."); sid(login.AccessToken) != f {
		t.Errorf("/login: sid %q, want the refresh family %q", sid(login.AccessToken), f)
	}
}

func TestRevocationRefusesAccessTokens(t *testing.T) {
	for _, tt := range []struct {
		name string
		// end ends the session of s (whose later pair is next) and
		// returns whether the other session of alice must end too.
		end func(t *testing.T, ts *testServer, s, next tokenResponse) bool
	}{
		{"logout", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			w := ts.do(t, request{method: "POST", path: "/logout", body: jsonBody(t, map[string]string{"refresh_token": next.RefreshToken})})
			if w.Code != http.StatusNoContent {
				t.Fatalf("logout: got %d %s", w.Code, w.Body)
			}
			return false
		}},
		{"logout with a used token of the family", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			w := ts.do(t, request{method: "POST", path: "/logout", body: jsonBody(t, map[string]string{"refresh_token": s.RefreshToken})})
			if w.Code != http.StatusNoContent {
				t.Fatalf("logout: got %d %s", w.Code, w.Body)
			}
			return false
		}},
		{"refresh token reused at /token", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			w := ts.do(t, tokenReq(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.RefreshToken}}.Encode()))
			checkOAuthError(t, w, http.StatusBadRequest, "invalid_grant")
			return false
		}},
		{"refresh token reused", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			w := ts.do(t, request{method: "POST", path: "/refresh", body: jsonBody(t, map[string]string{"refresh_token": s.RefreshToken})})
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("reuse: got %d %s, want 401", w.Code, w.Body)
			}
			return false
		}},
		{"password change", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			w := ts.do(t, request{method: "POST", path: "/me/password", token: next.AccessToken,
				body: jsonBody(t, map[string]string{"current_password": alicePassword, "new_password": "alice-pass-2"})})
			if w.Code != http.StatusNoContent {
				t.Fatalf("password change: got %d %s", w.Code, w.Body)
			}
			return true
		}},
		{"POST /me/logout-all", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			w := ts.do(t, request{method: "POST", path: "/me/logout-all", token: next.AccessToken})
			if w.Code != http.StatusNoContent {
				t.Fatalf("logout-all: got %d %s", w.Code, w.Body)
			}
			return true
		}},
		{"password reset by an admin", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			admin := ts.login(t, "admin", adminPassword)
			w := ts.do(t, request{method: "PUT", path: "/users/alice/password", token: admin.AccessToken,
				body: jsonBody(t, map[string]string{"password": "alice-pass-2"})})
			if w.Code != http.StatusNoContent {
				t.Fatalf("password reset: got %d %s", w.Code, w.Body)
			}
			return true
		}},
		{"sign out everywhere", func(t *testing.T, ts *testServer, s, next tokenResponse) bool {
			if n, err := ts.accounts.EndAllSessions(t.Context(), "alice"); err != nil || n != 2 {
				t.Fatalf("EndAllSessions: got %d, %v; want 2 sessions", n, err)
			}
			return true
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			s := ts.login(t, "alice", alicePassword)
			next := ts.refresh(t, s.RefreshToken)
			other := ts.login(t, "alice", alicePassword)
			admin := ts.login(t, "admin", adminPassword)
			ts.wantMe(t, s.AccessToken, http.StatusOK)
			ts.wantMe(t, next.AccessToken, http.StatusOK)
			everywhere := tt.end(t, ts, s, next)
			// Every access token of the session, the older one too.
			ts.wantMe(t, s.AccessToken, http.StatusUnauthorized)
			ts.wantMe(t, next.AccessToken, http.StatusUnauthorized)
			if everywhere {
				ts.wantMe(t, other.AccessToken, http.StatusUnauthorized)
			} else {
				ts.wantMe(t, other.AccessToken, http.StatusOK)
			}
			ts.wantMe(t, admin.AccessToken, http.StatusOK)
			// Until the last access token has expired, not forever.
			page, err := ts.accounts.RevocationsSince(t.Context(), 0)
			if err != nil || len(page.Revocations) == 0 {
				t.Fatalf("revocations: %+v, %v", page, err)
			}
			want := ts.clock.Now().Add(30*time.Minute + jwtauth.MaxLeeway)
			if got := page.Revocations[0].ExpiresAt; !got.Equal(want) {
				t.Errorf("revocation expires at %v, want %v (access TTL + leeway)", got, want)
			}
		})
	}
}

// Issue 14.3: admin carl is deleted and created again; the first carl's
// token must not work as the second carl.
func TestDeletedAndRecreatedUsersTokenIsRefused(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", adminPassword).AccessToken
	create := func() {
		t.Helper()
		w := ts.do(t, request{method: "POST", path: "/users", token: admin,
			body: jsonBody(t, map[string]string{"username": "carl", "password": "carl-pass-1", "role": "admin"})})
		if w.Code != http.StatusCreated {
			t.Fatalf("create carl: got %d %s", w.Code, w.Body)
		}
	}
	create()
	old := ts.login(t, "carl", "carl-pass-1").AccessToken
	if w := ts.do(t, request{method: "GET", path: "/users", token: old}); w.Code != http.StatusOK {
		t.Fatalf("carl lists users: got %d %s", w.Code, w.Body)
	}
	if w := ts.do(t, request{method: "DELETE", path: "/users/carl", token: admin}); w.Code != http.StatusNoContent {
		t.Fatalf("delete carl: got %d %s", w.Code, w.Body)
	}
	create()
	w := ts.do(t, request{method: "GET", path: "/users", token: old})
	checkError(t, w, http.StatusUnauthorized, "invalid_token")
	ts.wantMe(t, old, http.StatusUnauthorized)
	fresh := ts.login(t, "carl", "carl-pass-1").AccessToken
	if w := ts.do(t, request{method: "GET", path: "/users", token: fresh}); w.Code != http.StatusOK {
		t.Errorf("the new carl: got %d %s, want 200", w.Code, w.Body)
	}
}

// A second replica on the same database learns the first one's logout by
// following the store.
func TestRevocationReachesAnotherReplica(t *testing.T) {
	ts := newTestServer(t)
	set2 := revocation.NewSet()
	ts2 := sharedReplica(t, ts, set2)
	s := ts.login(t, "alice", alicePassword)
	ts2.wantMe(t, s.AccessToken, http.StatusOK)
	if w := ts.do(t, request{method: "POST", path: "/logout", body: jsonBody(t, map[string]string{"refresh_token": s.RefreshToken})}); w.Code != http.StatusNoContent {
		t.Fatalf("logout: %d", w.Code)
	}
	ts.wantMe(t, s.AccessToken, http.StatusUnauthorized)
	ts2.wantMe(t, s.AccessToken, http.StatusOK) // not followed yet
	ctx, cancel := contextWithCancel(t)
	defer cancel()
	go set2.Follow(ctx, ts2.accounts.RevocationsSince, revocation.FollowConfig{Every: 10 * time.Millisecond, Now: ts2.clock.Now})
	deadline := time.Now().Add(5 * time.Second)
	for !set2.Revoked(sidOf(t, ts, s.AccessToken)) {
		if time.Now().After(deadline) {
			t.Fatal("the second replica never learned the revocation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ts2.wantMe(t, s.AccessToken, http.StatusUnauthorized)
}

func sidOf(tb testing.TB, ts *testServer, token string) string {
	tb.Helper()
	c, err := ts.verifier.Verify(token)
	if err != nil {
		tb.Fatal(err)
	}
	return c.SessionID
}

func TestRevocationFeed(t *testing.T) {
	ts := newTestServer(t)
	key, err := revocation.FeedKey(ts.keys)
	if err != nil {
		t.Fatal(err)
	}
	s := ts.login(t, "alice", alicePassword)
	ts.do(t, request{method: "POST", path: "/logout", body: jsonBody(t, map[string]string{"refresh_token": s.RefreshToken})})
	for _, tt := range []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{"no key", "/revocations", "", http.StatusUnauthorized, "invalid_token"},
		{"an access token is not the feed key", "/revocations", "Bearer " + s.AccessToken, http.StatusUnauthorized, "invalid_token"},
		{"wrong key", "/revocations", "Bearer " + strings.Repeat("A", len(key)), http.StatusUnauthorized, "invalid_token"},
		{"basic", "/revocations", "Basic " + key, http.StatusUnauthorized, "invalid_token"},
		{"negative cursor", "/revocations?since=-1", "Bearer " + key, http.StatusBadRequest, "invalid_request"},
		{"not a number", "/revocations?since=abc", "Bearer " + key, http.StatusBadRequest, "invalid_request"},
		{"huge", "/revocations?since=99999999999999999999999", "Bearer " + key, http.StatusBadRequest, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, request{method: "GET", path: tt.path, header: map[string]string{"Authorization": tt.auth}})
			checkError(t, w, tt.status, tt.code)
		})
	}
	var page revocation.Page
	w := ts.do(t, request{method: "GET", path: "/revocations?since=0", header: map[string]string{"Authorization": "Bearer " + key}})
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &page) != nil {
		t.Fatalf("feed: got %d %s", w.Code, w.Body)
	}
	if len(page.Revocations) != 1 || page.Revocations[0].SessionID != sidOf(t, ts, s.AccessToken) || page.Cursor == 0 || page.More {
		t.Errorf("feed: got %+v, want alice's session and a cursor", page)
	}
	w = ts.do(t, request{method: "GET", path: "/revocations?since=" + jsonNumber(page.Cursor), header: map[string]string{"Authorization": "Bearer " + key}})
	var after revocation.Page
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &after) != nil || len(after.Revocations) != 0 || after.Cursor != page.Cursor {
		t.Errorf("after the cursor: got %d %s, want nothing new", w.Code, w.Body)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestSignedClientAddress(t *testing.T) {
	var logs bytes.Buffer
	ts := newTestServer(t, func(c *testConfig) { c.LogTo = &logs })
	signer, err := clientaddr.NewSigner(ts.keys)
	if err != nil {
		t.Fatal(err)
	}
	now := ts.clock.Now()
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"no header: the peer", nil, testRemoteAddr},
		{"signed", map[string]string{clientaddr.Header: signer.Sign("203.0.113.9", now)}, "203.0.113.9"},
		{"signed IPv6", map[string]string{clientaddr.Header: signer.Sign("2001:db8::9", now)}, "2001:db8::9"},
		{"replayed after 31 s", map[string]string{clientaddr.Header: signer.Sign("203.0.113.9", now.Add(-31*time.Second))}, testRemoteAddr},
		{"forged", map[string]string{clientaddr.Header: "203.0.113.9;" + jsonNumber(now.Unix()) + ";" + strings.Repeat("A", 43)}, testRemoteAddr},
		{"the internal header sent by a client", map[string]string{verifiedClientHeader: "203.0.113.66"}, testRemoteAddr},
		{"X-Forwarded-For from an untrusted peer", map[string]string{"X-Forwarded-For": "203.0.113.67"}, testRemoteAddr},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			ts.do(t, request{method: "GET", path: "/healthz", header: tt.header})
			var line struct {
				Msg      string `json:"msg"`
				ClientIP string `json:"client_ip"`
			}
			for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
				if json.Unmarshal(l, &line) == nil && line.Msg == "request" {
					break
				}
			}
			if line.ClientIP != tt.want {
				t.Errorf("client_ip %q, want %q; log:\n%s", line.ClientIP, tt.want, logs.String())
			}
		})
	}
}

// sharedReplica returns a second server on ts's database, with its own
// account service, keys and revocation set: another auth-api process.
func sharedReplica(tb testing.TB, ts *testServer, set *revocation.Set) *testServer {
	tb.Helper()
	cfg := ts.cfg
	cfg.Config.Revocations = set
	cfg.Accounts.Revocations = set
	accounts, err := account.New(ts.store, cfg.Accounts)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := NewServer(ts.log, cfg.Config, accounts, ts.store, ts.keys)
	if err != nil {
		tb.Fatal(err)
	}
	return &testServer{Server: s, store: ts.store, accounts: accounts, clock: ts.clock, keys: ts.keys, verifier: ts.verifier, log: ts.log, cfg: cfg}
}

func contextWithCancel(tb testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(tb.Context())
}
