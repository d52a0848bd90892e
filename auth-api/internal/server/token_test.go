package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/jwt-micro-system/auth-api/internal/bruteforce"
	"github.com/jwt-micro-system/auth-api/internal/decode"
	"github.com/jwt-micro-system/auth-api/internal/oauth"
)

// oauthServer runs ts on a real listener for golang.org/x/oauth2 and
// records the grant_type of every /token request it serves.
type oauthServer struct {
	*httptest.Server
	mu     sync.Mutex
	grants []string
}

func newOAuthServer(tb testing.TB, ts *testServer) *oauthServer {
	tb.Helper()
	srv := &oauthServer{}
	srv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			v, _ := url.ParseQuery(string(raw))
			srv.mu.Lock()
			srv.grants = append(srv.grants, v.Get("grant_type"))
			srv.mu.Unlock()
		}
		ts.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func (srv *oauthServer) grantTypes() []string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return append([]string(nil), srv.grants...)
}

// config is an OAuth2 client of srv, as a public client with an id and no
// secret.
func (srv *oauthServer) config(style oauth2.AuthStyle) (*oauth2.Config, context.Context) {
	cfg := &oauth2.Config{ClientID: "some-client", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: style}}
	return cfg, context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
}

// checkAccessToken checks that access is a valid access token of user.
func checkAccessToken(tb testing.TB, ts *testServer, access, user string) {
	tb.Helper()
	claims, err := ts.verifier.Verify(access)
	if err != nil {
		tb.Fatalf("access token does not verify: %v", err)
	}
	if claims.Subject != user {
		tb.Errorf("got sub %q, want %q", claims.Subject, user)
	}
}

// retrieveError returns err as an *oauth2.RetrieveError, failing otherwise.
func retrieveError(tb testing.TB, err error) *oauth2.RetrieveError {
	tb.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		tb.Fatalf("got error %v (%T), want an *oauth2.RetrieveError", err, err)
	}
	return re
}

// golang.org/x/oauth2 logs in through /token with the password grant, with
// every way it has of sending the client id.
func TestOAuth2PasswordCredentialsToken(t *testing.T) {
	ts := newTestServer(t)
	srv := newOAuthServer(t, ts)
	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"auto-detect", oauth2.AuthStyleAutoDetect}, {"basic", oauth2.AuthStyleInHeader}, {"body", oauth2.AuthStyleInParams}} {
		t.Run(style.name, func(t *testing.T) {
			cfg, ctx := srv.config(style.style)
			before := time.Now()
			tok, err := cfg.PasswordCredentialsToken(ctx, "alice", alicePassword)
			if err != nil {
				t.Fatal(err)
			}
			checkAccessToken(t, ts, tok.AccessToken, "alice")
			if tok.TokenType != "Bearer" || tok.RefreshToken == "" {
				t.Errorf("got token type %q and refresh token %q, want Bearer and one", tok.TokenType, tok.RefreshToken)
			}
			// expires_in is 30 minutes.
			if lo, hi := before.Add(29*time.Minute), time.Now().Add(31*time.Minute); tok.Expiry.Before(lo) || tok.Expiry.After(hi) {
				t.Errorf("got expiry %v, want about 30 minutes from now", tok.Expiry)
			}
			if _, ok := tok.Extra("token").(string); ok {
				t.Error("/token answers the seed's extra \"token\" field; RFC 6749 answers have four")
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		cfg, ctx := srv.config(oauth2.AuthStyleInParams)
		_, err := cfg.PasswordCredentialsToken(ctx, "alice", "wrong-password")
		re := retrieveError(t, err)
		if re.Response.StatusCode != 400 || re.ErrorCode != "invalid_grant" || re.ErrorDescription == "" {
			t.Errorf("got %d %q %q, want 400 invalid_grant with a description", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription)
		}
	})
}

// The refreshing TokenSource of golang.org/x/oauth2 renews an expired token
// through /token with grant_type=refresh_token; the refresh token it used
// is then spent, and presenting it again revokes the family.
func TestOAuth2TokenSourceRefreshes(t *testing.T) {
	ts := newTestServer(t)
	srv := newOAuthServer(t, ts)
	cfg, ctx := srv.config(oauth2.AuthStyleInHeader)
	first, err := cfg.PasswordCredentialsToken(ctx, "alice", alicePassword)
	if err != nil {
		t.Fatal(err)
	}
	// Force expiry: the client renews only what it believes has expired.
	expired := *first
	expired.Expiry = time.Now().Add(-time.Minute)
	ts.clock.Advance(time.Second) // a new iat, so the new access token differs
	src := cfg.TokenSource(ctx, &expired)
	second, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srv.grantTypes(), []string{"password", "refresh_token"}; !slices.Equal(got, want) {
		t.Fatalf("got grant types %q, want %q", got, want)
	}
	checkAccessToken(t, ts, second.AccessToken, "alice")
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || second.RefreshToken == "" {
		t.Fatal("the refresh did not give a new pair")
	}
	if !second.Valid() {
		t.Fatalf("the renewed token is not valid: expiry %v", second.Expiry)
	}
	// A valid token is reused, not refreshed.
	if again, err := src.Token(); err != nil || again.AccessToken != second.AccessToken {
		t.Fatalf("got %v, %v; want the same token again", again, err)
	}
	if n := len(srv.grantTypes()); n != 2 {
		t.Errorf("a valid token was refreshed: %d requests", n)
	}

	// The used refresh token presented again, after any reuse leeway the
	// rotation rules may allow, is refused and ends the family.
	ts.clock.Advance(10 * time.Minute)
	_, err = cfg.TokenSource(ctx, &expired).Token()
	if re := retrieveError(t, err); re.Response.StatusCode != 400 || re.ErrorCode != "invalid_grant" {
		t.Errorf("reuse: got %d %q, want 400 invalid_grant", re.Response.StatusCode, re.ErrorCode)
	}
	renewed := *second
	renewed.Expiry = time.Now().Add(-time.Minute)
	_, err = cfg.TokenSource(ctx, &renewed).Token()
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
		t.Errorf("successor after reuse: got %q, want invalid_grant (family revoked)", re.ErrorCode)
	}
}

// With access tokens shorter than the client's expiry margin, every Token
// call renews: a chain of rotations through /token, each refresh token
// used once.
func TestOAuth2TokenSourceRotatesEveryTime(t *testing.T) {
	ts := newTestServer(t, func(c *testConfig) { c.AccessTokenTTL = time.Second })
	srv := newOAuthServer(t, ts)
	cfg, ctx := srv.config(oauth2.AuthStyleInParams)
	tok, err := cfg.PasswordCredentialsToken(ctx, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	src := cfg.TokenSource(ctx, tok)
	seen := map[string]bool{tok.RefreshToken: true}
	for range 5 {
		next, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		if seen[next.RefreshToken] {
			t.Fatalf("refresh token %q came back", next.RefreshToken)
		}
		seen[next.RefreshToken] = true
	}
	if got := srv.grantTypes(); len(got) != 6 || got[0] != "password" || got[5] != "refresh_token" {
		t.Errorf("got grant types %q, want password then 5 × refresh_token", got)
	}
}

// tokenReq is a /token request with a form body.
func tokenReq(body string) request {
	return request{method: "POST", path: "/token", body: body, contentType: decode.FormType}
}

func passwordForm(user, pass string) string {
	return url.Values{"grant_type": {"password"}, "username": {user}, "password": {pass}}.Encode()
}

// checkOAuthError checks that w is an RFC 6749 §5.2 error with status and
// code, and not cached.
func checkOAuthError(tb testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	tb.Helper()
	if w.Code != status {
		tb.Errorf("got status %d, want %d (body %s)", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("got Content-Type %q, want application/json", ct)
	}
	var e map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		tb.Fatalf("error body %q is not JSON: %v", w.Body, err)
	}
	if e["error"] != code {
		tb.Errorf("got error %v, want %q (body %s)", e["error"], code, w.Body)
	}
	if d, _ := e["error_description"].(string); d == "" || len(e) != 2 {
		tb.Errorf("body %s: want exactly error and a non-empty error_description", w.Body)
	}
	checkNoStore(tb, w)
}

func checkNoStore(tb testing.TB, w *httptest.ResponseRecorder) {
	tb.Helper()
	if cc, p := w.Header().Get("Cache-Control"), w.Header().Get("Pragma"); cc != "no-store" || p != "no-cache" {
		tb.Errorf("got Cache-Control %q and Pragma %q, want no-store and no-cache", cc, p)
	}
}

// checkOAuthTokens checks a 200 RFC 6749 §5.1 answer and returns it.
func checkOAuthTokens(tb testing.TB, ts *testServer, w *httptest.ResponseRecorder, user string) oauth.Tokens {
	tb.Helper()
	if w.Code != 200 {
		tb.Fatalf("got %d %s, want 200", w.Code, w.Body)
	}
	checkNoStore(tb, w)
	var fields map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &fields); err != nil {
		tb.Fatal(err)
	}
	if len(fields) != 5 {
		tb.Errorf("got fields %v, want access_token, token_type, expires_in, refresh_token, refresh_expires_in", fields)
	}
	var tok oauth.Tokens
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil {
		tb.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 1800 || tok.RefreshToken == "" {
		tb.Errorf("got %+v, want Bearer, 1800 s and a refresh token", tok)
	}
	checkAccessToken(tb, ts, tok.AccessToken, user)
	return tok
}

func TestTokenEndpoint(t *testing.T) {
	ts := newTestServer(t)
	refresh := ts.login(t, "alice", alicePassword).RefreshToken
	basic := func(user, pass string) map[string]string {
		r := httptest.NewRequest("POST", "/", nil)
		r.SetBasicAuth(user, pass)
		return map[string]string{"Authorization": r.Header.Get("Authorization")}
	}
	good := passwordForm("alice", alicePassword)
	for _, tt := range []struct {
		name   string
		req    request
		status int
		code   string // "" for success
	}{
		{"password grant", tokenReq(good), 200, ""},
		{"username in another case", tokenReq(passwordForm("ALICE", alicePassword)), 200, ""},
		{"charset utf-8", request{method: "POST", path: "/token", body: good, contentType: decode.FormType + "; charset=UTF-8"}, 200, ""},
		{"FastAPI form with empty optional fields", tokenReq(good + "&scope=&client_id=&client_secret="), 200, ""},
		{"scope is ignored", tokenReq(good + "&scope=read+write:all"), 200, ""},
		{"client_id in the body is ignored", tokenReq(good + "&client_id=swagger"), 200, ""},
		{"Basic with a client id and no secret", request{method: "POST", path: "/token", body: good, contentType: decode.FormType, header: basic("swagger", "")}, 200, ""},
		{"Swagger UI's empty Basic", request{method: "POST", path: "/token", body: good, contentType: decode.FormType, header: map[string]string{"Authorization": "Basic Og=="}}, 200, ""},
		{"unknown parameters are ignored", tokenReq(good + "&nonce=x&user_id=admin"), 200, ""},
		{"refresh grant", tokenReq("grant_type=refresh_token&refresh_token=" + url.QueryEscape(refresh)), 200, ""},

		{"JSON body", request{method: "POST", path: "/token", body: `{"grant_type":"password","username":"alice","password":"x"}`}, 415, "invalid_request"},
		{"no content type", request{method: "POST", path: "/token", body: good, contentType: "-"}, 415, "invalid_request"},
		{"multipart", request{method: "POST", path: "/token", body: "--b\r\n\r\n--b--", contentType: "multipart/form-data; boundary=b"}, 415, "invalid_request"},
		{"another charset", request{method: "POST", path: "/token", body: good, contentType: decode.FormType + "; charset=iso-8859-1"}, 415, "invalid_request"},
		{"empty body", tokenReq(""), 400, "invalid_request"},
		{"no grant_type", tokenReq("username=alice&password=" + alicePassword), 400, "invalid_request"},
		{"empty grant_type", tokenReq("grant_type=&username=alice&password=" + alicePassword), 400, "invalid_request"},
		{"duplicate grant_type", tokenReq(good + "&grant_type=password"), 400, "invalid_request"},
		{"duplicate grant_type, one empty", tokenReq(good + "&grant_type="), 400, "invalid_request"},
		{"duplicate username", tokenReq(good + "&username=admin"), 400, "invalid_request"},
		{"duplicate password", tokenReq(good + "&password=wrong-password"), 400, "invalid_request"},
		{"parameters in the URL", request{method: "POST", path: "/token?password=" + alicePassword, body: "grant_type=password&username=alice", contentType: decode.FormType}, 400, "invalid_request"},
		{"bad escape", tokenReq("grant_type=password&username=alice&password=%zz"), 400, "invalid_request"},
		{"semicolon separator", tokenReq("grant_type=password;username=alice"), 400, "invalid_request"},
		{"invalid UTF-8", tokenReq("grant_type=password&username=alice&password=%ff%fe"), 400, "invalid_request"},
		{"missing username", tokenReq("grant_type=password&password=" + alicePassword), 400, "invalid_request"},
		{"missing password", tokenReq("grant_type=password&username=alice"), 400, "invalid_request"},
		{"bad username", tokenReq(passwordForm("al ice", alicePassword)), 400, "invalid_request"},
		{"password over 72 bytes", tokenReq(passwordForm("alice", strings.Repeat("p", 73))), 400, "invalid_request"},
		{"missing refresh_token", tokenReq("grant_type=refresh_token"), 400, "invalid_request"},
		{"bad scope", tokenReq(good + "&scope=a++b"), 400, "invalid_scope"},
		{"client_credentials", tokenReq("grant_type=client_credentials"), 400, "unsupported_grant_type"},
		{"authorization_code", tokenReq("grant_type=authorization_code&code=x&redirect_uri=http://x/"), 400, "unsupported_grant_type"},
		{"grant type in another case", tokenReq(strings.Replace(good, "password", "Password", 1)), 400, "unsupported_grant_type"},
		{"wrong password", tokenReq(passwordForm("alice", "wrong-password")), 400, "invalid_grant"},
		{"unknown user", tokenReq(passwordForm("nobody", "wrong-password")), 400, "invalid_grant"},
		{"unknown refresh token", tokenReq("grant_type=refresh_token&refresh_token=not-a-token"), 400, "invalid_grant"},
		{"huge refresh token", tokenReq("grant_type=refresh_token&refresh_token=" + strings.Repeat("r", 10000)), 400, "invalid_grant"},
		{"client_secret in the body", tokenReq(good + "&client_secret=s3cret"), 401, "invalid_client"},
		{"Basic with a secret", request{method: "POST", path: "/token", body: good, contentType: decode.FormType, header: basic("swagger", "s3cret")}, 401, "invalid_client"},
		{"a bearer token as client authentication", request{method: "POST", path: "/token", body: good, contentType: decode.FormType, header: map[string]string{"Authorization": "Bearer x"}}, 401, "invalid_client"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := ts.do(t, tt.req)
			if tt.code == "" {
				checkOAuthTokens(t, ts, w, "alice")
				return
			}
			checkOAuthError(t, w, tt.status, tt.code)
			if tt.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestTokenWrongPasswordIsLikeUnknownUser(t *testing.T) {
	ts := newTestServer(t)
	a := ts.do(t, tokenReq(passwordForm("alice", "wrong-password")))
	b := ts.do(t, tokenReq(passwordForm("nobody", "wrong-password")))
	if a.Code != b.Code || a.Body.String() != b.Body.String() {
		t.Errorf("wrong password %d %s, unknown user %d %s: want the same answer", a.Code, a.Body, b.Code, b.Body)
	}
}

func TestTokenHugeBodies(t *testing.T) {
	ts := newTestServer(t)
	huge := passwordForm("alice", alicePassword) + "&pad=" + strings.Repeat("x", 2*MaxBodyBytes)
	// With a Content-Length, and streamed without one: the same 413.
	for _, length := range []int64{int64(len(huge)), -1} {
		req := httptest.NewRequest("POST", "/token", strings.NewReader(huge))
		req.ContentLength = length
		req.Header.Set("Content-Type", decode.FormType)
		w := httptest.NewRecorder()
		ts.ServeHTTP(w, req)
		checkError(t, w, 413, "body_too_large")
	}
}

// Refresh tokens of one family say nothing about another: reuse ends only
// its own family, and a token of another server is unknown here.
func TestTokenRefreshFamilies(t *testing.T) {
	ts := newTestServer(t)
	refresh := func(tok string) *httptest.ResponseRecorder {
		return ts.do(t, tokenReq(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}.Encode()))
	}
	a := checkOAuthTokens(t, ts, ts.do(t, tokenReq(passwordForm("alice", alicePassword))), "alice")
	b := checkOAuthTokens(t, ts, ts.do(t, tokenReq(passwordForm("alice", alicePassword))), "alice")
	a2 := checkOAuthTokens(t, ts, refresh(a.RefreshToken), "alice")
	ts.clock.Advance(10 * time.Minute) // past any reuse leeway
	checkOAuthError(t, refresh(a.RefreshToken), 400, "invalid_grant")
	checkOAuthError(t, refresh(a2.RefreshToken), 400, "invalid_grant")
	b2 := checkOAuthTokens(t, ts, refresh(b.RefreshToken), "alice")

	other := newTestServer(t)
	foreign := other.login(t, "alice", alicePassword).RefreshToken
	checkOAuthError(t, refresh(foreign), 400, "invalid_grant")
	// /refresh and /token rotate the same sessions.
	w := ts.do(t, request{method: "POST", path: "/refresh", body: jsonBody(t, refreshRequest{RefreshToken: b2.RefreshToken})})
	if w.Code != 200 {
		t.Fatalf("/refresh of a /token session: got %d %s", w.Code, w.Body)
	}
	ts.clock.Advance(10 * time.Minute)
	checkOAuthError(t, refresh(b2.RefreshToken), 400, "invalid_grant")
}

// /token and /login share the brute-force counters: failures on either
// lock both, and a lock on /token is a 429 with Retry-After.
func TestTokenLockout(t *testing.T) {
	limits := func(c *testConfig) { c.Limits = bruteforce.Limits{PerUsername: 3, PerAddress: 6, Window: time.Minute} }
	wrongLogin := request{method: "POST", path: "/login", body: `{"username":"alice","password":"wrong-password"}`}

	t.Run("token failures lock login", func(t *testing.T) {
		ts := newTestServer(t, limits)
		for range 3 {
			checkOAuthError(t, ts.do(t, tokenReq(passwordForm("alice", "wrong-password"))), 400, "invalid_grant")
		}
		w := ts.do(t, tokenReq(passwordForm("alice", alicePassword)))
		checkOAuthError(t, w, 429, "invalid_grant")
		if ra := w.Header().Get("Retry-After"); ra != "60" {
			t.Errorf("got Retry-After %q, want 60", ra)
		}
		checkError(t, ts.do(t, request{method: "POST", path: "/login", body: jsonBody(t, map[string]string{"username": "alice", "password": alicePassword})}), 429, "too_many_attempts")
		ts.clock.Advance(time.Minute)
		checkOAuthTokens(t, ts, ts.do(t, tokenReq(passwordForm("alice", alicePassword))), "alice")
	})

	t.Run("login failures lock token", func(t *testing.T) {
		ts := newTestServer(t, limits)
		for range 2 {
			checkError(t, ts.do(t, wrongLogin), 401, "invalid_credentials")
		}
		checkOAuthError(t, ts.do(t, tokenReq(passwordForm("alice", "wrong-password"))), 400, "invalid_grant")
		checkOAuthError(t, ts.do(t, tokenReq(passwordForm("alice", alicePassword))), 429, "invalid_grant")
	})

	t.Run("per address", func(t *testing.T) {
		ts := newTestServer(t, limits)
		for i := range 6 {
			ts.do(t, tokenReq(passwordForm("user"+string(rune('a'+i)), "wrong-password")))
		}
		checkOAuthError(t, ts.do(t, tokenReq(passwordForm("admin", adminPassword))), 429, "invalid_grant")
	})

	t.Run("through golang.org/x/oauth2", func(t *testing.T) {
		ts := newTestServer(t, limits)
		srv := newOAuthServer(t, ts)
		cfg, ctx := srv.config(oauth2.AuthStyleInParams)
		for range 3 {
			if _, err := cfg.PasswordCredentialsToken(ctx, "alice", "wrong-password"); err == nil {
				t.Fatal("a wrong password logged in")
			}
		}
		_, err := cfg.PasswordCredentialsToken(ctx, "alice", alicePassword)
		re := retrieveError(t, err)
		if re.Response.StatusCode != 429 || re.Response.Header.Get("Retry-After") == "" || re.ErrorCode != "invalid_grant" {
			t.Errorf("got %d, Retry-After %q, %q; want 429 with Retry-After and invalid_grant",
				re.Response.StatusCode, re.Response.Header.Get("Retry-After"), re.ErrorCode)
		}
	})
}

func TestTokenMethodAndMetrics(t *testing.T) {
	ts := newTestServer(t)
	checkError(t, ts.do(t, request{method: "GET", path: "/token"}), 405, "method_not_allowed")
	ts.do(t, tokenReq(passwordForm("alice", alicePassword)))
	ts.do(t, tokenReq(passwordForm("alice", "wrong-password")))
	ts.do(t, tokenReq("grant_type=refresh_token"))
	body := ts.do(t, request{method: "GET", path: "/metrics"}).Body.String()
	for _, want := range []string{
		`auth_api_logins_total{outcome="success"} 1`,
		`auth_api_logins_total{outcome="invalid_credentials"} 1`,
		`auth_api_refreshes_total{outcome="bad_request"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
