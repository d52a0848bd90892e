package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jwt-micro-system/shared/jwtauth"
	"github.com/jwt-micro-system/web-frontend/internal/session"

	"github.com/jwt-micro-system/shared/secretkey"
)

func TestDashboard(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "alice")
	tests := []struct {
		lang string
		want []string
	}{
		{"", []string{
			`id="dash-user">alice<`, `id="dash-role">admin<`, `id="claims-header"`, `id="claims-payload"`,
			`data-claim="alg"`, `data-claim="typ"`, `data-claim="kid"`, "algorithm: the signature algorithm",
			`data-claim="sub"`, `data-claim="role"`, `data-claim="iat"`, `data-claim="exp"`, `data-claim="iss"`, `data-claim="jti"`,
			"subject: who the token is about", "2026-11-22 12:30:00 UTC", `<time datetime="2026-11-22T12:30:00Z" data-local>`, ">in 30 minutes<", `&#34;alg&#34;: &#34;HS256&#34;`, `&#34;sub&#34;: &#34;alice&#34;`,
			`id="logout"`, `href="/admin"`,
		}},
		{"ja", []string{"algorithm:署名のアルゴリズム", "type:トークンの種類", "subject:トークンの対象者", "role:ユーザーの権限",
			"issued at:発行日時", "expires:有効期限", "issuer:トークンの発行者", "ダッシュボード", "ログアウト", ">30分後<"}},
	}
	for _, tt := range tests {
		r := get("/", ck)
		r.Header.Set("Accept-Language", tt.lang)
		w := e.do(t, r)
		if w.Code != http.StatusOK {
			t.Fatalf("got %d, want 200", w.Code)
		}
		body := w.Body.String()
		for _, s := range tt.want {
			if !strings.Contains(body, s) {
				t.Errorf("lang %q: dashboard lacks %q", tt.lang, s)
			}
		}
		// The signature is never shown.
		s, _ := e.codec.Decode(ck.Value)
		sig := s.AccessToken[strings.LastIndexByte(s.AccessToken, '.')+1:]
		if strings.Contains(body, sig) {
			t.Error("dashboard shows the token signature")
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("got Cache-Control %q, want no-store", cc)
		}
	}
}

func TestDashboardForUserHasNoAdminLink(t *testing.T) {
	e := newEnv(t, envConfig{})
	w := e.do(t, get("/", e.login(t, "bob")))
	if strings.Contains(w.Body.String(), `href="/admin"`) {
		t.Error("a user sees the admin link")
	}
}

func TestAdmin(t *testing.T) {
	e := newEnv(t, envConfig{})
	w := e.do(t, get("/admin", e.login(t, "alice")))
	if w.Code != http.StatusOK {
		t.Fatalf("admin: got %d, want 200", w.Code)
	}
	for _, s := range []string{`id="user-list"`, `data-user="alice"`, `data-user="bob"`, "2026-11-02 10:30:00 UTC"} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("admin page lacks %q", s)
		}
	}

	w = e.do(t, get("/admin", e.login(t, "bob")))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `data-status="403"`) ||
		!strings.Contains(w.Body.String(), "administrators only") {
		t.Errorf("user on /admin: got %d, want the 403 page", w.Code)
	}
}

func TestAPIMe(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	s, _ := e.codec.Decode(ck.Value)

	w := e.do(t, get("/api/me", ck))
	var claims map[string]any
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &claims) != nil {
		t.Fatalf("cookie: got %d %s", w.Code, w.Body)
	}
	if claims["sub"] != "bob" || claims["role"] != "user" || claims["iss"] != "auth-api" || claims["exp"] == nil {
		t.Errorf("got claims %v", claims)
	}

	r := get("/api/me")
	r.Header.Set("Authorization", "Bearer "+s.AccessToken)
	if w := e.do(t, r); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"sub":"bob"`) {
		t.Errorf("bearer: got %d %s", w.Code, w.Body)
	}
	r = get("/api/me")
	r.Header.Set("Authorization", "bearer "+s.AccessToken)
	if w := e.do(t, r); w.Code != http.StatusOK {
		t.Errorf("lower-case bearer: got %d", w.Code)
	}
}

func TestForgedBearerTokens(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	s, _ := e.codec.Decode(ck.Value)
	other, _ := secretkey.NewKeys(otherSecret, "")
	otherIss, _ := jwtauth.NewIssuer(other, jwtauth.IssuerConfig{TTL: time.Hour, Now: e.clock.fn()})
	foreign, _, _ := otherIss.Issue("bob", "admin")
	expIss, _ := jwtauth.NewIssuer(e.keys, jwtauth.IssuerConfig{TTL: time.Minute, Now: func() time.Time { return e.clock.Now().Add(-time.Hour) }})
	expired, _, _ := expIss.Issue("bob", "user")
	parts := strings.Split(s.AccessToken, ".")

	tests := []struct{ name, header string }{
		{"foreign key", "Bearer " + foreign},
		{"expired", "Bearer " + expired},
		{"alg none", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJib2IiLCJyb2xlIjoiYWRtaW4ifQ."},
		{"signature stripped", "Bearer " + parts[0] + "." + parts[1] + "."},
		{"payload swapped", "Bearer " + parts[0] + ".eyJzdWIiOiJib2IiLCJyb2xlIjoiYWRtaW4ifQ." + parts[2]},
		{"garbage", "Bearer garbage"},
		{"empty", "Bearer "},
		{"huge", "Bearer " + strings.Repeat("a", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get("/api/me", ck) // a valid cookie does not rescue a bad bearer
			r.Header.Set("Authorization", tt.header)
			w := e.do(t, r)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("got %d, want 401", w.Code)
			}
			if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
				t.Errorf("got WWW-Authenticate %q", got)
			}
			var body map[string]string
			if json.Unmarshal(w.Body.Bytes(), &body) != nil || body["error"] != "invalid_token" || body["message"] == "" {
				t.Errorf("got body %s", w.Body)
			}
		})
	}
	// A bearer token is for the API only: pages ignore it.
	r := get("/")
	r.Header.Set("Authorization", "Bearer "+s.AccessToken)
	e.wantLoginRedirect(t, e.do(t, r), false)
}

func TestAPIWithoutCredentials(t *testing.T) {
	e := newEnv(t, envConfig{})
	w := e.do(t, get("/api/me"))
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"error":"login_required"`) {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
	w = e.do(t, get("/api/nothing", e.login(t, "bob")))
	if w.Code != http.StatusNotFound || !strings.Contains(w.Header().Get("Content-Type"), "json") {
		t.Errorf("unknown API path: got %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		want    int
	}{
		{"login cross-site", "/login", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"logout cross-site", "/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"logout same-site other origin", "/logout", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"logout foreign Origin", "/logout", map[string]string{"Origin": "https://evil.example"}, 403},
		{"logout same-origin", "/logout", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, 303},
		{"logout curl (no headers)", "/logout", nil, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postForm(tt.path, url.Values{"username": {"bob"}, "password": {"bob-password"}}, ck)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			w := e.do(t, r)
			if w.Code != tt.want {
				t.Fatalf("got %d, want %d", w.Code, tt.want)
			}
			if tt.want == 403 {
				if !strings.Contains(w.Body.String(), "another site") {
					t.Error("403 page does not explain")
				}
				if e.sessionCookie(w) != nil {
					t.Error("a refused request changed the cookie")
				}
			}
		})
	}
}

// TestSecurityHeaders: every response carries no-store (static assets
// excepted), nosniff, no framing, same-origin referrers and a CSP that
// allows no inline script; HTML pages carry the pages' CSP and the
// document policies, every other answer a CSP that allows nothing.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "alice")
	for _, tt := range []struct {
		path string
		page bool
	}{
		{"/", true}, {"/admin", true}, {"/nowhere", true}, {"/account", true},
		{"/login", false}, // signed in: a redirect to /
		{"/api/me", false}, {"/api/nowhere", false}, {"/healthz", false}, {"/static/style.css", false},
	} {
		w := e.do(t, get(tt.path, ck))
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", tt.path, csp)
		}
		want := map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
		if tt.page {
			want["Cross-Origin-Opener-Policy"] = "same-origin"
			want["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "form-action 'self'") {
				t.Errorf("%s: page CSP %q", tt.path, csp)
			}
		} else if csp != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s: CSP %q, want the one that allows nothing", tt.path, csp)
		}
		for k, v := range want {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s is %q, want %q", tt.path, k, got, v)
			}
		}
		cc := h.Get("Cache-Control")
		if tt.path == "/static/style.css" {
			if !strings.Contains(cc, "max-age") {
				t.Errorf("%s: Cache-Control %q, want cacheable", tt.path, cc)
			}
		} else if cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tt.path, cc)
		}
	}
}

func TestNoInlineScriptOrExternalAssets(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "alice")
	for _, path := range []string{"/login", "/", "/account", "/admin", "/nowhere"} {
		r := get(path, ck)
		if path == "/login" {
			r = get(path) // signed in, /login redirects
		}
		body := e.do(t, r).Body.String()
		// One script, our own, loaded from /static/; nothing inline.
		if n := strings.Count(body, "<script"); n != 1 || !strings.Contains(body, `<script src="/static/app.js?v=test" defer></script>`) {
			t.Errorf("%s: %d script tags, want only /static/app.js", path, n)
		}
		for _, bad := range []string{"<script>", "style=", "onclick", "http://", "https://"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
	}
}

func TestErrorPagesAndStatic(t *testing.T) {
	e := newEnv(t, envConfig{})
	tests := []struct {
		method, path string
		want         int
		wantType     string
	}{
		{"GET", "/nowhere", 404, "text/html"},
		{"GET", "/static/", 404, "text/html"},
		{"GET", "/static/missing.css", 404, "text/html"},
		{"GET", "/static/../main.go", 404, "text/html"},
		{"GET", "/static/style.css", 200, "text/css"},
		{"GET", "/static/favicon.svg", 200, "image/svg+xml"},
		{"HEAD", "/login", 200, "text/html"},
		{"HEAD", "/healthz", 200, "application/json"},
		{"PUT", "/login", 405, "text/html"},
		{"DELETE", "/", 405, "text/html"},
	}
	for _, tt := range tests {
		w := e.do(t, httptestRequest(tt.method, tt.path))
		if w.Code != tt.want || !strings.HasPrefix(w.Header().Get("Content-Type"), tt.wantType) {
			t.Errorf("%s %s: got %d %q, want %d %q", tt.method, tt.path, w.Code, w.Header().Get("Content-Type"), tt.want, tt.wantType)
		}
		if tt.method == "HEAD" && tt.wantType == "text/html" && w.Body.Len() != 0 {
			t.Errorf("HEAD %s has a body", tt.path)
		}
	}
	w := e.do(t, get("/nowhere"))
	if !strings.Contains(w.Body.String(), `data-status="404"`) || !strings.Contains(w.Body.String(), `href="/login"`) {
		t.Error("404 page lacks its status or the way to the login page")
	}
	w = e.do(t, get("/nowhere", e.login(t, "bob")))
	if !strings.Contains(w.Body.String(), `class="button button-primary" href="/"`) {
		t.Error("404 page for someone logged in lacks the way back to the dashboard")
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	e.do(t, get("/", ck))
	e.do(t, get("/", &http.Cookie{Name: e.codec.Name(), Value: "junk"}))
	e.clock.Advance(tokenTTL + time.Minute)
	e.do(t, get("/", ck))
	w := e.do(t, get("/metrics"))
	body := w.Body.String()
	for _, s := range []string{
		`web_frontend_sessions_total{outcome="ok",reason=""} 1`,
		`web_frontend_sessions_total{outcome="invalid",reason="cookie"} 1`,
		`web_frontend_sessions_total{outcome="refreshed",reason=""} 1`,
		`web_frontend_http_requests_total{code="303",method="POST",route="/login"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("metrics lack %q", s)
		}
	}
}

func TestPanicsBecome500Pages(t *testing.T) {
	e := newEnv(t, envConfig{})
	h := recoverPanics(e.log, e.rd)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w := newRecorder()
	h.ServeHTTP(w, get("/"))
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), `data-status="500"`) {
		t.Errorf("got %d, want the 500 page", w.Code)
	}
	if !strings.Contains(e.logs.String(), "panic serving request") {
		t.Error("panic not logged")
	}
}

// The login page after a logout or an expiry loads /logout/done, which
// changes a throwaway cookie so Chromium evicts the page just left from its
// back/forward cache; the plain login page does not.
func TestSessionEndedBeacon(t *testing.T) {
	e := newEnv(t, envConfig{})
	tests := []struct {
		path       string
		wantBeacon bool
	}{
		{"/login", false},
		{"/login?msg=logged_out", true},
		{"/login?msg=expired", true},
		{"/login?msg=whatever", false},
	}
	for _, tt := range tests {
		w := e.do(t, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if got := strings.Contains(w.Body.String(), `src="/logout/done"`); got != tt.wantBeacon {
			t.Errorf("%s: beacon present %v, want %v", tt.path, got, tt.wantBeacon)
		}
	}

	w := e.do(t, httptest.NewRequest(http.MethodGet, "/logout/done", nil))
	if w.Code != http.StatusNoContent {
		t.Fatalf("GET /logout/done: got status %d, want %d", w.Code, http.StatusNoContent)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET /logout/done: got Cache-Control %q, want no-store", got)
	}
	var ended *http.Cookie
	for _, c := range w.Result().Cookies() {
		switch c.Name {
		case session.EndedCookie:
			ended = c
		case e.codec.Name():
			t.Errorf("GET /logout/done touched the session cookie")
		}
	}
	if ended == nil || ended.Value == "" || !ended.HttpOnly || ended.MaxAge <= 0 {
		t.Errorf("GET /logout/done: got cookie %+v, want a short-lived HttpOnly %s", ended, session.EndedCookie)
	}
}
