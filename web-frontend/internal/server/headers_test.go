package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwt-micro-system/shared/jwtauth"
)

func TestInstanceHeader(t *testing.T) {
	for _, instance := range []string{"", "web-frontend.2"} {
		e := newEnv(t, envConfig{})
		ck := e.login(t, "alice")
		e.opts.Instance = instance
		h := NewServer(e.log, e.opts, e.deps)
		for _, r := range []*http.Request{get("/healthz"), get("/api/me"), get("/api/me", ck), get("/nowhere"), get("/login"), get("/", ck)} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got, ok := w.Header()["X-Instance"]
			switch {
			case instance == "" && ok:
				t.Errorf("GET %s without INSTANCE_NAME: got X-Instance %q, want none", r.URL.Path, got)
			case instance != "" && (len(got) != 1 || got[0] != instance):
				t.Errorf("GET %s (status %d): got X-Instance %q, want %q", r.URL.Path, w.Code, got, instance)
			}
		}
	}
}

// /api/me answers with the claims of the request's own token, the same
// bytes encoding/json writes, however often it is asked.
func TestAPIMeClaims(t *testing.T) {
	e := newEnv(t, envConfig{})
	for _, user := range []string{"alice", "bob", "alice"} {
		ck := e.login(t, user)
		tokens, err := e.deps.Auth.Login(context.Background(), user, fakeUsers()[user][0], "")
		if err != nil {
			t.Fatal(err)
		}
		bearer := get("/api/me")
		bearer.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
		for _, c := range []struct {
			name string
			r    func() *http.Request
		}{{"cookie", func() *http.Request { return get("/api/me", ck) }}, {"bearer", func() *http.Request { return bearer }}} {
			for i := range 2 {
				w := e.do(t, c.r())
				var claims jwtauth.Claims
				if err := json.Unmarshal(w.Body.Bytes(), &claims); err != nil || w.Code != http.StatusOK {
					t.Fatalf("%s %s: got %d %q", user, c.name, w.Code, w.Body)
				}
				want, _ := json.Marshal(&claims)
				if got := strings.TrimSuffix(w.Body.String(), "\n"); got != string(want) || claims.Subject != user {
					t.Errorf("%s %s, request %d: got %s, want the claims of %s: %s", user, c.name, i+1, got, user, want)
				}
				if ct := w.Header().Get("Content-Type"); ct != jsonContentType {
					t.Errorf("Content-Type %q", ct)
				}
			}
		}
	}
}

func TestMetricsByRoutePattern(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "bob")
	for _, r := range []*http.Request{get("/api/me", ck), get("/api/me", ck), get("/api/me"), get("/healthz"), get("/nowhere"), get("/static/style.css")} {
		e.do(t, r)
	}
	body := e.do(t, get("/metrics")).Body.String()
	for _, s := range []string{
		`web_frontend_http_requests_total{code="200",method="GET",route="/api/me"} 2`,
		// Refused by the session check, under the route it guards.
		`web_frontend_http_requests_total{code="401",method="GET",route="/api/me"} 1`,
		`web_frontend_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`web_frontend_http_requests_total{code="200",method="GET",route="/static/*"} 1`,
		`web_frontend_http_request_duration_seconds_count{route="/api/me"} 3`,
		`web_frontend_sessions_total{outcome="ok",reason=""} 2`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("metrics lack %q", s)
		}
	}
	if strings.Contains(body, `route="/nowhere"`) {
		t.Error("an unknown path became a route label")
	}
}

// The request path allocates a bounded, small number of objects: the
// headers and metrics are precomputed, the cookie is opened from the cache,
// the claims are encoded once, and a request the log level leaves out
// builds no log record. The budgets leave room for other work on the path;
// a jump past them means something started allocating per request.
func TestRequestAllocations(t *testing.T) {
	e := newEnv(t, envConfig{})
	ck := e.login(t, "alice")
	h := quietServer(e)
	for _, c := range []struct {
		r      *http.Request
		budget float64
	}{
		{get("/healthz"), 8},
		{get("/api/me", ck), 10},
	} {
		got := testing.AllocsPerRun(200, func() {
			w := &discardWriter{h: make(http.Header)}
			h.ServeHTTP(w, c.r)
			if w.status != http.StatusOK {
				t.Fatalf("GET %s: got %d", c.r.URL.Path, w.status)
			}
		})
		t.Logf("GET %s: %.0f allocations", c.r.URL.Path, got)
		if got > c.budget {
			t.Errorf("GET %s: %.0f allocations per request, budget %.0f", c.r.URL.Path, got, c.budget)
		}
	}
}
